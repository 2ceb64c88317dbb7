import { createQueryId, type Compilable, type CompiledQuery, type Kysely, type RawBuilder, type RootOperationNode, type Transaction } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Database } from './db-types.ts';
import type { DialectQueries } from './dialect-queries.ts';

/** What a statement's `build` may use of its dialect's queries. */
export type DialectBuilders = Pick<DialectQueries, 'anyOf' | 'tenantIs' | 'insertRows'>;

/** A query builder's query or raw SQL (`sql` template). */
type Built<R> = Compilable<R> | RawBuilder<R>;

const isRaw = <R>(b: Built<R>): b is RawBuilder<R> => (b as { isRawBuilder?: boolean }).isRawBuilder === true;

/**
 * Precompiled statements: the hot path's queries are built with Kysely once per shape and
 * dialect, then each call only binds its values into the compiled SQL. Building and compiling a
 * query walks and freezes a tree of a few dozen nodes; for the lease candidates, the event
 * counter or a batched completion's read that was most of Kysely's share of the server's time.
 *
 * A statement is defined once (`precompiled(shape, build)`); `build` gets the call's parameters
 * with every value replaced by a stand-in (top-level values, and each element of a top-level
 * array), so the compiled SQL has a placeholder where each will go. Booleans, `undefined` and
 * the `literals` are passed as they are, for `build` to branch on or write into the SQL: `shape`
 * must name everything `build` branches on (a flag, whether a value is there, an array's
 * length). Plugins still see every execution (the tenant-scope guard, the tests' fault
 * injector): the stored tree is passed through them before the statement runs. `build` also gets
 * the store's dialect queries (`anyOf`, `tenantIs`), whose SQL differs per dialect.
 */
export interface Precompiled<P, R> {
  readonly shape: (params: P) => string;
  readonly build: (db: Kysely<Database>, params: P, queries: DialectBuilders) => Built<R>;
  /** Parameters passed to `build` as they are, for SQL literals (the statuses a transition moves from); `shape` must name them. */
  readonly literals: ReadonlySet<string>;
}

export function precompiled<P, R>(
  shape: (params: P) => string,
  build: (db: Kysely<Database>, params: P, queries: DialectBuilders) => Built<R>,
  literals: readonly (keyof P & string)[] = [],
): Precompiled<P, R> {
  return Object.freeze({ shape, build, literals: new Set<string>(literals) });
}

/** Stands in for one value while a statement is compiled: the `key` of the parameters, or its `index`-th element. */
class StandIn {
  readonly key: string;
  readonly index: number | null;
  constructor(key: string, index: number | null) {
    this.key = key;
    this.index = index;
  }
}

type Bind = (params: Record<string, unknown>) => unknown;

interface Template {
  node: RootOperationNode;
  sql: string;
  binds: Bind[];
}

/** Most templates one store keeps (shapes × statements); past it the least recently used is compiled again when next used. */
const MAX_TEMPLATES = 1000;

const bindOf = (slot: unknown): Bind => {
  if (slot instanceof StandIn) {
    const { key, index } = slot;
    return index === null ? (p) => p[key] : (p) => (p[key] as unknown[])[index];
  }
  // An array parameter of stand-ins (PostgreSQL's `= any($1)` of a list).
  if (Array.isArray(slot) && slot.some((s) => s instanceof StandIn)) {
    const parts = slot.map(bindOf);
    return (p) => parts.map((b) => b(p));
  }
  return () => slot;
};

/** The parameters with each value replaced by its stand-in (see Precompiled). */
function standIns(params: object, literals: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || typeof value === 'boolean' || literals.has(key)) out[key] = value;
    else if (Array.isArray(value)) out[key] = value.map((_, i) => new StandIn(key, i));
    else out[key] = new StandIn(key, null);
  }
  return out;
}

/**
 * One store's compiled templates, by statement and shape (the SQL differs per dialect, and a
 * store has one). Each store makes its own (DialectQueries.statements), for its dialect's queries.
 */
export class StatementTemplates {
  readonly #queries: DialectBuilders;
  readonly #templates = new LRUCache<string, Template>({ max: MAX_TEMPLATES });
  readonly #ids = new WeakMap<Precompiled<never, unknown>, number>();
  #next = 0;

  constructor(queries: DialectBuilders) {
    this.#queries = queries;
  }

  /** Runs `statement` with `params` on `db` (a Kysely or a transaction of this store) and answers its rows. */
  async rows<P extends object, R>(db: Kysely<Database> | Transaction<Database>, statement: Precompiled<P, R>, params: P): Promise<R[]> {
    const template = this.#template(db, statement, params);
    const executor = db.getExecutor();
    const queryId = createQueryId();
    if (executor.plugins.length > 0) executor.transformQuery(template.node, queryId);
    const values = params as Record<string, unknown>;
    const compiled: CompiledQuery<R> = { query: template.node, queryId, sql: template.sql, parameters: template.binds.map((b) => b(values)) };
    return (await executor.executeQuery(compiled)).rows;
  }

  #template<P extends object, R>(db: Kysely<Database>, statement: Precompiled<P, R>, params: P): Template {
    let id = this.#ids.get(statement as Precompiled<never, unknown>);
    if (id === undefined) this.#ids.set(statement as Precompiled<never, unknown>, (id = this.#next++));
    const key = `${id}:${statement.shape(params)}`;
    let template = this.#templates.get(key);
    if (!template) {
      const plain = db.withoutPlugins();
      const built = statement.build(plain, standIns(params, statement.literals) as P, this.#queries);
      const compiled = isRaw(built) ? built.compile(plain) : built.compile();
      template = { node: compiled.query, sql: compiled.sql, binds: compiled.parameters.map(bindOf) };
      this.#templates.set(key, template);
    }
    return template;
  }
}
