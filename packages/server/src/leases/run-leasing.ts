import type { Task } from '@agentd/protocol';
import { sql, type Kysely, type Transaction } from 'kysely';
import { precompiled, type Database, type LeasedRun, type Store } from '../store/index.ts';
import type { WriteContext } from '../store/index.ts';
import { DomainError, type WireFormat } from '../core/index.ts';
import type { AgentService } from '../agents/index.ts';
import { leaseRuns } from '../runs/index.ts';

export interface LeaseRequest {
  tenantId: string;
  agent: string;
  endpoints?: string[];
  maxTasks: number;
  waitMs: number;
  workerId: string | null;
  leaseTtlMs: number;
  signal?: AbortSignal;
}

/**
 * The endpoints to lease from, minus disabled ones; `undefined` means all. Read before the
 * write transaction: on SQLite the transaction holds the only connection.
 */
export async function endpointFilter(agents: AgentService, req: LeaseRequest): Promise<string[] | undefined> {
  const disabled = await agents.disabledEndpoints(req.tenantId, req.agent);
  if (disabled.size === 0) return req.endpoints;
  let endpoints = req.endpoints;
  if (!endpoints) {
    // An unknown agent has no endpoints to lease from; any other error is the caller's.
    const agent = await agents.get(req.tenantId, req.agent).catch((err: unknown) => {
      if (err instanceof DomainError && err.code === 'AGENT_NOT_FOUND') return null;
      throw err;
    });
    endpoints = agent ? Object.keys(agent.endpoints) : [];
  }
  return endpoints.filter((e) => !disabled.has(e));
}

interface CandidateParams {
  tenantId: string;
  agent: string;
  now: number;
  limit: number;
  endpoints: string[] | undefined;
  lock: boolean;
}

/** The lease candidates' SELECT (compiled once per lock mode and number of endpoints). */
const LEASE_CANDIDATES = precompiled(
  (db, p: CandidateParams) => {
    let q = db
      .selectFrom('runs')
      .select('id')
      .where('tenant_id', '=', p.tenantId)
      .where('agent', '=', p.agent)
      // A literal, not a parameter: the planner can then use the partial index runs_ready.
      .where(sql<boolean>`status = 'queued'`)
      .where('available_at', '<=', p.now)
      .where((eb) => eb.or([eb('deadline_at', 'is', null), eb('deadline_at', '>', p.now)]));
    if (p.endpoints) q = q.where('endpoint', 'in', p.endpoints);
    q = q.orderBy('priority', 'desc').orderBy('available_at').orderBy('id').limit(p.limit);
    // On PostgreSQL concurrent pollers skip each other's rows instead of queueing on them.
    return p.lock ? q.forUpdate().skipLocked() : q;
  },
);

/** The queued runs `req` may lease now, best first; `lock`: inside the write (PostgreSQL skips rows others hold). */
export async function leaseCandidates(
  store: Store,
  req: LeaseRequest,
  endpoints: string[] | undefined,
  now: number,
  db: Kysely<Database> | Transaction<Database>,
  lock: boolean,
): Promise<string[]> {
  if (endpoints && endpoints.length === 0) return [];
  const params = { tenantId: req.tenantId, agent: req.agent, now, limit: req.maxTasks, endpoints, lock: lock && store.capabilities.skipLocked };
  return (await store.queries.statements.rows(db, LEASE_CANDIDATES, params)).map((r) => r.id);
}

/** Leases these queued runs to `req`'s worker (the state machine's `lease`, set-wise) as tasks. */
export async function leaseIdsIn(ctx: WriteContext, req: LeaseRequest, ids: string[]): Promise<Task[]> {
  const leased = await leaseRuns(ctx, { tenantId: req.tenantId, ids, workerId: req.workerId, leaseTtlMs: req.leaseTtlMs });
  const tasks = leased.map((run) => toTask(run, req.leaseTtlMs, ctx.wire));
  // A session's run carries its history (ctx.session); runs outside sessions cost nothing more.
  const inSession = leased.filter((r): r is LeasedRun & { session_id: string } => r.session_id !== null);
  const read = ctx.runHooks.sessionTaskContext;
  if (inSession.length > 0 && read) {
    const sessions = await read(ctx, inSession);
    for (const t of tasks) {
      const s = sessions.get(t.run_id);
      if (s) t.session = s;
    }
  }
  return tasks;
}

export function toTask(run: LeasedRun, leaseTtlMs: number, wire: WireFormat): Task {
  return {
    lease_id: run.lease_id!,
    run_id: run.id,
    agent: run.agent,
    agent_version: run.agent_version,
    endpoint: run.endpoint,
    input: JSON.parse(run.input),
    metadata: JSON.parse(run.metadata) as Record<string, unknown>,
    attempt: run.attempts,
    max_attempts: run.max_attempts,
    lease_expires_at: wire.iso(run.lease_expires_at!),
    deadline_at: wire.isoOrNull(run.deadline_at),
    attempt_deadline_at: wire.iso(run.attempt_deadline_at!),
    heartbeat_interval_ms: Math.max(250, Math.floor(leaseTtlMs / 3)),
    parent_run_id: run.parent_run_id,
    root_run_id: run.root_run_id ?? run.id,
    caller_agent: run.caller_agent,
    depth: Number(run.depth),
  };
}
