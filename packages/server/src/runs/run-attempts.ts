import { sql, type Kysely, type Transaction } from 'kysely';
import { ATTEMPT_COLUMNS, END_OF_ATTEMPT, endedAttempt, type Database, type DialectQueries, type RunAttemptsTable, type RunsTable, type WriteContext } from '../store/index.ts';
import { holdsLease, LEASED_STATUSES, RUN_TRANSITIONS } from './run-transitions.ts';

// A run's attempts, written once each. The open attempt (at most one) lives on the run row: the
// lease sets `attempts`, `lease_id`, `worker_id` and `attempt_started_at`, and the attempt is
// open while the run holds that lease (running or waiting, lease_id set). Its run_attempts row is
// inserted only when it ends (any outcome), by the transition that ends it: applyTransition
// (endAttempt) and the dialects' succeedRuns. Every reader that needs the open attempt too reads
// it here, from the run row beside the ended rows. A lease id stays checkable after its attempt
// ended: it is then a run_attempts row's (and a terminal run keeps it on its row as well).

type Db = Kysely<Database> | Transaction<Database>;

/** The outcome the open attempt shows: the lease's `begins`. */
const OPEN_OUTCOME = RUN_TRANSITIONS.lease.attempt.begins;

/** The open attempt of `run` as run_attempts would show it (outcome `running`, not ended), or null. */
export function openAttempt(run: Pick<RunsTable, 'tenant_id' | 'id' | 'status' | 'attempts' | 'lease_id' | 'worker_id' | 'attempt_started_at' | 'started_at'>): RunAttemptsTable | null {
  if (!holdsLease(run.status) || run.lease_id === null) return null;
  // attempt_started_at is set by every lease (and by the upgrade for attempts open then); the run's first start is only a fallback.
  const started = run.attempt_started_at ?? run.started_at ?? 0;
  return { tenant_id: run.tenant_id, run_id: run.id, attempt: run.attempts, lease_id: run.lease_id, worker_id: run.worker_id, started_at: started, ended_at: null, outcome: OPEN_OUTCOME, error: null };
}

/**
 * Ends the open attempt of `run` (the row as read before the transition that ends it) with
 * `outcome`: the attempt's one write to run_attempts, an INSERT.
 */
export async function endAttempt(ctx: WriteContext, run: RunsTable, outcome: string, error: string | null): Promise<void> {
  await ctx.queries.insertRows(ctx.trx, 'run_attempts', ATTEMPT_COLUMNS, [endedAttempt(run, { now: ctx.now, outcome, error })], END_OF_ATTEMPT);
}

/**
 * Every attempt of run `runId` (this tenant's; 404 is the caller's), in order: the ended rows and the
 * open one from the run row, in one statement so both halves are one snapshot (an attempt that
 * ends meanwhile is seen once, open or ended).
 */
export async function attemptsOfRun(db: Db, tenantId: string, runId: string): Promise<RunAttemptsTable[]> {
  const ended = db
    .selectFrom('run_attempts')
    .select(['tenant_id', 'run_id', 'attempt', 'lease_id', 'worker_id', 'started_at', 'ended_at', 'outcome', 'error'])
    .where('tenant_id', '=', tenantId)
    .where('run_id', '=', runId);
  const open = db
    .selectFrom('runs')
    .select((eb) => [
      'tenant_id',
      'id as run_id',
      'attempts as attempt',
      'lease_id',
      'worker_id',
      eb.fn.coalesce('attempt_started_at', 'started_at').as('started_at'),
      sql<number | null>`null`.as('ended_at'),
      sql.lit(OPEN_OUTCOME).as('outcome'),
      sql<string | null>`null`.as('error'),
    ])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', runId)
    .where('status', 'in', LEASED_STATUSES)
    .where('lease_id', 'is not', null)
    .$narrowType<{ lease_id: string; started_at: number }>();
  const rows = (await ended.unionAll(open).execute()) as RunAttemptsTable[];
  return rows.sort((a, b) => a.attempt - b.attempt || Number(a.started_at) - Number(b.started_at));
}

/**
 * Whether this tenant issued `leaseId`: a run holds it now (or kept it on ending), or an ended
 * attempt names it. `runId` narrows it to one run (a lease of another run is then not issued).
 */
export async function leaseIssued(db: Db, lease: { tenantId: string; leaseId: string; runId?: string }): Promise<boolean> {
  let onRun = db.selectFrom('runs').select('id').where('tenant_id', '=', lease.tenantId).where('lease_id', '=', lease.leaseId);
  let ended = db.selectFrom('run_attempts').select('run_id as id').where('tenant_id', '=', lease.tenantId).where('lease_id', '=', lease.leaseId);
  if (lease.runId !== undefined) {
    onRun = onRun.where('id', '=', lease.runId);
    ended = ended.where('run_id', '=', lease.runId);
  }
  return (await onRun.unionAll(ended).execute()).length > 0;
}

/** The ended attempt `leaseId` began, or undefined (also while it is open: that one is its run row's). */
export function endedAttemptByLease(db: Db, tenantId: string, leaseId: string): Promise<RunAttemptsTable | undefined> {
  return db.selectFrom('run_attempts').selectAll().where('tenant_id', '=', tenantId).where('lease_id', '=', leaseId).executeTakeFirst();
}

/** A lease's attempt as the lease-scoped checks need it: its run's agent and endpoint, and when it began. */
export interface LeaseAttempt {
  lease_id: string;
  run_id: string;
  agent: string;
  endpoint: string;
  started_at: number;
}

/**
 * The attempt of each of `leaseIds` this tenant issued, open (from its run row) or ended (its
 * run_attempts row, joined to its run), in one statement; leases it never issued are absent.
 */
export async function leaseAttempts(db: Db, queries: DialectQueries, tenantId: string, leaseIds: readonly string[]): Promise<LeaseAttempt[]> {
  if (leaseIds.length === 0) return [];
  return (await leaseAttemptsQuery(db, queries, tenantId, leaseIds).execute()) as LeaseAttempt[];
}

/** The statement of leaseAttempts (its plan is tested: test/sqlite-plans.test.ts). */
export function leaseAttemptsQuery(db: Db, queries: DialectQueries, tenantId: string, leaseIds: readonly string[]) {
  const open = db
    .selectFrom('runs')
    .select((eb) => ['lease_id', 'id as run_id', 'agent', 'endpoint', eb.fn.coalesce('attempt_started_at', 'started_at').as('started_at')])
    .where('tenant_id', '=', tenantId)
    .where(queries.anyOf('lease_id', leaseIds))
    .where('status', 'in', LEASED_STATUSES)
    .$narrowType<{ lease_id: string; started_at: number }>();
  const ended = db
    .selectFrom('run_attempts as a')
    .innerJoin('runs as r', 'r.id', 'a.run_id')
    .select(['a.lease_id', 'a.run_id', 'r.agent', 'r.endpoint', 'a.started_at'])
    .where('a.tenant_id', '=', tenantId)
    // Kept out of index selection on SQLite: as a plain equality the planner walked every run of
    // the tenant (runs_list) to join them, ~10 ms a batched completion against ~0.3.
    .where(queries.tenantIs(tenantId, 'r.tenant_id'))
    .where(queries.anyOf('a.lease_id', leaseIds));
  return open.unionAll(ended);
}
