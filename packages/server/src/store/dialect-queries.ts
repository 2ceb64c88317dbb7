import type { RawBuilder, Transaction } from 'kysely';
import type { Database, RunAttemptsTable, RunsTable } from './db-types.ts';
import type { StatementTemplates } from './precompiled.ts';

/**
 * The queries whose SQL differs per dialect, behind one interface: `sqlite/sqlite-queries.ts`
 * and `postgres/postgres-queries.ts` implement it, the store picks one when it opens
 * (`store.queries`, and `ctx.queries` inside a write operation), and nothing outside store/
 * knows which one runs. They are the hot paths, where each dialect's fastest form was measured.
 */
export interface DialectQueries {
  /** This store's compiled hot statements (see precompiled.ts): `statements.rows(db, STATEMENT, params)`. */
  statements: StatementTemplates;
  /**
   * `column IN (…values)`. On PostgreSQL `column = ANY($1::text[])`: one array parameter whatever
   * the number of values, so the statement's text stays the same from batch to batch and is
   * prepared once per connection (see postgres/prepared-statements.ts).
   */
  anyOf(column: string, values: readonly string[]): RawBuilder<boolean>;
  /**
   * `tenant_id = tenantId` that leaves the choice of index to the statement's other conditions. On
   * SQLite (no statistics) a `tenant_id` equality beside `id IN (…)` or `run_id IN (…)` makes the
   * planner take an index that starts with tenant_id (`runs_ready`, `approvals_list`) and walk the
   * tenant's rows; the unary `+` keeps the column out of index selection (EXPLAIN QUERY PLAN).
   * `column`: a qualified name in a join (`r.tenant_id`), default `tenant_id`.
   */
  tenantIs(tenantId: string, column?: string): RawBuilder<boolean>;
  /**
   * A multi-row INSERT of the hottest tables (runs, events, attempts, audit records), written as
   * SQL text directly. Kysely's builder turns every cell into a node and walks them all to compile;
   * for a few hundred rows of a dozen columns that was a measurable share of the server's time.
   * Column names come from the caller's code, never from input; values are always parameters.
   */
  insertRows<T extends keyof Database>(trx: Transaction<Database>, table: T, columns: readonly (keyof Database[T] & string)[], rows: readonly Database[T][], conflict?: ConflictUpdate): Promise<void>;
  /**
   * Leases `ids` of one tenant in one UPDATE: each run moves `from` → `to` with its own lease id,
   * its attempt count bumped and `attempt_started_at` set: the open attempt lives on the run row
   * (no run_attempts row until it ends, see runs/run-attempts.ts). Runs no longer in a `from`
   * status are left alone and absent from the answer, which is in the order of `ids`. The
   * statuses are the
   * run state machine's (runs/run-transitions.ts); they are written into the SQL as literals,
   * where the planner can match them to the partial indexes.
   */
  leaseRuns(trx: Transaction<Database>, lease: RunLeaseWrite): Promise<LeasedRun[]>;
  /**
   * Ends runs of one tenant as `to` with their outputs in one UPDATE, and inserts the run_attempts
   * row of each one's open attempt (outcome `attemptOutcome`, see endedAttempt). Runs no longer
   * in a `from` status are left alone and absent.
   */
  succeedRuns(trx: Transaction<Database>, success: RunSuccessWrite): Promise<SucceededRun[]>;
}

/**
 * An INSERT that, on a key conflict, updates `update` from the new row where the existing row's
 * `onlyIf.column` is `onlyIf.is` (and else leaves it): `ON CONFLICT … DO UPDATE … WHERE`, the
 * same text on both dialects. Names come from the code and are checked.
 */
export interface ConflictUpdate {
  key: string;
  update: readonly string[];
  onlyIf: { column: string; is: string };
}

/** The ` on conflict …` clause of `c` for `table`. */
export function conflictClause(table: string, c: ConflictUpdate): string {
  for (const name of [table, c.key, ...c.update, c.onlyIf.column]) if (!/^[a-z_]+$/.test(name)) throw new Error(`conflictClause: ${JSON.stringify(name)} is not a column name`);
  const set = c.update.map((u) => `"${u}" = excluded."${u}"`).join(', ');
  return ` on conflict ("${c.key}") do update set ${set} where "${table}"."${c.onlyIf.column}" = ${statusLiteral(c.onlyIf.is)}`;
}

/**
 * How an attempt's end writes its row: an INSERT, or, where a node of the version before
 * `open-attempt-on-run` inserted the attempt's `running` row at lease time (a rolling upgrade),
 * the end of that row. A row that already ended is left as it is.
 */
