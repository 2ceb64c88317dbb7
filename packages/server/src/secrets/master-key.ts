import { createHmac, hkdfSync, randomBytes } from 'node:crypto';

/** AES-256: the master key (key-encryption key, KEK) is exactly 32 bytes. */
export const MASTER_KEY_BYTES = 32;

/** One master key and its id. The id is a one-way fingerprint: it names the key, never reveals it. */
export interface MasterKey {
  id: string;
  key: Buffer;
}

/**
 * `kek_` + 16 hex chars of HMAC-SHA256(key, label). Stored with every secret version so a
 * version can name the key that wraps its data key, and so rewrap knows what is left to move.
 */
export function kekId(key: Buffer): string {
  return `kek_${createHmac('sha256', key).update('agentd master key id v1').digest('hex').slice(0, 16)}`;
}

/**
 * A master key as text: 64 hex characters, or base64 / base64url of 32 bytes. Anything else
 * throws, naming `what` (never echoing the text, which may be a real key with a typo).
 */
export function parseMasterKey(text: string, what: string): Buffer {
  const s = text.trim();
  let key: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(s)) key = Buffer.from(s, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(s)) key = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (!key || key.length !== MASTER_KEY_BYTES) {
    throw new Error(`${what} must be ${MASTER_KEY_BYTES} bytes, as 64 hex characters or base64 (generate one with: openssl rand -base64 32)`);
  }
  return key;
}

/**
 * The master keys this node holds: the current one (new versions and rewraps use it) and any
 * previous ones (still accepted for reading, so old versions stay readable after a rotation).
 */
export class Keyring {
  readonly current: MasterKey;
  readonly #byId: Map<string, Buffer>;

  /** `current` seals new values; `previous` keys (default none) still open what they sealed. */
  constructor(current: Buffer, opts: { previous?: readonly Buffer[] } = {}) {
    const previous = opts.previous ?? [];
    if (current.length !== MASTER_KEY_BYTES) throw new Error(`a master key must be ${MASTER_KEY_BYTES} bytes`);
    this.current = { id: kekId(current), key: current };
    this.#byId = new Map([[this.current.id, current]]);
    for (const key of previous) {
      if (key.length !== MASTER_KEY_BYTES) throw new Error(`a master key must be ${MASTER_KEY_BYTES} bytes`);
      if (!this.#byId.has(kekId(key))) this.#byId.set(kekId(key), key);
    }
  }

  /** A random in-memory key; for tests and tools. A server always loads a persistent one. */
  static generate(): Keyring {
    return new Keyring(randomBytes(MASTER_KEY_BYTES));
  }

  /** The key with this id, or undefined when this node was not given it. */
  get(id: string): Buffer | undefined {
    return this.#byId.get(id);
  }

  /**
   * A 32-byte key for another purpose (HKDF-SHA256 of the current master key), such as signing
   * approval links: every node with the same master key derives the same one. It changes when
   * the master key is rotated.
   */
  derive(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.current.key, Buffer.alloc(0), `agentd ${purpose}`, 32));
  }

  /** Every id this node can unwrap with, current first. */
  get ids(): string[] {
    return [...this.#byId.keys()];
  }
}
