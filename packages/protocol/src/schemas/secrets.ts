/** Wire schemas of the secrets vault and grants. No response schema has a place for a value. */
import Type, { type Static } from 'typebox';
import { SECRET_NAME_PATTERN } from '../secret-name.ts';
import { ListQueryFields, Nullable, Time } from './common.ts';

/** 64 KiB of text: room for a PEM bundle or a service-account JSON, not for a database dump. */
export const MAX_SECRET_VALUE_LENGTH = 65_536;

export const SecretName = Type.String({ pattern: SECRET_NAME_PATTERN.source, maxLength: 63, description: 'Lower-case letters, digits and _, starting with a letter.' });
const SecretValue = Type.String({ minLength: 1, maxLength: MAX_SECRET_VALUE_LENGTH, description: 'Write-only: stored encrypted, never returned, logged or put in an event.' });
const Description = Type.String({ maxLength: 1000 });

export const SecretCreate = Type.Object({ name: SecretName, value: SecretValue, description: Type.Optional(Description) }, { additionalProperties: false });
export type SecretCreate = Static<typeof SecretCreate>;

export const SecretRotate = Type.Object(
  { value: SecretValue, description: Type.Optional(Nullable(Description)) },
  { additionalProperties: false, description: 'Adds a version; `description`, when given, replaces the old one.' },
);
export type SecretRotate = Static<typeof SecretRotate>;

/** A secret's metadata. The value is write-only: no route returns it. */
export const Secret = Type.Object({
  name: Type.String(),
  description: Nullable(Type.String()),
  /** The current version (1 on create, +1 per rotation). */
  version: Type.Integer({ description: 'The current version: what the next lease delivers.' }),
  /** The id (a fingerprint, not the key) of the master key wrapping the current version's data key. */
  kek_id: Type.String({ description: "Fingerprint of the master key wrapping the current version's data key (never the key)." }),
  created_at: Time,
  updated_at: Time,
});
export type Secret = Static<typeof Secret>;

export const SecretVersionInfo = Type.Object({ version: Type.Integer(), kek_id: Type.String(), created_at: Time });
export type SecretVersionInfo = Static<typeof SecretVersionInfo>;

/** `GET /v1/secrets/{name}`: the metadata and every stored version's. */
export const SecretDetail = Type.Intersect([Secret, Type.Object({ versions: Type.Array(SecretVersionInfo) })]);
export type SecretDetail = Static<typeof SecretDetail>;

export const SecretDeleted = Type.Object({
  name: Type.String(),
  deleted: Type.Literal(true),
  /** Grants of the secret, revoked with it. */
  grants_revoked: Type.Integer(),
});
export type SecretDeleted = Static<typeof SecretDeleted>;

/** `POST /v1/secrets/rewrap`: data keys moved to the current master key. */
export const SecretRewrapResult = Type.Object({
  kek_id: Type.String({ description: 'The current master key id: every moved version now names it.' }),
  rewrapped: Type.Integer(),
  /** Versions that could not be moved (their key is not configured, or they fail authentication). */
  failed: Type.Array(Type.Object({ name: Type.String(), version: Type.Integer(), kek_id: Type.String(), reason: Type.String() })),
});
export type SecretRewrapResult = Static<typeof SecretRewrapResult>;

export const SecretParams = Type.Object({ name: Type.String({ maxLength: 100 }) });
export type SecretParams = Static<typeof SecretParams>;

/** Permission for one agent (optionally one endpoint of it) to receive a secret in its leases. */
export const Grant = Type.Object({
  id: Type.String(),
  secret: Type.String(),
  agent: Type.String(),
  endpoint: Nullable(Type.String({ description: 'null: every endpoint of the agent' })),
  /** The API key id that made the grant. */
  created_by: Nullable(Type.String()),
  created_at: Time,
  revoked_at: Nullable(Time),
});
export type Grant = Static<typeof Grant>;

export const GrantCreate = Type.Object(
  {
    secret: SecretName,
    agent: Type.String({ minLength: 1, maxLength: 63 }),
    endpoint: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 63 }))),
  },
  { additionalProperties: false },
);
export type GrantCreate = Static<typeof GrantCreate>;

export const GrantListQuery = Type.Object(
  {
    ...ListQueryFields,
    agent: Type.Optional(Type.String({ maxLength: 63 })),
    secret: Type.Optional(Type.String({ maxLength: 63 })),
    include_revoked: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);
export type GrantListQuery = Static<typeof GrantListQuery>;

export const GrantParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
export type GrantParams = Static<typeof GrantParams>;
