import { sql } from 'kysely';
import type { WriteContext } from '../store/index.ts';
import type { ModelAliases } from '../models/index.ts';
import { costMicros, tokenCount, utcDay, type StepTokens } from './usage-cost.ts';
import { settleTokens } from './rate-buckets.ts';

/** Which call a usage record is of. */
export interface UsageStepIdentity {
  tenantId: string;
  runId: string;
  agent: string;
  modelAlias: string;
  /** The loop's step number, for reading the steps back; optional. */
  step?: number;
  /**
   * Tokens `acquire` reserved for this call from the alias's tokens-per-minute bucket: the
   * difference to the real figure is given back (or taken) in this transaction. Omit when the
   * call was not made through `acquire`.
   */
  reservedTokens?: number;
}

/** The usage of one model call as the response reported it, or its absence. */
export type UsageRecord = UsageStepIdentity &
  ({ missing?: false; inputTokens: number; outputTokens: number; cachedInputTokens?: number } | { missing: true });

export interface RecordedUsage {
  /** false when the usage was missing or not a usable count (then it fails closed against budgets). */
  counted: boolean;
  tokens: StepTokens | null;
  costMicros: number | null;
  /** This run's step number was recorded before: nothing was added. */
  repeated: boolean;
}

/** The tokens of a record, or null when usage is missing or its figures are not exact counts. */
function tokensOf(r: UsageRecord): StepTokens | null {
  if (r.missing) return null;
  const input = tokenCount(r.inputTokens);
  const output = tokenCount(r.outputTokens);
  const cached = r.cachedInputTokens === undefined ? 0 : tokenCount(r.cachedInputTokens);
  if (input === null || output === null || cached === null) return null;
  // A provider that reports more cached than input tokens is read as all input cached.
  return { input, output, cachedInput: Math.min(cached, input) };
}

/**
 * Records one model call's usage in the caller's write transaction (the one that records the
 * step's event, so a crash keeps both or neither): the step row, and its sums per run and per
 * (day, agent, alias). Missing usage is recorded as such (NULL tokens, a missing step counted):
 * `checkBudget` then fails closed for every limit over that run, agent or tenant and period.
 */
export async function recordUsage(ctx: WriteContext, aliases: ModelAliases, r: UsageRecord): Promise<RecordedUsage> {
  const tokens = tokensOf(r);
  const cost = tokens ? costMicros(aliases.prices(r.modelAlias), tokens) : null;
  const day = utcDay(ctx.now);
  const missing = tokens ? 0 : 1;
  const sums = { input_tokens: tokens?.input ?? 0, output_tokens: tokens?.output ?? 0, cached_input_tokens: tokens?.cachedInput ?? 0, cost_micros: cost ?? 0, steps: 1, missing_steps: missing };
  const inserted = await ctx.trx
    .insertInto('usage_steps')
    .values({
      tenant_id: r.tenantId, id: ctx.ids.next('use', ctx.now), run_id: r.runId, agent: r.agent, model_alias: r.modelAlias, step: r.step ?? null, day,
      input_tokens: tokens?.input ?? null, output_tokens: tokens?.output ?? null, cached_input_tokens: tokens?.cachedInput ?? null, cost_micros: cost, usage_missing: missing, recorded_at: ctx.now,
    })
    // A step the loop records again (a retried write, a resumed run) is counted once.
    .onConflict((oc) => oc.columns(['tenant_id', 'run_id', 'step']).where('step', 'is not', null).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return { counted: tokens !== null, tokens, costMicros: cost, repeated: true };
  const add = (table: 'usage_runs' | 'usage_daily') => ({
    input_tokens: sql<number>`${sql.ref(`${table}.input_tokens`)} + excluded.input_tokens`,
    output_tokens: sql<number>`${sql.ref(`${table}.output_tokens`)} + excluded.output_tokens`,
    cached_input_tokens: sql<number>`${sql.ref(`${table}.cached_input_tokens`)} + excluded.cached_input_tokens`,
    cost_micros: sql<number>`${sql.ref(`${table}.cost_micros`)} + excluded.cost_micros`,
    steps: sql<number>`${sql.ref(`${table}.steps`)} + 1`,
    missing_steps: sql<number>`${sql.ref(`${table}.missing_steps`)} + excluded.missing_steps`,
  });
  await ctx.trx
    .insertInto('usage_runs')
    .values({ tenant_id: r.tenantId, run_id: r.runId, agent: r.agent, ...sums, updated_at: ctx.now })
    .onConflict((oc) => oc.columns(['tenant_id', 'run_id']).doUpdateSet({ ...add('usage_runs'), updated_at: ctx.now }))
    .execute();
  await ctx.trx
    .insertInto('usage_daily')
    .values({ tenant_id: r.tenantId, day, agent: r.agent, model_alias: r.modelAlias, ...sums })
    .onConflict((oc) => oc.columns(['tenant_id', 'day', 'agent', 'model_alias']).doUpdateSet(add('usage_daily')))
    .execute();
  if (tokens && r.reservedTokens !== undefined && aliases.get(r.modelAlias)?.tokens_per_minute !== undefined) {
    await settleTokens(ctx, r.modelAlias, tokens.input + tokens.output - r.reservedTokens);
  }
  return { counted: tokens !== null, tokens, costMicros: cost, repeated: false };
}
