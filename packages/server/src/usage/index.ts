/**
 * The public face of usage/: tokens and cost of model calls, budgets, and the model aliases'
 * shared per-minute limits. Other folders import from here only.
 *
 * ## The port an LLM loop calls (`engine.usage`, a UsageService)
 *
 * Per model call of a run, in this order:
 *
 * 1. `await engine.usage.checkBudget({ tenantId, runId, agent, runLimits: { maxTotalTokens?, maxCost? }, estimate?: { modelAlias, inputTokens, outputTokens } })`
 *    → `{ ok: true }` or `{ ok: false, exceeded, measure, limit, used, estimate, usageMissing, message }`,
 *    `exceeded` one of `run_tokens | run_cost | agent_day | agent_month | tenant_day | tenant_month`.
 *    `runLimits` come from the manifest (`max_cost` in USD); the agent's and tenant's day/month
 *    limits are read here from `usage_budgets` (set with `PUT /v1/budgets`). On `ok: false` the
 *    loop makes no call and fails the run with `budgetFailure(verdict)` (type `budget_exceeded`,
 *    non-retryable). Any call in scope whose usage was missing makes every limit on that scope fail
 *    closed (`usageMissing: true`).
 * 2. `await engine.usage.acquire(modelAlias, estimatedTokens, { signal })`: waits (up to
 *    `maxWaitMs`, default 60 s) for the alias's shared requests/tokens-per-minute buckets, across
 *    all nodes; throws `ModelRateLimitedError` (`alias`, `retryAfterMs`, null if the estimate can
 *    never fit) when they do not admit the call in time. An alias without limits returns at once.
 * 3. The call.
 * 4. In the write transaction that records the step's event:
 *    `await engine.usage.recordUsage(ctx, { tenantId, runId, agent, modelAlias, step?, reservedTokens?, inputTokens, outputTokens, cachedInputTokens? })`
 *    or, when the response had no usage, `recordUsage(ctx, { tenantId, runId, agent, modelAlias, step?, missing: true })`.
 *    `inputTokens` counts every prompt token, cached ones included (OpenAI's `prompt_tokens`;
 *    Anthropic's `input_tokens + cache_read_input_tokens`), `cachedInputTokens` the cached part.
 *    A figure that is not a non-negative integer counts as missing. `reservedTokens` (the
 *    estimate given to `acquire`) is swapped for the real total in the tokens bucket. Returns
 *    `{ counted, tokens, costMicros }`.
 *
 * `engine.usage.runUsage(tenantId, runId)` gives a run's sums (for `run.succeeded`). Costs are
 * integer micro-dollars everywhere (a price per million tokens is micro-dollars per token).
 * A `step` number makes the record idempotent: the same (run, step) recorded again adds nothing.
 *
 * ## The same, in the shape of llm/'s UsagePort (`UsageLoopPort`)
 *
 * `new UsageLoopPort({ store, usage: engine.usage })` implements the llm-core branch's
 * `UsagePort` structurally: `checkBudget({tenantId, runId, agent, alias, limits, spent, estimate?})` →
 * `{ok: true} | {ok: false, message, details}` (max_steps, then every limit above, the run's
 * spend taken from `spent`, i.e. the run's own events; `estimate` {inputTokens, outputTokens}
 * makes it stop the call that would cross a limit), `recordUsage({…, step, usage | null})`
 * (its own write transaction), and `acquire({tenantId, runId, step, alias, estimatedTokens,
 * signal})`, which the loop should await right before the model call.
 */
export { UsageService, type RunUsage } from './usage-service.ts';
export { BUDGET_KINDS, budgetFailure, type BudgetCheckInput, type BudgetKind, type BudgetVerdict } from './budget-check.ts';
export { ModelRateLimitedError, type ModelRateLimiterOptions } from './model-rate-limiter.ts';
export type { RecordedUsage, UsageRecord, UsageStepIdentity } from './usage-recorder.ts';
export { costMicros, MICROS_PER_USD, microsOfUsd, tokenCount, usdOfMicros, utcDay } from './usage-cost.ts';
export { usageRoutes } from './usage-routes.ts';
export { UsageLoopPort, type LoopBudgetQuery, type LoopBudgetVerdict, type LoopLimits, type LoopSpend, type LoopUsageRecord } from './loop-usage-port.ts';
