import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower-case

/** Random bytes drawn from the kernel in blocks: one syscall per id showed in profiles. */
const POOL_SIZE = 8192;

/**
 * Makes ids: `<prefix>_` + 10 chars of millisecond time + 16 random chars (80 bits), so ids sort
 * by creation time, which keeps B-tree inserts local, and cannot be guessed. Each store owns one
 * (`store.ids`), so two servers in one process share no pool.
 */
export class IdGenerator {
  #pool = Buffer.alloc(0);
  #offset = POOL_SIZE;

  /** A new id for a row or request of kind `prefix`, made at `now` (epoch ms). */
  next(prefix: string, now: number): string {
    let time = '';
    let t = now;
    for (let i = 0; i < 10; i++) {
      time = ALPHABET[t % 32] + time;
      t = Math.floor(t / 32);
    }
    if (this.#offset + 16 > this.#pool.length) {
      this.#pool = randomBytes(POOL_SIZE);
      this.#offset = 0;
    }
    const pool = this.#pool;
    const start = this.#offset;
    this.#offset += 16;
    let rand = '';
    for (let i = start; i < start + 16; i++) rand += ALPHABET[pool[i] % 32];
    return `${prefix}_${time}${rand}`;
  }
}
