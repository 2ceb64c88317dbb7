import { CompiledQuery, type Transaction } from 'kysely';
import type { Database } from './db-types.ts';

const SAVEPOINT = CompiledQuery.raw('SAVEPOINT agentd_op');
const RELEASE = CompiledQuery.raw('RELEASE SAVEPOINT agentd_op');
const RELEASE_AND_SAVEPOINT = CompiledQuery.raw('RELEASE SAVEPOINT agentd_op; SAVEPOINT agentd_op');
const ROLLBACK_TO = CompiledQuery.raw('ROLLBACK TO SAVEPOINT agentd_op');
/** Answers only once every statement sent before it has run (see settle). */
const SETTLE = CompiledQuery.raw('select 1');

/**
 * The savepoint each operation of a group commit runs in, at one statement per operation: the
 * previous operation's savepoint is released and the next one's taken in the same round trip
 * (PostgreSQL runs both from one simple query; node:sqlite prepares only the first statement of
 * a text, but its statements cost no round trip), the last one is released by the COMMIT, and
 * after a rollback the savepoint, still there and now empty, serves the next operation as it is.
 * Released, not nested: a PostgreSQL transaction with a thousand nested subtransactions would
 * search them all on every visibility check of its own rows.
 */
export class OpSavepoints {
  readonly #trx: Transaction<Database>;
  readonly #oneRoundTrip: boolean;
  readonly #pipelined: boolean;
  /** none: not taken yet; used: an operation may have written under it; empty: just rolled back to. */
  #state: 'none' | 'used' | 'empty' = 'none';

  /** `pipelined`: statements may be sent without waiting for them (see settle). */
  constructor(trx: Transaction<Database>, opts: { multiStatement: boolean; pipelined?: boolean }) {
    this.#trx = trx;
    this.#oneRoundTrip = opts.multiStatement;
    this.#pipelined = opts.pipelined ?? false;
  }

  /**
   * After an operation (or a deferred step) returned: where statements are sent without waiting
   * (SQLite's writer thread), waits until all of its own have run, so a failure of one of them
   * is reported now, as that operation's, and not by whatever statement comes next. Elsewhere a
   * statement has run by the time it returns: nothing to wait for.
   */
  async settle(): Promise<void> {
    if (this.#pipelined) await this.#trx.executeQuery(SETTLE);
  }

  /** Before an operation: what it writes from now on can be undone alone. */
  async take(): Promise<void> {
    if (this.#state === 'none') await this.#trx.executeQuery(SAVEPOINT);
    else if (this.#state === 'used') {
      if (this.#oneRoundTrip) await this.#trx.executeQuery(RELEASE_AND_SAVEPOINT);
      else {
        await this.#trx.executeQuery(RELEASE);
        await this.#trx.executeQuery(SAVEPOINT);
      }
    }
    this.#state = 'used';
  }

  /** The operation failed: undo what it wrote (and, on PostgreSQL, release the locks it took). */
  async rollback(): Promise<void> {
    await this.#trx.executeQuery(ROLLBACK_TO);
    this.#state = 'empty';
  }
}
