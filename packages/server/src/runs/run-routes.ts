import type { FastifyInstance } from 'fastify';
import type { RunStatus } from '@agentd/protocol';
import type { AppDeps } from '../http/index.ts';
import { tenantOf } from '../http/index.ts';
import { ApiError } from '../http/index.ts';
import type { RunCreateInput } from './run-service.ts';
import { ListQuery, Run, RunAttempt, RunCreate, Type, errors, page, type Static } from '../http/index.ts';

const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

const RunListQuery = Type.Object(
  {
    ...ListQuery,
    agent: Type.Optional(Type.String()),
    status: Type.Optional(Type.String({ description: 'One status or several separated by commas' })),
    created_after: Type.Optional(Type.String({ format: 'date-time' })),
    created_before: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);

export function runRoutes(app: FastifyInstance, { engine, idempotency, config }: AppDeps): void {
  app.post(
    '/v1/runs',
    {
      config: { permission: 'runs:write' },
      schema: { tags: ['runs'], summary: 'Create a run', body: RunCreate, response: { 201: Run, ...errors(400, 401, 403, 404, 409, 422) } },
    },
    async (request, reply) => {
      const body = request.body as Static<typeof RunCreate>;
      return idempotency.run(request, reply, 201, (record) => engine.runs.create(tenantOf(request), body as RunCreateInput, { after: record }));
    },
  );
  app.post(
    '/v1/runs/batch',
    {
      bodyLimit: config.batchBodyLimit,
      config: { permission: 'runs:write' },
      schema: {
        tags: ['runs'],
        summary: 'Create up to 1,000 runs, all or nothing',
        body: Type.Object({ runs: Type.Array(RunCreate, { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false }),
        response: { 201: Type.Object({ data: Type.Array(Run) }), ...errors(400, 401, 403, 404, 409, 413, 422) },
      },
    },
    async (request, reply) => {
      const body = request.body as { runs: RunCreateInput[] };
      return idempotency.run(request, reply, 201, async (record) => ({
        data: await engine.runs.createBatch(tenantOf(request), body.runs, { after: record ? (ctx, runs) => record(ctx, { data: runs }) : undefined }),
      }));
    },
  );
  app.get(
    '/v1/runs',
    { config: { permission: 'read' }, schema: { tags: ['runs'], summary: 'List runs, newest first', querystring: RunListQuery, response: { 200: page(Run), ...errors(400, 401, 403) } } },
    async (request) => {
      const q = request.query as Static<typeof RunListQuery> & { limit: number };
      return engine.runs.list(tenantOf(request), {
        agent: q.agent,
        status: q.status ? (q.status.split(',').map((s) => s.trim()) as RunStatus[]) : undefined,
        createdAfter: q.created_after ? Date.parse(q.created_after) : undefined,
        createdBefore: q.created_before ? Date.parse(q.created_before) : undefined,
        limit: q.limit,
        cursor: q.cursor,
      });
    },
  );
  app.get(
    '/v1/runs/:id',
    { config: { permission: 'read' }, schema: { tags: ['runs'], summary: 'Get a run', params: IdParams, response: { 200: Run, ...errors(401, 403, 404) } } },
    async (request) => engine.runs.get(tenantOf(request), (request.params as { id: string }).id),
  );
  app.get(
    '/v1/runs/:id/attempts',
    {
      config: { permission: 'read' },
      schema: { tags: ['runs'], summary: "A run's attempts", params: IdParams, response: { 200: Type.Object({ data: Type.Array(RunAttempt) }), ...errors(401, 403, 404) } },
    },
    async (request) => ({ data: await engine.runs.attempts(tenantOf(request), (request.params as { id: string }).id) }),
  );
  app.post(
    '/v1/runs/:id/cancel',
    {
      config: { permission: 'runs:write' },
      schema: {
        tags: ['runs'],
        summary: 'Cancel a run that has not ended',
        params: IdParams,
        body: Type.Optional(Type.Union([Type.Object({ reason: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false }), Type.Null()])),
        response: { 200: Run, ...errors(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const body = request.body as { reason?: string } | null | undefined;
      const id = (request.params as { id: string }).id;
      if (id.length === 0) throw new ApiError('RUN_NOT_FOUND', 'no run');
      return idempotency.run(request, reply, 200, (record) => engine.runs.cancel(tenantOf(request), id, { reason: body?.reason ?? null, after: record }));
    },
  );
}
