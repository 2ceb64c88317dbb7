import { sql } from 'kysely';
import type pg from 'pg';
import { errorContext, type Logger } from '../../core/index.ts';
import { LeadershipLost, type LeaderFence } from '../leader-fence.ts';

/** Advisory lock keys (arbitrary constants, unique to agentd; see also MIGRATION_LOCK). */
export const LEADER_LOCK = 7_401_002;
/** Taken shared by every fenced transaction, exclusively (for an instant) by a node taking over. */
export const LEADER_FENCE_LOCK = 7_401_003;

/** pg_locks shows a one-bigint advisory key below 2^32 as classid 0, objid key, objsubid 1. */
const HOLDS_LEADER_LOCK = `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = ${LEADER_LOCK} AND objsubid = 1 AND granted AND pid = $1) AS held`;

export interface PgLeaderOptions {
  pool: pg.Pool;
  log: Logger;
  /**
   * How long the per-tick lock check may take before this node gives up leading. Shorter than
   * PostgreSQL takes to notice a lost client (TCP keepalive, minutes): the node stops leading
   * before the server frees the lock for another one. Default 5 s.
   */
  checkTimeoutMs?: number;
  /** How long a node taking over waits for the old leader's fenced transactions. Default 10 s. */
  takeoverTimeoutMs?: number;
  /**
   * After losing the lock, how long this node leaves it to the others before trying again: its
   * connection just failed, and a healthy node should take over first. Default 5 s.
   */
  rejoinDelayMs?: number;
}

/**
 * The timer leader on PostgreSQL: a session-level advisory lock held on a connection of its own.
 * Every tick re-checks, on that connection, that its backend still holds the lock (pg_locks);
 * a failed or slow check, or an error on the connection, ends the leadership at once and the
 * connection is destroyed. Writes are fenced (see leader-fence.ts): each checks that the lock is
 * still held by this leader's backend, under a shared lock that a new leader must take
 * exclusively before its first pass, so it waits for the old leader's last transaction.
 */
export class PgLeader {
  readonly #pool: pg.Pool;
  readonly #log: Logger;
  readonly #checkTimeoutMs: number;
  readonly #takeoverTimeoutMs: number;
  readonly #rejoinDelayMs: number;
  #rejoinAt = 0;
  #client: pg.PoolClient | null = null;
  #pid: number | null = null;
  #onError: ((err: Error) => void) | null = null;

  constructor(opts: PgLeaderOptions) {
    this.#pool = opts.pool;
    this.#log = opts.log;
    this.#checkTimeoutMs = opts.checkTimeoutMs ?? 5_000;
    this.#takeoverTimeoutMs = opts.takeoverTimeoutMs ?? 10_000;
    this.#rejoinDelayMs = opts.rejoinDelayMs ?? 5_000;
  }

  /** Runs `fn` with a fence if this node leads (or now becomes leader); otherwise undefined. */
  async run<T>(fn: (fence: LeaderFence) => Promise<T>): Promise<T | undefined> {
    if (this.#client && !(await this.#stillHeld())) return undefined;
    if (!this.#client && (Date.now() < this.#rejoinAt || !(await this.#acquire()))) return undefined;
    return fn(this.#fence(this.#pid!));
  }

  async #acquire(): Promise<boolean> {
    const client = await this.#pool.connect();
    // Attached before the first query: a checked-out client without a listener crashes the process.
    let failure: Error | null = null;
    const onError = (err: Error) => {
      failure = err;
      if (this.#client === client) this.#lose(`its connection failed: ${err.message}`);
    };
    client.on('error', onError);
    try {
      const got = await client.query<{ ok: boolean; pid: number }>('SELECT pg_try_advisory_lock($1) AS ok, pg_backend_pid() AS pid', [LEADER_LOCK]);
      if (!got.rows[0].ok) {
        client.off('error', onError);
        client.release();
        return false;
      }
      // The previous leader's fenced transactions still open are waited for; one that begins
      // later sees the lock held by another backend and writes nothing.
      await client.query(`SET lock_timeout = ${Math.max(1, Math.round(this.#takeoverTimeoutMs))}`);
      await client.query('SELECT pg_advisory_lock($1)', [LEADER_FENCE_LOCK]);
      await client.query('SELECT pg_advisory_unlock($1)', [LEADER_FENCE_LOCK]);
      await client.query('RESET lock_timeout');
      if (failure) throw failure;
      this.#client = client;
      this.#pid = got.rows[0].pid;
      this.#onError = onError;
      this.#log.info({ loop: 'timer-leader', pid: this.#pid }, 'agentd: this node now leads the timers');
      return true;
    } catch (err) {
      // Destroyed, not returned to the pool: it may hold the lock, and only closing it frees that.
      client.off('error', onError);
      client.on('error', () => {}); // a dying connection may still emit errors after its release
      client.release(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  }

  /** The per-tick check on the leader's own connection; false (and no longer leading) on any doubt. */
  async #stillHeld(): Promise<boolean> {
    const client = this.#client!;
    try {
      const r = await client.query<{ held: boolean }>({ text: HOLDS_LEADER_LOCK, values: [this.#pid], query_timeout: this.#checkTimeoutMs } as pg.QueryConfig);
      if (r.rows[0]?.held) return true;
      this.#lose('its backend no longer holds the leader lock');
    } catch (err) {
      this.#lose(`the lock check failed: ${errorContext(err).message}`);
    }
    return false;
  }

  #lose(why: string, level: 'warn' | 'info' = 'warn'): void {
    const client = this.#client;
    if (!client) return;
    this.#log[level]({ loop: 'timer-leader', pid: this.#pid, reason: why }, `agentd: this node stopped leading the timers: ${why}`);
    this.#client = null;
    this.#pid = null;
    this.#rejoinAt = Date.now() + this.#rejoinDelayMs;
    if (this.#onError) client.off('error', this.#onError);
    this.#onError = null;
    // Keeps a no-op listener: the dying connection may still emit errors after its release.
    client.on('error', () => {});
    client.release(new Error(why)); // destroyed: if the backend still lives, closing frees the lock
  }

  #fence(pid: number): LeaderFence {
    return {
      check: async (trx) => {
        if (this.#pid !== pid) throw new LeadershipLost('it stopped leading');
        await sql`SELECT pg_advisory_xact_lock_shared(${LEADER_FENCE_LOCK})`.execute(trx);
        const r = await sql<{ held: boolean }>`SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = ${LEADER_LOCK} AND objsubid = 1 AND granted AND pid = ${pid}) AS held`.execute(trx);
        if (!r.rows[0]?.held) throw new LeadershipLost(`backend ${pid} no longer holds the leader lock`);
      },
    };
  }

  /** Gives up the lock (closing its connection frees it), for shutdown. */
  stop(): void {
    if (this.#client) this.#lose('the store is closing', 'info');
  }
}
