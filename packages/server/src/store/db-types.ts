/** Kysely table types. Times are epoch milliseconds; JSON columns hold text in both dialects. */
export interface TenantsTable {
  id: string;
  name: string;
  event_seq: number;
  created_at: number;
}

export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  name: string | null;
  role: string;
  prefix: string;
  hash: string;
  created_at: number;
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

export interface RunsTable {
  id: string;
  tenant_id: string;
  agent: string;
  agent_version: number;
  endpoint: string;
  status: string;
  waiting_reason: string | null;
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

export interface Database {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  agents: AgentsTable;
  agent_versions: AgentVersionsTable;
  runs: RunsTable;
  run_attempts: RunAttemptsTable;
  run_events: RunEventsTable;
  idempotency_keys: IdempotencyKeysTable;
}
