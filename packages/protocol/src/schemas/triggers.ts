/**
 * Wire schemas of inbound webhook triggers (`/v1/triggers`, and the public `/v1/hooks/{id}`
 * they are delivered to): TypeBox, so one definition gives the route validation, the OpenAPI
 * document and the TypeScript types. Request objects reject unknown fields. A trigger's secret
 * appears in two answers only (create and rotate).
 */
import Type, { type Static } from 'typebox';
import { Nullable, Time } from './common.ts';
import { Run } from './runs.ts';

/** For request fields: null first (the validator coerces, and tries branches in order). */
const NullOr = <T extends Type.TSchema>(t: T) => Type.Union([Type.Null(), t]);

export const TRIGGER_AUTH_MODES = ['signature', 'bearer'] as const;
export type TriggerAuthMode = (typeof TRIGGER_AUTH_MODES)[number];

export const TRIGGER_DELIVERY_OUTCOMES = ['started', 'duplicate', 'rejected'] as const;
export type TriggerDeliveryOutcome = (typeof TRIGGER_DELIVERY_OUTCOMES)[number];

const AuthSchema = Type.Union([Type.Literal('signature'), Type.Literal('bearer')]);
const OutcomeSchema = Type.Union([Type.Literal('started'), Type.Literal('duplicate'), Type.Literal('rejected')]);

/** A trigger's optional name: unique in its tenant (the handle a config file's `triggers:` uses). */
export const TriggerName = Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z0-9][a-z0-9._-]*$' });

export const TriggerTarget = Type.Union(
  [
    Type.Object({ agent: Type.String({ minLength: 1, maxLength: 63 }), endpoint: Type.String({ minLength: 1, maxLength: 63 }) }, { additionalProperties: false }),
    Type.Object({ workflow: Type.String({ minLength: 1, maxLength: 63 }) }, { additionalProperties: false }),
  ],
  { description: 'What a delivery starts: a run of an agent endpoint (`{agent, endpoint}`) or of a workflow (`{workflow}`).' },
);
export type TriggerTarget = Static<typeof TriggerTarget>;

export const TriggerMapping = Type.Union(
  [
    Type.Object({ pointer: Type.String({ maxLength: 1000, pattern: '^(/.*)?$', description: 'A JSON pointer (RFC 6901) into the body: `/data/order`; `""` is the whole body.' }) }, { additionalProperties: false }),
    Type.Object(
      {
        template: Type.Unknown({
          description: 'A JSON value whose strings may hold workflow expressions (JSONata): `"{% body.order.id %}"` is the value, `"order {% body.order.id %}"` interpolates. Expressions read `body` (the parsed JSON) and `headers` (lower-cased; never authorization or webhook-signature).',
        }),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'How the body becomes the run input. Absent or null: the whole body.' },
);
export type TriggerMapping = Static<typeof TriggerMapping>;

export const TriggerRateLimit = Type.Object(
  {
    count: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Deliveries allowed per period (also the largest burst).' }),
    period_seconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
  },
  { additionalProperties: false, description: 'Per trigger, shared by every node. Default 600 per 60 s. Verified deliveries beyond it are answered 429 with Retry-After.' },
);
export type TriggerRateLimit = Static<typeof TriggerRateLimit>;

const Secret = Type.String({
  minLength: 24,
  maxLength: 200,
  description: "The sender's secret, when it issues one: `signature` mode takes `whsec_` + base64 of 24 to 64 bytes (as Standard Webhooks senders give it); `bearer` mode any 24 to 200 printable characters. Absent: agentd makes one.",
});
const Description = Type.String({ maxLength: 1000 });

export const TriggerCreate = Type.Object(
  {
    name: Type.Optional(NullOr(TriggerName)),
    description: Type.Optional(NullOr(Description)),
    target: TriggerTarget,
    auth: Type.Optional(Type.Union(AuthSchema.anyOf, { description: '`signature` (default): Standard Webhooks signatures. `bearer`: `Authorization: Bearer <secret>`, for senders that cannot sign.' })),
    secret: Type.Optional(Secret),
    mapping: Type.Optional(NullOr(TriggerMapping)),
    rate_limit: Type.Optional(TriggerRateLimit),
  },
  { additionalProperties: false },
);
export type TriggerCreateParams = Static<typeof TriggerCreate>;

export const TriggerUpdate = Type.Object(
  {
    name: Type.Optional(NullOr(TriggerName)),
    description: Type.Optional(NullOr(Description)),
    target: Type.Optional(TriggerTarget),
    mapping: Type.Optional(NullOr(TriggerMapping)),
    rate_limit: Type.Optional(TriggerRateLimit),
  },
  { additionalProperties: false, description: 'Fields given replace the old ones. The auth mode and secret change only by rotation.' },
);
export type TriggerUpdateParams = Static<typeof TriggerUpdate>;

export const TriggerRotate = Type.Object(
  {
    overlap_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * 86_400, description: 'How long the old secret still verifies beside the new one. Default 86400 (24 h); 0 retires it at once.' })),
    secret: Type.Optional(Secret),
  },
  { additionalProperties: false },
);
export type TriggerRotateParams = Static<typeof TriggerRotate>;
export const TriggerRotateBody = Type.Optional(Type.Union([TriggerRotate, Type.Null()]));

