/**
 * The model aliases' shared requests/tokens-per-minute limits (usage/model-rate-limiter.ts),
 * across two engine instances on one database:
 * - PostgreSQL: two stores and engines (two nodes) on one database;
 * - SQLite: one process owns the file (see schedules-nodes.test.ts), so two engines over the one
 *   store: their acquires meet only in the shared table, as two nodes' would.
 * The clock is injected and a wait is a call of the injected sleep, which moves the clock: no test
 * waits for real time.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelAliasConfig } from '@agentd/protocol/schemas';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { ManualClock } from './helpers/test-app.ts';
import { createEngine, type Engine } from '../src/engine.ts';
import { Keyring } from '../src/secrets/master-key.ts';
import { DEFAULT_TENANT, type Store } from '../src/store/store.ts';
import { ModelRateLimitedError } from '../src/usage/index.ts';

const MODELS: Record<string, ModelAliasConfig> = {
  rpm3: { provider: 'openai', model: 'm', requests_per_minute: 3 },
  rpm1: { provider: 'openai', model: 'm', requests_per_minute: 1 },
  tpm: { provider: 'openai', model: 'm', tokens_per_minute: 1000 },
  open: { provider: 'openai', model: 'm' },
};
const MAX_WAIT_MS = 30_000;

for (const d of await dialects()) {
  describe(`model alias rate limits across two engines (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
    const stores: Store[] = [];
    let a: Engine;
    let b: Engine;
    /** Every wait asked for, ms; each one moves the shared clock on. */
    const sleeps: number[] = [];
    const sleep = async (ms: number) => {
      sleeps.push(ms);
      clock.advance(ms);
    };

    before(async () => {
      db = await d.create();
      stores.push(await db.open(() => clock.now()));
      if (d.name === 'postgres') stores.push(await db.open(() => clock.now()));
      const engineOn = (store: Store) => createEngine({ store, clock, keyring: Keyring.generate(), models: MODELS, modelRateLimits: { maxWaitMs: MAX_WAIT_MS, sleep } });
      a = engineOn(stores[0]);
      b = engineOn(stores[stores.length - 1]);
    });
    after(async () => {
      for (const s of stores) await s.close();
      await db?.cleanup();
    });

    const rejection = async (p: Promise<unknown>): Promise<ModelRateLimitedError> => {
      try {
        await p;
      } catch (err) {
        assert.ok(err instanceof ModelRateLimitedError, String(err));
        return err;
      }
      assert.fail('expected a ModelRateLimitedError');
    };

    it('requests per minute are shared: two nodes together get 3 calls, the 4th waits for the refill', async () => {
      sleeps.length = 0;
      await a.usage.acquire('rpm3', 0);
      await b.usage.acquire('rpm3', 0);
      await a.usage.acquire('rpm3', 0);
      assert.deepEqual(sleeps, []);
      await b.usage.acquire('rpm3', 0);
      assert.deepEqual(sleeps, [20_000], 'one request comes back every 60 s / 3');
    });

    it('a wait longer than maxWaitMs fails at once, clearly, with the time until admission', async () => {
      sleeps.length = 0;
      await a.usage.acquire('rpm1', 0);
      const err = await rejection(b.usage.acquire('rpm1', 0));
      assert.equal(err.alias, 'rpm1');
      assert.equal(err.retryAfterMs, 60_000);
      assert.match(err.message, /rpm1 is at its shared per-minute limit \(1 requests\/min\)/);
      assert.deepEqual(sleeps, [], 'it did not sleep for a wait it could never finish');
    });

    it('at once from both nodes, an alias with 1 request per minute admits exactly one call', async () => {
      clock.advance(60_000);
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).usage.acquire('rpm1', 0)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(results.map((r) => r.status)));
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof ModelRateLimitedError, String(r.reason));
    });

    it('tokens per minute: estimates are taken across nodes, the real figure replaces the estimate, an estimate above the limit never fits', async () => {
      sleeps.length = 0;
      await a.usage.acquire('tpm', 600);
      await b.usage.acquire('tpm', 300);
      // 100 left: 200 more needs 100 tokens of refill at 1000 per minute = 6 s.
      await a.usage.acquire('tpm', 200);
      assert.deepEqual(sleeps, [6000]);
      // The 600-token call used 100: recording it gives 500 back to the shared bucket.
      await stores[0].writer.write((ctx) => a.usage.recordUsage(ctx, { tenantId: DEFAULT_TENANT, runId: 'run_1', agent: 'x', modelAlias: 'tpm', reservedTokens: 600, inputTokens: 60, outputTokens: 40 }));
      await b.usage.acquire('tpm', 500);
      assert.deepEqual(sleeps, [6000], 'the 500 given back were there at once');
      // A call that used more than its estimate takes the rest: the bucket goes below zero.
      await stores[0].writer.write((ctx) => b.usage.recordUsage(ctx, { tenantId: DEFAULT_TENANT, runId: 'run_1', agent: 'x', modelAlias: 'tpm', reservedTokens: 500, inputTokens: 600, outputTokens: 100 }));
      // 200 below zero: 1 more token needs 201 of refill = 12.06 s.
      await a.usage.acquire('tpm', 1);
      assert.deepEqual(sleeps, [6000, 12_060]);
      const never = await rejection(b.usage.acquire('tpm', 1001));
      assert.equal(never.retryAfterMs, null);
      assert.match(never.message, /above model alias tpm's tokens_per_minute \(1000\)/);
    });

    it('an alias without limits admits at once and writes nothing; an unknown alias is refused', async () => {
      await a.usage.acquire('open', 1_000_000);
      const rows = await stores[0].db.selectFrom('model_rate_buckets').select('alias').where('alias', '=', 'open').execute();
      assert.deepEqual(rows, []);
      const err = await rejection(a.usage.acquire('nope', 1));
      assert.equal(err.retryAfterMs, null);
      assert.match(err.message, /not configured/);
    });

    it('an aborted wait stops with the signal', async () => {
      const ac = new AbortController();
      ac.abort(new Error('lease lost'));
      await assert.rejects(a.usage.acquire('rpm3', 0, { signal: ac.signal }), /lease lost/);
    });
  });
}
