/** Wire types of the secrets vault and grants. No type here ever carries a secret value. */

/** Secret names: lower-case letters, digits and `_`, starting with a letter, at most 63. */
export const SECRET_NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

/** A secret's metadata. The value is write-only: no route returns it. */
export interface Secret {
  name: string;
  description: string | null;
  /** The current version (1 on create, +1 per rotation). */
  version: number;
  /** The id (a fingerprint, not the key) of the master key wrapping the current version's data key. */
  kek_id: string;
  created_at: string;
  updated_at: string;
}

export interface SecretVersionInfo {
  version: number;
  kek_id: string;
  created_at: string;
}

/** `GET /v1/secrets/{name}`: the metadata and every stored version's. */
export interface SecretDetail extends Secret {
  versions: SecretVersionInfo[];
}

export interface SecretDeleted {
  name: string;
  deleted: true;
  /** Grants of the secret, revoked with it. */
  grants_revoked: number;
}

/** `POST /v1/secrets/rewrap`: data keys moved to the current master key. */
export interface SecretRewrapResult {
  kek_id: string;
  rewrapped: number;
  /** Versions that could not be moved (their key is not configured, or they fail authentication). */
  failed: { name: string; version: number; kek_id: string; reason: string }[];
}

/** Permission for one agent (optionally one endpoint of it) to receive a secret in its leases. */
export interface Grant {
  id: string;
  secret: string;
  agent: string;
  /** null: every endpoint of the agent. */
  endpoint: string | null;
  /** The API key id that made the grant. */
  created_by: string | null;
  created_at: string;
  revoked_at: string | null;
}
