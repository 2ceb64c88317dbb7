/**
 * usage/: what recordUsage stores and sums (per step, run and (day, agent, alias)), the cost math
 * in micro-dollars, checkBudget for each kind of limit, and missing usage failing closed. Real
 * SQLite and PostgreSQL; the clock is injected so day and month boundaries are crossed by a call.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelAliasConfig } from '@agentd/protocol/schemas';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { ManualClock } from './helpers/test-app.ts';
import { createEngine, type Engine } from '../src/engine.ts';
import { Keyring } from '../src/secrets/master-key.ts';
import { DEFAULT_TENANT, type Store } from '../src/store/store.ts';
import { budgetFailure, costMicros, UsageLoopPort, type BudgetVerdict, type LoopLimits, type LoopSpend, type UsageRecord } from '../src/usage/index.ts';
import { ModelAliases } from '../src/models/index.ts';

const T0 = Date.UTC(2026, 2, 14, 23, 0, 0);
const MODELS: Record<string, ModelAliasConfig> = {
  big: { provider: 'openai', model: 'gpt-big', prices: { input: 2.5, output: 10, cached_input: 1.25 } },
  small: { provider: 'openai-compatible', base_url: 'http://127.0.0.1:1/v1', model: 'tiny', prices: { input: 0.15, output: 0.6 } },
  free: { provider: 'openai-compatible', base_url: 'http://127.0.0.1:1/v1', model: 'local' },
  metered: { provider: 'openai', model: 'm', prices: { input: 1, output: 1 }, tokens_per_minute: 1000 },
};

describe('cost math (micro-dollars)', () => {
  const aliases = new ModelAliases(MODELS);
  it('prices uncached input, cached input and output separately; a price per million tokens is micro-dollars per token', () => {
    // 600 uncached × 2.5 + 400 cached × 1.25 + 200 output × 10
    assert.equal(costMicros(aliases.prices('big'), { input: 1000, cachedInput: 400, output: 200 }), 1500 + 500 + 2000);
  });
  it('the cached price defaults to the input price; fractions round once per call', () => {
    assert.deepEqual(aliases.prices('small'), { input: 0.15, output: 0.6, cachedInput: 0.15 });
    // 7 × 0.15 + 3 × 0.6 = 2.85 → 3
    assert.equal(costMicros(aliases.prices('small'), { input: 7, cachedInput: 2, output: 3 }), 3);
  });
  it('an alias without prices (or not configured) costs 0', () => {
    assert.equal(costMicros(aliases.prices('free'), { input: 10_000, cachedInput: 0, output: 10_000 }), 0);
    assert.equal(costMicros(aliases.prices('gone'), { input: 10_000, cachedInput: 0, output: 10_000 }), 0);
  });
});

for (const d of await dialects()) {
  describe(`usage and budgets (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let store: Store;
    let engine: Engine;
    const clock = new ManualClock(T0);
    const tenantId = DEFAULT_TENANT;

    before(async () => {
      db = await d.create();
      store = await db.open(() => clock.now());
      // No waiting for the rate buckets: a wait would be a bug here, and fails at once.
      engine = createEngine({ store, clock, keyring: Keyring.generate(), models: MODELS, modelRateLimits: { maxWaitMs: 0 } });
    });
    after(async () => {
      await store?.close();
      await db?.cleanup();
    });

    const record = (r: Omit<UsageRecord, 'tenantId'> & Record<string, unknown>) => store.writer.write((ctx) => engine.usage.recordUsage(ctx, { tenantId, ...r } as UsageRecord));
    const check = (input: Partial<Parameters<Engine['usage']['checkBudget']>[0]> & { runId: string; agent: string }) => engine.usage.checkBudget({ tenantId, runLimits: {}, ...input });
    const exceeded = (v: BudgetVerdict) => (v.ok ? null : v.exceeded);

    it('records each step and sums it per run and per (day, agent, alias), cost from the alias prices', async () => {
      const a = await record({ runId: 'run_a', agent: 'writer', modelAlias: 'big', step: 0, inputTokens: 1000, cachedInputTokens: 400, outputTokens: 200 });
      assert.deepEqual(a, { counted: true, tokens: { input: 1000, output: 200, cachedInput: 400 }, costMicros: 4000, repeated: false });
      await record({ runId: 'run_a', agent: 'writer', modelAlias: 'big', step: 1, inputTokens: 1500, outputTokens: 100 });
      await record({ runId: 'run_a', agent: 'writer', modelAlias: 'small', step: 2, inputTokens: 100, outputTokens: 100 });
      await record({ runId: 'run_b', agent: 'reader', modelAlias: 'small', step: 0, inputTokens: 10, outputTokens: 5 });

      const steps = await store.db.selectFrom('usage_steps').selectAll().where('tenant_id', '=', tenantId).where('run_id', '=', 'run_a').orderBy('step').execute();
      assert.deepEqual(steps.map((s) => [s.step, s.model_alias, Number(s.input_tokens), Number(s.output_tokens), Number(s.cached_input_tokens), Number(s.cost_micros), Number(s.usage_missing), s.day]), [
        [0, 'big', 1000, 200, 400, 4000, 0, '2026-03-14'],
        [1, 'big', 1500, 100, 0, 3750 + 1000, 0, '2026-03-14'],
        [2, 'small', 100, 100, 0, 75, 0, '2026-03-14'],
      ]);
      assert.deepEqual(await engine.usage.runUsage(tenantId, 'run_a'), { inputTokens: 2600, outputTokens: 400, cachedInputTokens: 400, costMicros: 4000 + 4750 + 75, steps: 3, missingSteps: 0 });
      const report = await engine.usage.report({ tenantId });
      assert.deepEqual(report.data.map((r) => [r.day, r.agent, r.model, r.input_tokens, r.output_tokens, r.total_tokens, r.cost_micros, r.steps]), [
        ['2026-03-14', 'reader', 'small', 10, 5, 15, 5, 1],
        ['2026-03-14', 'writer', 'big', 2500, 300, 2800, 8750, 2],
        ['2026-03-14', 'writer', 'small', 100, 100, 200, 75, 1],
      ]);
      assert.equal(report.totals.total_tokens, 15 + 2800 + 200);
      assert.equal(report.totals.cost_micros, 5 + 8750 + 75);
      assert.equal(report.totals.cost_usd, 0.00883);
    });

    it('a new UTC day gets rows of its own; the month keeps summing', async () => {
      clock.set(Date.UTC(2026, 2, 15, 0, 30));
      await record({ runId: 'run_c', agent: 'writer', modelAlias: 'big', inputTokens: 100, outputTokens: 10 });
      const days = (await engine.usage.report({ tenantId, agent: 'writer', model: 'big' })).data.map((r) => [r.day, r.total_tokens]);
      assert.deepEqual(days, [['2026-03-15', 110], ['2026-03-14', 2800]]);
      const only14 = await engine.usage.report({ tenantId, agent: 'writer', from: '2026-03-14', to: '2026-03-14' });
      assert.deepEqual(only14.data.map((r) => r.model), ['big', 'small']);
    });

    it('run limits: run_tokens and run_cost trip before the call that would cross them, estimate included', async () => {
      // run_a: 3000 tokens, 8825 micro-dollars.
      assert.deepEqual(await check({ runId: 'run_a', agent: 'writer', runLimits: { maxTotalTokens: 5000, maxCost: 1 } }), { ok: true });
      const v = await check({ runId: 'run_a', agent: 'writer', runLimits: { maxTotalTokens: 5000 }, estimate: { modelAlias: 'big', inputTokens: 1500, outputTokens: 600 } });
      assert.equal(exceeded(v), 'run_tokens');
      assert.ok(!v.ok && v.used === 3000 && v.estimate === 2100 && v.limit === 5000 && v.measure === 'tokens' && !v.usageMissing, JSON.stringify(v));
      assert.equal(exceeded(await check({ runId: 'run_a', agent: 'writer', runLimits: { maxTotalTokens: 3000 } })), 'run_tokens', 'a limit already reached stops the next call');
      // 8825 used + (1000 × 2.5 + 100 × 10 = 3500) > 0.012 USD = 12,000
      const c = await check({ runId: 'run_a', agent: 'writer', runLimits: { maxCost: 0.012 }, estimate: { modelAlias: 'big', inputTokens: 1000, outputTokens: 100 } });
      assert.equal(exceeded(c), 'run_cost');
      assert.ok(!c.ok && c.limit === 12_000 && c.used === 8825 && c.estimate === 3500);
      assert.deepEqual(await check({ runId: 'run_a', agent: 'writer', runLimits: { maxCost: 0.013 }, estimate: { modelAlias: 'big', inputTokens: 1000, outputTokens: 100 } }), { ok: true });
      assert.deepEqual(await check({ runId: 'run_new', agent: 'writer', runLimits: { maxTotalTokens: 10 } }), { ok: true }, 'a run without usage yet has used nothing');
    });

    it('agent and tenant budgets per day and month (usage_budgets), each kind in turn', async () => {
      // It is 2026-03-15: writer used 110 tokens today, 3110 this month; the tenant 110 today, 3125 this month.
      const put = (agent: string | null, period: 'day' | 'month', max_tokens: number | null, max_cost: number | null = null) => engine.usage.putBudget(tenantId, { agent, period, max_tokens, max_cost });
      await put('writer', 'day', 110);
      assert.equal(exceeded(await check({ runId: 'run_c', agent: 'writer' })), 'agent_day');
      assert.deepEqual(await check({ runId: 'run_x', agent: 'reader' }), { ok: true }, "another agent is not held by writer's budget");
      await put('writer', 'day', 1000);
      assert.deepEqual(await check({ runId: 'run_c', agent: 'writer', estimate: { modelAlias: 'big', inputTokens: 800, outputTokens: 90 } }), { ok: true });
      await put('writer', 'month', 3200);
      assert.equal(exceeded(await check({ runId: 'run_c', agent: 'writer', estimate: { modelAlias: 'big', inputTokens: 80, outputTokens: 20 } })), 'agent_month');
      await put('writer', 'month', null, null);
      await put(null, 'day', 200);
      assert.equal(exceeded(await check({ runId: 'run_x', agent: 'reader', estimate: { modelAlias: 'small', inputTokens: 80, outputTokens: 20 } })), 'tenant_day');
      await put(null, 'day', null);
      // Cost: the tenant spent 8830 + 275 = 9105 micro-dollars this month.
      await put(null, 'month', null, 0.0091);
      const m = await check({ runId: 'run_x', agent: 'reader' });
      assert.ok(!m.ok && m.exceeded === 'tenant_month' && m.measure === 'cost_micros' && m.limit === 9100, JSON.stringify(m));
      assert.deepEqual(budgetFailure(m as Extract<BudgetVerdict, { ok: false }>).type, 'budget_exceeded');
      assert.equal(budgetFailure(m as Extract<BudgetVerdict, { ok: false }>).non_retryable, true);
      // A new month starts from zero.
      clock.set(Date.UTC(2026, 3, 1, 0, 0, 1));
      assert.deepEqual(await check({ runId: 'run_x', agent: 'reader' }), { ok: true });
      await put(null, 'month', null, null);
      clock.set(Date.UTC(2026, 2, 15, 1, 0));
      assert.deepEqual((await engine.usage.listBudgets(tenantId)).map((b) => [b.agent, b.period, b.max_tokens]), [['writer', 'day', 1000]]);
    });

    it('a cost limit that applies to a call of an alias without prices refuses it (fail closed); token limits still hold it', async () => {
      clock.set(Date.UTC(2026, 5, 3, 12, 0));
      const est = { modelAlias: 'free', inputTokens: 10, outputTokens: 10 };
      const run = await check({ runId: 'run_unpriced', agent: 'cheap', runLimits: { maxCost: 100 }, estimate: est });
      assert.ok(!run.ok && run.exceeded === 'run_cost' && run.measure === 'cost_micros' && run.unpricedAlias === 'free' && !run.usageMissing, JSON.stringify(run));
      assert.match(run.message, /"free" has no prices/);
      assert.equal((budgetFailure(run).details as Record<string, unknown>).unpriced_alias, 'free');
      assert.deepEqual(await check({ runId: 'run_unpriced', agent: 'cheap', runLimits: { maxTotalTokens: 1000 }, estimate: est }), { ok: true }, 'no cost limit: the call goes');
      assert.deepEqual(await check({ runId: 'run_unpriced', agent: 'cheap', runLimits: { maxCost: 100 }, estimate: { ...est, modelAlias: 'small' } }), { ok: true }, 'a priced alias is checked by its figures');
      await engine.usage.putBudget(tenantId, { agent: 'cheap', period: 'day', max_tokens: null, max_cost: 1_000_000 });
      const day = await check({ runId: 'run_unpriced', agent: 'cheap', estimate: est });
      assert.ok(!day.ok && day.exceeded === 'agent_day' && day.unpricedAlias === 'free', JSON.stringify(day));
      await engine.usage.putBudget(tenantId, { agent: 'cheap', period: 'day', max_tokens: null, max_cost: null });
    });

    it('missing usage is recorded as unknown (never zero) and fails every limit over its run, agent and tenant closed', async () => {
      clock.set(Date.UTC(2026, 4, 2, 12, 0));
      assert.deepEqual(await record({ runId: 'run_m', agent: 'leaky', modelAlias: 'small', step: 0, missing: true }), { counted: false, tokens: null, costMicros: null, repeated: false });
      // A figure that is no exact count is missing usage too.
      assert.equal((await record({ runId: 'run_m', agent: 'leaky', modelAlias: 'small', step: 1, inputTokens: Number.NaN, outputTokens: 3 })).counted, false);
      const row = await store.db.selectFrom('usage_steps').selectAll().where('tenant_id', '=', tenantId).where('run_id', '=', 'run_m').where('step', '=', 0).executeTakeFirstOrThrow();
      assert.equal(row.input_tokens, null);
      assert.equal(Number(row.usage_missing), 1);
      const rep = await engine.usage.report({ tenantId, agent: 'leaky' });
      assert.deepEqual(rep.data.map((r) => [r.total_tokens, r.steps, r.usage_missing_steps]), [[0, 2, 2]]);

      assert.deepEqual(await check({ runId: 'run_m', agent: 'leaky' }), { ok: true }, 'no budget applies: nothing to fail against');
      const run = await check({ runId: 'run_m', agent: 'leaky', runLimits: { maxTotalTokens: 1_000_000 } });
      assert.ok(!run.ok && run.exceeded === 'run_tokens' && run.usageMissing && run.used === 0, JSON.stringify(run));
      assert.match(run.message, /no usage/);
      const cost = await check({ runId: 'run_m', agent: 'leaky', runLimits: { maxCost: 100 } });
      assert.ok(!cost.ok && cost.exceeded === 'run_cost' && cost.usageMissing);
      await engine.usage.putBudget(tenantId, { agent: 'leaky', period: 'month', max_tokens: 1_000_000, max_cost: null });
      const other = await check({ runId: 'run_other', agent: 'leaky' });
      assert.ok(!other.ok && other.exceeded === 'agent_month' && other.usageMissing, 'another run of the agent is held too: the month has unknown usage');
      await engine.usage.putBudget(tenantId, { agent: 'leaky', period: 'month', max_tokens: null, max_cost: null });
      await engine.usage.putBudget(tenantId, { agent: null, period: 'day', max_tokens: null, max_cost: 1000 });
      const t = await check({ runId: 'run_y', agent: 'someone-else' });
      assert.ok(!t.ok && t.exceeded === 'tenant_day' && t.usageMissing);
      await engine.usage.putBudget(tenantId, { agent: null, period: 'day', max_tokens: null, max_cost: null });
    });

    it('a step recorded twice (same run and step number) is counted once', async () => {
      const first = await record({ runId: 'run_twice', agent: 'writer', modelAlias: 'big', step: 4, inputTokens: 10, outputTokens: 10 });
      const again = await record({ runId: 'run_twice', agent: 'writer', modelAlias: 'big', step: 4, inputTokens: 10, outputTokens: 10 });
      assert.equal(first.repeated, false);
      assert.equal(again.repeated, true);
      assert.equal((await engine.usage.runUsage(tenantId, 'run_twice')).steps, 1);
    });

    it("UsageLoopPort (the LLM loop's UsagePort shape): max_steps, run limits from the loop's spend, the other budgets, recording, reservations", async () => {
      clock.set(Date.UTC(2026, 6, 1, 8));
      const port = new UsageLoopPort({ store, usage: engine.usage });
      const limits: LoopLimits = { max_steps: 3, max_output_tokens: null, max_total_tokens: 100, max_cost_usd: null };
      const spent = (over: Partial<LoopSpend> = {}): LoopSpend => ({ steps: 0, input_tokens: 0, output_tokens: 0, total_tokens: 0, cost_usd: 0, steps_without_usage: 0, ...over });
      const q = { tenantId, runId: 'run_port', agent: 'porter', alias: 'metered', limits };
      assert.deepEqual(await port.checkBudget({ ...q, spent: spent() }), { ok: true });
      const steps = await port.checkBudget({ ...q, spent: spent({ steps: 3 }) });
      assert.ok(!steps.ok && steps.details.limit === 'max_steps');
      // The run's limits are held to the loop's own spend (its events), not to the usage tables.
      const tokens = await port.checkBudget({ ...q, spent: spent({ steps: 1, total_tokens: 100 }) });
      assert.ok(!tokens.ok && tokens.details.limit === 'max_total_tokens' && tokens.details.exceeded === 'run_tokens' && tokens.details.used === 100 && tokens.details.max === 100, JSON.stringify(tokens));
      assert.deepEqual(await port.checkBudget({ ...q, spent: spent({ steps: 1, total_tokens: 60 }) }), { ok: true });
      const crossing = await port.checkBudget({ ...q, spent: spent({ steps: 1, total_tokens: 60 }), estimate: { inputTokens: 30, outputTokens: 20 } });
      assert.ok(!crossing.ok && crossing.details.limit === 'max_total_tokens' && crossing.details.estimate === 50, 'with an estimate, the call that would cross is stopped');
      const missing = await port.checkBudget({ ...q, spent: spent({ steps: 1, steps_without_usage: 1 }) });
      assert.ok(!missing.ok && missing.details.limit === 'usage_missing' && missing.details.usage_missing === true);
      // The agent's budget comes from usage_budgets.
      await engine.usage.putBudget(tenantId, { agent: 'porter', period: 'day', max_tokens: 50 });
      await port.acquire({ tenantId, runId: 'run_port', step: 1, alias: 'metered', estimatedTokens: 900 });
      await port.recordUsage({ tenantId, runId: 'run_port', agent: 'porter', alias: 'metered', model: 'm', step: 1, usage: { input_tokens: 40, output_tokens: 10, total_tokens: 50, cached_input_tokens: 0 }, cost_usd: 0 });
      const day = await port.checkBudget({ ...q, limits: { ...limits, max_total_tokens: null }, spent: spent({ steps: 1, total_tokens: 50 }) });
      assert.ok(!day.ok && day.details.limit === 'agent_day' && day.details.exceeded === 'agent_day', JSON.stringify(day));
      assert.match(day.message, /agent's daily budget/);
      await engine.usage.putBudget(tenantId, { agent: 'porter', period: 'day' });
      // 900 reserved, 50 used: 850 went back to the bucket, so 950 fit again at once.
      await port.acquire({ tenantId, runId: 'run_port', step: 2, alias: 'metered', estimatedTokens: 950 });
      await port.recordUsage({ tenantId, runId: 'run_port', agent: 'porter', alias: 'metered', model: 'm', step: 2, usage: null, cost_usd: null });
      assert.deepEqual(await engine.usage.runUsage(tenantId, 'run_port'), { inputTokens: 40, outputTokens: 10, cachedInputTokens: 0, costMicros: 50, steps: 2, missingSteps: 1 });
    });

    it('usage of one tenant is invisible to another', async () => {
      await engine.tenants.create({ id: 'other', name: 'Other' });
      assert.deepEqual((await engine.usage.report({ tenantId: 'other', from: '2026-03-01', to: '2026-05-31' })).data, []);
      assert.deepEqual(await engine.usage.runUsage('other', 'run_a'), { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, costMicros: 0, steps: 0, missingSteps: 0 });
    });
  });
}

describe('model aliases are read by reference', () => {
  it('a config reload that replaces the entries in place is seen by the next lookup (prices, list)', () => {
    const section: Record<string, ModelAliasConfig> = { a: { provider: 'openai', model: 'm1', prices: { input: 1 } } };
    const aliases = new ModelAliases(section);
    assert.equal(aliases.prices('a').input, 1);
    section.a = { provider: 'openai', model: 'm2', prices: { input: 4 } };
    section.b = { provider: 'anthropic', model: 'c' };
    assert.equal(aliases.prices('a').input, 4);
    assert.deepEqual(aliases.list().map((m) => [m.alias, m.model]), [['a', 'm2'], ['b', 'c']]);
    delete section.b;
    assert.equal(aliases.has('b'), false);
    assert.equal(aliases.get('toString'), undefined, 'only own entries are aliases');
  });
});
