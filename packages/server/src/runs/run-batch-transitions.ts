import { EventType, type ApprovalSpec } from '@agentd/protocol';
import { sql } from 'kysely';
import { precompiled, type ApprovalsTable, type LeasedRun, type RunsTable, type WriteContext } from '../store/index.ts';
import { approvalRow, requestedEventData } from './run-approvals.ts';
import { appendRunEvents, wakeKey } from './run-event-append.ts';
import { approvalCancelled } from './run-transition-writes.ts';
import { RUN_TRANSITIONS, statusChange } from './run-transitions.ts';
import { afterRunEnded } from './run-tree.ts';

// The run state machine's set-wise transitions: many runs per statement, for the hot paths
// (creation, leasing, batched completion). Their statuses, events and attempt outcomes come
// from the table in run-transitions.ts; the dialects' SQL (store.queries) is handed them.

/** A run as its creator prepared it; its status, waiting fields and seq come from `create`/`hold`. */
export type NewRun = Omit<RunsTable, 'status' | 'waiting_reason' | 'waiting_since' | 'last_seq' | 'generation' | 'attempt_started_at'>;

const RUN_INSERT_CHUNK = 100;
const RUN_COLUMNS = [
  'id', 'tenant_id', 'agent', 'agent_version', 'endpoint', 'status', 'waiting_reason', 'waiting_since', 'input', 'output', 'error', 'metadata', 'priority', 'attempts',
  'max_attempts', 'retry', 'timeout_ms', 'deadline_at', 'available_at', 'lease_id', 'lease_expires_at', 'lease_ttl_ms', 'attempt_deadline_at', 'worker_id', 'last_seq',
  'created_at', 'started_at', 'finished_at', 'updated_at',
  'generation',
  'parent_run_id', 'root_run_id', 'caller_agent', 'depth', 'call_key', 'step', 'kind', 'child_count',
  'session_id',
] as const;

/**
 * create (and hold): inserts runs with their `run.queued` event. A run whose endpoint declares
 * an approval is created behind it: `hold` at once (`waiting`, reason approval) with its approval
 * requested, so no worker can lease it until decided. A run `heldFor` its session (an enqueued
 * message) is held the same way, reason `session`, until admitSessionRun. Answers the rows as
 * inserted, in order.
 */
export async function createRuns(ctx: WriteContext, items: readonly { run: NewRun; approval?: ApprovalSpec; heldFor?: 'session' }[]): Promise<RunsTable[]> {
  const { create, hold } = RUN_TRANSITIONS;
  const approvals = new Map<string, ApprovalsTable>();
  const held = new Set<string>();
  const rows = items.map(({ run, approval, heldFor }): RunsTable => {
    const r: RunsTable = { ...run, status: create.to, waiting_reason: null, attempt_started_at: null, last_seq: 1, created_at: ctx.now, updated_at: ctx.now, available_at: ctx.now,
      generation: 1, // live controls (PATCH /v1/runs/{id}) start from generation 1
    };
    if (heldFor) {
      // An enqueued session message: held until the message before it ends (sessions/ admits it).
      if (approval) throw new Error('a run held for its session cannot also wait for a manifest approval');
      held.add(r.id);
      return { ...r, status: hold.to, waiting_reason: heldFor, waiting_since: ctx.now, last_seq: 2 };
    }
    if (!approval) return r;
    const a = approvalRow({ id: ctx.ids.next('apr', ctx.now), run: r, source: 'manifest', key: 'manifest', spec: approval, payload: r.input === null ? null : { input: JSON.parse(r.input) }, now: ctx.now, leaseId: null });
    approvals.set(r.id, a);
    return { ...r, status: hold.to, waiting_reason: 'approval', waiting_since: ctx.now, last_seq: 3 };
  });
  for (let i = 0; i < rows.length; i += RUN_INSERT_CHUNK) {
    await ctx.queries.insertRows(ctx.trx, 'runs', RUN_COLUMNS, rows.slice(i, i + RUN_INSERT_CHUNK));
  }
  if (approvals.size > 0) await ctx.trx.insertInto('approvals').values([...approvals.values()]).execute();
  for (const r of rows) {
    const event = (seq: number, type: string, data: Record<string, unknown>) => ctx.events.push({ tenant_id: r.tenant_id, run_id: r.id, agent: r.agent, seq, type, at: ctx.now, data });
    event(1, create.event, { agent_version: r.agent_version, endpoint: r.endpoint });
    const a = approvals.get(r.id);
    if (held.has(r.id)) event(2, hold.event, { reason: r.waiting_reason });
    else if (a) {
      event(2, EventType.approvalRequested, requestedEventData(a));
      event(3, hold.event, { reason: 'approval', approval_id: a.id });
    } else ctx.wakes.add(wakeKey(r.tenant_id, r.agent));
  }
  return rows;
}

/**
 * lease: gives each of these queued runs of one tenant its own lease id and attempt, in one
 * statement (store.queries.leaseRuns), and records `run.started`. Runs no longer queued are left
 * out. Answers the leased runs in the order of `ids`.
 */