export const END_OF_ATTEMPT: ConflictUpdate = { key: 'lease_id', update: ['ended_at', 'outcome', 'error'], onlyIf: { column: 'outcome', is: 'running' } };

/** A state change that a set-wise query performs, as the run state machine declares it. */
export interface StatusChange {
  from: readonly string[];
  to: string;
  /** The outcome the attempt row gets when it is inserted (the lease's `running` is the open attempt's, on the run row). */
  attemptOutcome: string;
}

export interface RunLeaseWrite extends StatusChange {
  tenantId: string;
  ids: readonly string[];
  /** The lease id of each run of `ids`. */
  leaseIds: ReadonlyMap<string, string>;
  now: number;
  leaseTtlMs: number;
  workerId: string | null;
}

export interface RunSuccessWrite extends StatusChange {
  tenantId: string;
  /** Each run with the lease it was read with and its output as JSON text. */
  runs: readonly { id: string; leaseId: string; output: string }[];
  now: number;
}

/** What a task and its event need, not the whole row: a lease moves up to a hundred runs. */
export const LEASED_COLUMNS = [
  'id', 'tenant_id', 'agent', 'agent_version', 'endpoint', 'input', 'metadata', 'attempts', 'max_attempts',
  'lease_id', 'lease_expires_at', 'deadline_at', 'attempt_deadline_at', 'last_seq', 'session_id',
  'parent_run_id', 'root_run_id', 'caller_agent', 'depth',
] as const;
export type LeasedRun = Pick<RunsTable, (typeof LEASED_COLUMNS)[number]>;

// parent_run_id and child_count: whether the run's tree must hear of its end (runs/run-tree.ts),
// known from the UPDATE itself so that runs outside any tree cost no extra statement.
// worker_id and attempt_started_at: the open attempt's row, inserted as it ends (endedAttempt).
export const SUCCEEDED_COLUMNS = ['id', 'tenant_id', 'agent', 'last_seq', 'lease_id', 'attempts', 'worker_id', 'attempt_started_at', 'parent_run_id', 'child_count', 'session_id'] as const;
export type SucceededRun = Pick<RunsTable, (typeof SUCCEEDED_COLUMNS)[number]>;

/** The columns of a run_attempts row, as its one INSERT writes them. */
export const ATTEMPT_COLUMNS = ['tenant_id', 'run_id', 'attempt', 'lease_id', 'worker_id', 'started_at', 'ended_at', 'outcome', 'error'] as const;

/**
 * The run_attempts row of the attempt `run` holds, ended at `now`: an attempt's only write to
 * that table. `run` is the row as it was before the transition that ends the attempt (its lease,
 * worker and start). `attempt_started_at` is set by every lease (and by migration 20 / 21 for
 * attempts open at the upgrade); `now` only keeps the NOT NULL column filled if it is not.
 */
export function endedAttempt(
  run: Pick<RunsTable, 'tenant_id' | 'id' | 'attempts' | 'lease_id' | 'worker_id' | 'attempt_started_at'>,
  end: { now: number; outcome: string; error: string | null },
): RunAttemptsTable {
  if (run.lease_id === null) throw new Error(`endedAttempt: run ${run.id} holds no lease`);
  return {
    tenant_id: run.tenant_id, run_id: run.id, attempt: run.attempts, lease_id: run.lease_id, worker_id: run.worker_id,
    started_at: run.attempt_started_at ?? end.now, ended_at: end.now, outcome: end.outcome, error: end.error,
  };
}

/**
 * `column = 'a'` or `column in ('a', 'b')` as SQL text, for statuses the code declares (never
 * input). A literal, not a parameter: only then can the planner use the partial indexes.
 */
export function statusCondition(column: string, statuses: readonly string[]): string {
  for (const s of statuses) if (!/^[a-z_]+$/.test(s)) throw new Error(`statusCondition: ${JSON.stringify(s)} is not a status`);
  if (statuses.length === 0) throw new Error('statusCondition: no status');
  if (statuses.length === 1) return `${column} = ${statusLiteral(statuses[0])}`;
  return `${column} in (${statuses.map(statusLiteral).join(', ')})`;
}

/** A status as an SQL string literal (checked: lower-case letters and `_` only). */
export function statusLiteral(status: string): string {
  if (!/^[a-z_]+$/.test(status)) throw new Error(`statusLiteral: ${JSON.stringify(status)} is not a status`);
  return `'${status}'`;
}

/** Sorts `rows` into the order of `ids` (the lease's candidates come in priority order). */
export function inOrderOf<R extends { id: string }>(ids: readonly string[], rows: R[]): R[] {
  const order = new Map(ids.map((id, i) => [id, i]));
  return rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
}
