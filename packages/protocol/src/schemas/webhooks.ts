/**
 * Wire schemas of outbound webhooks (`/v1/webhooks`): TypeBox, so one definition gives the
 * route validation, the OpenAPI document and the TypeScript types (`Static`). Request objects
 * reject unknown fields. The signing secret appears in two answers only (create and rotate).
 */
import Type, { type Static } from 'typebox';
import { Nullable, Time } from './common.ts';

/**
 * For request fields: null first, because the server's validator coerces types and tries the
 * branches in order; with the string first, a null would arrive as "" instead of clearing.
 */
const NullOr = <T extends Type.TSchema>(t: T) => Type.Union([Type.Null(), t]);

/** An event type (`run.succeeded`, `custom.order-shipped`), a prefix pattern (`run.*`), or `*` (every event). */
export const WEBHOOK_EVENT_PATTERN = /^(\*|[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*(\.\*)?)$/;

export const WEBHOOK_STATUSES = ['active', 'failing'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** Written out (not mapped from the lists) so `Static` keeps the literal union. */
const StatusSchema = Type.Union([Type.Literal('active'), Type.Literal('failing')]);
const DeliveryStatusSchema = Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]);

const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'http or https; checked against the egress policy now and on every connection.' });
const EventPatterns = Type.Array(Type.String({ pattern: WEBHOOK_EVENT_PATTERN.source, maxLength: 120 }), {
  minItems: 1,
  maxItems: 50,
  uniqueItems: true,
  description: 'Event types (`run.succeeded`), prefix patterns (`run.*`) or `*`.',
});
const Agents = Type.Array(Type.String({ minLength: 1, maxLength: 63 }), { minItems: 1, maxItems: 100, uniqueItems: true, description: "Only these agents' events. Absent or null: every agent." });
const Description = Type.String({ maxLength: 1000 });

export const WebhookCreate = Type.Object({ url: Url, events: EventPatterns, agents: Type.Optional(NullOr(Agents)), description: Type.Optional(NullOr(Description)) }, { additionalProperties: false });
export type WebhookCreateParams = Static<typeof WebhookCreate>;

export const WebhookUpdate = Type.Object(
  { url: Type.Optional(Url), events: Type.Optional(EventPatterns), agents: Type.Optional(NullOr(Agents)), description: Type.Optional(NullOr(Description)) },
  { additionalProperties: false, description: 'Fields given replace the old ones; events already queued keep going to the subscription.' },
);
export type WebhookUpdateParams = Static<typeof WebhookUpdate>;

export const WebhookRotate = Type.Object(
  {
    overlap_seconds: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 7 * 86_400, description: 'How long deliveries carry a signature by the old secret beside the new one. Default 86400 (24 h); 0 drops it at once.' }),
    ),
  },
  { additionalProperties: false },
);
export type WebhookRotateParams = Static<typeof WebhookRotate>;
/** The rotate route's body: the options, or none at all. */
export const WebhookRotateBody = Type.Optional(Type.Union([WebhookRotate, Type.Null()]));

export const Webhook = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  agents: Nullable(Type.Array(Type.String())),
  description: Nullable(Type.String()),
  status: Type.Union(StatusSchema.anyOf, { description: '`failing`: a delivery was given up after its last retry; the next successful delivery makes it `active` again.' }),
  failing_since: Nullable(Time),
  secret_version: Type.Integer({ description: 'Bumped by each rotation. The secret itself is never shown again.' }),
  created_at: Time,
  updated_at: Time,
});
export type Webhook = Static<typeof Webhook>;

export const WebhookWithSecret = Type.Intersect([
  Webhook,
  Type.Object({ secret: Type.String({ description: 'The signing secret (`whsec_` + base64), shown once: in this answer only.' }) }),
]);
export type WebhookWithSecret = Static<typeof WebhookWithSecret>;

export const WebhookDeleted = Type.Object({ id: Type.String(), deleted: Type.Literal(true) });
export type WebhookDeleted = Static<typeof WebhookDeleted>;

export const WebhookDelivery = Type.Object({
  id: Type.String({ description: 'Also the `webhook-id` header, the same on every attempt: receivers deduplicate on it.' }),
  webhook_id: Type.String(),
  event_id: Type.String(),
  event_type: Type.String(),
  run_id: Type.String(),
  seq: Type.Integer(),
  status: Type.Union(DeliveryStatusSchema.anyOf, { description: '`failed`: given up after the last retry (or a manual redelivery that failed).' }),
  attempts: Type.Integer(),
  next_attempt_at: Nullable(Time),
  last_attempt_at: Nullable(Time),
  last_status_code: Nullable(Type.Integer()),
  last_error: Nullable(Type.String()),
  created_at: Time,
  delivered_at: Nullable(Time),
});
export type WebhookDelivery = Static<typeof WebhookDelivery>;

export const WebhookDeliveryListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 500 })),
    status: Type.Optional(DeliveryStatusSchema),
  },
  { additionalProperties: false },
);
export type WebhookDeliveryListParams = Static<typeof WebhookDeliveryListQuery>;

export const WebhookParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
export const WebhookDeliveryParams = Type.Object({ id: Type.String({ maxLength: 100 }), delivery_id: Type.String({ maxLength: 100 }) });

/** What a receiver gets as the body: the event as the event streams give it. */
export const WebhookPayload = Type.Object({
  id: Type.String({ description: "The event's tenant-wide id." }),
  type: Type.String(),
  run_id: Type.String(),
  agent: Type.String(),
  seq: Type.Integer(),
  at: Time,
  data: Type.Record(Type.String(), Type.Unknown()),
});
export type WebhookPayload = Static<typeof WebhookPayload>;
