import type { UsageReport, UsageRow, UsageTotals } from '@agentd/protocol/schemas';
import type { Kysely } from 'kysely';
import type { Database, UsageDailyTable } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import { daysBetween, usdOfMicros, utcDay } from './usage-cost.ts';

export interface UsageFilter {
  tenantId: string;
  agent?: string;
  model?: string;
  from?: string;
  to?: string;
}

/** The default window, and the widest a request may ask for (a bound on the rows read). */
export const DEFAULT_DAYS = 31;
export const MAX_DAYS = 366;

/** A calendar check beyond the pattern: `2026-02-30` matches it but is no day. */
const realDay = (d: string): boolean => utcDay(Date.parse(`${d}T00:00:00Z`) || 0) === d;

function window(f: UsageFilter, now: number): { from: string; to: string } {
  const problems: { path: string; message: string }[] = [];
  for (const k of ['from', 'to'] as const) if (f[k] !== undefined && !realDay(f[k])) problems.push({ path: k, message: 'is not a calendar day' });
  if (problems.length) throw new DomainError('VALIDATION_ERROR', 'from/to must be real UTC days (YYYY-MM-DD)', problems);
  const to = f.to ?? (f.from !== undefined ? utcDay(Math.max(now, Date.parse(`${f.from}T00:00:00Z`))) : utcDay(now));
  const from = f.from ?? utcDay(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_DAYS - 1) * 86_400_000);
  if (from > to) throw new DomainError('VALIDATION_ERROR', 'from is after to', [{ path: 'from', message: `is after to (${to})` }]);
  if (daysBetween(from, to) > MAX_DAYS) throw new DomainError('VALIDATION_ERROR', `at most ${MAX_DAYS} days at once`, [{ path: 'to', message: `is more than ${MAX_DAYS} days after from` }]);
  return { from, to };
}

function counters(r: Pick<UsageDailyTable, 'input_tokens' | 'output_tokens' | 'cached_input_tokens' | 'cost_micros' | 'steps' | 'missing_steps'>): UsageTotals {
  const input = Number(r.input_tokens);
  const output = Number(r.output_tokens);
  const cost = Number(r.cost_micros);
  return { input_tokens: input, output_tokens: output, cached_input_tokens: Number(r.cached_input_tokens), total_tokens: input + output, cost_micros: cost, cost_usd: usdOfMicros(cost), steps: Number(r.steps), usage_missing_steps: Number(r.missing_steps) };
}

/** `GET /v1/usage`: the (day, agent, model alias) sums of a tenant in a window of UTC days. */
export async function usageReport(db: Kysely<Database>, now: number, f: UsageFilter): Promise<UsageReport> {
  const { from, to } = window(f, now);
  let q = db.selectFrom('usage_daily').selectAll().where('tenant_id', '=', f.tenantId).where('day', '>=', from).where('day', '<=', to);
  if (f.agent !== undefined) q = q.where('agent', '=', f.agent);
  if (f.model !== undefined) q = q.where('model_alias', '=', f.model);
  const rows = await q.orderBy('day', 'desc').orderBy('agent').orderBy('model_alias').execute();
  const data: UsageRow[] = rows.map((r) => ({ day: r.day, agent: r.agent, model: r.model_alias, ...counters(r) }));
  const sum = { input_tokens: 0, output_tokens: 0, cached_input_tokens: 0, cost_micros: 0, steps: 0, missing_steps: 0 };
  for (const r of rows) for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += Number(r[k]);
  return { from, to, data, totals: counters(sum) };
}
