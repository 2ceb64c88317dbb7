/** Wire schemas of API keys. No answer but create's ever holds the key itself. */
import Type, { type Static } from 'typebox';
import { ROLES } from '../states.ts';
import { Nullable, OneOf, Time } from './common.ts';

const Role = OneOf(ROLES);

export const ApiKey = Type.Object({
  id: Type.String(),
  name: Nullable(Type.String()),
  role: Role,
  /** A worker key's agents: the ones it may serve (`["*"]`: every agent, and then no secrets); `null` for every other role. */
  agents: Nullable(Type.Array(Type.String(), { description: 'A worker key\'s agents (`["*"]`: every agent); null for other roles.' })),
  prefix: Type.String(),
  created_at: Time,
  /** After this the key is refused like a revoked one; `null`: it does not expire. */
  expires_at: Nullable(Time),
  revoked_at: Nullable(Time),
  last_used_at: Nullable(Time),
});
export type ApiKey = Static<typeof ApiKey>;

/** Returned once, by create: `key` is never shown again. */
export const CreatedApiKey = Type.Intersect([ApiKey, Type.Object({ key: Type.String({ description: 'Shown once; only its hash is stored.' }) })]);
export type CreatedApiKey = Static<typeof CreatedApiKey>;

export const KeyCreate = Type.Object(
  {
    role: Role,
    name: Type.Optional(Type.String({ maxLength: 200 })),
    agents: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 63 }), {
        maxItems: 1000,
        description: 'Required for a `worker` key, refused for the others: the agent names it may serve, or `["*"]` for every agent (then it gets no secrets).',
      }),
    ),
    expires_at: Type.Optional(Type.String({ format: 'date-time', description: 'When the key stops working (RFC 3339); it must be in the future.' })),
  },
  { additionalProperties: false },
);
export type KeyCreate = Static<typeof KeyCreate>;

export const KeyParams = Type.Object({ id: Type.String() });
export type KeyParams = Static<typeof KeyParams>;
