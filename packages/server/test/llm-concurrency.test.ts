/**
 * The LLM runner's concurrency limit counts loops at work, not loops waiting, on both databases:
 * with a limit of 2, three runs each waiting on a gated tool's approval leave room for a fourth
 * run, which completes; and with a limit of 1 a parent whose tool is an LLM child agent
 * completes (the waiting parent gives its slot to the child instead of deadlocking).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';
import { waitUntil } from './helpers/server-process.ts';
import { FakeLlm, defaultScript } from './helpers/fake-llm.ts';

const KEY = 'sk-concurrency-test';

for (const d of await dialects()) {
  describe(`LLM runner concurrency with waiting loops (${d.name})`, { skip: d.skip }, () => {
    const openai = new FakeLlm({ apiKey: KEY });
    const open: { t: TestApp; db: TestDatabase }[] = [];

    before(() => openai.start());
    after(async () => {
      for (const o of open) {
        await o.t.close();
        await o.db.cleanup();
      }
      await openai.stop();
    });

    async function app(concurrency: number): Promise<TestApp> {
      const db = await d.create();
      const t = await startTestApp(db, {
        models: { fake: { provider: 'openai-compatible', base_url: openai.baseUrl, model: 'fake-1', api_key_secret: 'model_key' } },
        llm: { pollIntervalMs: 50, concurrency },
      });
      open.push({ t, db });
      assert.equal((await t.call('POST', '/v1/secrets', { body: { name: 'model_key', value: KEY } })).statusCode, 201);
      t.engine.llm.start();
      return t;
    }

    const finished = (t: TestApp, id: string) =>
      waitUntil(async () => {
        const r = (await t.call('GET', `/v1/runs/${id}`)).json();
        return ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(r.status) ? r : null;
      }, { timeoutMs: 30_000, what: `run ${id} to end` });

    const start = async (t: TestApp, agent: string, message: string) => {
      const r = await t.call('POST', '/v1/runs', { body: { agent, endpoint: 'chat', input: { message } } });
      assert.equal(r.statusCode, 201, r.body);
      return r.json().id as string;
    };

    it('three runs waiting on approvals (limit 2) leave room for a fourth run', async () => {
      openai.script = defaultScript; // calls the refund tool when asked to refund, else says hello
      const t = await app(2);
      const worker = { apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name: 'refunds' }, spec: { runtime: 'worker', endpoints: { issue: { input: { type: 'object' } } } } };
      assert.equal((await t.call('POST', '/v1/agents', { body: worker })).statusCode, 201);
      const gated = { apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name: 'gated' }, spec: { runtime: 'llm', model: 'fake', tools: [{ agent: 'refunds', endpoint: 'issue', approval: 'always' }] } };
      const plain = { apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name: 'plain' }, spec: { runtime: 'llm', model: 'fake' } };
      assert.equal((await t.call('POST', '/v1/agents', { body: gated })).statusCode, 201);
      assert.equal((await t.call('POST', '/v1/agents', { body: plain })).statusCode, 201);

      const ids = [await start(t, 'gated', 'refund 1'), await start(t, 'gated', 'refund 2'), await start(t, 'gated', 'refund 3')];
      const pending = await waitUntil(
        async () => {
          const list = (await t.call('GET', '/v1/approvals?status=pending')).json().data;
          return list.length === 3 ? list : null;
        },
        { timeoutMs: 30_000, what: 'three approvals pending' },
      );
      for (const id of ids) assert.equal((await t.call('GET', `/v1/runs/${id}`)).json().status, 'waiting');
      // The approval is written just before its loop gives its slot back.
      await waitUntil(async () => t.engine.llm.busy === 0 || null, { timeoutMs: 30_000, what: 'the waiting loops to give their slots back' });
      assert.equal(t.engine.llm.active, 3, 'three loops live, more than the limit');

      const run = await finished(t, await start(t, 'plain', 'hello'));
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.equal(run.output.text, 'Hello from fake model: hello');

      // The waiting loops take their slots back when decided (at most 2 at once) and end.
      for (const a of pending) assert.equal((await t.call('POST', `/v1/approvals/${a.id}/reject`, { body: { reason: 'no' } })).statusCode, 200);
      for (const id of ids) {
        const r = await finished(t, id);
        assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
      }
      // A loop gives its slot back once its last write is answered, which may be just after the
      // run reads as succeeded on the read connection.
      await waitUntil(async () => t.engine.llm.busy === 0 || null, { timeoutMs: 10_000, what: 'every slot given back' });
    });

    it('a parent whose tool is an LLM child agent completes with a limit of 1', async () => {
      openai.script = (turn) => {
        if (turn.tools.includes('child_chat')) {
          if (turn.toolResults.length === 0) return { toolCalls: [{ name: 'child_chat', args: { message: 'child work' } }] };
          return `parent got: ${turn.toolResults[0]!.text}`;
        }
        return `child did: ${turn.userText}`;
      };
      const t = await app(1);
      const child = { apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name: 'child' }, spec: { runtime: 'llm', model: 'fake' } };
      const parent = { apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name: 'parent' }, spec: { runtime: 'llm', model: 'fake', tools: [{ agent: 'child', endpoint: 'chat' }] } };
      assert.equal((await t.call('POST', '/v1/agents', { body: child })).statusCode, 201);
      assert.equal((await t.call('POST', '/v1/agents', { body: parent })).statusCode, 201);
      const id = await start(t, 'parent', 'delegate');
      const run = await finished(t, id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.match(String(run.output.text), /^parent got: .*child did: child work/);
      const kids = (await t.call('GET', `/v1/runs/${id}/children`)).json().data;
      assert.equal(kids.length, 1);
      assert.equal(kids[0].status, 'succeeded');
    });
  });
}
