import { AuditQuery, AuditRecord, LIST_LIMIT_DEFAULT, page } from '@agentd/protocol/schemas';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { tenantOf } from '../http/index.ts';
import { errors } from '../http/index.ts';

/** `GET /v1/audit`: the append-only audit trail, newest first (admins only). */
export function auditRoutes(app: RouteApp, { engine }: AppDeps): void {
  app.get(
    '/v1/audit',
    {
      config: { permission: 'audit:read' },
      schema: { tags: ['audit'], summary: 'The audit trail, newest first', querystring: AuditQuery, response: { 200: page(AuditRecord), ...errors(400, 401, 403) } },
    },
    async (request) => {
      const q = request.query;
      return engine.audit.list(tenantOf(request), {
        actor: q.actor,
        action: q.action,
        targetType: q.target_type,
        targetId: q.target_id,
        outcome: q.outcome,
        since: q.since ? Date.parse(q.since) : undefined,
        until: q.until ? Date.parse(q.until) : undefined,
        limit: q.limit ?? LIST_LIMIT_DEFAULT,
        cursor: q.cursor,
      });
    },
  );
}
