import type { Store } from '../store/index.ts';
import type { UsageService } from './usage-service.ts';
import { budgetFailure } from './budget-check.ts';
import { microsOfUsd } from './usage-cost.ts';

/**
 * The shapes of llm/'s UsagePort (llm/usage-port.ts on the llm-core branch), restated here so
 * that usage/ needs nothing from llm/: the loop passes these, structurally.
 */
export interface LoopLimits {
  max_steps: number;
  max_output_tokens: number | null;
  max_total_tokens: number | null;
  max_cost_usd: number | null;
}

export interface LoopSpend {
  steps: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  cost_usd: number;
  steps_without_usage: number;
}

export interface LoopBudgetQuery {
  tenantId: string;
  runId: string;
  agent: string;
  alias: string;
  limits: LoopLimits;
  spent: LoopSpend;
  /**
   * What the next call may use (its prompt's tokens, and max_output_tokens): with it a limit stops
   * the call that would cross it; without it, only once the limit is reached.
   */
  estimate?: { inputTokens: number; outputTokens: number };
}

export type LoopBudgetVerdict = { ok: true } | { ok: false; message: string; details: Record<string, unknown> };

export interface LoopUsageRecord {
  tenantId: string;
  runId: string;
  agent: string;
  alias: string;
  model: string;
  step: number;
  usage: { input_tokens: number; output_tokens: number; total_tokens: number; cached_input_tokens: number } | null;
  cost_usd: number | null;
}

/**
 * The usage module behind the LLM loop's UsagePort: `checkBudget` holds the run to its
 * manifest's max_steps and to every limit of checkBudget (run, agent and tenant; missing usage
 * fails closed), with the run's spend taken from the loop's own recorded steps; `recordUsage`
 * records the step in a write transaction of its own (idempotent per run and step number);
 * `acquire` is the aliases' shared rpm/tpm admission (call it right before the model call).
 * Cost is priced here from the alias prices, in micro-dollars; the loop's `cost_usd` is not used.
 */
export class UsageLoopPort {
  readonly #store: Store;
  readonly #usage: UsageService;
  /** Tokens `acquire` reserved per `run/step`, handed to recordUsage to be replaced by the real figure. */
  readonly #reserved = new Map<string, number>();

  constructor(opts: { store: Store; usage: UsageService }) {
    this.#store = opts.store;
    this.#usage = opts.usage;
  }

  async checkBudget(q: LoopBudgetQuery): Promise<LoopBudgetVerdict> {
    if (q.spent.steps >= q.limits.max_steps) {
      return { ok: false, message: `the run made ${q.spent.steps} model calls; limits.max_steps is ${q.limits.max_steps}`, details: { limit: 'max_steps', max_steps: q.limits.max_steps, steps: q.spent.steps } };
    }
    const v = await this.#usage.checkBudget({
      tenantId: q.tenantId,
      runId: q.runId,
      agent: q.agent,
      runLimits: { ...(q.limits.max_total_tokens !== null ? { maxTotalTokens: q.limits.max_total_tokens } : {}), ...(q.limits.max_cost_usd !== null ? { maxCost: q.limits.max_cost_usd } : {}) },
      runSpent: { tokens: q.spent.total_tokens, costMicros: microsOfUsd(q.spent.cost_usd), missingSteps: q.spent.steps_without_usage },
      ...(q.estimate ? { estimate: { modelAlias: q.alias, ...q.estimate } } : {}),
    });
    if (v.ok) return v;
    const f = budgetFailure(v);
    // `limit` names what stopped the run in the manifest's words where it is a manifest limit.
    const limit = v.usageMissing ? 'usage_missing' : v.exceeded === 'run_tokens' ? 'max_total_tokens' : v.exceeded === 'run_cost' ? 'max_cost_usd' : v.exceeded;
    return { ok: false, message: f.message, details: { limit, ...(f.details as Record<string, unknown>) } };
  }

  async recordUsage(r: LoopUsageRecord): Promise<void> {
    const key = `${r.tenantId}/${r.runId}/${r.step}`;
    const reserved = this.#reserved.get(key);
    this.#reserved.delete(key);
    const who = { tenantId: r.tenantId, runId: r.runId, agent: r.agent, modelAlias: r.alias, step: r.step, ...(reserved !== undefined ? { reservedTokens: reserved } : {}) };
    await this.#store.writer.write((ctx) =>
      this.#usage.recordUsage(ctx, r.usage ? { ...who, inputTokens: r.usage.input_tokens, outputTokens: r.usage.output_tokens, cachedInputTokens: r.usage.cached_input_tokens } : { ...who, missing: true }),
    );
  }

  /**
   * Waits for the alias's shared per-minute limits to admit the call `step` of `runId`; its
   * estimate is swapped for the real figure when that step's usage is recorded.
   */
  async acquire(call: { tenantId: string; runId: string; step: number; alias: string; estimatedTokens: number; signal?: AbortSignal }): Promise<void> {
    await this.#usage.acquire(call.alias, call.estimatedTokens, { signal: call.signal });
    // Bounded: a call that never records (its node died) leaves its entry; the oldest go first.
    if (this.#reserved.size >= MAX_RESERVATIONS) this.#reserved.delete(this.#reserved.keys().next().value as string);
    this.#reserved.set(`${call.tenantId}/${call.runId}/${call.step}`, Math.max(0, Math.ceil(call.estimatedTokens)));
  }
}

const MAX_RESERVATIONS = 10_000;
