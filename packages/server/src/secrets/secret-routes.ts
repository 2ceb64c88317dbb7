import { EmptyBody, LIST_LIMIT_DEFAULT, ListQuery, Secret, SecretCreate, SecretDeleted, SecretDetail, SecretParams, SecretRewrapResult, SecretRotate, page } from '@agentd/protocol/schemas';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { tenantOf } from '../http/index.ts';
import { errors } from '../http/index.ts';

/**
 * `/v1/secrets`: the tenant's vault. Values go in and never come out: every answer is metadata.
 * Idempotency-Key works as everywhere, but the stored request hash covers a keyed fingerprint of
 * the value instead of the value, so the idempotency table holds nothing to guess it from.
 */
export function secretRoutes(app: RouteApp, { engine, idempotency }: AppDeps): void {
  app.post(
    '/v1/secrets',
    {
      config: { permission: 'secrets:manage' },
      schema: { tags: ['secrets'], summary: 'Create a secret (the value is write-only)', body: SecretCreate, response: { 201: Secret, ...errors(400, 401, 403, 409) } },
    },
    async (request, reply) => {
      const { body } = request;
      const hashed = { ...body, value: engine.secrets.fingerprint(body.value) };
      return idempotency.run(request, reply, 201, (record) => engine.secrets.create({ tenantId: tenantOf(request), ...body }, { record }), { bodyForHash: hashed });
    },
  );
  app.get(
    '/v1/secrets',
    {
      config: { permission: 'secrets:read' },
      schema: { tags: ['secrets'], summary: 'List secrets (names and metadata only)', querystring: ListQuery, response: { 200: page(Secret), ...errors(400, 401, 403) } },
    },
    async (request) => {
      const q = request.query;
      return engine.secrets.list({ tenantId: tenantOf(request), limit: q.limit ?? LIST_LIMIT_DEFAULT, cursor: q.cursor });
    },
  );
  app.post(
    '/v1/secrets/rewrap',
    {
      config: { permission: 'secrets:manage' },
      schema: {
        tags: ['secrets'],
        summary: "Re-wrap every version's data key under the current master key (after a master-key rotation)",
        body: EmptyBody,
        response: { 200: SecretRewrapResult, ...errors(401, 403) },
      },
    },
    async (request) => engine.secrets.rewrap({ tenantId: tenantOf(request) }),
  );
  app.get(
    '/v1/secrets/:name',
    {
      config: { permission: 'secrets:read' },
      schema: { tags: ['secrets'], summary: "A secret's metadata and versions (never the value)", params: SecretParams, response: { 200: SecretDetail, ...errors(401, 403, 404) } },
    },
    async (request) => engine.secrets.retrieve({ tenantId: tenantOf(request), name: request.params.name }),
  );
  app.post(
    '/v1/secrets/:name/rotate',
    {
      config: { permission: 'secrets:manage' },
      schema: { tags: ['secrets'], summary: 'Add a new version; the next lease delivers it', params: SecretParams, body: SecretRotate, response: { 200: Secret, ...errors(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      const { body } = request;
      const { name } = request.params;
      const hashed = { ...body, value: engine.secrets.fingerprint(body.value) };
      return idempotency.run(request, reply, 200, (record) => engine.secrets.rotate({ tenantId: tenantOf(request), name, ...body }, { record }), { bodyForHash: hashed });
    },
  );
  app.delete(
    '/v1/secrets/:name',
    {
      config: { permission: 'secrets:manage' },
      schema: { tags: ['secrets'], summary: 'Delete a secret: its versions are erased, its grants revoked', params: SecretParams, response: { 200: SecretDeleted, ...errors(401, 403, 404) } },
    },
    async (request) => engine.secrets.delete({ tenantId: tenantOf(request), name: request.params.name }),
  );
}
