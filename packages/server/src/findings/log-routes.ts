import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../http/index.ts';
import { tenantOf } from '../http/index.ts';
import { Cursor, LogLine, csv, followPage } from './findings-audit-schemas.ts';
import { Type, errors, type Static } from '../http/index.ts';

const Limit = Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 }));
const Levels = Type.Optional(csv('[a-z]{1,20}', 'One level or several separated by commas (`warn,error`).'));
const RunLogsQuery = Type.Object({ since: Type.Optional(Cursor), level: Levels, limit: Limit }, { additionalProperties: false });
const TenantLogsQuery = Type.Object(
  { since: Type.Optional(Cursor), level: Levels, agent: Type.Optional(Type.String({ maxLength: 63 })), run: Type.Optional(Type.String({ maxLength: 100 })), limit: Limit },
  { additionalProperties: false },
);
const LogPage = followPage(LogLine);
const FOLLOW_DOC =
  'Oldest first. Pass `next_cursor` back as `since` to get only newer lines; `next_cursor` is null when nothing new was there. With a level filter a page may hold fewer lines than `limit` and still have a `next_cursor`.';

const levels = (raw: string | undefined): string[] | undefined => (raw ? raw.split(',') : undefined);

/** Log lines: the `run.log` events workers append with `ctx.log`, per run and tenant-wide. */
export function logRoutes(app: FastifyInstance, { engine }: AppDeps): void {
  app.get(
    '/v1/runs/:id/logs',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['logs'],
        summary: "A run's log lines after seq `since`",
        description: FOLLOW_DOC,
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        querystring: RunLogsQuery,
        response: { 200: LogPage, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const q = request.query as Static<typeof RunLogsQuery> & { limit: number };
      const runId = (request.params as { id: string }).id;
      return engine.logs.runLogs(tenantOf(request), runId, { since: q.since === undefined ? 0 : Number(q.since), level: levels(q.level), limit: q.limit });
    },
  );
  app.get(
    '/v1/logs',
    {
      config: { permission: 'read' },
      schema: { tags: ['logs'], summary: "The tenant's log lines after event id `since`", description: FOLLOW_DOC, querystring: TenantLogsQuery, response: { 200: LogPage, ...errors(400, 401, 403) } },
    },
    async (request) => {
      const q = request.query as Static<typeof TenantLogsQuery> & { limit: number };
      return engine.logs.tenantLogs(tenantOf(request), { since: q.since === undefined ? 0 : Number(q.since), level: levels(q.level), agent: q.agent, run: q.run, limit: q.limit });
    },
  );
}
