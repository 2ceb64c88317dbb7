import type { FastifyRequest } from 'fastify';
import { LIST_LIMIT_DEFAULT, ListQuery, Trigger, TriggerCreate, TriggerDeleted, TriggerDelivery, TriggerDeliveryListQuery, TriggerParams, TriggerRotateBody, TriggerUpdate, TriggerWithSecret, page } from '@agentd/protocol/schemas';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { errors, tenantOf } from '../http/index.ts';

const SENDER_DOC =
  'Deliveries go to the answer\'s `url` (`POST /v1/hooks/{id}`, no API key): signed as Standard Webhooks by the trigger\'s secret (`webhook-id`, `webhook-timestamp` within 5 minutes, `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`), or, in `bearer` mode, with `Authorization: Bearer <secret>`. A `webhook-id` seen before answers 200 with its original run and starts nothing. The body (JSON) becomes the run input as `mapping` says: the whole body, a JSON pointer into it, or a template of workflow expressions reading `body` and `headers`.';

/** The scheme and host the caller used: a trigger's `url` is absolute on the server it was asked of. */
export const baseOf = (request: FastifyRequest): string => `${request.protocol}://${request.host}`;

/** `/v1/triggers`: inbound webhook triggers, their secrets and delivery logs. */
export function triggerRoutes(app: RouteApp, { engine, idempotency }: AppDeps): void {
  app.post(
    '/v1/triggers',
    {
      // The answer holds the secret: a replay must still return it, so its record is sealed.
      config: { permission: 'webhooks:manage', sensitiveResponse: true },
      schema: { tags: ['triggers'], summary: 'Create an inbound webhook trigger (its secret is shown once)', description: SENDER_DOC, body: TriggerCreate, response: { 201: TriggerWithSecret, ...errors(400, 401, 403, 404, 409, 422) } },
    },
    async (request, reply) => {
      const body = request.body;
      return idempotency.run(request, reply, 201, (record) => engine.triggers.create({ tenantId: tenantOf(request), base: baseOf(request), ...body }, record));
    },
  );
  app.get(
    '/v1/triggers',
    {
      config: { permission: 'webhooks:read' },
      schema: { tags: ['triggers'], summary: 'List triggers (never their secrets)', querystring: ListQuery, response: { 200: page(Trigger), ...errors(400, 401, 403) } },
    },
    async (request) => engine.triggers.list({ tenantId: tenantOf(request), limit: request.query.limit ?? LIST_LIMIT_DEFAULT, cursor: request.query.cursor, base: baseOf(request) }),
  );
  app.get(
    '/v1/triggers/:id',
    {
      config: { permission: 'webhooks:read' },
      schema: { tags: ['triggers'], summary: 'A trigger (never its secret)', params: TriggerParams, response: { 200: Trigger, ...errors(401, 403, 404) } },
    },
    async (request) => engine.triggers.retrieve({ tenantId: tenantOf(request), id: request.params.id, base: baseOf(request) }),
  );
  app.patch(
    '/v1/triggers/:id',
    {
      config: { permission: 'webhooks:manage' },
      schema: { tags: ['triggers'], summary: "Change a trigger's name, description, target, mapping or rate limit", params: TriggerParams, body: TriggerUpdate, response: { 200: Trigger, ...errors(400, 401, 403, 404, 409, 422) } },
    },
    async (request) => engine.triggers.update({ tenantId: tenantOf(request), id: request.params.id, base: baseOf(request), ...request.body }),
  );
  app.delete(
    '/v1/triggers/:id',
    {
      config: { permission: 'webhooks:manage' },
      schema: { tags: ['triggers'], summary: 'Delete a trigger, its secrets, receipts and delivery log', params: TriggerParams, response: { 200: TriggerDeleted, ...errors(401, 403, 404) } },
    },
    async (request) => engine.triggers.delete({ tenantId: tenantOf(request), id: request.params.id }),
  );
  app.post(
    '/v1/triggers/:id/rotate-secret',
    {
      config: { permission: 'webhooks:manage', sensitiveResponse: true },
      schema: {
        tags: ['triggers'],
        summary: 'Replace the secret (the new one is shown once)',
        description: 'The old secret keeps verifying beside the new one for `overlap_seconds` (default 24 h), so the sender can switch without a delivery refused. `secret` sets the sender\'s own instead of making one.',
        params: TriggerParams,
        body: TriggerRotateBody,
        response: { 200: TriggerWithSecret, ...errors(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const body = request.body ?? {};
      const id = request.params.id;
      return idempotency.run(request, reply, 200, (record) => engine.triggers.rotateSecret({ tenantId: tenantOf(request), id, overlapSeconds: body.overlap_seconds, secret: body.secret, base: baseOf(request) }, record));
    },
  );
  app.get(
    '/v1/triggers/:id/deliveries',
    {
      config: { permission: 'webhooks:read' },
      schema: {
        tags: ['triggers'],
        summary: "A trigger's verified deliveries, newest first: outcome (started, duplicate, rejected), status, run, error",
        params: TriggerParams,
        querystring: TriggerDeliveryListQuery,
        response: { 200: page(TriggerDelivery), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const q = request.query;
      return engine.triggers.deliveries({ tenantId: tenantOf(request), triggerId: request.params.id, limit: q.limit ?? LIST_LIMIT_DEFAULT, cursor: q.cursor, outcome: q.outcome });
    },
  );
}
