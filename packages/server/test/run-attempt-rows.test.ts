/**
 * One write per attempt (runs/run-attempts.ts): the open attempt lives on the run row and its
 * run_attempts row is inserted only when it ends, by every way an attempt ends (completion one
 * at a time and batched, failure and retry, release, an expired lease, cancellation, a park).
 * The API answers as before: the open attempt is listed with outcome `running`, and a lease
 * stays checkable after its attempt ended (409 LEASE_LOST, 404 LEASE_NOT_FOUND for one never
 * issued). These fail if the attempt row were still inserted at lease time.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RunAttempt as Attempt } from '@agentd/protocol';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, ManualClock, startTestApp, type TestApp } from './helpers/test-app.ts';

const OTHER = { ...HELLO_MANIFEST, metadata: { name: 'other' } };


for (const d of await dialects()) {
  describe(`run attempts: one row each, written when it ends (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    let workerKey: string;

    before(async () => {
      db = await d.create();
      t = await startTestApp(db, { clock, random: () => 0.5 });
      assert.equal((await t.call('POST', '/v1/agents', { body: HELLO_MANIFEST })).statusCode, 201);
      assert.equal((await t.call('POST', '/v1/agents', { body: OTHER })).statusCode, 201);
      workerKey = await t.keyFor('worker');
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    const create = async (name = 'Ada') => {
      const r = await t.call('POST', '/v1/runs', { body: { agent: 'hello', endpoint: 'greet', input: { name } } });
      assert.equal(r.statusCode, 201, r.body);
      return r.json().id as string;
    };
    const lease = async (max = 1, extra: Record<string, unknown> = {}) => {
      const r = await t.call('POST', '/v1/worker/lease', { key: workerKey, body: { agent: 'hello', max_tasks: max, wait_ms: 0, worker_id: 'w1', ...extra } });
      assert.equal(r.statusCode, 200, r.body);
      return r.json().tasks as { lease_id: string; run_id: string; attempt: number }[];
    };
    const w = (url: string, body: unknown = {}, key = workerKey) => t.call('POST', url, { key, body });
    const rows = async (runId: string) =>
      t.store.db.selectFrom('run_attempts').select(['attempt', 'lease_id', 'outcome', 'ended_at']).where('tenant_id', '=', t.tenantId).where('run_id', '=', runId).orderBy('attempt').execute();
    const listed = async (runId: string) => (await t.call('GET', `/v1/runs/${runId}/attempts`)).json().data as Attempt[];

    it('a lease writes no attempt row; the listing shows the open attempt from the run; completing writes its one row', async () => {
      const id = await create();
      const [task] = await lease();
      assert.deepEqual(await rows(id), [], 'no run_attempts row while the attempt is open');
      const open = await listed(id);
      assert.deepEqual(open, [{ attempt: 1, lease_id: task.lease_id, worker_id: 'w1', started_at: new Date(clock.now()).toISOString(), ended_at: null, outcome: 'running', error: null }]);
      assert.equal((await w(`/v1/leases/${task.lease_id}/heartbeat`)).json().status, 'active');
      clock.advance(1500);
      assert.equal((await w(`/v1/leases/${task.lease_id}/complete`, { output: { greeting: 'hi' } })).statusCode, 200);
      assert.deepEqual((await rows(id)).map((r) => [r.attempt, r.lease_id, r.outcome]), [[1, task.lease_id, 'succeeded']]);
      assert.deepEqual(await listed(id), [{ ...open[0], ended_at: new Date(clock.now()).toISOString(), outcome: 'succeeded' }]);
      // The lease is still known after its attempt ended: a repeat answers as before, a stale call is 409.
      assert.equal((await w(`/v1/leases/${task.lease_id}/complete`, { output: { greeting: 'hi' } })).statusCode, 200);
      const stale = await w(`/v1/leases/${task.lease_id}/events`, { events: [{ type: 'run.log', data: { message: 'late' } }] });
      assert.equal(stale.statusCode, 409);
      assert.equal(stale.json().error.code, 'LEASE_LOST');
      assert.equal((await w('/v1/leases/lse_never/heartbeat')).json().error.code, 'LEASE_NOT_FOUND');
      assert.equal((await rows(id)).length, 1, 'a repeated complete writes nothing');
    });

    it('a batched completion inserts the rows of the attempts it ends, in its one statement', async () => {
      const ids = [await create('a'), await create('b'), await create('c')];
      const tasks = await lease(3);
      assert.equal(tasks.length, 3);
      for (const id of ids) assert.deepEqual(await rows(id), []);
      const r = await w('/v1/worker/complete', { results: tasks.map((task) => ({ lease_id: task.lease_id, output: { greeting: 'x' } })) });
      assert.equal(r.statusCode, 200, r.body);
      assert.ok(r.json().results.every((x: { ok: boolean }) => x.ok), r.body);
      for (const task of tasks) assert.deepEqual((await rows(task.run_id)).map((x) => [x.lease_id, x.outcome]), [[task.lease_id, 'succeeded']]);
      for (const task of tasks) assert.equal((await listed(task.run_id))[0].worker_id, 'w1');
    });

    it('a failure ends the attempt with its row; the retry is open on the run again; the old lease is 409', async () => {
      const id = await create();
      const [first] = await lease();
      assert.equal((await w(`/v1/leases/${first.lease_id}/fail`, { error: { type: 'flaky', message: 'try again' } })).statusCode, 200);
      assert.deepEqual((await rows(id)).map((r) => [r.attempt, r.outcome]), [[1, 'failed']]);
      clock.advance(60_000);
      const [second] = await lease();
      assert.equal(second.attempt, 2);
      assert.equal((await rows(id)).length, 1, 'the second attempt writes no row at its lease');
      const both = await listed(id);
      assert.deepEqual(both.map((a) => [a.attempt, a.lease_id, a.outcome, a.error?.type ?? null]), [[1, first.lease_id, 'failed', 'flaky'], [2, second.lease_id, 'running', null]]);
      const old = await w(`/v1/leases/${first.lease_id}/heartbeat`);
      assert.equal(old.statusCode, 409);
      assert.equal(old.json().error.code, 'LEASE_LOST');
      assert.equal((await w(`/v1/leases/${second.lease_id}/release`)).statusCode, 200);
      assert.deepEqual((await rows(id)).map((r) => [r.attempt, r.outcome]), [[1, 'failed'], [2, 'released']]);
      // Queued again: cancelled so the next tests lease their own runs (a queued run's cancel ends no attempt).
      assert.equal((await t.call('POST', `/v1/runs/${id}/cancel`, { body: {} })).statusCode, 200);
      assert.equal((await rows(id)).length, 2);
    });

    it('an expired lease and a cancel each end the attempt with one row', async () => {
      const expiring = await create('e');
      const [task] = await lease(1, { lease_ttl_ms: 5000 });
      clock.advance(10_000); // past the lease, not the attempt's 30 s timeout
      await t.engine.sweeper.sweepOnce();
      assert.deepEqual((await rows(expiring)).map((r) => [r.lease_id, r.outcome]), [[task.lease_id, 'lease_expired']]);
      const [again] = await lease();
      assert.equal(again.run_id, expiring);
      assert.equal((await t.call('POST', `/v1/runs/${expiring}/cancel`, { body: {} })).statusCode, 200);
      assert.deepEqual((await rows(expiring)).map((r) => [r.lease_id, r.outcome]), [[task.lease_id, 'lease_expired'], [again.lease_id, 'cancelled']]);
      // The cancelled run keeps its lease id: its worker's heartbeat is told to stop, as before.
      assert.equal((await w(`/v1/leases/${again.lease_id}/heartbeat`)).json().status, 'cancelled');
      const queued = await create('q');
      assert.equal((await t.call('POST', `/v1/runs/${queued}/cancel`, { body: {} })).statusCode, 200);
      assert.deepEqual(await rows(queued), [], 'a run cancelled before any lease has no attempt');
      assert.deepEqual(await listed(queued), []);
    });

    it("an agent-scoped key is checked against a lease's agent, open or ended", async () => {
      const otherKey = await t.keyFor('worker', t.tenantId, ['other']);
      const openId = await create('open');
      const [open] = await lease();
      assert.equal((await w(`/v1/leases/${open.lease_id}/heartbeat`, {}, otherKey)).statusCode, 403, 'the open attempt names its agent through its run');
      const id = await create('ended');
      const [ended] = await lease();
      assert.equal((await w(`/v1/leases/${ended.lease_id}/complete`, { output: { greeting: 'x' } })).statusCode, 200);
      // First looked up once ended (the "*" key above asked nothing): found through its row.
      assert.equal((await w(`/v1/leases/${ended.lease_id}/heartbeat`, {}, otherKey)).statusCode, 403, 'the ended attempt names it through its row');
      assert.equal((await w(`/v1/leases/${open.lease_id}/complete`, { output: { greeting: 'x' } })).statusCode, 200);
      assert.equal((await rows(openId)).length, 1);
      assert.equal((await rows(id)).length, 1);
    });

    it('during a rolling upgrade, an attempt whose running row an older node inserted at lease time ends in that row', async () => {
      // What the version before open-attempt-on-run wrote at lease time, beside the run row.
      const olderNodeLeased = async () => {
        const id = await create();
        const [task] = await lease();
        await t.store.db
          .insertInto('run_attempts')
          .values({ tenant_id: t.tenantId, run_id: id, attempt: task.attempt, lease_id: task.lease_id, worker_id: 'w1', started_at: clock.now(), ended_at: null, outcome: 'running', error: null })
          .execute();
        return { id, task };
      };
      const one = await olderNodeLeased();
      const two = await olderNodeLeased();
      const three = await olderNodeLeased();
      // A single completion, a batched one and a failure: each ends the row instead of failing on its key.
      assert.equal((await w(`/v1/leases/${one.task.lease_id}/complete`, { output: { greeting: 'hi' } })).statusCode, 200);
      const batch = await w('/v1/worker/complete', { results: [{ lease_id: two.task.lease_id, output: { greeting: 'hi' } }] });
      assert.ok(batch.json().results[0].ok, batch.body);
      assert.equal((await w(`/v1/leases/${three.task.lease_id}/fail`, { error: { type: 'x', message: 'no', non_retryable: true } })).statusCode, 200);
      for (const [{ id, task }, outcome] of [[one, 'succeeded'], [two, 'succeeded'], [three, 'failed']] as const) {
        assert.deepEqual((await rows(id)).map((r) => [r.lease_id, r.outcome, r.ended_at !== null]), [[task.lease_id, outcome, true]]);
        assert.equal((await t.call('GET', `/v1/runs/${id}`)).json().status, outcome);
      }
    });
  });
}
