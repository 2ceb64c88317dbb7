import { CALL_WAIT_DEFAULT_MS, CallCreateBody, CallWaitQuery, LeaseCallParams, LeaseParams, Run } from '@agentd/protocol/schemas';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { errors, tenantOf } from '../http/index.ts';
import { scrubForLease } from '../leases/index.ts';

/**
 * The worker's side of agent-to-agent calls: start a child run, then wait for it. Fenced by the
 * parent's lease like every worker call; the call key makes the start idempotent by itself.
 */
export function callRoutes(app: RouteApp, { engine }: AppDeps): void {
  app.post(
    '/v1/leases/:lease_id/calls',
    {
      config: { permission: 'worker' },
      schema: {
        tags: ['worker'],
        summary: 'Start a child run of the leased run (or find the one this key names)',
        description:
          "The child carries the call envelope: its root and parent run, the caller agent (the parent's), depth + 1, and a deadline no later than the parent's. The same key always names the same child (201 when made, 200 when found); the same key with another agent, endpoint or input is 409 CALL_KEY_CONFLICT. While the child is live the parent is `waiting` (reason `child`), keeping its lease. Over the depth or fan-out cap: 422.",
        params: LeaseParams,
        body: CallCreateBody,
        response: { 200: Run, 201: Run, ...errors(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const tenantId = tenantOf(request);
      const leaseId = request.params.lease_id;
      // What a worker sends on is scrubbed of its granted secrets, as everything it reports.
      const body = await scrubForLease(engine, tenantId, leaseId, request.body);
      const { run, created } = await engine.calls.call(tenantId, leaseId, body);
      return reply.code(created ? 201 : 200).send(run);
    },
  );
  app.get(
    '/v1/leases/:lease_id/calls/:key',
    {
      config: { permission: 'worker' },
      schema: {
        tags: ['worker'],
        summary: 'Long-poll a child run until it has ended (or wait_ms passes)',
        params: LeaseCallParams,
        querystring: CallWaitQuery,
        response: { 200: Run, ...errors(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const abort = new AbortController();
      reply.raw.once('close', () => abort.abort());
      const p = request.params;
      return engine.calls.wait({ tenantId: tenantOf(request), leaseId: p.lease_id, key: p.key, waitMs: request.query.wait_ms ?? CALL_WAIT_DEFAULT_MS, signal: abort.signal });
    },
  );
}
