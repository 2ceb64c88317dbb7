/** Parameter shapes of `client.secrets` and `client.grants`. */
import type { ListParams } from './resource-types.ts';

export interface SecretCreateParams {
  /** Lower-case letters, digits and `_`, starting with a letter (at most 63). */
  name: string;
  /** Write-only: stored encrypted, never returned by any call. */
  value: string;
  description?: string;
}

export interface SecretRotateParams {
  value: string;
  /** Replaces the description when given (null clears it). */
  description?: string | null;
}

export type SecretListParams = ListParams;

export interface GrantCreateParams {
  secret: string;
  agent: string;
  /** Only this endpoint of the agent. Default: every endpoint. */
  endpoint?: string | null;
}

export interface GrantListParams extends ListParams {
  agent?: string;
  secret?: string;
  /** Revoked grants too. Default: only active ones. */
  include_revoked?: boolean;
}
