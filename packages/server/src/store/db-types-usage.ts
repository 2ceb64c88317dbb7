/**
 * Row types of model usage, budgets and the model aliases' shared rate buckets (usage/; see the
 * `usage` migration). Costs are integer micro-dollars; days are UTC `YYYY-MM-DD`.
 */
export interface UsageStepsTable {
  tenant_id: string;
  id: string;
  run_id: string;
  agent: string;
  model_alias: string;
  step: number | null;
  day: string;
  /** NULL when the response carried no usage (usage_missing = 1). */
  input_tokens: number | null;
  output_tokens: number | null;
  cached_input_tokens: number | null;
  cost_micros: number | null;
  usage_missing: number;
  recorded_at: number;
}

/** Sums of one run's steps. */
export interface UsageRunsTable {
  tenant_id: string;
  run_id: string;
  agent: string;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cost_micros: number;
  steps: number;
  missing_steps: number;
  updated_at: number;
}

/** Sums per UTC day, agent and model alias. */
export interface UsageDailyTable {
  tenant_id: string;
  day: string;
  agent: string;
  model_alias: string;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cost_micros: number;
  steps: number;
  missing_steps: number;
}

/** A day or month limit of one agent, or of the whole tenant (agent ''). */
export interface UsageBudgetsTable {
  tenant_id: string;
  agent: string;
  period: string;
  max_tokens: number | null;
  max_cost_micros: number | null;
  updated_at: number;
}

/** A token bucket of one alias (`kind` requests or tokens), shared by every node. */
export interface ModelRateBucketsTable {
  alias: string;
  kind: string;
  tokens: number;
  updated_at: number;
}
