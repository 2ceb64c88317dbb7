/**
 * Inbound webhook triggers (triggers/): a trigger, its secrets (sealed like the vault's secret
 * versions; a rotated-out one verifies until `verifies_until`), the receipts that deduplicate
 * deliveries by the sender's message id (written in the transaction of the run they start, so a
 * message id has at most one run), and the delivery log. Deliveries arrive at `/v1/hooks/{id}`
 * with no tenant in the path: trigger ids are unique across tenants (triggers_by_id), and the
 * trigger's row names its tenant.
 */
export const SQLITE_TRIGGERS = `
CREATE TABLE triggers (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  id TEXT NOT NULL,
  name TEXT,
  description TEXT,
  target TEXT NOT NULL,
  auth TEXT NOT NULL,
  mapping TEXT,
  rate_count INTEGER NOT NULL,
  rate_period_ms INTEGER NOT NULL,
  secret_version INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX triggers_name ON triggers (tenant_id, name) WHERE name IS NOT NULL;
CREATE UNIQUE INDEX triggers_by_id ON triggers (id);
CREATE INDEX triggers_list ON triggers (tenant_id, created_at DESC, id DESC);
CREATE TABLE trigger_secrets (
  tenant_id TEXT NOT NULL,
  trigger_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  ciphertext TEXT NOT NULL,
  iv TEXT NOT NULL,
  tag TEXT NOT NULL,
  wrapped_dek TEXT NOT NULL,
  dek_iv TEXT NOT NULL,
  dek_tag TEXT NOT NULL,
  kek_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  verifies_until INTEGER,
  PRIMARY KEY (tenant_id, trigger_id, version)
);
CREATE TABLE trigger_receipts (
  tenant_id TEXT NOT NULL,
  trigger_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, trigger_id, message_id)
);
CREATE INDEX trigger_receipts_age ON trigger_receipts (received_at);
CREATE TABLE trigger_deliveries (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  trigger_id TEXT NOT NULL,
  message_id TEXT,
  outcome TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  run_id TEXT,
  error_code TEXT,
  error_message TEXT,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX trigger_deliveries_list ON trigger_deliveries (tenant_id, trigger_id, received_at DESC, id DESC);
CREATE INDEX trigger_deliveries_age ON trigger_deliveries (received_at);
`;
