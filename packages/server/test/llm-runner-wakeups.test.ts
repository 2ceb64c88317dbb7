/**
 * How the LLM runner finds work, on both databases: it leases an agent's runs when a commit wakes
 * that agent's queue, not by reading every LLM agent each tick; an idle runner with many LLM
 * agents makes no lease read per agent; and a run whose wake-up never came (dropped here on
 * purpose) is found by the poll's sweep, one read for all agents together.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';
import { waitUntil } from './helpers/server-process.ts';
import { FakeLlm } from './helpers/fake-llm.ts';

const KEY = 'sk-fake-llm-wakeups';
const AGENTS = 30;

const llmAgent = (name: string) => ({ apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name }, spec: { runtime: 'llm', model: 'fake', instructions: 'Answer.' } });

for (const d of await dialects()) {
  describe(`LLM runner wake-ups (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    const fake = new FakeLlm({ apiKey: KEY });
    /** The agents the runner asked the lease service for, in order. */
    const leaseReads: string[] = [];

    before(async () => {
      await fake.start();
      db = await d.create();
      t = await startTestApp(db, {
        models: { fake: { provider: 'openai-compatible', base_url: fake.baseUrl, model: 'fake-1', api_key_secret: 'fake_key' } },
        llm: { pollIntervalMs: 50, deltaIntervalMs: 50 },
      });
      assert.equal((await t.call('POST', '/v1/secrets', { body: { name: 'fake_key', value: KEY } })).statusCode, 201);
      for (let i = 0; i < AGENTS; i++) assert.equal((await t.call('POST', '/v1/agents', { body: llmAgent(`w${i}`) })).statusCode, 201);
      const leases = t.engine.leases;
      const leaseOnce = leases.leaseOnce.bind(leases);
      leases.leaseOnce = (req) => {
        leaseReads.push(req.agent);
        return leaseOnce(req);
      };
      t.engine.llm.start();
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
      await fake.stop();
    });

    const start = async (agent: string) => {
      const r = await t.call('POST', '/v1/runs', { body: { agent, endpoint: 'chat', input: { message: `to ${agent}` } } });
      assert.equal(r.statusCode, 201, r.body);
      return r.json<{ id: string }>().id;
    };
    const succeeded = (id: string) =>
      waitUntil(async () => {
        const r = (await t.call('GET', `/v1/runs/${id}`)).json();
        return r.status === 'succeeded' ? r : null;
      }, { timeoutMs: 30_000, what: `run ${id} to succeed` });

    it('an idle runner with many LLM agents makes no lease read per agent, however often it wakes', async () => {
      leaseReads.length = 0;
      for (let i = 0; i < 10; i++) {
        await t.engine.llm.wake();
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.deepEqual(leaseReads, []);
    });

    it("a run's commit wakes its agent's queue: the runner leases that agent only", async () => {
      // The runner subscribes to the queues of the agents it has listed; it lists them again every second.
      await waitUntil(async () => {
        leaseReads.length = 0;
        const id = await start('w7');
        await succeeded(id);
        return leaseReads.includes('w7') ? true : null;
      }, { timeoutMs: 30_000, what: 'a run of w7 leased' });
      assert.deepEqual([...new Set(leaseReads)], ['w7']);
    });

    it("a run whose wake-up was lost is found by the poll's sweep", async () => {
      const notifier = t.store.notifier;
      const emit = notifier.emit.bind(notifier);
      notifier.emit = (topic) => {
        if (!topic.startsWith('queue:')) emit(topic);
      };
      let id: string;
      try {
        leaseReads.length = 0;
        id = await start('w12');
      } finally {
        notifier.emit = emit;
      }
      await succeeded(id);
      assert.ok(leaseReads.includes('w12'));
      assert.deepEqual([...new Set(leaseReads)], ['w12']);
    });
  });
}
