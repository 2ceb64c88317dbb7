/**
 * Live run controls (`PATCH /v1/runs/{id}`): guarded by the run's generation (body or If-Match),
 * only while the run is live; every change bumps the generation, is a `run.updated` event and an
 * audit entry; priority keeps the leasing order.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';

for (const d of await dialects()) {
  describe(`live run controls (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let worker: string;

    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      assert.equal((await t.call('POST', '/v1/agents', { body: HELLO_MANIFEST })).statusCode, 201);
      worker = await t.keyFor('worker', t.tenantId, ['hello']);
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    const create = async (priority = 0) => {
      const r = await t.call('POST', '/v1/runs', { body: { agent: 'hello', endpoint: 'greet', input: { name: 'c' }, priority } });
      assert.equal(r.statusCode, 201, r.body);
      return r.json();
    };
    const patch = (id: string, body: unknown, headers: Record<string, string> = {}) => t.call('PATCH', `/v1/runs/${id}`, { body, headers });
    const events = async (id: string) => (await t.call('GET', `/v1/runs/${id}/events`, { headers: { accept: 'application/json' } })).json().data as { type: string; data: any }[];

    it('a new run is at generation 1, and GET sends it as the ETag', async () => {
      const run = await create();
      assert.equal(run.generation, 1);
      const r = await t.call('GET', `/v1/runs/${run.id}`);
      assert.equal(r.headers.etag, '"1"');
      assert.equal(r.json().generation, 1);
    });

    it('PATCH with the generation changes max_attempts: 200, generation +1, run.updated with old and new, audited', async () => {
      const run = await create();
      const r = await patch(run.id, { generation: 1, max_attempts: 5 });
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.json().max_attempts, 5);
      assert.equal(r.json().generation, 2);
      assert.equal(r.headers.etag, '"2"');
      const got = (await t.call('GET', `/v1/runs/${run.id}`)).json();
      assert.equal(got.max_attempts, 5);
      const updated = (await events(run.id)).filter((e) => e.type === 'run.updated');
      assert.equal(updated.length, 1);
      assert.deepEqual(updated[0].data, { generation: 2, changes: { max_attempts: { old: 3, new: 5 } } });
      await t.engine.audit.settled();
      const audit = (await t.call('GET', '/v1/audit?limit=500')).json().data as { action: string; target_id: string; outcome: string }[];
      assert.ok(audit.some((a) => a.action === 'PATCH /v1/runs/{id}' && a.target_id === run.id && a.outcome === 'ok'), JSON.stringify(audit.slice(0, 3)));
    });

    it('the same PATCH with the old generation is 409 GENERATION_CONFLICT naming the current one, and changes nothing', async () => {
      const run = await create();
      assert.equal((await patch(run.id, { generation: 1, max_attempts: 5 })).statusCode, 200);
      const r = await patch(run.id, { generation: 1, max_attempts: 7 });
      assert.equal(r.statusCode, 409, r.body);
      assert.equal(r.json().error.code, 'GENERATION_CONFLICT');
      assert.equal(r.json().error.details.generation, 2);
      const got = (await t.call('GET', `/v1/runs/${run.id}`)).json();
      assert.equal(got.max_attempts, 5);
      assert.equal(got.generation, 2);
    });

    it('If-Match carries the generation; a stale one is 409; disagreeing with the body, or none at all, is 400', async () => {
      const run = await create();
      const ok = await patch(run.id, { priority: 7 }, { 'if-match': '"1"' });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.json().priority, 7);
      const stale = await patch(run.id, { priority: 8 }, { 'if-match': '"1"' });
      assert.equal(stale.statusCode, 409);
      assert.equal(stale.json().error.code, 'GENERATION_CONFLICT');
      assert.equal((await patch(run.id, { generation: 2, priority: 8 }, { 'if-match': '"3"' })).statusCode, 400);
      const none = await patch(run.id, { priority: 8 });
      assert.equal(none.statusCode, 400);
      assert.equal(none.json().error.code, 'VALIDATION_ERROR');
    });

    it('an ended run is 409 RUN_ALREADY_TERMINAL; an unknown run 404 RUN_NOT_FOUND', async () => {
      const run = await create();
      assert.equal((await t.call('POST', `/v1/runs/${run.id}/cancel`, { body: {} })).statusCode, 200);
      const r = await patch(run.id, { generation: 1, max_attempts: 5 });
      assert.equal(r.statusCode, 409, r.body);
      assert.equal(r.json().error.code, 'RUN_ALREADY_TERMINAL');
      const u = await patch('run_nope', { generation: 1, max_attempts: 5 });
      assert.equal(u.statusCode, 404);
      assert.equal(u.json().error.code, 'RUN_NOT_FOUND');
    });

    it('validates every field: max_attempts below what the run needs, a past deadline, crossed intervals → 422 naming each', async () => {
      const run = await create();
      const r = await patch(run.id, { generation: 1, max_attempts: 1, deadline: '2001-01-01T00:00:00Z', retry: { initial_interval_ms: 5000, max_interval_ms: 10 } });
      // A queued run with no attempts needs 1: max_attempts 1 passes; the others do not.
      assert.equal(r.statusCode, 422, r.body);
      assert.equal(r.json().error.code, 'RUN_UPDATE_INVALID');
      assert.deepEqual(r.json().error.details.map((p: { path: string }) => p.path).sort(), ['deadline', 'retry.max_interval_ms']);
      assert.equal((await patch(run.id, { generation: 1, max_attempts: 0 })).statusCode, 400, 'below the schema minimum');
      assert.equal((await patch(run.id, { generation: 1, status: 'succeeded' })).statusCode, 400, 'status is not a control');
      // A running run on its first attempt may not go below 1; a later deadline and a new policy are taken.
      const leased = (await t.call('POST', '/v1/worker/lease', { key: worker, body: { agent: 'hello', max_tasks: 100, wait_ms: 0 } })).json().tasks as { run_id: string }[];
      assert.ok(leased.some((x) => x.run_id === run.id));
      const deadline = new Date(Date.now() + 3_600_000).toISOString();
      const good = await patch(run.id, { generation: 1, deadline, retry: { initial_interval_ms: 100, jitter: 0.5 } });
      assert.equal(good.statusCode, 200, good.body);
      assert.equal(good.json().deadline_at, deadline);
      const change = (await events(run.id)).filter((e) => e.type === 'run.updated').at(-1)!.data.changes;
      assert.deepEqual(Object.keys(change).sort(), ['deadline_at', 'retry']);
      assert.equal(change.retry.new.initial_interval_ms, 100);
      assert.equal(change.retry.new.jitter, 0.5);
      const cleared = await patch(run.id, { generation: 2, deadline: null });
      assert.equal(cleared.statusCode, 200, cleared.body);
      assert.equal(cleared.json().deadline_at, null);
    });

    it('a raised priority puts a queued run first in the leasing order', async () => {
      // Drain what earlier tests left queued.
      for (;;) {
        const tasks = (await t.call('POST', '/v1/worker/lease', { key: worker, body: { agent: 'hello', max_tasks: 100, wait_ms: 0 } })).json().tasks as { lease_id: string }[];
        if (tasks.length === 0) break;
        for (const x of tasks) await t.call('POST', `/v1/leases/${x.lease_id}/complete`, { key: worker, body: { output: { greeting: 'x' } } });
      }
      const first = await create(0);
      const second = await create(0);
      const raised = await patch(second.id, { generation: 1, priority: 50 });
      assert.equal(raised.statusCode, 200, raised.body);
      const [task] = (await t.call('POST', '/v1/worker/lease', { key: worker, body: { agent: 'hello', max_tasks: 1, wait_ms: 0 } })).json().tasks;
      assert.equal(task.run_id, second.id, `the raised run leases first (not ${first.id})`);
    });

    it('a raised max_attempts lets a run whose retries were nearly spent retry again', async () => {
      const run = await create();
      assert.equal((await patch(run.id, { generation: 1, max_attempts: 1 })).statusCode, 200);
      assert.equal((await patch(run.id, { generation: 2, max_attempts: 2 })).statusCode, 200);
      const grab = async () => {
        for (let i = 0; i < 50; i++) {
          const tasks = (await t.call('POST', '/v1/worker/lease', { key: worker, body: { agent: 'hello', max_tasks: 100, wait_ms: 0 } })).json().tasks as { lease_id: string; run_id: string }[];
          const mine = tasks.find((x) => x.run_id === run.id);
          for (const x of tasks.filter((y) => y.run_id !== run.id)) await t.call('POST', `/v1/leases/${x.lease_id}/complete`, { key: worker, body: { output: { greeting: 'x' } } });
          if (mine) return mine;
          // The retry's backoff (initial_interval 1s) has to pass.
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error('never leased');
      };
      const a1 = await grab();
      const failed = await t.call('POST', `/v1/leases/${a1.lease_id}/fail`, { key: worker, body: { error: { type: 'boom', message: 'first' } } });
      assert.equal(failed.json().status, 'queued', 'max_attempts 2: the first failure retries');
      // Queued after one attempt: it needs room for the next, so 1 is refused.
      const low = await patch(run.id, { generation: 3, max_attempts: 1 });
      assert.equal(low.statusCode, 422, low.body);
      assert.equal(low.json().error.details[0].path, 'max_attempts');
    });
  });
}
