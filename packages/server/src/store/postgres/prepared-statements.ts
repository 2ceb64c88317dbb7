import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type pg from 'pg';

/**
 * Statements with at most this many parameters are prepared once per connection and then only
 * bound and executed: lookups, single-row writes and the commit's event statement, whose text
 * does not change with the size of a batch. PostgreSQL then skips parsing and, once it has
 * settled on a generic plan, planning: measured, dispatch latency fell by about a fifth. Texts
 * that grow with a batch (IN lists, multi-row inserts) are left unnamed, or every batch size
 * would become one more prepared statement on every connection.
 */
export const MAX_PREPARED_PARAMS = 16;

/**
 * Statements whose text starts with this are prepared whatever their number of parameters: their
 * text does not grow with a batch (one array parameter per column).
 */
export const PREPARE = '/*agentd:prepare*/ ';

/** Most statement names remembered; past it the least recently used is forgotten (and prepared again if used). */
const MAX_NAMES = 2000;

/** PostgreSQL's answer when a table changed under a prepared `SELECT *`: "cached plan must not change result type". */
const FEATURE_NOT_SUPPORTED = '0A000';

/**
 * Statement names by text, for every connection of one pool (each store has its own): the same
 * text gets the same name on every connection, which prepares it once. `generation` moves when a
 * table changed under a prepared statement, so every text is prepared afresh under a new name.
 */
export class StatementNames {
  #generation = 0;
  readonly #names = new LRUCache<string, string>({ max: MAX_NAMES });

  nameFor(text: string): string {
    let name = this.#names.get(text);
    if (!name) {
      name = `agentd_${this.#generation}_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
      this.#names.set(text, name);
    }
    return name;
  }

  /** A prepared statement's table changed (another node migrated): forget every name. */
  nextGeneration(): void {
    this.#generation++;
    this.#names.clear();
  }
}

type QueryFn = (...args: unknown[]) => Promise<unknown>;

/**
 * Makes this connection prepare its small statements (see MAX_PREPARED_PARAMS). Called for each
 * new pool connection. If another node's migration changes a table under a prepared statement,
 * names move to a new generation: the statement is prepared afresh, and retried at once unless
 * a transaction was open (PostgreSQL has aborted it; the caller retries the transaction).
 * `names` is the pool's (see StatementNames).
 */
export function prepareSmallStatements(client: pg.ClientBase, names: StatementNames): void {
  const query = client.query.bind(client) as unknown as QueryFn;
  let inTransaction = false;
  (client as unknown as { query: QueryFn }).query = (...args: unknown[]) => {
    const [text, values] = args;
    if (args.length !== 2 || typeof text !== 'string' || !Array.isArray(values)) return query(...args);
    const head = text.slice(0, 8).toLowerCase();
    if (head.startsWith('begin')) inTransaction = true;
    else if (head.startsWith('commit') || head.startsWith('rollback')) inTransaction = false;
    if (values.length === 0 || (values.length > MAX_PREPARED_PARAMS && !text.startsWith(PREPARE))) return query(text, values);
    return query({ name: names.nameFor(text), text, values }).catch((err: unknown) => {
      const e = err as { code?: string; message?: string };
      if (e.code !== FEATURE_NOT_SUPPORTED || !/cached plan/i.test(e.message ?? '')) throw err;
      names.nextGeneration();
      if (inTransaction) throw err;
      return query({ name: names.nameFor(text), text, values });
    });
  };
}
