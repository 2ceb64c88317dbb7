import { EmptyBody, LIST_LIMIT_DEFAULT, ListQuery, WebhookRotateBody, Webhook, WebhookCreate, WebhookDeleted, WebhookDelivery, WebhookDeliveryListQuery, WebhookDeliveryParams, WebhookParams, WebhookRotate, WebhookUpdate, WebhookWithSecret, page } from '@agentd/protocol/schemas';
import type { AppDeps, RouteApp } from '../http/index.ts';
import { errors, tenantOf } from '../http/index.ts';

const RECEIVER_DOC =
  'Matching events are POSTed to `url` as JSON (the event as event streams give it: `id`, `type`, `run_id`, `agent`, `seq`, `at`, `data`), signed as Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`), at least once, in `seq` order per run, retried with backoff for about a day. The URL must pass the egress policy (no loopback, private, link-local or metadata address unless configuration allows it): `422 EGRESS_REFUSED` otherwise.';

/** `/v1/webhooks`: outbound event subscriptions and their delivery logs. */
export function webhookRoutes(app: RouteApp, { engine, idempotency }: AppDeps): void {
  app.post(
    '/v1/webhooks',
    {
      // The answer holds the signing secret: a replay must still return it, so its record is sealed.
      config: { permission: 'webhooks:manage', sensitiveResponse: true },
      schema: { tags: ['webhooks'], summary: 'Subscribe a URL to events (the signing secret is shown once)', description: RECEIVER_DOC, body: WebhookCreate, response: { 201: WebhookWithSecret, ...errors(400, 401, 403, 422) } },
    },
    async (request, reply) => {
      const body = request.body;
      return idempotency.run(request, reply, 201, (record) => engine.webhooks.create({ tenantId: tenantOf(request), ...body }, record));
    },
  );
  app.get(
    '/v1/webhooks',
    {
      config: { permission: 'webhooks:read' },
      schema: { tags: ['webhooks'], summary: 'List webhook subscriptions (never their secrets)', querystring: ListQuery, response: { 200: page(Webhook), ...errors(400, 401, 403) } },
    },
    async (request) => {
      const q = { limit: request.query.limit ?? LIST_LIMIT_DEFAULT, cursor: request.query.cursor };
      return engine.webhooks.list({ tenantId: tenantOf(request), limit: q.limit, cursor: q.cursor });
    },
  );
  app.get(
    '/v1/webhooks/:id',
    {
      config: { permission: 'webhooks:read' },
      schema: { tags: ['webhooks'], summary: 'A webhook subscription (never its secret)', params: WebhookParams, response: { 200: Webhook, ...errors(401, 403, 404) } },
    },
    async (request) => engine.webhooks.retrieve({ tenantId: tenantOf(request), id: request.params.id }),
  );
  app.patch(
    '/v1/webhooks/:id',
    {
      config: { permission: 'webhooks:manage' },
      schema: { tags: ['webhooks'], summary: "Change a subscription's URL, events, agents or description", params: WebhookParams, body: WebhookUpdate, response: { 200: Webhook, ...errors(400, 401, 403, 404, 422) } },
    },
    async (request) => engine.webhooks.update({ tenantId: tenantOf(request), id: request.params.id, ...request.body }),
  );
  app.delete(
    '/v1/webhooks/:id',
    {
      config: { permission: 'webhooks:manage' },
      schema: { tags: ['webhooks'], summary: 'Delete a subscription, its secrets and its delivery log', params: WebhookParams, response: { 200: WebhookDeleted, ...errors(401, 403, 404) } },
    },
    async (request) => engine.webhooks.delete({ tenantId: tenantOf(request), id: request.params.id }),
  );
  app.post(
    '/v1/webhooks/:id/rotate-secret',
    {
      config: { permission: 'webhooks:manage', sensitiveResponse: true },
      schema: {
        tags: ['webhooks'],
        summary: 'Replace the signing secret (the new one is shown once)',
        description: 'Deliveries carry a signature by the old secret beside the new one for `overlap_seconds` (default 24 h), so the receiver can switch without missing one.',
        params: WebhookParams,
        body: WebhookRotateBody,
        response: { 200: WebhookWithSecret, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const body = request.body ?? {};
      const id = request.params.id;
      return idempotency.run(request, reply, 200, (record) => engine.webhooks.rotateSecret({ tenantId: tenantOf(request), id, overlapSeconds: body.overlap_seconds }, record));
    },
  );
  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      config: { permission: 'webhooks:read' },
      schema: {
        tags: ['webhooks'],
        summary: "A subscription's delivery log, newest first: event, attempts, last status code and error, next attempt",
        params: WebhookParams,
        querystring: WebhookDeliveryListQuery,
        response: { 200: page(WebhookDelivery), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const q = { ...request.query, limit: request.query.limit ?? LIST_LIMIT_DEFAULT };
      return engine.webhooks.deliveries({ tenantId: tenantOf(request), webhookId: request.params.id, limit: q.limit, cursor: q.cursor, status: q.status });
    },
  );
  app.get(
    '/v1/webhooks/:id/deliveries/:delivery_id',
    {
      config: { permission: 'webhooks:read' },
      schema: { tags: ['webhooks'], summary: 'One delivery of a subscription', params: WebhookDeliveryParams, response: { 200: WebhookDelivery, ...errors(401, 403, 404) } },
    },
    async (request) => {
      const p = request.params;
      return engine.webhooks.delivery({ tenantId: tenantOf(request), webhookId: p.id, deliveryId: p.delivery_id });
    },
  );
  app.post(
    '/v1/webhooks/:id/deliveries/:delivery_id/redeliver',
    {
      config: { permission: 'webhooks:manage' },
      schema: {
        tags: ['webhooks'],
        summary: 'Send a finished delivery once more, now (same webhook-id)',
        params: WebhookDeliveryParams,
        body: EmptyBody,
        response: { 200: WebhookDelivery, ...errors(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const p = request.params;
      return idempotency.run(request, reply, 200, (record) => engine.webhooks.redeliver({ tenantId: tenantOf(request), webhookId: p.id, deliveryId: p.delivery_id }, record));
    },
  );
}
