/**
 * `POST /v1/runs/{id}/retry` on both databases, the worker protocol driven by hand: a failed
 * workflow run is retried as a new run that keeps its succeeded steps (no new child run, no new
 * approval) and runs only the failed and unfinished ones; a for_each step re-runs only its failed
 * and cancelled items, its output still in item order; what cannot be retried is 409 (a
 * succeeded, a live, an agent run) or 404; Idempotency-Key gives one retry.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';
import { deployPipelineAgents } from './helpers/workflow-fixtures.ts';

const workflow = (name: string, steps: unknown[], output?: string) => ({ apiVersion: 'agentd.dev/v1', kind: 'Workflow', metadata: { name }, spec: { ...(output ? { output } : {}), steps } });

/** research → review (a gate) → publish, which the test fails once. */
const GATED = [
  { id: 'research', agent: 'researcher', endpoint: 'research', input: { topic: '{% input.topic %}' } },
  { id: 'review', needs: ['research'], approval: { prompt: 'Publish?' } },
  { id: 'publish', needs: ['review'], agent: 'publisher', endpoint: 'publish', retry: { max_attempts: 1 }, input: { notes: '{% steps.research.output.notes %}' } },
];
const FAN = [{ id: 'fan', agent: 'writer', endpoint: 'draft', retry: { max_attempts: 1 }, for_each: '{% input.items %}', concurrency: 4, input: { n: '{% item %}' } }];

