/** Kysely table types. Times are epoch milliseconds; JSON columns hold text in both dialects. */
export interface TenantsTable {
  id: string;
  name: string;
  event_seq: number;
  finding_seq: number;
  /** Bumped by every change of the tenant's event hooks (webhook subscriptions); see write-queue.ts. */
  event_hooks_version?: number;
  created_at: number;
}

export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  name: string | null;
  role: string;
  /** JSON list of agent names, or `["*"]`; only worker keys have one. */
  agents: string | null;
  prefix: string;
  hash: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface AgentsTable {
  tenant_id: string;
  name: string;
  latest_version: number;
  disabled_endpoints: string;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface AgentVersionsTable {
  tenant_id: string;
  agent: string;
  version: number;
  manifest: string;
  endpoints: string;
  created_at: number;
}

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

export interface RunsTable {
  id: string;
  tenant_id: string;
  agent: string;
  agent_version: number;
  endpoint: string;
  status: string;
  waiting_reason: string | null;
  waiting_since?: number | null;
  input: string;
  output: string | null;
  error: string | null;
  metadata: string;
  priority: number;
  attempts: number;
  max_attempts: number;
  retry: string;
  timeout_ms: number;
  deadline_at: number | null;
  available_at: number;
  lease_id: string | null;
  lease_expires_at: number | null;
  lease_ttl_ms: number | null;
  attempt_deadline_at: number | null;
  worker_id: string | null;
  last_seq: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
  /** The live-control guard: 1 at creation, +1 on every PATCH /v1/runs/{id}. */
  generation: number;
  /** The call envelope of a child run (null for a root; root_run_id is a root's own id). */
  parent_run_id: string | null;
  root_run_id: string | null;
  caller_agent: string | null;
  depth: number;
  call_key: string | null;
  /** The workflow step a child run belongs to. */
  step: string | null;
  /** `agent` | `workflow`. */
  kind: string;
  /** Children ever made by this run (the fan-out cap). */
  child_count: number;
}

export interface RunAttemptsTable {
  tenant_id: string;
  run_id: string;
  attempt: number;
  lease_id: string;
  worker_id: string | null;
  started_at: number;
  ended_at: number | null;
  outcome: string;
  error: string | null;
}

export interface RunEventsTable {
  tenant_id: string;
  id: number;
  run_id: string;
  agent: string;
  seq: number;
  type: string;
  at: number;
  data: string;
}

export interface IdempotencyKeysTable {
  tenant_id: string;
  route: string;
  key: string;
  request_hash: string;
  status_code: number;
  response: string;
  created_at: number;
  expires_at: number;
}

export interface ApprovalsTable {
  id: string;
  tenant_id: string;
  run_id: string;
  agent: string;
  approval_key: string;
  /** `manifest` (declared on the endpoint) or `worker` (ctx.approval). */
  source: string;
  status: string;
  prompt: string;
  payload: string;
  assignees: string;
  required_approvals: number;
  on_timeout: string;
  expires_at: number | null;
  lease_id: string | null;
  decided_by: string | null;
  comment: string | null;
  reason: string | null;
  created_at: number;
  decided_at: number | null;
}

export interface ApprovalVotesTable {
  approval_id: string;
  tenant_id: string;
  voter: string;
  voter_name: string | null;
  decision: string;
  comment: string | null;
  at: number;
}

export interface ApprovalLinksUsedTable {
  jti: string;
  tenant_id: string;
  approval_id: string;
  used_at: number;
}

export interface SecretsTable {
  tenant_id: string;
  name: string;
  current_version: number;
  description: string | null;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface SecretVersionsTable {
  tenant_id: string;
  name: string;
  version: number;
  ciphertext: string;
  iv: string;
  tag: string;
  wrapped_dek: string;
  dek_iv: string;
  dek_tag: string;
  kek_id: string;
  created_at: number;
}

export interface GrantsTable {
  id: string;
  tenant_id: string;
  secret: string;
  agent: string;
  endpoint: string | null;
  created_by: string | null;
  created_at: number;
  revoked_at: number | null;
}

export interface FindingsTable {
  tenant_id: string;
  id: number;
  run_id: string;
  agent: string;
  severity: string;
  source: string | null;
  file: string | null;
  summary: string;
  details: string;
  created_at: number;
}

export interface AuditLogTable {
  tenant_id: string;
  id: string;
  at: number;
  actor: string | null;
  actor_role: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: string;
  status_code: number | null;
  request_id: string | null;
  details: string;
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

export interface Database {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  agents: AgentsTable;
  agent_versions: AgentVersionsTable;
  runs: RunsTable;
  run_attempts: RunAttemptsTable;
  run_events: RunEventsTable;
  idempotency_keys: IdempotencyKeysTable;
  approvals: ApprovalsTable;
  approval_votes: ApprovalVotesTable;
  approval_links_used: ApprovalLinksUsedTable;
  secrets: SecretsTable;
  secret_versions: SecretVersionsTable;
  grants: GrantsTable;
  findings: FindingsTable;
  audit_log: AuditLogTable;
  workflows: WorkflowsTable;
  workflow_versions: WorkflowVersionsTable;
  schedules: SchedulesTable;
  schedule_slots: ScheduleSlotsTable;
  signals: SignalsTable;
  webhooks: WebhooksTable;
  webhook_secrets: WebhookSecretsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  workflow_steps: WorkflowStepsTable;
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
  /** JSON text. */
  output: string | null;
  /** JSON text (a RunFailure). */
  error: string | null;
  wake_at: number | null;
  started_at: number | null;
  finished_at: number | null;
}
