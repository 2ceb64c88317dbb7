import { Grant, GrantCreate, GrantListQuery, GrantParams, LIST_LIMIT_DEFAULT, page } from '@agentd/protocol/schemas';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { tenantOf } from '../http/index.ts';
import { errors } from '../http/index.ts';

/** `/v1/grants`: which agent (or endpoint) receives which secret in its leases. */
export function grantRoutes(app: RouteApp, { engine, idempotency }: AppDeps): void {
  app.post(
    '/v1/grants',
    {
      config: { permission: 'secrets:manage' },
      schema: {
        tags: ['grants'],
        summary: 'Grant a secret to an agent, or to one endpoint of it (an existing identical grant is returned)',
        body: GrantCreate,
        response: { 201: Grant, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const tenantId = tenantOf(request);
      return idempotency.run(request, reply, 201, (record) =>
        engine.grants.create({ tenantId, secret: body.secret, agent: body.agent, endpoint: body.endpoint ?? null, createdBy: request.principal?.keyId ?? null }, { record }),
      );
    },
  );
  app.get(
    '/v1/grants',
    {
      config: { permission: 'secrets:read' },
      schema: { tags: ['grants'], summary: 'List grants (active ones unless include_revoked)', querystring: GrantListQuery, response: { 200: page(Grant), ...errors(400, 401, 403) } },
    },
    async (request) => {
      const q = request.query;
      return engine.grants.list({ tenantId: tenantOf(request), agent: q.agent, secret: q.secret, includeRevoked: q.include_revoked ?? false, limit: q.limit ?? LIST_LIMIT_DEFAULT, cursor: q.cursor });
    },
  );
  app.delete(
    '/v1/grants/:id',
    {
      config: { permission: 'secrets:manage' },
      schema: { tags: ['grants'], summary: 'Revoke a grant; leases from now on no longer carry the secret', params: GrantParams, response: { 200: Grant, ...errors(401, 403, 404) } },
    },
    async (request) => engine.grants.revoke({ tenantId: tenantOf(request), id: request.params.id }),
  );
}
