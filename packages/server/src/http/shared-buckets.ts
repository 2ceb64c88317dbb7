import { LRUCache } from 'lru-cache';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import type { Rate } from './limits-config.ts';
import { msUntilToken } from './token-bucket.ts';

/** One bucket's tokens as this node holds them. */
interface Local {
  /** Tokens granted to this node by the shared bucket and not yet spent. */
  tokens: number;
  /** Unspent grants lapse, so an idle node cannot add a stale stock on top of a fresh burst. */
  expiresAt: number;
  /** The shared bucket was empty: refuse without asking again until then. */
  deniedUntil: number;
  pending: Promise<void> | null;
}

/** How long tokens granted to a node stay spendable, ms. */
export const GRANT_LIFETIME_MS = 1000;
/** Bucket rows idle this long are full again; deleting them changes nothing. */
const IDLE_ROW_MS = 3_600_000;
const PURGE_EVERY_MS = 300_000;
/** Buckets this node keeps a local share of; past it the least recently used is forgotten (its grant lapses early: only stricter). */
const MAX_LOCAL_BUCKETS = 100_000;

/**
 * Token buckets shared by every node through PostgreSQL, without a database round trip per
 * request: a node takes tokens from the shared row in chunks (a twentieth of the bucket, 1 to
 * 100), spends them locally, and asks again when they run out. Tokens are only ever handed out
 * by the row, so all nodes together never exceed the limit; what a node holds and does not spend
 * lapses after a second, which only makes the limit stricter. An empty bucket is remembered until
 * its next token is due, so a client hammering past its limit costs one round trip per refill, not
 * one per request. Refill uses the database's clock, so nodes with skewed clocks agree.
 */
export class SharedBuckets {
  readonly #db: Kysely<Database>;
  readonly #local = new LRUCache<string, Local>({ max: MAX_LOCAL_BUCKETS });
  readonly #purge: NodeJS.Timeout;
  readonly #onError: (err: unknown) => void;
  /** Round trips to the shared table, for tests and the cost measurement. */
  roundTrips = 0;

  constructor(db: Kysely<Database>, opts: { onError: (err: unknown) => void }) {
    this.#db = db;
    this.#onError = opts.onError;
    this.#purge = setInterval(() => void this.purgeIdle().catch(this.#onError), PURGE_EVERY_MS);
    this.#purge.unref();
  }

  /** Takes one token: 0 when taken, else how long until one is there, ms. */
  async take(name: string, rate: Rate): Promise<number> {
    // Bounded: each pass either spends a token, learns the bucket is empty, or waits for a grant
    // other waiters may have spent first.
    for (let pass = 0; pass < 8; pass++) {
      const now = Date.now();
      let e = this.#local.get(name);
      if (!e) {
        e = { tokens: 0, expiresAt: 0, deniedUntil: 0, pending: null };
        this.#local.set(name, e);
      }
      if (e.deniedUntil > now) return e.deniedUntil - now;
      if (e.tokens >= 1 && e.expiresAt > now) {
        e.tokens -= 1;
        return 0;
      }
      const entry = e;
      entry.pending ??= this.#fetch(name, rate, entry).finally(() => {
        entry.pending = null;
      });
      await entry.pending;
    }
    return msUntilToken(rate, 0);
  }

  async #fetch(name: string, rate: Rate, e: Local): Promise<void> {
    const want = Math.max(1, Math.min(100, Math.ceil(rate.count / 20)));
    const perMs = rate.count / rate.periodMs;
    let row: { granted: number; tokens: number } | undefined;
    try {
      this.roundTrips++;
      // Every SET expression reads the row as it was, so `avail` is computed from the old tokens.
      const avail = sql`LEAST(${rate.count}::float8, b.tokens + GREATEST(0, (extract(epoch from clock_timestamp()) * 1000)::bigint - b.updated_at) * ${perMs}::float8)`;
      const r = await sql<{ granted: number; tokens: number }>`
        INSERT INTO rate_limit_buckets AS b (bucket, tokens, granted, updated_at)
        VALUES (${name}, ${rate.count - Math.min(want, rate.count)}::float8, ${Math.min(want, rate.count)}::int, (extract(epoch from clock_timestamp()) * 1000)::bigint)
        ON CONFLICT (bucket) DO UPDATE SET
          granted = LEAST(${want}::int, FLOOR(${avail})::int),
          tokens = ${avail} - LEAST(${want}::int, FLOOR(${avail})::int),
          updated_at = GREATEST(b.updated_at, (extract(epoch from clock_timestamp()) * 1000)::bigint)
        RETURNING granted, tokens`.execute(this.#db);
      row = r.rows[0];
    } catch (err) {
      // Fail open: the request itself meets the same database and answers for it; a limiter that
      // refused everybody during an outage would only add to it.
      this.#onError(err);
      e.tokens = 1;
      e.expiresAt = Date.now() + GRANT_LIFETIME_MS;
      return;
    }
    const now = Date.now();
    const granted = Number(row?.granted ?? 0);
    if (granted > 0) {
      e.tokens = granted;
      e.expiresAt = now + GRANT_LIFETIME_MS;
    } else {
      e.tokens = 0;
      e.deniedUntil = now + msUntilToken(rate, Number(row?.tokens ?? 0));
    }
  }

  async purgeIdle(): Promise<void> {
    await sql`DELETE FROM rate_limit_buckets WHERE updated_at < (extract(epoch from clock_timestamp()) * 1000)::bigint - ${IDLE_ROW_MS}`.execute(this.#db);
  }

  close(): void {
    clearInterval(this.#purge);
  }
}