for (const d of await dialects()) {
  describe(`workflow retry (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;

    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      await deployPipelineAgents(t);
      for (const w of [workflow('gated', GATED), workflow('fan', FAN, '{% steps.fan.output %}'), workflow('one', [GATED[0]])]) {
        const r = await t.call('POST', '/v1/workflows', { body: w });
        assert.equal(r.statusCode, 201, r.body);
      }
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    const getRun = async (id: string) => (await t.call('GET', `/v1/runs/${id}`)).json();
    const children = async (id: string) => (await t.call('GET', `/v1/runs/${id}/children`)).json().data as { id: string; step: string; status: string; call_key: string; input: any }[];
    const events = async (id: string) => (await t.call('GET', `/v1/runs/${id}/events?limit=1000`, { headers: { accept: 'application/json' } })).json().data as { type: string; data: any }[];
    const lease = async (agent: string, max = 1) => (await t.call('POST', '/v1/worker/lease', { body: { agent, wait_ms: 0, max_tasks: max } })).json().tasks as { lease_id: string; run_id: string; input: any }[];
    const complete = async (task: { lease_id: string }, output: unknown) => assert.equal((await t.call('POST', `/v1/leases/${task.lease_id}/complete`, { body: { output } })).statusCode, 200);
    const fail = async (task: { lease_id: string }) => assert.equal((await t.call('POST', `/v1/leases/${task.lease_id}/fail`, { body: { error: { type: 'boom', message: 'broke' } } })).statusCode, 200);
    const start = async (name: string, input: unknown) => {
      const r = await t.call('POST', `/v1/workflows/${name}/runs`, { body: { input } });
      assert.equal(r.statusCode, 201, r.body);
      return r.json();
    };
    const retry = (id: string, body: unknown = {}, headers: Record<string, string> = {}) => t.call('POST', `/v1/runs/${id}/retry`, { body, headers });
    const pending = async (runId: string) => (await t.call('GET', `/v1/approvals?status=pending&run=${runId}`)).json().data as { id: string }[];

    it('keeps the succeeded steps (no new child, no new gate) and runs the failed one again', async () => {
      const run = await start('gated', { topic: 'tides' });
      await complete((await lease('researcher'))[0], { notes: ['high', 'low'] });
      const [gate] = await pending(run.id);
      assert.equal((await t.call('POST', `/v1/approvals/${gate.id}/approve`, { body: {} })).statusCode, 200);
      await fail((await lease('publisher'))[0]);
      const failed = await getRun(run.id);
      assert.equal(failed.status, 'failed');
      assert.equal(failed.error.details.step, 'publish');

      const r = await retry(run.id, {}, { 'idempotency-key': 'retry-gated' });
      assert.equal(r.statusCode, 201, r.body);
      const again = r.json();
      assert.notEqual(again.id, run.id);
      assert.equal(again.kind, 'workflow');
      assert.equal(again.agent, 'gated');
      assert.equal(again.agent_version, failed.agent_version);
      assert.deepEqual(again.input, { topic: 'tides' });
      assert.equal(again.status, 'running');
      assert.equal((await retry(run.id, {}, { 'idempotency-key': 'retry-gated' })).json().id, again.id, 'the same key: the same retry');
      assert.equal((await getRun(run.id)).status, 'failed', 'the failed run never changes');

      // Only publish runs again, with the kept research output; the gate is not asked again.
      assert.deepEqual((await children(again.id)).map((k) => [k.step, k.call_key]), [['publish', 'step:publish']]);
      assert.deepEqual((await children(again.id))[0].input, { notes: ['high', 'low'] });
      assert.equal((await pending(again.id)).length, 0);
      assert.equal((await lease('researcher')).length, 0);
      await complete((await lease('publisher'))[0], { url: 'https://x/tides' });
      const done = await getRun(again.id);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.deepEqual(done.output, { publish: { url: 'https://x/tides' } });
      const evs = await events(again.id);
      assert.deepEqual(evs[0].data.retry_of, run.id);
      assert.deepEqual(evs[0].data.kept_steps.sort(), ['research', 'review']);
      assert.deepEqual(evs.filter((e) => e.type === 'workflow.step.started').map((e) => e.data.step), ['publish']);
    });

    it('a for_each step runs only its failed and cancelled items again; the output keeps item order', async () => {
      const run = await start('fan', { items: [10, 20, 30, 40] });
      const tasks = await lease('writer', 4);
      const by = new Map(tasks.map((x) => [x.input.n as number, x]));
      await complete(by.get(10)!, { v: 1 });
      await complete(by.get(30)!, { v: 3 });
      await fail(by.get(20)!); // item 1 fails: the workflow fails, item 3 is cancelled
      assert.equal((await getRun(run.id)).status, 'failed');
      assert.equal((await getRun(by.get(40)!.run_id)).status, 'cancelled');

      const r = await retry(run.id);
      assert.equal(r.statusCode, 201, r.body);
      const again = r.json();
      assert.deepEqual((await children(again.id)).map((k) => k.call_key).sort(), ['step:fan#1', 'step:fan#3']);
      for (const task of await lease('writer', 4)) await complete(task, { v: task.input.n / 10 });
      const done = await getRun(again.id);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.deepEqual(done.output, [{ v: 1 }, { v: 2 }, { v: 3 }, { v: 4 }]);
      const started = (await events(again.id)).filter((e) => e.type === 'workflow.step.started');
      assert.deepEqual(started.map((e) => e.data.iteration), [-1, 1, 3]);
      assert.equal(started[0].data.kept, 2);
    });

    it('refuses what cannot be retried: a succeeded or live workflow run, an agent run (409), an unknown run (404)', async () => {
      const live = await start('one', { topic: 'x' });
      const r1 = await retry(live.id);
      assert.equal(r1.statusCode, 409, r1.body);
      assert.equal(r1.json().error.code, 'RUN_NOT_RETRYABLE');
      assert.deepEqual(r1.json().error.details, { kind: 'workflow', status: 'running' });
      const [task] = await lease('researcher');
      await complete(task, { notes: [] });
      assert.equal((await getRun(live.id)).status, 'succeeded');
      const r2 = await retry(live.id);
      assert.equal(r2.statusCode, 409);
      assert.match(r2.json().error.message, /succeeded/);
      const r3 = await retry(task.run_id);
      assert.equal(r3.statusCode, 409);
      assert.equal(r3.json().error.details.kind, 'agent');
      const r4 = await retry('run_nope');
      assert.equal(r4.statusCode, 404);
      assert.equal(r4.json().error.code, 'RUN_NOT_FOUND');
    });
  });
}
