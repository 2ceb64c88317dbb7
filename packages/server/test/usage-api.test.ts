/**
 * `GET /v1/usage`, `GET /v1/models` and `/v1/budgets` through HTTP, the TS SDK
 * (`client.usage.get()`, `client.models.list()`, `client.budgets`) and the CLI (`agentd usage`,
 * `agentd models list`, `agentd budgets`): answers, filters, validation errors, roles, tenancy,
 * and that no key or URL credential ever shows.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Agentd, APIError } from '@agentd/sdk';
import type { ModelAliasConfig } from '@agentd/protocol/schemas';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, ManualClock, startTestApp, type TestApp } from './helpers/test-app.ts';
import type { UsageRecord } from '../src/usage/index.ts';

const BIN = join(resolve(import.meta.dirname, '../../..'), 'packages/server/bin/agentd.js');
const URL_SECRET = 'pw-in-url-7f3a';
const QUERY_SECRET = 'qk-in-query-91bc';
const MODELS: Record<string, ModelAliasConfig> = {
  fast: { provider: 'openai-compatible', base_url: `https://gw-user:${URL_SECRET}@gateway.example/v1?api-key=${QUERY_SECRET}`, model: 'llama-3-8b', api_key_secret: 'gateway_key', prices: { input: 0.2, output: 0.4 }, requests_per_minute: 600, tokens_per_minute: 200_000 },
  smart: { provider: 'anthropic', model: 'claude-x', api_key_secret: 'anthropic_key', prices: { input: 3, output: 15, cached_input: 0.3 }, fallback: 'fast' },
};
const NOW = Date.UTC(2026, 10, 20, 15);

for (const d of await dialects()) {
  describe(`usage, models and budgets API (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let client: Agentd;
    let url: string;

    before(async () => {
      db = await d.create();
      t = await startTestApp(db, { clock: new ManualClock(NOW), models: MODELS });
      assert.equal((await t.call('POST', '/v1/agents', { body: HELLO_MANIFEST })).statusCode, 201);
      url = await t.listen();
      client = new Agentd({ baseURL: url, apiKey: t.adminKey, maxRetries: 0 });
      const rec = (r: Record<string, unknown>) => t.store.writer.write((ctx) => t.engine.usage.recordUsage(ctx, ({ tenantId: t.tenantId, ...r }) as UsageRecord));
      await rec({ runId: 'run_1', agent: 'hello', modelAlias: 'smart', inputTokens: 1000, cachedInputTokens: 500, outputTokens: 100 });
      await rec({ runId: 'run_1', agent: 'hello', modelAlias: 'fast', inputTokens: 50, outputTokens: 50 });
      await rec({ runId: 'run_2', agent: 'chat', modelAlias: 'fast', missing: true });
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    const get = async (path: string, key?: string) => t.call('GET', path, { key });

    it('GET /v1/usage: rows by day, agent and model with tokens and cost; filters narrow them', async () => {
      const r = await get('/v1/usage');
      assert.equal(r.statusCode, 200, r.body);
      const body = r.json();
      assert.equal(body.to, '2026-11-20');
      assert.equal(body.from, '2026-10-21');
      assert.deepEqual(body.data, [
        { day: '2026-11-20', agent: 'chat', model: 'fast', input_tokens: 0, output_tokens: 0, cached_input_tokens: 0, total_tokens: 0, cost_micros: 0, cost_usd: 0, steps: 1, usage_missing_steps: 1 },
        { day: '2026-11-20', agent: 'hello', model: 'fast', input_tokens: 50, output_tokens: 50, cached_input_tokens: 0, total_tokens: 100, cost_micros: 30, cost_usd: 0.00003, steps: 1, usage_missing_steps: 0 },
        // 500 × 3 + 500 × 0.3 + 100 × 15
        { day: '2026-11-20', agent: 'hello', model: 'smart', input_tokens: 1000, output_tokens: 100, cached_input_tokens: 500, total_tokens: 1100, cost_micros: 3150, cost_usd: 0.00315, steps: 1, usage_missing_steps: 0 },
      ]);
      assert.equal(body.totals.total_tokens, 1200);
      assert.equal(body.totals.usage_missing_steps, 1);
      assert.deepEqual((await get('/v1/usage?agent=hello&model=fast')).json().data.map((x: { model: string }) => x.model), ['fast']);
      assert.deepEqual((await get('/v1/usage?from=2026-11-21&to=2026-11-30')).json().data, []);
      assert.equal((await get('/v1/usage?from=2026-11-20&to=2026-11-20')).json().data.length, 3);
      assert.equal((await get('/v1/usage', await t.keyFor('viewer'))).statusCode, 200, 'readable by any reading role');
      const other = await t.engine.tenants.create({ name: 'other' });
      const otherKey = (await t.engine.keys.create({ tenantId: other.id, role: 'admin' })).key;
      assert.deepEqual((await get('/v1/usage', otherKey)).json().data, [], "another tenant's usage is not visible");
    });

    it('GET /v1/usage: validation errors name the field', async () => {
      const bad = async (qs: string, path: string) => {
        const r = await get(`/v1/usage?${qs}`);
        assert.equal(r.statusCode, 400, `${qs}: ${r.body}`);
        const e = r.json().error;
        assert.equal(e.code, 'VALIDATION_ERROR');
        assert.ok(JSON.stringify(e.details).includes(path), `${qs}: ${JSON.stringify(e.details)}`);
      };
      await bad('from=2026-13-01', 'from');
      await bad('to=yesterday', 'to');
      await bad('from=2026-02-30', 'from');
      await bad('from=2026-11-20&to=2026-11-01', 'from');
      await bad('from=2024-01-01&to=2026-01-01', 'to');
      await bad('agent=', 'agent');
      await bad('group=day', 'group');
    });

    it('GET /v1/models: provider, model and prices; never a key, and the base URL without credentials or query', async () => {
      const r = await get('/v1/models', await t.keyFor('viewer'));
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json().data, [
        { alias: 'fast', provider: 'openai-compatible', model: 'llama-3-8b', base_url: 'https://gateway.example/v1', api_key_secret: 'gateway_key', prices: { input: 0.2, output: 0.4, cached_input: 0.2 }, requests_per_minute: 600, tokens_per_minute: 200_000, fallback: null },
        { alias: 'smart', provider: 'anthropic', model: 'claude-x', base_url: null, api_key_secret: 'anthropic_key', prices: { input: 3, output: 15, cached_input: 0.3 }, requests_per_minute: null, tokens_per_minute: null, fallback: 'fast' },
      ]);
      assert.ok(!r.body.includes(URL_SECRET) && !r.body.includes(QUERY_SECRET) && !r.body.includes('gw-user'));
    });

    it('PUT /v1/budgets: admins set and remove; a budget of an unknown agent is 404; bad bodies are 400; other roles 403', async () => {
      const put = (body: unknown, key?: string) => t.call('PUT', '/v1/budgets', { body, key });
      const set = await put({ agent: 'hello', period: 'day', max_tokens: 5000, max_cost: 1.5 });
      assert.equal(set.statusCode, 200, set.body);
      assert.deepEqual({ ...set.json().budget, updated_at: undefined }, { agent: 'hello', period: 'day', max_tokens: 5000, max_cost: 1.5, updated_at: undefined });
      assert.equal((await put({ period: 'month', max_cost: 20 })).statusCode, 200);
      assert.deepEqual((await get('/v1/budgets')).json().data.map((b: { agent: string | null; period: string }) => [b.agent, b.period]), [[null, 'month'], ['hello', 'day']]);
      assert.deepEqual((await get('/v1/budgets?agent=hello')).json().data.length, 1);
      const missing = await put({ agent: 'nobody', period: 'day', max_tokens: 1 });
      assert.equal(missing.statusCode, 404, missing.body);
      assert.equal(missing.json().error.code, 'AGENT_NOT_FOUND');
      for (const body of [{ period: 'week', max_tokens: 1 }, { period: 'day', max_tokens: 0 }, { period: 'day', max_tokens: 1.5 }, { period: 'day', max_cost: -1 }, { period: 'day', max_cost: 0 }, { period: 'day', max_tokens: null }, { period: 'day', max_cost: false }, { max_tokens: 1 }, { period: 'day', agent: null, max_tokens: 1 }, { period: 'day', max_tokens: 1, extra: 1 }]) {
        const r = await put(body);
        assert.equal(r.statusCode, 400, `${JSON.stringify(body)}: ${r.body}`);
        assert.equal(r.json().error.code, 'VALIDATION_ERROR');
      }
      for (const role of ['developer', 'operator', 'viewer'] as const) assert.equal((await put({ period: 'day', max_tokens: 1 }, await t.keyFor(role))).statusCode, 403, role);
      const removed = await put({ period: 'month' });
      assert.deepEqual(removed.json(), { budget: null, removed: true });
      assert.deepEqual((await put({ period: 'month' })).json(), { budget: null, removed: false });
    });

    it('SDK: client.usage.get(), client.models.list(), client.budgets', async () => {
      const report = await client.usage.get({ agent: 'hello' });
      assert.deepEqual(report.data.map((r) => [r.model, r.total_tokens]), [['fast', 100], ['smart', 1100]]);
      assert.deepEqual((await client.models.list()).map((m) => m.alias), ['fast', 'smart']);
      await assert.rejects(client.usage.get({ from: 'soon' }), (e: unknown) => e instanceof APIError && e.status === 400);
      const r = await client.budgets.set({ agent: 'hello', period: 'month', max_tokens: 10 });
      assert.equal(r.budget?.max_tokens, 10);
      assert.deepEqual((await client.budgets.list({ agent: 'hello' })).map((b) => b.period), ['day', 'month']);
    });

    it('CLI: agentd usage, agentd models list, agentd budgets', async () => {
      const agentd = (args: string[]) =>
        new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
          const env: NodeJS.ProcessEnv = {};
          for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AGENTD_')) env[k] = v;
          execFile(process.execPath, [BIN, ...args], { env: { ...env, AGENTD_URL: url, AGENTD_API_KEY: t.adminKey }, timeout: 60_000 }, (err, stdout, stderr) =>
            done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
          );
        });
      const usage = await agentd(['usage', '--agent', 'hello']);
      assert.equal(usage.code, 0, usage.stderr);
      assert.match(usage.stdout, /2026-11-20\s+hello\s+smart\s+1000\s+500\s+100\s+\$0\.003150\s+1/);
      assert.match(usage.stdout, /total\s+1050\s+500\s+150\s+\$0\.003180\s+2/);
      const json = await agentd(['usage', '--model', 'fast', '--json']);
      assert.deepEqual(JSON.parse(json.stdout).data.map((r: { agent: string }) => r.agent), ['chat', 'hello']);
      const bad = await agentd(['usage', '--from', '2026-11-31']);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /VALIDATION_ERROR/);
      const models = await agentd(['models', 'list']);
      assert.equal(models.code, 0, models.stderr);
      assert.match(models.stdout, /fast\s+openai-compatible\s+llama-3-8b\s+\$0\.2\s+\$0\.4\s+\$0\.2\s+600\s+200000/);
      assert.ok(!models.stdout.includes(URL_SECRET));
      const set = await agentd(['budgets', 'set', '--period', 'day', '--max-cost', '2.5']);
      assert.equal(set.code, 0, set.stderr);
      assert.match(set.stdout, /day budget of the tenant: \$2\.5/);
      const list = await agentd(['budgets', 'list']);
      assert.match(list.stdout, /\(tenant\)\s+day\s+\$2\.5/);
      const wrong = await agentd(['budgets', 'set', '--period', 'week', '--max-tokens', '5']);
      assert.equal(wrong.code, 2);
      assert.match(wrong.stderr, /--period must be day or month/);
    });
  });
}
