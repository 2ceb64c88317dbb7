/**
 * Model usage and budgets (usage/): one row per model call (usage_steps), its sums per run
 * (usage_runs) and per UTC day, agent and model alias (usage_daily), kept in the transaction
 * that records the call; the token/cost limits per agent or tenant and day or month
 * (usage_budgets, agent '' = the whole tenant); and the requests/tokens-per-minute buckets each
 * model alias shares across nodes (model_rate_buckets, not per tenant: an alias is the server's).
 * Token columns of a step are NULL when its response carried no usage (usage_missing = 1).
 * Costs are integer micro-dollars. A step numbered by the loop is recorded once (usage_steps_step):
 * a repeated record of it changes no sum.
 */
export const POSTGRES_USAGE = `
CREATE TABLE usage_steps (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  agent TEXT NOT NULL,
  model_alias TEXT NOT NULL,
  step INTEGER,
  day TEXT NOT NULL,
  input_tokens BIGINT,
  output_tokens BIGINT,
  cached_input_tokens BIGINT,
  cost_micros BIGINT,
  usage_missing INTEGER NOT NULL DEFAULT 0,
  recorded_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX usage_steps_run ON usage_steps (tenant_id, run_id, recorded_at);
CREATE UNIQUE INDEX usage_steps_step ON usage_steps (tenant_id, run_id, step) WHERE step IS NOT NULL;
CREATE TABLE usage_runs (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  run_id TEXT NOT NULL,
  agent TEXT NOT NULL,
  input_tokens BIGINT NOT NULL DEFAULT 0,
  output_tokens BIGINT NOT NULL DEFAULT 0,
  cached_input_tokens BIGINT NOT NULL DEFAULT 0,
  cost_micros BIGINT NOT NULL DEFAULT 0,
  steps BIGINT NOT NULL DEFAULT 0,
  missing_steps BIGINT NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, run_id)
);
CREATE TABLE usage_daily (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  day TEXT NOT NULL,
  agent TEXT NOT NULL,
  model_alias TEXT NOT NULL,
  input_tokens BIGINT NOT NULL DEFAULT 0,
  output_tokens BIGINT NOT NULL DEFAULT 0,
  cached_input_tokens BIGINT NOT NULL DEFAULT 0,
  cost_micros BIGINT NOT NULL DEFAULT 0,
  steps BIGINT NOT NULL DEFAULT 0,
  missing_steps BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, day, agent, model_alias)
);
CREATE INDEX usage_daily_agent ON usage_daily (tenant_id, agent, day);
CREATE TABLE usage_budgets (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  agent TEXT NOT NULL,
  period TEXT NOT NULL,
  max_tokens BIGINT,
  max_cost_micros BIGINT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, agent, period)
);
CREATE TABLE model_rate_buckets (
  alias TEXT NOT NULL,
  kind TEXT NOT NULL,
  tokens DOUBLE PRECISION NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (alias, kind)
);
`;
