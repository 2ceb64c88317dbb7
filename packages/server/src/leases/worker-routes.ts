import type { FastifyRequest } from 'fastify';
import type { RunFailure, RunFailureInput } from '@agentd/protocol/schemas';
import { AppendEventsBody, BatchCompleteBody, BatchCompleteResult, CompleteBody, EmptyBody, EventsAppended, FailBody, HeartbeatResult, LeaseParams, LeaseRequest, LeaseResponse, Run } from '@agentd/protocol/schemas';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { tenantOf } from '../http/index.ts';
import type { CompletionItem as Completion } from './lease-service.ts';
import type { Task as TaskWire } from '@agentd/protocol';
import { scrubCompletions, scrubForLease } from './worker-scrubbing.ts';
import { DomainError } from '../core/index.ts';
import { errorContext } from '../core/index.ts';
import { LeaseAgents, assertMayServe, forbiddenResult } from './worker-scope.ts';
import { mayServe, servesEveryAgent, type Principal } from '../keys/index.ts';
import { errors } from '../http/index.ts';

function normaliseFailure(e: RunFailureInput): RunFailure {
  return { type: e.type, message: e.message, non_retryable: e.non_retryable ?? false, details: e.details ?? null };
}

const principalOf = (request: FastifyRequest): Principal => {
  if (!request.principal) throw new Error('worker route reached without a principal');
  return request.principal;
};

/**
 * Hands leased tasks over with their granted secrets (each delivery audited) when the key that
 * leased them may receive them, or, when the client has hung up, gives them back at once rather
 * than after the lease TTL: nobody would receive them.
 */
async function handOver(engine: AppDeps['engine'], request: FastifyRequest, tasks: TaskWire[], aborted: boolean): Promise<TaskWire[]> {
  if (aborted && tasks.length > 0) {
    // A lease that is already gone (LEASE_LOST) needs no release; any other failure leaves the run leased until its TTL, so it is logged.
    await Promise.all(
      tasks.map((t) =>
        engine.leases.release(tenantOf(request), t.lease_id).catch((err: unknown) => {
          if (!(err instanceof DomainError)) request.log.warn({ lease_id: t.lease_id, run_id: t.run_id, err: errorContext(err) }, 'agentd: could not give back a lease its poller hung up on; it returns after its TTL');
        }),
      ),
    );
    return [];
  }
  const principal = principalOf(request);
  return engine.secretDelivery.forTasks({ tenantId: tenantOf(request), tasks, recipient: principal, actor: principal.keyId, actorRole: principal.role, requestId: request.id });
}

/**
 * The worker protocol. Idempotency-Key is not used here: every call is fenced by its lease,
 * and complete/fail repeated with the same lease are idempotent by themselves.
 */
