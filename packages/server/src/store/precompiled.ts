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
 * A statement is defined once (`precompiled(build)`); `build` gets the call's parameters with
 * every value replaced by a stand-in (each top-level value, and each element of a top-level
 * list), so the compiled SQL has a placeholder where each will go. Booleans, `undefined` and the
 * `literals` are passed as they are, for `build` to branch on or to write into the SQL. The
 * shape a template is kept under is derived from the call: which values it has, each list's
 * length, each boolean, which values are `undefined`, each literal. So `build` may branch on
 * exactly those, and must not look inside a value (`p.item.id`, `p.ids.join()`): that would fix
 * the first call's value in the SQL.
 *
 * Plugins see every execution (the tenant-scope guard, the tests' fault injector): the stored
 * tree, with its stand-ins, passes through them before the statement runs, and their result
 * transformation runs on its answer. A plugin that rewrites the query is refused: its rewrite
 * could not reach SQL compiled beforehand. `build` also gets the store's dialect queries
 * (`anyOf`, `tenantIs`), whose SQL differs per dialect.
 */
export interface Precompiled<P, R> {
  readonly build: (db: Kysely<Database>, params: P, queries: DialectBuilders) => Built<R>;
  /** Parameters passed to `build` as they are, for SQL literals (the statuses a transition moves from). */
  readonly literals: ReadonlySet<string>;
}

export function precompiled<P, R>(build: (db: Kysely<Database>, params: P, queries: DialectBuilders) => Built<R>, literals: readonly (keyof P & string)[] = []): Precompiled<P, R> {
  return Object.freeze({ build, literals: new Set<string>(literals) });
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
    if (passedAsIs(key, value, literals)) out[key] = value;
    else if (Array.isArray(value)) out[key] = value.map((_, i) => new StandIn(key, i));
    else out[key] = new StandIn(key, null);
  }
  return out;
}

const passedAsIs = (key: string, value: unknown, literals: ReadonlySet<string>): boolean => value === undefined || typeof value === 'boolean' || literals.has(key);

/** What decides a call's SQL: which values it has, each list's length, each value passed as it is (see Precompiled). */
function shapeOf(params: object, literals: ReadonlySet<string>): string {
  let shape = '';
  for (const [key, value] of Object.entries(params)) {
    if (passedAsIs(key, value, literals)) shape += `|${key}=${value === undefined ? '~' : JSON.stringify(value)}`;
    else if (Array.isArray(value)) shape += `|${key}#${value.length}`;
    else shape += `|${key}`;
  }
  return shape;
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
    if (executor.plugins.length > 0 && executor.transformQuery(template.node, queryId) !== template.node) {
      throw new Error('a precompiled statement ran under a plugin that rewrites queries: its SQL was compiled before the plugin saw it');
    }
    const values = params as Record<string, unknown>;
    const compiled: CompiledQuery<R> = { query: template.node, queryId, sql: template.sql, parameters: template.binds.map((b) => b(values)) };
    return (await executor.executeQuery(compiled)).rows;
  }

  #template<P extends object, R>(db: Kysely<Database>, statement: Precompiled<P, R>, params: P): Template {
    let id = this.#ids.get(statement as Precompiled<never, unknown>);
    if (id === undefined) this.#ids.set(statement as Precompiled<never, unknown>, (id = this.#next++));
    const key = `${id}${shapeOf(params, statement.literals)}`;
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
