import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../http/index.ts';
import { tenantOf } from '../http/index.ts';
import { AuditRecord } from './audit-schemas.ts';
import { ListQuery, Type, errors, page, type Static } from '../http/index.ts';

const AuditQuery = Type.Object(
  {
    ...ListQuery,
    actor: Type.Optional(Type.String({ maxLength: 100, description: 'An API key id.' })),
    action: Type.Optional(Type.String({ maxLength: 300, description: 'Exact, e.g. `POST /v1/runs/{id}/cancel`.' })),
    target_type: Type.Optional(Type.String({ maxLength: 100 })),
    target_id: Type.Optional(Type.String({ maxLength: 300 })),
    outcome: Type.Optional(Type.Union([Type.Literal('ok'), Type.Literal('denied'), Type.Literal('error')])),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'At or after this time.' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'Before this time.' })),
  },
  { additionalProperties: false },
);

/** `GET /v1/audit`: the append-only audit trail, newest first (admins only). */
export function auditRoutes(app: FastifyInstance, { engine }: AppDeps): void {
  app.get(
    '/v1/audit',
    {
      config: { permission: 'audit:read' },
      schema: { tags: ['audit'], summary: 'The audit trail, newest first', querystring: AuditQuery, response: { 200: page(AuditRecord), ...errors(400, 401, 403) } },
    },
    async (request) => {
      const q = request.query as Static<typeof AuditQuery> & { limit: number };
      return engine.audit.list(tenantOf(request), {
        actor: q.actor,
        action: q.action,
        targetType: q.target_type,
        targetId: q.target_id,
        outcome: q.outcome,
        since: q.since ? Date.parse(q.since) : undefined,
        until: q.until ? Date.parse(q.until) : undefined,
        limit: q.limit,
        cursor: q.cursor,
      });
    },
  );
}
