import type { LlmLimits } from '@agentd/protocol/manifest';

/**
 * The seam between the LLM loop and usage accounting. The loop asks `checkBudget` before every
 * model call and calls `recordUsage` after each one. The default (`RunLimitsUsage`) enforces the
 * manifest's per-run limits from the run's own recorded steps; the usage module (per agent,
 * tenant, day and month budgets, rpm/tpm, GET /v1/usage) plugs in by implementing this port.
 */
export interface StepUsage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  cached_input_tokens: number;
}

/** What the run has spent so far, from its recorded `run.llm.step` events. */
export interface RunSpend {
  steps: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  cost_usd: number;
  /** Steps whose response carried no usage: their spend is unknown. */
  steps_without_usage: number;
}

export interface BudgetQuery {
  tenantId: string;
  runId: string;
  agent: string;
  /** The model alias the next call goes to. */
  alias: string;
  limits: LlmLimits;
  spent: RunSpend;
  /** What the next call may use (its prompt, and max_output_tokens): a limit then stops the call that would cross it. */
  estimate?: { inputTokens: number; outputTokens: number };
}

/** A model call asking the alias's shared per-minute limits to admit it. */
export interface RateAdmission {
  tenantId: string;
  runId: string;
  step: number;
  alias: string;
  estimatedTokens: number;
  signal?: AbortSignal;
}

export type BudgetVerdict = { ok: true } | { ok: false; message: string; details: Record<string, unknown> };

export interface UsageRecord {
  tenantId: string;
  runId: string;
  agent: string;
  alias: string;
  /** The provider's model id. */
  model: string;
  step: number;
  /** null: the response had no usage (it counts as unknown, never as zero). */
  usage: StepUsage | null;
  /** null when the usage is unknown. */
  cost_usd: number | null;
}

export interface UsagePort {
  checkBudget(q: BudgetQuery): Promise<BudgetVerdict>;
  /** Awaited right before the model call: waits for the alias's rpm/tpm (throws when they do not admit it in time). */
  acquire?(call: RateAdmission): Promise<void>;
  recordUsage(r: UsageRecord): Promise<void>;
}

/**
 * The manifest's per-run limits alone, from the run's own recorded steps (the engine uses the
 * usage module's UsageLoopPort, which holds these and the agent and tenant budgets). A step without usage fails
 * closed against any token or cost limit: the next call is refused rather than counting zero.
 */
export class RunLimitsUsage implements UsagePort {
  async checkBudget(q: BudgetQuery): Promise<BudgetVerdict> {
    const { limits, spent } = q;
    if (spent.steps >= limits.max_steps) return refuse(`the run made ${spent.steps} model calls; limits.max_steps is ${limits.max_steps}`, { limit: 'max_steps', max_steps: limits.max_steps });
    const capped = limits.max_total_tokens !== null || limits.max_cost_usd !== null;
    if (capped && spent.steps_without_usage > 0) {
      return refuse(`the model's response had no usage figures, so the run's token and cost limits cannot be enforced (${spent.steps_without_usage} step(s) without usage)`, { limit: 'usage_missing', steps_without_usage: spent.steps_without_usage });
    }
    if (limits.max_total_tokens !== null && spent.total_tokens >= limits.max_total_tokens) {
      return refuse(`the run used ${spent.total_tokens} tokens; limits.max_total_tokens is ${limits.max_total_tokens}`, { limit: 'max_total_tokens', total_tokens: spent.total_tokens, max_total_tokens: limits.max_total_tokens });
    }
    if (limits.max_cost_usd !== null && spent.cost_usd >= limits.max_cost_usd) {
      return refuse(`the run cost $${spent.cost_usd.toFixed(6)}; limits.max_cost_usd is ${limits.max_cost_usd}`, { limit: 'max_cost_usd', cost_usd: spent.cost_usd, max_cost_usd: limits.max_cost_usd });
    }
    return { ok: true };
  }

  async recordUsage(): Promise<void> {
    // The step's usage is in its run.llm.step event already; this port keeps nothing else.
  }
}

function refuse(message: string, details: Record<string, unknown>): BudgetVerdict {
  return { ok: false, message, details };
}
