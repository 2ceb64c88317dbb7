/**
 * Row types of the tables that start and route work beside runs: workflow definitions and their
 * steps' state, schedules and their slots, signals, outbound webhooks. `db-types.ts` holds the
 * core tables and the Database map that names them all.
 */
export interface WorkflowsTable {
  tenant_id: string;
  name: string;
  latest_version: number;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface WorkflowVersionsTable {
  tenant_id: string;
  workflow: string;
  version: number;
  /** The definition document as deployed (JSON text). */
  definition: string;
  /** SHA-256 of the definition's canonical JSON: a redeploy of the same definition adds no version. */
  digest: string;
  created_at: number;
}

export interface SchedulesTable {
  tenant_id: string;
  id: string;
  cron: string;
  timezone: string;
  /** JSON `{agent, endpoint}`. */
  target: string;
  /** JSON: the input of every run. */
  input: string;
  overlap_policy: string;
  missed_policy: string;
  paused_at: number | null;
  revision: number;
  /** The earliest slot not yet handled; null while paused or when the cron has no future time. */
  next_fire_at: number | null;
  buffered_slot_at: number | null;
  last_run_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface ScheduleSlotsTable {
  tenant_id: string;
  schedule_id: string;
  /** `cron` (a slot of the cron) or `manual` (run now): two key spaces of slots. */
  kind: string;
  slot_at: number;
  /** cron, catch_up, buffered or manual. */
  cause: string;
  outcome: string;
  detail: string | null;
  run_id: string | null;
  recorded_at: number;
}

/** An outbound webhook subscription (webhooks/). */
export interface WebhooksTable {
  tenant_id: string;
  id: string;
  url: string;
  /** JSON list of event types and `prefix.*` patterns. */
  events: string;
  /** JSON list of agent names, or null for every agent. */
  agents: string | null;
  description: string | null;
  /** `active` or `failing` (a delivery was given up; the next success clears it). */
  status: string;
  /** The version of webhook_secrets that signs now. */
  secret_version: number;
  failing_since: number | null;
  created_at: number;
  updated_at: number;
}

/** A subscription's signing secret, sealed like a secret version (secrets/secret-crypto.ts). */
export interface WebhookSecretsTable {
  tenant_id: string;
  webhook_id: string;
  version: number;
  ciphertext: string;
  iv: string;
  tag: string;
  wrapped_dek: string;
  dek_iv: string;
  dek_tag: string;
  kek_id: string;
  created_at: number;
  /** A rotated-out secret still signs (beside the new one) until then; null: the current one. */
  signs_until: number | null;
}

/** One event to send to one subscription: queued in the event's transaction, sent with a lease. */
export interface WebhookDeliveriesTable {
  tenant_id: string;
  /** Also the `webhook-id` header: the same on every attempt, so receivers can deduplicate. */
  id: string;
  webhook_id: string;
  event_id: number;
  run_id: string;
  seq: number;
  event_type: string;
  /** `pending`, `succeeded` or `failed` (given up). */
  status: string;
  attempts: number;
  max_attempts: number;
  /** When a pending delivery is due; while one is being sent, when its lease runs out. */
  next_attempt_at: number | null;
  /** The sender's lease (fencing token of its outcome); null when nobody holds one. */
  lease_id: string | null;
  last_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

/** A named message to a run, kept until a wait consumes it. */
export interface SignalsTable {
  id: string;
  tenant_id: string;
  run_id: string;
  name: string;
  /** JSON text. */
  payload: string;
  created_at: number;
  consumed_at: number | null;
  /** Which wait took it: `worker:<wait key>` for ctx.waitForSignal; null while unconsumed. */
  consumed_by: string | null;
}

/** One step of a workflow run (iteration -1: the step itself), written by the workflow driver. */
export interface WorkflowStepsTable {
  tenant_id: string;
  run_id: string;
  step_id: string;
  iteration: number;
  /** pending | running | waiting | succeeded | failed | skipped | cancelled */
  status: string;
  child_run_id: string | null;
  approval_id: string | null;
  /** JSON text: a for_each item's child input while the item is pending (null once it starts, and for steps). */
  input: string | null;
  /** JSON text. */
  output: string | null;
  /** JSON text (a RunFailure). */
  error: string | null;
  wake_at: number | null;
  started_at: number | null;
  finished_at: number | null;
}

/** A resource the config file manages (see config-file/): what it made and the digest of its definition. */
export interface ConfigResourcesTable {
  tenant_id: string;
  /** The file's section: `keys`, `secrets`, `agents`, `grants`, `workflows`, `schedules`, `webhooks`. */
  section: string;
  /** The resource's name in the file (an agent's name, a schedule's id, a webhook's key). */
  name: string;
  /** What the API calls it: the same name, or a generated id (`whk_…`, `key_…`, `grt_…`). */
  resource_id: string;
  /** SHA-256 of the canonical JSON of the file's definition. */
  digest: string;
  applied_at: number;
}

/** An MCP server registered in a tenant (mcp/); JSON columns hold lists of tools. */
export interface McpServersTable {
  tenant_id: string;
  name: string;
  url: string;
  /** A vault secret's name, never its value. */
  auth_secret: string | null;
  auth_header: string | null;
  description: string | null;
  /** `active` or `disabled` (its tools changed since they were approved). */
  status: string;
  /** JSON: the approved tools, `[{name, description, input_schema}]`. */
  tools: string;
  tools_hash: string;
  /** JSON: what the server listed when it was disabled. */
  pending_tools: string | null;
  pending_tools_hash: string | null;
  disabled_reason: string | null;
  disabled_at: number | null;
  approved_at: number;
  /** The API key id of the admin who approved (or registered) it. */
  approved_by: string | null;
  created_at: number;
  updated_at: number;
}
