/**
 * for_each steps on both databases, the worker protocol driven by hand: a fan-out of 100 items
 * with concurrency 10 never has more than 10 live children (counted in the database after every
 * completion, and replayed from the workflow run's events), its outputs come back in item order
 * whatever order the children end in; one failed item fails the step and the workflow, cancels
 * the live items and starts no more; an empty list succeeds at once; a list that is no list or is
 * longer than the fan-out cap fails the step.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';

const agent = {
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name: 'mapper' },
  spec: { runtime: 'worker', endpoints: { map: { input: { type: 'object', required: ['n', 'i'] }, output: { type: 'object' }, retry: { max_attempts: 1 } } } },
};

function fanOut(name: string, concurrency: number): Record<string, any> {
  return {
    apiVersion: 'agentd.dev/v1',
    kind: 'Workflow',
    metadata: { name },
    spec: {
      output: '{% steps.fan.output %}',
      steps: [{ id: 'fan', agent: 'mapper', endpoint: 'map', for_each: '{% input.items %}', concurrency, input: { n: '{% item %}', i: '{% index %}' } }],
    },
  };
}

/** A seeded shuffle, so a failure can be replayed. */
function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

for (const d of await dialects()) {
  describe(`workflow for_each (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;

    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      assert.equal((await t.call('POST', '/v1/agents', { body: agent })).statusCode, 201);
      for (const [name, c] of [['fan-100', 10], ['fan-fail', 2], ['fan-small', 3]] as const) {
        const r = await t.call('POST', '/v1/workflows', { body: fanOut(name, c) });
        assert.equal(r.statusCode, 201, r.body);
      }
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    const getRun = async (id: string) => (await t.call('GET', `/v1/runs/${id}`)).json();
    const start = async (name: string, input: unknown) => {
      const r = await t.call('POST', `/v1/workflows/${name}/runs`, { body: { input } });
      assert.equal(r.statusCode, 201, r.body);
      return r.json();
    };
    const lease = async (max: number) => (await t.call('POST', '/v1/worker/lease', { body: { agent: 'mapper', wait_ms: 0, max_tasks: max } })).json().tasks as { lease_id: string; run_id: string; input: { n: number; i: number } }[];
    const liveChildren = async (runId: string) =>
      Number(
        (
          await t.store.db
            .selectFrom('runs')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('tenant_id', '=', t.tenantId)
            .where('parent_run_id', '=', runId)
            .where('status', 'in', ['queued', 'running', 'waiting'])
            .executeTakeFirstOrThrow()
        ).n,
      );
    const allEvents = async (id: string) => {
      const out: { type: string; data: any }[] = [];
      let after = 0;
      for (;;) {
        const page = (await t.call('GET', `/v1/runs/${id}/events?after=${after}&limit=1000`, { headers: { accept: 'application/json' } })).json();
        out.push(...page.data);
        if (!page.next_cursor || page.data.length === 0) return out;
        after = page.data.at(-1).seq;
      }
    };

    it('fans out 100 items with concurrency 10: never more than 10 live children, outputs in item order', async () => {
      const items = Array.from({ length: 100 }, (_, i) => i * 3);
      const run = await start('fan-100', { items });
      assert.equal(run.status, 'running');
      assert.equal(await liveChildren(run.id), 10, 'the first 10 items start with the workflow');
      let maxLive = 0;
      let done = 0;
      let round = 0;
      while (done < items.length) {
        // Lease a few of the live items at a time and complete them out of order.
        const tasks = await lease(7);
        assert.ok(tasks.length > 0, `round ${round}: a task to lease (done ${done})`);
        for (const task of shuffled(tasks, ++round)) {
          const r = await t.call('POST', `/v1/leases/${task.lease_id}/complete`, { body: { output: { doubled: task.input.n * 2, i: task.input.i } } });
          assert.equal(r.statusCode, 200, r.body);
          done++;
          const live = await liveChildren(run.id);
          assert.ok(live <= 10, `${live} live children after ${done} completions`);
          maxLive = Math.max(maxLive, live);
          const running = await t.store.db.selectFrom('workflow_steps').select('iteration').where('tenant_id', '=', t.tenantId).where('run_id', '=', run.id).where('iteration', '>=', 0).where('status', '=', 'running').execute();
          assert.equal(running.length, live, 'the running item rows are the live children');
        }
      }
      assert.equal(maxLive, 10);
      const ended = await getRun(run.id);
      assert.equal(ended.status, 'succeeded', JSON.stringify(ended.error));
      assert.deepEqual(ended.output, items.map((n, i) => ({ doubled: n * 2, i })));
      assert.equal((await t.call('GET', `/v1/runs/${run.id}/children?limit=200`)).json().data.length, 100);

      // The events tell the same: replayed, never more than 10 items between started and ended.
      const evs = await allEvents(run.id);
      let live = 0;
      let peak = 0;
      const started = new Set<number>();
      for (const e of evs) {
        if (e.data?.step !== 'fan' || e.data.iteration < 0) continue;
        if (e.type === 'workflow.step.started') {
          started.add(e.data.iteration);
          peak = Math.max(peak, ++live);
        } else if (e.type === 'workflow.step.succeeded' || e.type === 'workflow.step.failed') live--;
      }
      assert.equal(started.size, 100, 'each item started once');
      assert.equal(peak, 10);
      assert.equal(live, 0);
      const self = evs.filter((e) => e.data?.step === 'fan' && e.data.iteration === -1).map((e) => e.type);
      assert.deepEqual(self, ['workflow.step.started', 'workflow.step.succeeded']);
      assert.equal(evs.at(-1)!.type, 'run.succeeded');
    });

    it('one failed item fails the step and the workflow: live items are cancelled, pending ones never start', async () => {
      const run = await start('fan-fail', { items: [10, 11, 12, 13, 14] });
      const first = await lease(2);
      assert.deepEqual(first.map((x) => x.input.i).sort(), [0, 1]);
      const zero = first.find((x) => x.input.i === 0)!;
      const one = first.find((x) => x.input.i === 1)!;
      assert.equal((await t.call('POST', `/v1/leases/${zero.lease_id}/complete`, { body: { output: { ok: 0 } } })).statusCode, 200);
      // Item 2 started in item 0's place; item 1 fails for good (max_attempts 1).
      const f = await t.call('POST', `/v1/leases/${one.lease_id}/fail`, { body: { error: { type: 'boom', message: 'item one broke' } } });
      assert.equal(f.statusCode, 200, f.body);
      const ended = await getRun(run.id);
      assert.equal(ended.status, 'failed');
      assert.equal(ended.error.type, 'step_failed');
      assert.equal(ended.error.details.step, 'fan');
      assert.equal(ended.error.details.error.type, 'item_failed');
      assert.equal(ended.error.details.error.details.index, 1);
      assert.equal(ended.error.details.error.details.child_run_id, one.run_id);
      assert.equal(ended.error.details.error.details.error.type, 'boom');
      const kids = (await t.call('GET', `/v1/runs/${run.id}/children`)).json().data as { call_key: string; status: string }[];
      assert.deepEqual(Object.fromEntries(kids.map((k) => [k.call_key, k.status])), { 'step:fan#0': 'succeeded', 'step:fan#1': 'failed', 'step:fan#2': 'cancelled' });
      const rows = await t.store.db.selectFrom('workflow_steps').select(['iteration', 'status', 'input']).where('tenant_id', '=', t.tenantId).where('run_id', '=', run.id).orderBy('iteration').execute();
      assert.deepEqual(rows.map((r) => [r.iteration, r.status, r.input]), [[-1, 'failed', null], [0, 'succeeded', null], [1, 'failed', null], [2, 'cancelled', null], [3, 'cancelled', null], [4, 'cancelled', null]]);
      assert.equal((await lease(10)).length, 0, 'nothing more to lease');
    });

    it('an empty list succeeds at once; a list that is no list, or longer than the fan-out cap, fails the step', async () => {
      const empty = await start('fan-small', { items: [] });
      assert.equal(empty.status, 'succeeded', JSON.stringify(empty.error));
      assert.deepEqual(empty.output, []);

      const notList = await start('fan-small', { items: 'abc' });
      assert.equal(notList.status, 'failed');
      assert.equal(notList.error.details.error.type, 'for_each_not_list');

      const tooMany = await start('fan-small', { items: Array.from({ length: 101 }, (_, i) => i) });
      assert.equal(tooMany.status, 'failed');
      assert.equal(tooMany.error.details.error.type, 'too_many_items');
      assert.deepEqual(tooMany.error.details.error.details, { items: 101, max_items: 100 });
      assert.equal(await liveChildren(tooMany.id), 0);

      // An item whose input does not fit the endpoint fails the step before any item starts.
      const bad = await t.call('POST', '/v1/workflows', { body: { ...fanOut('fan-bad', 2), spec: { steps: [{ id: 'fan', agent: 'mapper', endpoint: 'map', for_each: '{% input.items %}', input: '{% item %}' }] } } });
      assert.equal(bad.statusCode, 201, bad.body);
      const badRun = await start('fan-bad', { items: [{ n: 1, i: 0 }, { n: 2 }] });
      assert.equal(badRun.status, 'failed');
      assert.equal(badRun.error.details.error.type, 'input_invalid');
      assert.match(badRun.error.details.error.message, /item 1 of step fan/);
      assert.equal((await t.call('GET', `/v1/runs/${badRun.id}/children`)).json().data.length, 0);
    });
  });
}
