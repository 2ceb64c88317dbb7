import type { RunStatus } from '@agentd/protocol';
import { IdParams, LIST_LIMIT_DEFAULT, ListQuery, Run, RunAttemptList, RunBatchCreate, RunBatchCreated, RunCancelBody, RunCreate, RunListQuery, RunUpdate, page } from '@agentd/protocol/schemas';
import { generationOf, etagOf } from './run-generation.ts';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { tenantOf } from '../http/index.ts';
import { ApiError } from '../http/index.ts';
import { errors } from '../http/index.ts';

export function runRoutes(app: RouteApp, { engine, idempotency, config }: AppDeps): void {
  app.post(
    '/v1/runs',
    {
      config: { permission: 'runs:write' },
      schema: { tags: ['runs'], summary: 'Create a run', body: RunCreate, response: { 201: Run, ...errors(400, 401, 403, 404, 409, 422) } },
    },
    async (request, reply) => idempotency.run(request, reply, 201, (record) => engine.runs.create(tenantOf(request), request.body, { after: record })),
  );
  app.post(
    '/v1/runs/batch',
    {
      bodyLimit: config.batchBodyLimit,
      config: { permission: 'runs:write' },
      schema: {
        tags: ['runs'],
        summary: 'Create up to 1,000 runs, all or nothing',
        body: RunBatchCreate,
        response: { 201: RunBatchCreated, ...errors(400, 401, 403, 404, 409, 413, 422) },
      },
    },
    async (request, reply) =>
      idempotency.run(request, reply, 201, async (record) => ({
        data: await engine.runs.createBatch(tenantOf(request), request.body.runs, { after: record ? (ctx, runs) => record(ctx, { data: runs }) : undefined }),
      })),
  );
  app.get(
    '/v1/runs',
    { config: { permission: 'read' }, schema: { tags: ['runs'], summary: 'List runs, newest first', querystring: RunListQuery, response: { 200: page(Run), ...errors(400, 401, 403) } } },
    async (request) => {
      const q = request.query;
      return engine.runs.list(tenantOf(request), {
        agent: q.agent,
        // Not checked against the statuses: an unknown one matches no run.
        status: q.status ? (q.status.split(',').map((s) => s.trim()) as RunStatus[]) : undefined,
        createdAfter: q.created_after ? Date.parse(q.created_after) : undefined,
        createdBefore: q.created_before ? Date.parse(q.created_before) : undefined,
        root: q.root,
        limit: q.limit ?? LIST_LIMIT_DEFAULT,
        cursor: q.cursor,
      });
    },
  );
  app.get(
    '/v1/runs/:id/children',
    {
      config: { permission: 'read' },
      schema: { tags: ['runs'], summary: "A run's child runs, newest first", params: IdParams, querystring: ListQuery, response: { 200: page(Run), ...errors(400, 401, 403, 404) } },
    },
    async (request) => engine.runs.children(tenantOf(request), request.params.id, { limit: request.query.limit ?? LIST_LIMIT_DEFAULT, cursor: request.query.cursor }),
  );
  app.get(
    '/v1/runs/:id',
    {
      config: { permission: 'read' },
      schema: { tags: ['runs'], summary: 'Get a run', description: 'The `ETag` header is the run\'s generation (`"3"`), for `If-Match` on `PATCH`.', params: IdParams, response: { 200: Run, ...errors(401, 403, 404) } },
    },
    async (request, reply) => {
      const run = await engine.runs.get(tenantOf(request), request.params.id);
      reply.header('etag', etagOf(run));
      return run;
    },
  );
  app.patch(
    '/v1/runs/:id',
    {
      config: { permission: 'runs:write' },
      schema: {
        tags: ['runs'],
        summary: "Change a live run's max_attempts, retry policy, deadline or priority",
        description:
          'Based on the run\'s `generation` (the body\'s `generation`, or `If-Match: "<generation>"`; both must agree): a stale one is 409 GENERATION_CONFLICT, an ended run 409 RUN_ALREADY_TERMINAL. Each accepted change bumps the generation, records `run.updated` (the changed fields, old and new) and is audited. `max_attempts` must cover the attempts made (and, for a queued run, the next one); `deadline` must be in the future, or null to clear it.',
        params: IdParams,
        body: RunUpdate,
        response: { 200: Run, ...errors(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { generation: _g, ...fields } = request.body;
      const run = await engine.runs.update(tenantOf(request), request.params.id, { ...fields, generation: generationOf(request.body.generation, request.headers['if-match']) });
      reply.header('etag', etagOf(run));
      return run;
    },
  );
  app.get(
    '/v1/runs/:id/attempts',
    {
      config: { permission: 'read' },
      schema: { tags: ['runs'], summary: "A run's attempts", params: IdParams, response: { 200: RunAttemptList, ...errors(401, 403, 404) } },
    },
    async (request) => ({ data: await engine.runs.attempts(tenantOf(request), request.params.id) }),
  );
  app.post(
    '/v1/runs/:id/cancel',
    {
      config: { permission: 'runs:write' },
      schema: {
        tags: ['runs'],
        summary: 'Cancel a run that has not ended',
        params: IdParams,
        body: RunCancelBody,
        response: { 200: Run, ...errors(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (id.length === 0) throw new ApiError('RUN_NOT_FOUND', 'no run');
      return idempotency.run(request, reply, 200, (record) => engine.runs.cancel(tenantOf(request), id, { reason: request.body?.reason ?? null, after: record }));
    },
  );
}
