/**
 * Outbound webhooks (webhooks/): subscriptions, their signing secrets (sealed like the vault's
 * secret versions; never plaintext) and the durable delivery queue, written in the transaction of
 * the events it delivers. `tenants.event_hooks_version` is bumped with every subscription change
 * and read back, under the tenant row's lock, by each commit that inserts events: a node's cache of
 * the tenant's subscriptions is exact, whichever node changed them (see store/write-queue.ts).
 */
export const SQLITE_WEBHOOKS = `
ALTER TABLE tenants ADD COLUMN event_hooks_version INTEGER NOT NULL DEFAULT 0;
CREATE TABLE webhooks (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  id TEXT NOT NULL,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  agents TEXT,
  description TEXT,
  status TEXT NOT NULL,
  secret_version INTEGER NOT NULL,
  failing_since INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX webhooks_list ON webhooks (tenant_id, created_at DESC, id DESC);
CREATE TABLE webhook_secrets (
  tenant_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  ciphertext TEXT NOT NULL,
  iv TEXT NOT NULL,
  tag TEXT NOT NULL,
  wrapped_dek TEXT NOT NULL,
  dek_iv TEXT NOT NULL,
  dek_tag TEXT NOT NULL,
  kek_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  signs_until INTEGER,
  PRIMARY KEY (tenant_id, webhook_id, version)
);
CREATE TABLE webhook_deliveries (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  event_id INTEGER NOT NULL,
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  event_type TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  next_attempt_at INTEGER,
  lease_id TEXT,
  last_attempt_at INTEGER,
  last_status_code INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  delivered_at INTEGER,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_chain ON webhook_deliveries (tenant_id, webhook_id, run_id, seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (tenant_id, webhook_id, created_at DESC, id DESC);
`;
