/**
 * Waiting LLM runs are parked, on both databases: a run waiting on a gated tool's approval or an
 * agent tool's child gives its lease up (`waiting`, no lease, its attempt ended `parked`), so
 * with a limit of 2 three runs waiting on approvals hold no loop and leave room for a fourth run,
 * which completes; decided, each is leased again and finishes from its events. With a limit of 1
 * a parent whose tool is an LLM child agent completes (the parked parent leaves the slot to the
 * child). A parked run is cancelled like any waiting run, and its deadline still ends it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';
import { waitUntil } from './helpers/server-process.ts';
import { FakeLlm, defaultScript } from './helpers/fake-llm.ts';

const KEY = 'sk-concurrency-test';

for (const d of await dialects()) {
  describe(`LLM runs parked while they wait (${d.name})`, { skip: d.skip }, () => {
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

    /** Runs holding a lease (running, or waiting the worker way), read from the database. */
    const leased = async (t: TestApp) => (await t.store.db.selectFrom('runs').select('id').where('tenant_id', '=', t.tenantId).where('lease_id', 'is not', null).where('status', 'in', ['running', 'waiting']).execute()).length;

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
      for (const id of ids) {
        const r = (await t.call('GET', `/v1/runs/${id}`)).json();
        assert.deepEqual([r.status, r.waiting_reason, r.lease_expires_at ?? null], ['waiting', 'approval', null]);
      }
      // Parked in the commit that asked for the approval: the loop ends just after it.
      await waitUntil(async () => t.engine.llm.active === 0 || null, { timeoutMs: 30_000, what: 'the waiting loops to end' });
      assert.equal(await leased(t), 0, 'no run holds a lease');

      const run = await finished(t, await start(t, 'plain', 'hello'));
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.equal(run.output.text, 'Hello from fake model: hello');

      // Decided, the parked runs go back to the queue, are leased again (at most 2 at once) and end.
      for (const a of pending) assert.equal((await t.call('POST', `/v1/approvals/${a.id}/reject`, { body: { reason: 'no' } })).statusCode, 200);
      for (const id of ids) {
        const r = await finished(t, id);
        assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
        assert.match(r.output.text, /tool_call_rejected/);
        const attempts = (await t.call('GET', `/v1/runs/${id}/attempts`)).json().data.map((a: { outcome: string }) => a.outcome);
        assert.deepEqual(attempts, ['parked', 'succeeded']);
      }
      // A loop leaves the runner just after its run's completion commits.
      await waitUntil(async () => t.engine.llm.active === 0 || null, { timeoutMs: 30_000, what: 'the loops to end' });
      assert.equal(await leased(t), 0);
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
      const parent = { apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name: 'parent' }, spec: { runtime: 'llm', model: 'fake', tools: [{ agent: 'child', endpoint: 'chat' }], limits: { timeout: '5m' } } };
      assert.equal((await t.call('POST', '/v1/agents', { body: child })).statusCode, 201);
      assert.equal((await t.call('POST', '/v1/agents', { body: parent })).statusCode, 201);
      const id = await start(t, 'parent', 'delegate');
      const run = await finished(t, id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.match(String(run.output.text), /^parent got: .*child did: child work/);
      const kids = (await t.call('GET', `/v1/runs/${id}/children`)).json().data;
      assert.equal(kids.length, 1);
      assert.equal(kids[0].status, 'succeeded');
      const attempts = (await t.call('GET', `/v1/runs/${id}/attempts`)).json().data.map((a: { outcome: string }) => a.outcome);
      assert.deepEqual(attempts, ['parked', 'succeeded'], 'parked while its child ran, then leased again');
      // The attempt timeout pauses while parked: the second attempt's deadline is its lease time
      // plus the timeout less what the first attempt worked (its park's wait not counted).
      const row = await t.store.db.selectFrom('runs').select(['attempt_deadline_at', 'timeout_ms']).where('tenant_id', '=', t.tenantId).where('id', '=', id).executeTakeFirstOrThrow();
      const [a1, a2] = await t.store.db.selectFrom('run_attempts').select(['started_at', 'ended_at']).where('tenant_id', '=', t.tenantId).where('run_id', '=', id).orderBy('attempt').execute();
      assert.equal(Number(row.timeout_ms), 300_000);
      assert.equal(Number(row.attempt_deadline_at), Number(a2.started_at) + 300_000 - (Number(a1.ended_at) - Number(a1.started_at)));
      const events = (await t.call('GET', `/v1/runs/${id}/events?limit=1000`, { headers: { accept: 'application/json' } })).json().data as { type: string; data: any }[];
      const waits = events.filter((e) => e.type === 'run.waiting' || e.type === 'run.resumed').map((e) => [e.type, e.data.reason, e.data.parked]);
      assert.deepEqual(waits, [['run.waiting', 'child', true], ['run.resumed', 'child', true]]);
      assert.equal(events.filter((e) => e.type === 'run.tool_started').length, 1, 'the call was started once');
    });

    it('a parked run is cancelled (its approval with it), and a parked run past its deadline ends timed_out', async () => {
      openai.script = defaultScript;
      const t = await app(2);
      const worker = { apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name: 'refunds' }, spec: { runtime: 'worker', endpoints: { issue: { input: { type: 'object' } } } } };
      const gated = { apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name: 'gated' }, spec: { runtime: 'llm', model: 'fake', tools: [{ agent: 'refunds', endpoint: 'issue', approval: 'always' }] } };
      assert.equal((await t.call('POST', '/v1/agents', { body: worker })).statusCode, 201);
      assert.equal((await t.call('POST', '/v1/agents', { body: gated })).statusCode, 201);
      const id = await start(t, 'gated', 'refund 1');
      const approval = await waitUntil(async () => (await t.call('GET', `/v1/approvals?run=${id}&status=pending`)).json().data[0], { timeoutMs: 30_000, what: 'a pending approval' });
      await waitUntil(async () => t.engine.llm.active === 0 || null, { timeoutMs: 30_000, what: 'the loop to park' });
      assert.equal((await t.call('POST', `/v1/runs/${id}/cancel`, { body: { reason: 'changed my mind' } })).statusCode, 200);
      const cancelled = await finished(t, id);
      assert.equal(cancelled.status, 'cancelled');
      assert.equal((await t.call('GET', `/v1/approvals/${approval.id}`)).json().status, 'cancelled');
      assert.equal((await t.call('GET', '/v1/runs?agent=refunds')).json().data.length, 0, 'the gated call never ran');

      // A deadline a little ahead: the run parks on its approval, and the sweeper ends it there.
      const deadline = new Date(Date.now() + 3000).toISOString();
      const r = await t.call('POST', '/v1/runs', { body: { agent: 'gated', endpoint: 'chat', input: { message: 'refund 2' }, deadline } });
      assert.equal(r.statusCode, 201, r.body);
      const late = r.json().id as string;
      await waitUntil(async () => (await t.call('GET', `/v1/approvals?run=${late}&status=pending`)).json().data[0], { timeoutMs: 30_000, what: 'its approval' });
      const timedOut = await waitUntil(async () => {
        await t.engine.sweeper.sweepOnce();
        const got = (await t.call('GET', `/v1/runs/${late}`)).json();
        return got.status === 'waiting' ? null : got;
      }, { timeoutMs: 30_000, what: 'the sweeper to end the parked run at its deadline' });
      assert.equal(timedOut.status, 'timed_out');
      assert.equal(timedOut.error.type, 'deadline_exceeded');
    });
  });
}
