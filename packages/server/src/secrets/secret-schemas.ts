/** Route schemas of the secrets vault and grants. No response schema has a place for a value. */
import { SECRET_NAME_PATTERN } from '@agentd/protocol';
import { ListQuery, Type } from '../http/index.ts';

const Nullable = <T extends Type.TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Time = Type.String({ format: 'date-time' });

/** 64 KiB of text: room for a PEM bundle or a service-account JSON, not for a database dump. */
export const MAX_SECRET_VALUE_LENGTH = 65_536;

export const SecretName = Type.String({ pattern: SECRET_NAME_PATTERN.source, maxLength: 63, description: 'Lower-case letters, digits and _, starting with a letter.' });
const SecretValue = Type.String({ minLength: 1, maxLength: MAX_SECRET_VALUE_LENGTH, description: 'Write-only: stored encrypted, never returned, logged or put in an event.' });
const Description = Type.String({ maxLength: 1000 });

export const SecretCreate = Type.Object({ name: SecretName, value: SecretValue, description: Type.Optional(Description) }, { additionalProperties: false });

export const SecretRotate = Type.Object(
  { value: SecretValue, description: Type.Optional(Nullable(Description)) },
  { additionalProperties: false, description: 'Adds a version; `description`, when given, replaces the old one.' },
);

export const Secret = Type.Object({
  name: Type.String(),
  description: Nullable(Type.String()),
  version: Type.Integer({ description: 'The current version: what the next lease delivers.' }),
  kek_id: Type.String({ description: "Fingerprint of the master key wrapping the current version's data key (never the key)." }),
  created_at: Time,
  updated_at: Time,
});

export const SecretVersionInfo = Type.Object({ version: Type.Integer(), kek_id: Type.String(), created_at: Time });

export const SecretDetail = Type.Intersect([Secret, Type.Object({ versions: Type.Array(SecretVersionInfo) })]);

export const SecretDeleted = Type.Object({ name: Type.String(), deleted: Type.Literal(true), grants_revoked: Type.Integer() });

export const SecretRewrapResult = Type.Object({
  kek_id: Type.String({ description: 'The current master key id: every moved version now names it.' }),
  rewrapped: Type.Integer(),
  failed: Type.Array(Type.Object({ name: Type.String(), version: Type.Integer(), kek_id: Type.String(), reason: Type.String() })),
});

export const SecretParams = Type.Object({ name: Type.String({ maxLength: 100 }) });

export const Grant = Type.Object({
  id: Type.String(),
  secret: Type.String(),
  agent: Type.String(),
  endpoint: Nullable(Type.String({ description: 'null: every endpoint of the agent' })),
  created_by: Nullable(Type.String()),
  created_at: Time,
  revoked_at: Nullable(Time),
});

export const GrantCreate = Type.Object(
  {
    secret: SecretName,
    agent: Type.String({ minLength: 1, maxLength: 63 }),
    endpoint: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 63 }))),
  },
  { additionalProperties: false },
);

export const GrantListQuery = Type.Object(
  {
    ...ListQuery,
    agent: Type.Optional(Type.String({ maxLength: 63 })),
    secret: Type.Optional(Type.String({ maxLength: 63 })),
    include_revoked: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

export const GrantParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
