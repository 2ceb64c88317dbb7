import type { FastifyRequest } from 'fastify';
import type { FindingSeverity } from '@agentd/protocol';
import { FINDING_PAGE_DEFAULT, FindingPage, FindingsPostBody, FindingsPosted, FindingsQuery, IdParams, LeaseParams, RunFindingsQuery } from '@agentd/protocol/schemas';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { tenantOf } from '../http/index.ts';
import type { FindingFilter } from './finding-service.ts';
import { errors } from '../http/index.ts';
import { pumpStream, resumeCursor } from '../http/index.ts';
import { scrubForLease } from '../leases/index.ts';

// The query's pattern admits only severities; a pattern gives no type, so the split is cast.
const severities = (raw: string | undefined): FindingSeverity[] | undefined => (raw ? (raw.split(',') as FindingSeverity[]) : undefined);

/** Only an explicit `Accept: text/event-stream` gets a stream; a plain GET gets a JSON page. */
function wantsStream(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('text/event-stream') && !accept.includes('application/json');
}

export function findingRoutes(app: RouteApp, { engine, idempotency, config }: AppDeps): void {
  app.post(
    '/v1/leases/:lease_id/findings',
    {
      config: { permission: 'worker' },
      schema: {
        tags: ['worker'],
        summary: 'Post findings for the leased run',
        description: 'Fenced by the lease like its events. Each finding also appends a `run.finding` event to the run. An `Idempotency-Key` makes a retried post safe.',
        params: LeaseParams,
        body: FindingsPostBody,
        response: { 201: FindingsPosted, ...errors(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { lease_id: leaseId } = request.params;
      // Findings come from worker code: scrub granted secret values before they are stored.
      const body = await scrubForLease(engine, tenantOf(request), leaseId, request.body);
      return idempotency.run(request, reply, 201, (record) => engine.findings.post(tenantOf(request), leaseId, body.findings, { record }));
    },
  );

  app.get(
    '/v1/findings',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['findings'],
        summary: "The tenant's findings, oldest first; follow them with `since`",
        description:
          'Pass `next_cursor` back as `since` to get only newer findings, each exactly once. With `Accept: text/event-stream`, a live SSE stream instead (id = finding id, event = `finding`; resume with `Last-Event-ID` or `since`; without either it starts at the newest).',
        querystring: FindingsQuery,
        response: { 200: FindingPage, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const tenantId = tenantOf(request);
      const q = request.query;
      const filter: Omit<FindingFilter, 'since' | 'limit'> = { severity: severities(q.severity), agent: q.agent, run: q.run };
      if (!wantsStream(request)) return engine.findings.list(tenantId, { ...filter, since: q.since === undefined ? 0 : Number(q.since), limit: q.limit ?? FINDING_PAGE_DEFAULT });
      const start = resumeCursor(request, q.since, 'since') ?? (await engine.findings.latestId(tenantId));
      return pumpStream(request, reply, {
        heartbeatMs: config.sseHeartbeatMs,
        recheckMs: config.streamRecheckMs,
        // A finding commits with its run.finding event, so the tenant's event wake-up covers it.
        subscribe: (wake) => engine.store.notifier.on(`tenant:${tenantId}`, wake),
        read: async (after, limit) => (await engine.findings.list(tenantId, { ...filter, since: after, limit })).data.map((f) => ({ id: f.id, event: 'finding', data: f, cursor: Number(f.id) })),
        start,
        what: 'finding stream',
      });
    },
  );

  app.get(
    '/v1/runs/:id/findings',
    {
      config: { permission: 'read' },
      schema: { tags: ['findings'], summary: "A run's findings, oldest first", params: IdParams, querystring: RunFindingsQuery, response: { 200: FindingPage, ...errors(400, 401, 403, 404) } },
    },
    async (request) => {
      const q = request.query;
      return engine.findings.listForRun(tenantOf(request), request.params.id, { since: q.since === undefined ? 0 : Number(q.since), severity: severities(q.severity), limit: q.limit ?? FINDING_PAGE_DEFAULT });
    },
  );
}
