import { LeaseParams, RecordedSteps, StepRecordBody, StepRecorded } from '@agentd/protocol/schemas';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { errors, tenantOf } from '../http/index.ts';
import { scrubForLease } from '../leases/index.ts';

/** The worker side of durable steps (`ctx.step`), fenced by the lease like every worker call. */
export function stepRoutes(app: RouteApp, { engine }: AppDeps): void {
  app.post(
    '/v1/leases/:lease_id/steps',
    {
      config: { permission: 'worker' },
      schema: {
        tags: ['worker'],
        summary: "Record a durable step's output (a run.step event); the first record of a key stays",
        description: 'The output is scrubbed of the run\'s granted secrets, like every worker report, and bounded by the body limit. `recorded: false` answers a key the run recorded before, with that first record.',
        params: LeaseParams,
        body: StepRecordBody,
        response: { 200: StepRecorded, ...errors(400, 401, 403, 404, 409, 413) },
      },
    },
    async (request) => {
      const tenantId = tenantOf(request);
      const leaseId = request.params.lease_id;
      const body = await scrubForLease(engine, tenantId, leaseId, request.body);
      return engine.steps.record(tenantId, leaseId, { key: body.key, output: body.output });
    },
  );
  app.get(
    '/v1/leases/:lease_id/steps',
    {
      config: { permission: 'worker' },
      schema: { tags: ['worker'], summary: 'The durable steps this run recorded in any attempt, in order', params: LeaseParams, response: { 200: RecordedSteps, ...errors(401, 403, 404, 409) } },
    },
    async (request) => ({ data: await engine.steps.list(tenantOf(request), request.params.lease_id) }),
  );
}
