import { ApiKey, CreatedApiKey, KeyCreate, KeyParams, LIST_LIMIT_DEFAULT, ListQuery, page } from '@agentd/protocol/schemas';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { tenantOf } from '../http/index.ts';
import { errors } from '../http/index.ts';

export function keyRoutes(app: RouteApp, { engine, idempotency }: AppDeps): void {
  app.post(
    '/v1/keys',
    {
      // The answer holds the key itself: a replay must still return it, so its record is sealed.
      config: { permission: 'keys:manage', sensitiveResponse: true },
      schema: {
        tags: ['keys'],
        summary: 'Create an API key (shown once)',
        description:
          'A `worker` key must name the agents it may serve in `agents` (`["*"]` for every agent; a `["*"]` key never receives secrets); no other role takes `agents`. Either mistake is `422 KEY_INVALID`. `expires_at` makes the key stop working then (401, as if revoked).',
        body: KeyCreate,
        response: { 201: CreatedApiKey, ...errors(400, 401, 403, 422) },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const expiresAt = body.expires_at === undefined ? null : Date.parse(body.expires_at);
      return idempotency.run(request, reply, 201, (record) =>
        engine.keys.create({ tenantId: tenantOf(request), role: body.role, name: body.name ?? null, agents: body.agents ?? null, expiresAt }, { record }),
      );
    },
  );
  app.get(
    '/v1/keys',
    {
      config: { permission: 'keys:manage' },
      schema: { tags: ['keys'], summary: 'List API keys (never the key itself)', querystring: ListQuery, response: { 200: page(ApiKey), ...errors(401, 403) } },
    },
    async (request) => {
      const q = request.query;
      return engine.keys.list({ tenantId: tenantOf(request), limit: q.limit ?? LIST_LIMIT_DEFAULT, cursor: q.cursor });
    },
  );
  app.delete(
    '/v1/keys/:id',
    {
      config: { permission: 'keys:manage' },
      schema: { tags: ['keys'], summary: 'Revoke an API key, effective at once', params: KeyParams, response: { 200: ApiKey, ...errors(401, 403, 404) } },
    },
    async (request) => engine.keys.revoke({ tenantId: tenantOf(request), id: request.params.id }),
  );
}
