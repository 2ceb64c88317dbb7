/** Row types of inbound webhook triggers (triggers/); `db-types.ts` names them in the Database map. */

export interface TriggersTable {
  tenant_id: string;
  id: string;
  /** Unique in the tenant when set: the handle of a config file's `triggers:` entry. */
  name: string | null;
  description: string | null;
  /** JSON `{agent, endpoint}` or `{workflow}`. */
  target: string;
  /** `signature` (Standard Webhooks) or `bearer`. */
  auth: string;
  /** JSON `{pointer}` or `{template}`; null: the whole body. */
  mapping: string | null;
  rate_count: number;
  rate_period_ms: number;
  /** The version of trigger_secrets that is current. */
  secret_version: number;
  created_at: number;
  updated_at: number;
}

/** A trigger's secret, sealed like a secret version (secrets/secret-crypto.ts). */
export interface TriggerSecretsTable {
  tenant_id: string;
  trigger_id: string;
  version: number;
  ciphertext: string;
  iv: string;
  tag: string;
  wrapped_dek: string;
  dek_iv: string;
  dek_tag: string;
  kek_id: string;
  created_at: number;
  /** A rotated-out secret still verifies until then; null: the current one. */
  verifies_until: number | null;
}

/** A message id that started a run: its repeats answer with that run and start nothing. */
export interface TriggerReceiptsTable {
  tenant_id: string;
  trigger_id: string;
  message_id: string;
  delivery_id: string;
  run_id: string;
  received_at: number;
}

/** One verified delivery and what came of it. */
export interface TriggerDeliveriesTable {
  tenant_id: string;
  id: string;
  trigger_id: string;
  message_id: string | null;
  /** started | duplicate | rejected */
  outcome: string;
  status_code: number;
  run_id: string | null;
  error_code: string | null;
  error_message: string | null;
  received_at: number;
}
