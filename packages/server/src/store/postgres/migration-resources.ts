// Migrations 16 and 17 on PostgreSQL: two tables of their own (migrations.ts holds the list).

/**
 * MCP servers registered per tenant (mcp/): the tools an admin approved (tools, pinned by
 * tools_hash over names, descriptions and input schemas) and, once the server lists something
 * else, what it listed (pending_tools) while it stays disabled until approved again.
 * auth_secret is a vault secret's name, never a value.
 */
export const POSTGRES_MCP_SERVERS = `
CREATE TABLE mcp_servers (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  auth_secret TEXT,
  auth_header TEXT,
  description TEXT,
  status TEXT NOT NULL,
  tools TEXT NOT NULL,
  tools_hash TEXT NOT NULL,
  pending_tools TEXT,
  pending_tools_hash TEXT,
  disabled_reason TEXT,
  disabled_at BIGINT,
  approved_at BIGINT NOT NULL,
  approved_by TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, name)
);
`;

/**
 * Resources the config file (`agentd serve --config`) manages: one row per (section, name)
 * with the id of what it made (an agent's name, a schedule's id, a webhook's whk_ id) and the
 * digest of the file's definition, so a reload knows what was added, changed or removed. The
 * API refuses writes to a resource with a row here (409 MANAGED_BY_CONFIG) unless taken over.
 */
export const POSTGRES_CONFIG_RESOURCES = `
CREATE TABLE config_resources (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  section TEXT NOT NULL,
  name TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  digest TEXT NOT NULL,
  applied_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, section, name)
);
CREATE UNIQUE INDEX config_resources_resource ON config_resources (tenant_id, section, resource_id);
`;
