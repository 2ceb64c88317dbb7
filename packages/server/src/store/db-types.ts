import type { SessionsTable, SessionMessagesTable } from './db-types-sessions.ts';
import type { TriggersTable, TriggerSecretsTable, TriggerReceiptsTable, TriggerDeliveriesTable } from './db-types-triggers.ts';
export type { TriggersTable, TriggerSecretsTable, TriggerReceiptsTable, TriggerDeliveriesTable } from './db-types-triggers.ts';
import type { ModelRateBucketsTable, UsageBudgetsTable, UsageDailyTable, UsageRunsTable, UsageStepsTable } from './db-types-usage.ts';
export type { ModelRateBucketsTable, UsageBudgetsTable, UsageDailyTable, UsageRunsTable, UsageStepsTable } from './db-types-usage.ts';
import type { WorkflowsTable, WorkflowVersionsTable, SchedulesTable, ScheduleSlotsTable, WebhooksTable, WebhookSecretsTable, WebhookDeliveriesTable, SignalsTable, WorkflowStepsTable, McpServersTable, ConfigResourcesTable } from './db-types-automation.ts';
export type { WorkflowsTable, WorkflowVersionsTable, SchedulesTable, ScheduleSlotsTable, WebhooksTable, WebhookSecretsTable, WebhookDeliveriesTable, SignalsTable, WorkflowStepsTable, McpServersTable, ConfigResourcesTable } from './db-types-automation.ts';

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
  /** The runtime of the latest version: `worker` or `llm`. */
  runtime: string;
}

export interface AgentVersionsTable {
  tenant_id: string;
  agent: string;
  version: number;
  manifest: string;
  endpoints: string;
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
  /**
   * When the run's latest attempt began (set by the lease). The open attempt is on this row
   * (attempts, lease_id, worker_id, this) while the run holds a lease (running or waiting with a
   * lease_id); run_attempts gets its row only when it ends (runs/run-attempts.ts).
   */
  attempt_started_at: number | null;
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
  /** The session whose message this run is (sessions/); null for a run outside any. */
  session_id: string | null;
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
  triggers: TriggersTable;
  trigger_secrets: TriggerSecretsTable;
  trigger_receipts: TriggerReceiptsTable;
  trigger_deliveries: TriggerDeliveriesTable;
  usage_steps: UsageStepsTable;
  usage_runs: UsageRunsTable;
  usage_daily: UsageDailyTable;
  usage_budgets: UsageBudgetsTable;
  model_rate_buckets: ModelRateBucketsTable;
  mcp_servers: McpServersTable;
  sessions: SessionsTable;
  session_messages: SessionMessagesTable;
  config_resources: ConfigResourcesTable;
}

