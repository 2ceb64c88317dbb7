/** Approvals, secrets and grants, findings, audit trail (issue: approvals, secrets, findings, audit). */
export const POSTGRES_002 = `
ALTER TABLE tenants ADD COLUMN finding_seq BIGINT NOT NULL DEFAULT 0;
CREATE TABLE approvals (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  run_id TEXT NOT NULL,
  agent TEXT NOT NULL,
  approval_key TEXT NOT NULL,
  source TEXT NOT NULL,
  status TEXT NOT NULL,
  prompt TEXT NOT NULL,
  payload TEXT NOT NULL,
  assignees TEXT NOT NULL,
  required_approvals INTEGER NOT NULL,
  on_timeout TEXT NOT NULL,
  expires_at BIGINT,
  lease_id TEXT,
  decided_by TEXT,
  comment TEXT,
  reason TEXT,
  created_at BIGINT NOT NULL,
  decided_at BIGINT,
  UNIQUE (run_id, approval_key)
);
CREATE INDEX approvals_list ON approvals (tenant_id, created_at DESC, id DESC);
CREATE INDEX approvals_pending_expiry ON approvals (expires_at) WHERE status = 'pending';
CREATE TABLE approval_votes (
  approval_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  voter TEXT NOT NULL,
  voter_name TEXT,
  decision TEXT NOT NULL,
  comment TEXT,
  at BIGINT NOT NULL,
  PRIMARY KEY (approval_id, voter)
);
CREATE TABLE approval_links_used (
  jti TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  approval_id TEXT NOT NULL,
  used_at BIGINT NOT NULL
);
CREATE TABLE secrets (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  current_version INTEGER NOT NULL,
  description TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  deleted_at BIGINT,
  PRIMARY KEY (tenant_id, name)
);
CREATE TABLE secret_versions (
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  ciphertext TEXT NOT NULL,
  iv TEXT NOT NULL,
  tag TEXT NOT NULL,
  wrapped_dek TEXT NOT NULL,
  dek_iv TEXT NOT NULL,
  dek_tag TEXT NOT NULL,
  kek_id TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, name, version)
);
CREATE TABLE grants (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  secret TEXT NOT NULL,
  agent TEXT NOT NULL,
  endpoint TEXT,
  created_by TEXT,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX grants_agent ON grants (tenant_id, agent) WHERE revoked_at IS NULL;
CREATE TABLE findings (
  tenant_id TEXT NOT NULL,
  id BIGINT NOT NULL,
  run_id TEXT NOT NULL,
  agent TEXT NOT NULL,
  severity TEXT NOT NULL,
  source TEXT,
  file TEXT,
  summary TEXT NOT NULL,
  details TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX findings_run ON findings (run_id, id);
CREATE TABLE audit_log (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  at BIGINT NOT NULL,
  actor TEXT,
  actor_role TEXT,
  action TEXT NOT NULL,
  target_type TEXT,
  target_id TEXT,
  outcome TEXT NOT NULL,
  status_code INTEGER,
  request_id TEXT,
  details TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_at ON audit_log (tenant_id, at DESC, id DESC);
CREATE FUNCTION agentd_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $fn$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION agentd_audit_log_append_only();
`;
