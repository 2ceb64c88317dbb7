import type { Budget, BudgetPutResult, UsageReport } from '@agentd/protocol/schemas';
import type { Clock } from '../core/index.ts';
import type { Store, WriteContext } from '../store/index.ts';
import type { ModelAliases } from '../models/index.ts';
import { checkBudget, type BudgetCheckInput, type BudgetVerdict } from './budget-check.ts';
import { listBudgets, putBudget, type BudgetSetting } from './budget-store.ts';
import { ModelRateLimiter, type ModelRateLimiterOptions } from './model-rate-limiter.ts';
import { recordUsage, type RecordedUsage, type UsageRecord } from './usage-recorder.ts';
import { usageReport, type UsageFilter } from './usage-report.ts';

/** The sums of one run's model calls (for a run's final event or its detail). */
export interface RunUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  costMicros: number;
  steps: number;
  /** Calls whose response carried no usage. */
  missingSteps: number;
}

/** Usage, budgets and the aliases' shared rate limits: the port an LLM loop calls (see index.ts). */
export class UsageService {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #aliases: ModelAliases;
  readonly #limiter: ModelRateLimiter;

  constructor(opts: { store: Store; clock: Clock; aliases: ModelAliases; rateLimits?: Pick<ModelRateLimiterOptions, 'maxWaitMs' | 'sleep'> }) {
    this.#store = opts.store;
    this.#clock = opts.clock;
    this.#aliases = opts.aliases;
    this.#limiter = new ModelRateLimiter({ store: opts.store, aliases: opts.aliases, ...opts.rateLimits });
  }

  /** Records one call's usage (or its absence) in the caller's write transaction. */
  recordUsage(ctx: WriteContext, record: UsageRecord): Promise<RecordedUsage> {
    return recordUsage(ctx, this.#aliases, record);
  }

  /** Whether the run's next model call stays within every limit over it (committed usage). */
  checkBudget(input: BudgetCheckInput): Promise<BudgetVerdict> {
    return checkBudget(this.#store.db, this.#aliases, this.#clock.now(), input);
  }

  /** Waits for the alias's shared per-minute limits to admit one call (see ModelRateLimiter.acquire). */
  acquire(alias: string, estimatedTokens: number, opts: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#limiter.acquire(alias, estimatedTokens, opts);
  }

  async runUsage(tenantId: string, runId: string): Promise<RunUsage> {
    const r = await this.#store.db.selectFrom('usage_runs').selectAll().where('tenant_id', '=', tenantId).where('run_id', '=', runId).executeTakeFirst();
    return { inputTokens: Number(r?.input_tokens ?? 0), outputTokens: Number(r?.output_tokens ?? 0), cachedInputTokens: Number(r?.cached_input_tokens ?? 0), costMicros: Number(r?.cost_micros ?? 0), steps: Number(r?.steps ?? 0), missingSteps: Number(r?.missing_steps ?? 0) };
  }

  report(filter: UsageFilter): Promise<UsageReport> {
    return usageReport(this.#store.db, this.#clock.now(), filter);
  }

  putBudget(tenantId: string, budget: BudgetSetting): Promise<BudgetPutResult> {
    return putBudget(this.#store, tenantId, budget);
  }

  listBudgets(tenantId: string, agent?: string): Promise<Budget[]> {
    return listBudgets(this.#store.db, this.#store.wire, tenantId, agent);
  }
}
