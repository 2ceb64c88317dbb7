import { IdParams, LOG_PAGE_DEFAULT, LogPage, RunLogsQuery, TenantLogsQuery } from '@agentd/protocol/schemas';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { tenantOf } from '../http/index.ts';
import { errors } from '../http/index.ts';

const FOLLOW_DOC =
  'Oldest first. Pass `next_cursor` back as `since` to get only newer lines; `next_cursor` is null when nothing new was there. With a level filter a page may hold fewer lines than `limit` and still have a `next_cursor`.';

const levels = (raw: string | undefined): string[] | undefined => (raw ? raw.split(',') : undefined);

/** Log lines: the `run.log` events workers append with `ctx.log`, per run and tenant-wide. */
export function logRoutes(app: RouteApp, { engine }: AppDeps): void {
  app.get(
    '/v1/runs/:id/logs',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['logs'],
        summary: "A run's log lines after seq `since`",
        description: FOLLOW_DOC,
        params: IdParams,
        querystring: RunLogsQuery,
        response: { 200: LogPage, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const q = request.query;
      return engine.logs.runLogs(tenantOf(request), request.params.id, { since: q.since === undefined ? 0 : Number(q.since), level: levels(q.level), limit: q.limit ?? LOG_PAGE_DEFAULT });
    },
  );
  app.get(
    '/v1/logs',
    {
      config: { permission: 'read' },
      schema: { tags: ['logs'], summary: "The tenant's log lines after event id `since`", description: FOLLOW_DOC, querystring: TenantLogsQuery, response: { 200: LogPage, ...errors(400, 401, 403) } },
    },
    async (request) => {
      const q = request.query;
      return engine.logs.tenantLogs(tenantOf(request), { since: q.since === undefined ? 0 : Number(q.since), level: levels(q.level), agent: q.agent, run: q.run, limit: q.limit ?? LOG_PAGE_DEFAULT });
    },
  );
}