export async function leaseRuns(ctx: WriteContext, lease: { tenantId: string; ids: string[]; workerId: string | null; leaseTtlMs: number }): Promise<LeasedRun[]> {
  if (lease.ids.length === 0) return [];
  const leaseIds = new Map(lease.ids.map((id) => [id, ctx.ids.next('lse', ctx.now)]));
  const leased = await ctx.queries.leaseRuns(ctx.trx, { ...lease, leaseIds, now: ctx.now, ...statusChange('lease') });
  for (const run of leased) {
    const data = { lease_id: run.lease_id, worker_id: lease.workerId, attempt: run.attempts };
    ctx.events.push({ tenant_id: run.tenant_id, run_id: run.id, agent: run.agent, seq: run.last_seq, type: RUN_TRANSITIONS.lease.event, at: ctx.now, data });
  }
  return leased;
}

/** A live run of a batched completion, as read (and locked) with the lease it was completed through. */
export type CompletingRun = Pick<RunsTable, 'id' | 'tenant_id' | 'agent' | 'lease_id'>;

/** The pending approvals of `runIds` cancelled, as `complete` settles them (compiled once per number of runs). */
const CANCEL_PENDING_APPROVALS = precompiled(
  (db, p: { tenantId: string; runIds: string[]; now: number; reason: string }, queries) =>
    db
      .updateTable('approvals')
      .set({ status: 'cancelled', reason: p.reason, decided_at: p.now, decided_by: 'system' })
      .where(queries.tenantIs(p.tenantId)) // on approvals_run_pending, not approvals_list
      .where(queries.anyOf('run_id', p.runIds))
      .where(sql<boolean>`status = 'pending'`)
      .returning(['id', 'run_id']),
);

/**
 * complete, set-wise: the runs' pending approvals cancelled in one UPDATE, then the runs and
 * their attempts ended in one statement (store.queries.succeedRuns), `run.succeeded` recorded.
 * The outputs are validated by the caller. Answers the ids of the runs completed; a run that is
 * no longer live with the lease it was read with is left for the caller's single-item path.
 */
export async function completeRuns(ctx: WriteContext, tenantId: string, items: readonly { run: CompletingRun; output: unknown }[]): Promise<Set<string>> {
  const completed = new Set<string>();
  if (items.length === 0) return completed;
  const { complete } = RUN_TRANSITIONS;
  const runIds = items.map((f) => f.run.id);
  const settled = await ctx.queries.statements.rows(ctx.trx, CANCEL_PENDING_APPROVALS, { tenantId, runIds, now: ctx.now, reason: complete.settlesApprovals });
  for (const a of settled) {
    const run = items.find((f) => f.run.id === a.run_id)!.run;
    await appendRunEvents(ctx, run, [approvalCancelled(a.id, complete.settlesApprovals)]);
  }
  const updated = await ctx.queries.succeedRuns(ctx.trx, {
    tenantId, now: ctx.now, runs: items.map((f) => ({ id: f.run.id, leaseId: f.run.lease_id!, output: JSON.stringify(f.output) })),
    ...statusChange('complete'),
  });
  const done = new Map(updated.map((r) => [r.id, r]));
  for (const f of items) {
    const r = done.get(f.run.id);
    if (!r || r.lease_id !== f.run.lease_id) continue; // lost between read and write: the single path answers
    ctx.events.push({ tenant_id: r.tenant_id, run_id: r.id, agent: r.agent, seq: r.last_seq, type: complete.event, at: ctx.now, data: { output: f.output, attempt: r.attempts } });
    completed.add(r.id);
    // Only a run in a tree or a session does more: its children cancelled, its parent told (run-tree.ts).
    if (r.parent_run_id !== null || r.child_count > 0 || r.session_id !== null) await afterRunEnded(ctx, r);
  }
  return completed;
}

/**
 * create, then start, for a workflow run (kind `workflow`): inserted `running` with `run.queued`
 * and `run.started` in the same commit (`queued`: more data for `run.queued`, such as a retry's
 * `retry_of`). It is never queued, so no worker can lease it; the
 * workflow driver moves it from here (workflows/).
 */
export async function startWorkflowRun(ctx: WriteContext, run: NewRun, queued: Record<string, unknown> = {}): Promise<RunsTable> {
  const { create, start } = RUN_TRANSITIONS;
  const row: RunsTable = { ...run, status: start.to, waiting_reason: null, waiting_since: null, attempt_started_at: null, last_seq: 2, created_at: ctx.now, started_at: ctx.now, updated_at: ctx.now, available_at: ctx.now, generation: 1 };
  await ctx.queries.insertRows(ctx.trx, 'runs', RUN_COLUMNS, [row]);
  const event = (seq: number, type: string, data: Record<string, unknown>) => ctx.events.push({ tenant_id: row.tenant_id, run_id: row.id, agent: row.agent, seq, type, at: ctx.now, data });
  event(1, create.event, { agent_version: row.agent_version, endpoint: row.endpoint, kind: row.kind, ...queued });
  event(2, start.event, { kind: row.kind });
  return row;
}