export const Trigger = Type.Object({
  id: Type.String(),
  name: Nullable(Type.String()),
  description: Nullable(Type.String()),
  url: Type.String({ description: 'Where senders POST deliveries: `/v1/hooks/{id}` on this server (the scheme and host of the request that asked).' }),
  target: TriggerTarget,
  auth: Type.Union(AuthSchema.anyOf),
  mapping: Nullable(TriggerMapping),
  rate_limit: TriggerRateLimit,
  secret_version: Type.Integer({ description: 'Bumped by each rotation. The secret itself is never shown again.' }),
  created_at: Time,
  updated_at: Time,
});
export type Trigger = Static<typeof Trigger>;

export const TriggerWithSecret = Type.Intersect([
  Trigger,
  Type.Object({ secret: Type.String({ description: 'The secret (signature mode: `whsec_` + base64; bearer mode: the token), shown once: in this answer only.' }) }),
]);
export type TriggerWithSecret = Static<typeof TriggerWithSecret>;

export const TriggerDeleted = Type.Object({ id: Type.String(), deleted: Type.Literal(true) });
export type TriggerDeleted = Static<typeof TriggerDeleted>;

export const TriggerDelivery = Type.Object({
  id: Type.String(),
  trigger_id: Type.String(),
  message_id: Nullable(Type.String({ description: 'The `webhook-id` (or, in bearer mode, `Idempotency-Key`) the sender gave: deliveries are deduplicated on it.' })),
  outcome: Type.Union(OutcomeSchema.anyOf, { description: '`started` a run; `duplicate`: a message id seen before (the original run, nothing started); `rejected`: the payload did not map or failed the target\'s input schema.' }),
  status_code: Type.Integer(),
  run_id: Nullable(Type.String()),
  error: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
  received_at: Time,
});
export type TriggerDelivery = Static<typeof TriggerDelivery>;

export const TriggerDeliveryListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 500 })),
    outcome: Type.Optional(OutcomeSchema),
  },
  { additionalProperties: false },
);
export type TriggerDeliveryListParams = Static<typeof TriggerDeliveryListQuery>;

export const TriggerParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

/** The answer to a delivery that started a run (202) or repeated one (200). */
export const HookAccepted = Type.Object({
  delivery_id: Type.String(),
  trigger_id: Type.String(),
  run_id: Type.String(),
  duplicate: Type.Boolean({ description: 'true: this message id was seen before; the run is the original one and nothing started.' }),
  run: Run,
});
export type HookAccepted = Static<typeof HookAccepted>;