export function workerRoutes(app: RouteApp, { engine, config }: AppDeps): void {
  const leaseAgents = new LeaseAgents(engine);
  app.post(
    '/v1/worker/lease',
    {
      config: { permission: 'worker', agentInBody: true },
      schema: {
        tags: ['worker'],
        summary: 'Long-poll for runs to execute',
        description: 'A worker key may lease only the agents it names (403 FORBIDDEN for another); secrets travel only to a key that names the agent itself.',
        body: LeaseRequest,
        response: { 200: LeaseResponse, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { body } = request;
      assertMayServe(principalOf(request), body.agent);
      await refuseLlmAgent(engine, tenantOf(request), body.agent);
      const abort = new AbortController();
      // The client hung up: stop waiting so its slot is not leased to nobody.
      reply.raw.once('close', () => abort.abort());
      const tasks = await engine.leases.lease({
        tenantId: tenantOf(request),
        agent: body.agent,
        endpoints: body.endpoints,
        maxTasks: body.max_tasks ?? 1,
        waitMs: body.wait_ms ?? config.leaseWaitMs,
        workerId: body.worker_id ?? null,
        leaseTtlMs: body.lease_ttl_ms ?? config.leaseTtlMs,
        signal: abort.signal,
      });
      return { tasks: await handOver(engine, request, tasks, abort.signal.aborted) };
    },
  );
  app.post(
    '/v1/leases/:lease_id/heartbeat',
    {
      config: { permission: 'worker' },
      schema: { tags: ['worker'], summary: 'Extend a lease; learn about cancellation', params: LeaseParams, body: EmptyBody, response: { 200: HeartbeatResult, ...errors(401, 403, 404, 409) } },
    },
    async (request) => engine.leases.heartbeat(tenantOf(request), request.params.lease_id),
  );
  app.post(
    '/v1/leases/:lease_id/complete',
    {
      config: { permission: 'worker' },
      schema: {
        tags: ['worker'],
        summary: 'Complete the run with its output',
        params: LeaseParams,
        body: CompleteBody,
        response: { 200: Run, ...errors(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      const leaseId = request.params.lease_id;
      return engine.leases.complete(tenantOf(request), leaseId, await scrubForLease(engine, tenantOf(request), leaseId, request.body.output));
    },
  );
  app.post(
    '/v1/leases/:lease_id/fail',
    {
      config: { permission: 'worker' },
      schema: {
        tags: ['worker'],
        summary: 'Fail the attempt; retried by policy unless non-retryable',
        params: LeaseParams,
        body: FailBody,
        response: { 200: Run, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const leaseId = request.params.lease_id;
      return engine.leases.fail(tenantOf(request), leaseId, await scrubForLease(engine, tenantOf(request), leaseId, normaliseFailure(request.body.error)));
    },
  );
  app.post(
    '/v1/leases/:lease_id/release',
    {
      config: { permission: 'worker' },
      schema: { tags: ['worker'], summary: 'Give the run back at once (graceful shutdown)', params: LeaseParams, body: EmptyBody, response: { 200: Run, ...errors(401, 403, 404, 409) } },
    },
    async (request) => engine.leases.release(tenantOf(request), request.params.lease_id),
  );
  app.post(
    '/v1/leases/:lease_id/events',
    {
      config: { permission: 'worker' },
      schema: {
        tags: ['worker'],
        summary: 'Append log, progress, output-delta or custom events',
        params: LeaseParams,
        body: AppendEventsBody,
        response: { 200: EventsAppended, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const leaseId = request.params.lease_id;
      return { seqs: await engine.leases.appendEvents(tenantOf(request), leaseId, await scrubForLease(engine, tenantOf(request), leaseId, request.body.events)) };
    },
  );
  app.post(
    '/v1/worker/complete',
    {
      config: { permission: 'worker', agentInBody: true },
      schema: {
        tags: ['worker'],
        summary: 'Complete or fail many leases at once; optionally lease more in the same call',
        description:
          'With `lease`, runs ready now (no waiting) are leased in the same call and answered as `tasks`, usually in the same commit as the results: a busy worker reports and refills in one round trip. A failed call must not be retried as is (it would lease again): send the results again without `lease`. A worker key may only complete leases of the agents it names (an item for another is answered `FORBIDDEN` alone) and lease them (403 for the whole call, before anything is written).',
        body: BatchCompleteBody,
        response: { 200: BatchCompleteResult, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const principal = principalOf(request);
      if (body.lease) assertMayServe(principal, body.lease.agent);
      if (body.lease) await refuseLlmAgent(engine, tenantOf(request), body.lease.agent);
      const all: Completion[] = body.results.map((r) => ('error' in r ? { lease_id: r.lease_id, error: normaliseFailure(r.error) } : { lease_id: r.lease_id, output: r.output }));
      const tenantId = tenantOf(request);
      const { items, refused } = await withinScope(leaseAgents, principal, tenantId, all);
      const scrubbed = await scrubCompletions(engine, tenantId, items);
      if (!body.lease) return { results: merged(all, refused, await engine.leases.completeBatch(tenantId, scrubbed)) };
      let hungUp = false;
      reply.raw.once('close', () => (hungUp = true));
      const lease = body.lease;
      // Both writes are queued in the same turn, so the group commit usually takes them together.
      const [results, tasks] = await Promise.all([
        engine.leases.completeBatch(tenantId, scrubbed),
        engine.leases.leaseOnce({
          tenantId,
          agent: lease.agent,
          endpoints: lease.endpoints,
          maxTasks: lease.max_tasks ?? 1,
          waitMs: 0,
          workerId: lease.worker_id ?? null,
          leaseTtlMs: lease.lease_ttl_ms ?? config.leaseTtlMs,
        }),
      ]);
      return { results: merged(all, refused, results), tasks: await handOver(engine, request, tasks, hungUp) };
    },
  );
}

type BatchResult = Awaited<ReturnType<AppDeps['engine']['leases']['completeBatch']>>[number];

/**
 * The items of a batched completion this key may report (a worker key: leases of its agents), and
 * the answers of those it may not, by position. Leases unknown to the tenant pass: the batch
 * answers them LEASE_NOT_FOUND, as alone.
 */
async function withinScope(leaseAgents: LeaseAgents, principal: Principal, tenantId: string, all: Completion[]): Promise<{ items: Completion[]; refused: Map<number, BatchResult> }> {
  const refused = new Map<number, BatchResult>();
  if (servesEveryAgent(principal)) return { items: all, refused };
  const agents = await leaseAgents.of(tenantId, all.map((it) => it.lease_id));
  const items: Completion[] = [];
  all.forEach((it, i) => {
    const agent = agents.get(it.lease_id);
    if (agent !== undefined && !mayServe(principal, agent)) refused.set(i, forbiddenResult(principal, it.lease_id, agent));
    else items.push(it);
  });
  return { items, refused };
}

/** The batch's answers in the order of its items: the refused ones where they stood. */
function merged(all: Completion[], refused: Map<number, BatchResult>, results: BatchResult[]): BatchResult[] {
  if (refused.size === 0) return results;
  let next = 0;
  return all.map((_, i) => refused.get(i) ?? results[next++]);
}

/** The server runs `runtime: llm` agents' runs itself (llm/): a worker leasing one would take a run from its loop. */
async function refuseLlmAgent(engine: AppDeps['engine'], tenantId: string, agent: string): Promise<void> {
  if ((await engine.agents.runtimeOf(tenantId, agent)) !== 'llm') return;
  throw new DomainError('VALIDATION_ERROR', `agent ${agent} is runtime: llm: the server runs its runs, no worker may lease them`, [{ path: 'agent', message: 'is an LLM agent' }]);
}
