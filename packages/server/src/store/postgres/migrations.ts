import type { Migration } from '../migrate.ts';
import { POSTGRES_WEBHOOKS } from './migration-webhooks.ts';
import { POSTGRES_SESSIONS } from './migration-sessions.ts';
import { POSTGRES_TRIGGERS } from './migration-triggers.ts';
import { POSTGRES_002 } from './migration-002.ts';
import { POSTGRES_USAGE } from './migration-usage.ts';
import { POSTGRES_ATTEMPTS } from './migration-attempts.ts';
import { POSTGRES_CONFIG_RESOURCES, POSTGRES_MCP_SERVERS } from './migration-resources.ts';

/** Forward-only. Never edit a migration that has shipped; add the next number. */
export const POSTGRES_MIGRATIONS: Migration[] = [
  {
    id: 1,
    name: 'core',
    sql: `
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  event_seq BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT,
  role TEXT NOT NULL,
  prefix TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT,
  last_used_at BIGINT
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);
CREATE TABLE agents (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  latest_version INTEGER NOT NULL,
  disabled_endpoints TEXT NOT NULL DEFAULT '[]',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  deleted_at BIGINT,
  PRIMARY KEY (tenant_id, name)
);
CREATE TABLE agent_versions (
  tenant_id TEXT NOT NULL,
  agent TEXT NOT NULL,
  version INTEGER NOT NULL,
  manifest TEXT NOT NULL,
  endpoints TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, agent, version)
);
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  agent TEXT NOT NULL,
  agent_version INTEGER NOT NULL,
  endpoint TEXT NOT NULL,
  status TEXT NOT NULL,
  waiting_reason TEXT,
  input TEXT NOT NULL,
  output TEXT,
  error TEXT,
  metadata TEXT NOT NULL,
  priority INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  retry TEXT NOT NULL,
  timeout_ms BIGINT NOT NULL,
  deadline_at BIGINT,
  available_at BIGINT NOT NULL,
  lease_id TEXT,
  lease_expires_at BIGINT,
  lease_ttl_ms BIGINT,
  attempt_deadline_at BIGINT,
  worker_id TEXT,
  last_seq INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  started_at BIGINT,
  finished_at BIGINT,
  updated_at BIGINT NOT NULL
);
CREATE INDEX runs_ready ON runs (tenant_id, agent, priority DESC, available_at, id) WHERE status = 'queued';
CREATE INDEX runs_leased ON runs (lease_expires_at) WHERE status = 'running';
CREATE INDEX runs_deadline ON runs (deadline_at) WHERE deadline_at IS NOT NULL AND status IN ('queued', 'running', 'waiting');
CREATE INDEX runs_list ON runs (tenant_id, created_at DESC, id DESC);
CREATE INDEX runs_lease_id ON runs (lease_id);
CREATE TABLE run_attempts (
  tenant_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  lease_id TEXT NOT NULL,
  worker_id TEXT,
  started_at BIGINT NOT NULL,
  ended_at BIGINT,
  outcome TEXT NOT NULL,
  error TEXT,
  PRIMARY KEY (lease_id)
);
CREATE INDEX run_attempts_run ON run_attempts (run_id, attempt);
CREATE TABLE run_events (
  tenant_id TEXT NOT NULL,
  id BIGINT NOT NULL,
  run_id TEXT NOT NULL,
  agent TEXT NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  at BIGINT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (run_id, seq)
);
CREATE TABLE idempotency_keys (
  tenant_id TEXT NOT NULL,
  route TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  response TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, route, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
`,
  },
  { id: 2, name: 'approvals-secrets-findings-audit', sql: POSTGRES_002 },
  {
    id: 3,
    name: 'run-waiting-since',
    // While a run waits (approval), its attempt timeout is suspended; this is when the wait began.
    sql: 'ALTER TABLE runs ADD COLUMN waiting_since BIGINT',
  },
  {
    id: 4,
    name: 'sweeper-and-lookup-indexes',
    // The sweeper's queries name these statuses as literals, so the partial indexes apply.
    sql: `
CREATE INDEX runs_lease_held ON runs (lease_expires_at) WHERE status IN ('running', 'waiting');
CREATE INDEX approvals_run_pending ON approvals (run_id) WHERE status = 'pending';
CREATE INDEX run_events_type ON run_events (tenant_id, type, id);
CREATE INDEX runs_tenant_lease ON runs (tenant_id, lease_id) WHERE lease_id IS NOT NULL;
DROP INDEX runs_lease_id;
`,
  },
  {
    id: 5,
    name: 'idempotency-records-without-key-material',
    // Key creations' idempotency records used to hold the plaintext key; they are sealed by the
    // vault now. Older ones are dropped (a retry of such a create within its 24 h makes a new key).
    sql: `
DELETE FROM idempotency_keys WHERE route = 'POST /v1/keys';
`,
  },
  {
    id: 6,
    name: 'agent-scoped-keys',
    // A worker key names the agents it serves (a JSON list; ["*"] for all); any key may expire.
    // Worker keys made before this served every agent: they keep doing so, stated as ["*"] (and,
    // as every ["*"] key, no longer receive secrets). Other roles have no list.
    sql: `
ALTER TABLE api_keys ADD COLUMN agents TEXT;
ALTER TABLE api_keys ADD COLUMN expires_at BIGINT;
UPDATE api_keys SET agents = '["*"]' WHERE role = 'worker';
`,
  },
  {
    id: 7,
    name: 'rate-limit-buckets',
    // Request-rate token buckets shared by the nodes (http/shared-buckets.ts). UNLOGGED: no WAL
    // for a counter that changes on every refill, and after a crash the buckets start full,
    // which is harmless. PostgreSQL only: SQLite is one node and keeps its buckets in memory.
    sql: `
CREATE UNLOGGED TABLE rate_limit_buckets (
  bucket TEXT PRIMARY KEY,
  tokens DOUBLE PRECISION NOT NULL,
  granted INTEGER NOT NULL,
  updated_at BIGINT NOT NULL
);
`,
  },
  {
    id: 8,
    name: 'workflow-definitions',
    // Workflows are versioned like agents: a row per name, an immutable row per version. The
    // digest lets a redeploy of the same definition answer the version it already has.
    sql: `
CREATE TABLE workflows (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  latest_version INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  deleted_at BIGINT,
  PRIMARY KEY (tenant_id, name)
);
CREATE INDEX workflows_list ON workflows (tenant_id, created_at DESC, name DESC);
CREATE TABLE workflow_versions (
  tenant_id TEXT NOT NULL,
  workflow TEXT NOT NULL,
  version INTEGER NOT NULL,
  definition TEXT NOT NULL,
  digest TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, workflow, version)
);
`,
  },
  {
    id: 9,
    name: 'schedules',
    // Cron schedules and the slots they fired. A slot's row is written in the same transaction as
    // the run it started, and its primary key (tenant, schedule, slot, kind) is what makes a slot
    // start at most one run across nodes: a second node's insert conflicts and its run rolls back.
    // next_fire_at is the earliest slot not yet handled (NULL while paused, or when the cron has no
    // future time); the partial indexes keep the tick's scans to the schedules that need one.
    sql: `
CREATE TABLE schedules (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  cron TEXT NOT NULL,
  timezone TEXT NOT NULL,
  target TEXT NOT NULL,
  input TEXT NOT NULL,
  overlap_policy TEXT NOT NULL,
  missed_policy TEXT NOT NULL,
  paused_at BIGINT,
  revision INTEGER NOT NULL,
  next_fire_at BIGINT,
  buffered_slot_at BIGINT,
  last_run_id TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX schedules_due ON schedules (next_fire_at) WHERE next_fire_at IS NOT NULL;
CREATE INDEX schedules_buffered ON schedules (buffered_slot_at) WHERE buffered_slot_at IS NOT NULL;
CREATE INDEX schedules_list ON schedules (tenant_id, created_at, id);
CREATE TABLE schedule_slots (
  tenant_id TEXT NOT NULL,
  schedule_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  slot_at BIGINT NOT NULL,
  cause TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT,
  run_id TEXT,
  recorded_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, schedule_id, slot_at, kind)
);
CREATE INDEX schedule_slots_age ON schedule_slots (recorded_at);
`,
  },
  {
    id: 10,
    name: 'signals-and-run-generation',
    // generation: the live-control guard of a run (PATCH /v1/runs/{id}), +1 on every change.
    // signals: kept until a wait consumes one (never lost to a wait not yet begun).
    // signals_pending serves "the oldest unconsumed signal of this name for this run";
    // signals_consumer makes one wait (its consumer key, per run) consume at most one signal,
    // and finds it again when a later attempt waits at the same place.
    sql: `
ALTER TABLE runs ADD COLUMN generation INTEGER NOT NULL DEFAULT 1;
CREATE TABLE signals (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  run_id TEXT NOT NULL,
  name TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  consumed_at BIGINT,
  consumed_by TEXT
);
CREATE INDEX signals_pending ON signals (tenant_id, run_id, name, created_at, id) WHERE consumed_at IS NULL;
CREATE UNIQUE INDEX signals_consumer ON signals (tenant_id, run_id, consumed_by) WHERE consumed_by IS NOT NULL;
`,
  },
  { id: 11, name: 'webhooks', sql: POSTGRES_WEBHOOKS },
  {
    id: 12,
    name: 'run-tree',
    // Child runs (ctx.call): the call envelope of a run. root_run_id is the run's own id for a
    // root (so ?root=X lists the whole tree with X), filled in for the runs made before this.
    // call_key names a child within its parent: the same (parent, key) is always the same child,
    // so a parent retried after a crash gets the existing one. child_count counts the children
    // ever made (the fan-out cap; and the batched completion's RETURNING tells from it, with no
    // extra query, whether a finished run has children to cancel).
    sql: `
ALTER TABLE runs ADD COLUMN parent_run_id TEXT;
ALTER TABLE runs ADD COLUMN root_run_id TEXT;
ALTER TABLE runs ADD COLUMN caller_agent TEXT;
ALTER TABLE runs ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN call_key TEXT;
ALTER TABLE runs ADD COLUMN step TEXT;
ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'agent';
ALTER TABLE runs ADD COLUMN child_count INTEGER NOT NULL DEFAULT 0;
UPDATE runs SET root_run_id = id;
CREATE UNIQUE INDEX runs_call_key ON runs (tenant_id, parent_run_id, call_key) WHERE parent_run_id IS NOT NULL;
CREATE INDEX runs_children ON runs (tenant_id, parent_run_id, created_at DESC, id DESC) WHERE parent_run_id IS NOT NULL;
CREATE INDEX runs_tree ON runs (tenant_id, root_run_id, created_at DESC, id DESC);
`,
  },
  {
    id: 13,
    name: 'workflow-steps',
    // The state of each step of a workflow run, written by the workflow driver in the
    // transaction of whatever moved the workflow (its start, a child's end, an approval's
    // decision), so a kill -9 leaves steps and runs consistent. iteration -1 is the step itself
    // (for_each items would take 0, 1, …). workflow_steps_approval finds a gate from its approval;
    // workflow_steps_wake is the timer leader's scan of wait steps come due (across tenants): a
    // step's wake_at is cleared when it finishes, so only waiting steps are in it.
    sql: `
CREATE TABLE workflow_steps (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  run_id TEXT NOT NULL,
  step_id TEXT NOT NULL,
  iteration INTEGER NOT NULL DEFAULT -1,
  status TEXT NOT NULL,
  child_run_id TEXT,
  approval_id TEXT,
  output TEXT,
  error TEXT,
  wake_at BIGINT,
  started_at BIGINT,
  finished_at BIGINT,
  PRIMARY KEY (tenant_id, run_id, step_id, iteration)
);
CREATE INDEX workflow_steps_approval ON workflow_steps (tenant_id, approval_id) WHERE approval_id IS NOT NULL;
CREATE INDEX workflow_steps_wake ON workflow_steps (wake_at) WHERE wake_at IS NOT NULL;
`,
  },
  {
    id: 14,
    name: 'workflow-for-each',
    // for_each items are workflow_steps rows 0, 1, … of their step; a pending item keeps the
    // input its child run will get (evaluated when the step started), cleared when it starts.
    sql: `ALTER TABLE workflow_steps ADD COLUMN input TEXT;`,
  },
  { id: 15, name: 'usage', sql: POSTGRES_USAGE },
  { id: 16, name: 'mcp-servers', sql: POSTGRES_MCP_SERVERS },
  { id: 17, name: 'config-file-resources', sql: POSTGRES_CONFIG_RESOURCES },
  { id: 18, name: 'sessions', sql: POSTGRES_SESSIONS },
  {
    id: 19,
    name: 'llm-agents',
    // Which runtime an agent's latest version has: the LLM runner of every node lists the
    // agents it serves (runtime 'llm', across tenants) by the partial index agents_llm.
    sql: `
ALTER TABLE agents ADD COLUMN runtime TEXT NOT NULL DEFAULT 'worker';
CREATE INDEX agents_llm ON agents (tenant_id, name) WHERE runtime = 'llm';
`,
  },
  { id: 20, name: 'triggers', sql: POSTGRES_TRIGGERS },
  { id: 21, name: 'open-attempt-on-run', sql: POSTGRES_ATTEMPTS },
];
