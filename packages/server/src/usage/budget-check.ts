import type { RunFailure } from '@agentd/protocol/schemas';
import type { Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import type { ModelAliases } from '../models/index.ts';
import { costMicros, microsOfUsd, monthOf, utcDay } from './usage-cost.ts';

export const BUDGET_KINDS = ['run_tokens', 'run_cost', 'agent_day', 'agent_month', 'tenant_day', 'tenant_month'] as const;
export type BudgetKind = (typeof BUDGET_KINDS)[number];

export interface BudgetCheckInput {
  tenantId: string;
  runId: string;
  agent: string;
  /** The run's own limits, from the agent manifest's `limits` (max_total_tokens, max_cost in USD). */
  runLimits: { maxTotalTokens?: number; maxCost?: number };
  /**
   * What the next call may use: `modelAlias` prices it. A call crosses a limit when what is
   * used plus this estimate is over it; without an estimate, when the limit is already reached.
   */
  estimate?: { modelAlias: string; inputTokens: number; outputTokens: number };
  /**
   * The run's spend as the loop knows it from its own recorded steps (the run's events), used for
   * the run limits instead of usage_runs: what the run's events say is what its limits hold to.
   */
  runSpent?: { tokens: number; costMicros: number; missingSteps: number };
}

export type BudgetVerdict =
  | { ok: true }
  | {
      ok: false;
      exceeded: BudgetKind;
      /** Which figure crossed: tokens or cost (micro-dollars). */
      measure: 'tokens' | 'cost_micros';
      limit: number;
      used: number;
      estimate: number;
      /** The scope holds a call whose usage is unknown: it fails closed, whatever the figures. */
      usageMissing: boolean;
      /** A cost limit applies and the next call's alias has no prices: it fails closed. */
      unpricedAlias?: string;
      message: string;
    };

interface Sums {
  tokens: number;
  cost: number;
  missing: number;
}

interface Limit {
  kind: BudgetKind;
  maxTokens: number | null;
  maxCost: number | null;
  sums: () => Promise<Sums>;
}

const sumsOf = (r: { tokens: unknown; cost: unknown; missing: unknown } | undefined): Sums => ({ tokens: Number(r?.tokens ?? 0), cost: Number(r?.cost ?? 0), missing: Number(r?.missing ?? 0) });

/**
 * Whether the next model call of a run stays within every limit over it: the run's (manifest),
 * its agent's per UTC day and month, its tenant's per day and month (`usage_budgets`). Reads
 * committed rows (the loop records each step before it checks for the next); limits are checked
 * in the order of BUDGET_KINDS and the first one crossed is the answer. Runs of one agent checking
 * at the same moment can each pass and together overshoot by their in-flight calls.
 */
export async function checkBudget(db: Kysely<Database>, aliases: ModelAliases, now: number, input: BudgetCheckInput): Promise<BudgetVerdict> {
  const { tenantId, agent } = input;
  const day = utcDay(now);
  const month = monthOf(day);
  const budgets = await db.selectFrom('usage_budgets').selectAll().where('tenant_id', '=', tenantId).where('agent', 'in', ['', agent]).execute();
  const budget = (who: string, period: string) => budgets.find((b) => b.agent === who && b.period === period);
  const daily = (agentOnly: boolean, first: string, last: string) => async () => {
    let q = db
      .selectFrom('usage_daily')
      .select((eb) => [eb.fn.sum<number>(eb('input_tokens', '+', eb.ref('output_tokens'))).as('tokens'), eb.fn.sum<number>('cost_micros').as('cost'), eb.fn.sum<number>('missing_steps').as('missing')])
      .where('tenant_id', '=', tenantId)
      .where('day', '>=', first)
      .where('day', '<=', last);
    if (agentOnly) q = q.where('agent', '=', agent);
    return sumsOf(await q.executeTakeFirst());
  };
  const spent = input.runSpent;
  const run = async () =>
    spent ? { tokens: spent.tokens, cost: spent.costMicros, missing: spent.missingSteps } : sumsOf(
      await db
        .selectFrom('usage_runs')
        .select((eb) => [eb('input_tokens', '+', eb.ref('output_tokens')).as('tokens'), 'cost_micros as cost', 'missing_steps as missing'])
        .where('tenant_id', '=', tenantId)
        .where('run_id', '=', input.runId)
        .executeTakeFirst(),
    );
  const limits: Limit[] = [
    { kind: 'run_tokens', maxTokens: input.runLimits.maxTotalTokens ?? null, maxCost: null, sums: run },
    { kind: 'run_cost', maxTokens: null, maxCost: input.runLimits.maxCost === undefined ? null : microsOfUsd(input.runLimits.maxCost), sums: run },
  ];
  for (const [kind, who, period, first, last] of [
    ['agent_day', agent, 'day', day, day],
    ['agent_month', agent, 'month', month.first, month.last],
    ['tenant_day', '', 'day', day, day],
    ['tenant_month', '', 'month', month.first, month.last],
  ] as const) {
    const b = budget(who, period);
    if (b) limits.push({ kind, maxTokens: b.max_tokens === null ? null : Number(b.max_tokens), maxCost: b.max_cost_micros === null ? null : Number(b.max_cost_micros), sums: daily(who !== '', first, last) });
  }
  const est = input.estimate;
  const estTokens = est ? est.inputTokens + est.outputTokens : 0;
  const estCost = est ? costMicros(aliases.prices(est.modelAlias), { input: est.inputTokens, output: est.outputTokens, cachedInput: 0 }) : 0;
  // An alias without prices would cost 0 and never trip a cost limit: its call is refused instead.
  const unpriced = est && !aliases.isPriced(est.modelAlias) ? est.modelAlias : null;
  const cache = new Map<() => Promise<Sums>, Sums>();
  for (const l of limits) {
    if (l.maxTokens === null && l.maxCost === null) continue;
    const s = cache.get(l.sums) ?? (await l.sums());
    cache.set(l.sums, s);
    const usageMissing = s.missing > 0;
    for (const [measure, max, used, estimate] of [
      ['tokens', l.maxTokens, s.tokens, estTokens],
      ['cost_micros', l.maxCost, s.cost, estCost],
    ] as const) {
      if (max === null) continue;
      if (usageMissing || used >= max || used + estimate > max) {
        return { ok: false, exceeded: l.kind, measure, limit: max, used, estimate, usageMissing, message: verdictMessage(l.kind, measure, max, used, estimate, usageMissing) };
      }
      if (measure === 'cost_micros' && unpriced !== null) {
        const message = `${SCOPES[l.kind]} (${max} micro-dollars) cannot be checked: model alias ${JSON.stringify(unpriced)} has no prices (set prices.input and prices.output in the server config's models:), and an unpriced call never counts as free`;
        return { ok: false, exceeded: l.kind, measure, limit: max, used, estimate, usageMissing, unpricedAlias: unpriced, message };
      }
    }
  }
  return { ok: true };
}

const SCOPES: Record<BudgetKind, string> = {
  run_tokens: "the run's token limit",
  run_cost: "the run's cost limit",
  agent_day: "the agent's daily budget",
  agent_month: "the agent's monthly budget",
  tenant_day: "the tenant's daily budget",
  tenant_month: "the tenant's monthly budget",
};

function verdictMessage(kind: BudgetKind, measure: 'tokens' | 'cost_micros', max: number, used: number, estimate: number, missing: boolean): string {
  const unit = measure === 'tokens' ? 'tokens' : 'micro-dollars';
  if (missing) return `${SCOPES[kind]} (${max} ${unit}) cannot be checked: a model response in it carried no usage, and unknown usage never counts as zero`;
  return `the next model call would cross ${SCOPES[kind]}: ${used} ${unit} used, ${estimate} estimated for the call, limit ${max}`;
}

/** The run failure a loop ends a run with when checkBudget said no: `budget_exceeded`, not retried. */
export function budgetFailure(v: Extract<BudgetVerdict, { ok: false }>): RunFailure {
  return {
    type: 'budget_exceeded',
    message: v.message,
    non_retryable: true,
    details: { exceeded: v.exceeded, measure: v.measure, max: v.limit, used: v.used, estimate: v.estimate, usage_missing: v.usageMissing, ...(v.unpricedAlias !== undefined ? { unpriced_alias: v.unpricedAlias } : {}) },
  };
}
