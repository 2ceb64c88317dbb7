import type { Budget, BudgetPeriod, BudgetPutResult } from '@agentd/protocol/schemas';
import type { Kysely } from 'kysely';
import type { WireFormat } from '../core/index.ts';
import type { Database, Store, UsageBudgetsTable } from '../store/index.ts';
import { microsOfUsd, usdOfMicros } from './usage-cost.ts';

/** The agent column of a tenant-wide budget (agent names are never empty). */
const TENANT = '';

function toBudget(r: UsageBudgetsTable, wire: WireFormat): Budget {
  return {
    agent: r.agent === TENANT ? null : r.agent,
    period: r.period as BudgetPeriod,
    max_tokens: r.max_tokens === null ? null : Number(r.max_tokens),
    max_cost: r.max_cost_micros === null ? null : usdOfMicros(Number(r.max_cost_micros)),
    updated_at: wire.iso(Number(r.updated_at)),
  };
}

/** A budget to set: no agent is the whole tenant; a limit absent or null is no limit. */
export interface BudgetSetting {
  agent?: string | null;
  period: BudgetPeriod;
  max_tokens?: number | null;
  /** USD. */
  max_cost?: number | null;
}

/** Sets (or, with neither limit, removes) the day or month budget of a tenant or one of its agents. */
export async function putBudget(store: Store, tenantId: string, b: BudgetSetting): Promise<BudgetPutResult> {
  const agent = b.agent ?? TENANT;
  const maxTokens = b.max_tokens ?? null;
  const maxCost = b.max_cost ?? null;
  return store.writer.write(async (ctx) => {
    if (maxTokens === null && maxCost === null) {
      const r = await ctx.trx.deleteFrom('usage_budgets').where('tenant_id', '=', tenantId).where('agent', '=', agent).where('period', '=', b.period).executeTakeFirst();
      return { budget: null, removed: Number(r.numDeletedRows) > 0 };
    }
    const row: UsageBudgetsTable = { tenant_id: tenantId, agent, period: b.period, max_tokens: maxTokens, max_cost_micros: maxCost === null ? null : microsOfUsd(maxCost), updated_at: ctx.now };
    await ctx.trx
      .insertInto('usage_budgets')
      .values(row)
      .onConflict((oc) => oc.columns(['tenant_id', 'agent', 'period']).doUpdateSet({ max_tokens: row.max_tokens, max_cost_micros: row.max_cost_micros, updated_at: row.updated_at }))
      .execute();
    return { budget: toBudget(row, ctx.wire), removed: false };
  });
}

/** Every budget of a tenant: the tenant's first, then agents by name (two per agent at most). */
export async function listBudgets(db: Kysely<Database>, wire: WireFormat, tenantId: string, agent?: string): Promise<Budget[]> {
  let q = db.selectFrom('usage_budgets').selectAll().where('tenant_id', '=', tenantId);
  if (agent !== undefined) q = q.where('agent', '=', agent);
  const rows = await q.orderBy('agent').orderBy('period').execute();
  return rows.map((r) => toBudget(r, wire));
}
