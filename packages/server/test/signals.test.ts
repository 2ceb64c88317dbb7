/**
 * Signals through the API on both databases: kept until a wait consumes one (a signal sent
 * before its wait is not lost), one wait one signal (the oldest first), the waiting reason
 * `signal` and the resume in the consuming write, a timed-out wait resuming the run, a later
 * attempt's wait getting the same signal back; 409 for an ended run, 404 (RUN_NOT_FOUND, as GET)
 * for an unknown one; idempotent by Idempotency-Key.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';

const WAITER = { ...HELLO_MANIFEST, metadata: { name: 'waiter' }, spec: { runtime: 'worker', endpoints: { wait: { timeout: '30s', retry: { max_attempts: 3, initial_interval: '1ms', max_interval: '1ms', jitter: 0 } } } } };

for (const d of await dialects()) {
  describe(`signals (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let worker: string;

    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      assert.equal((await t.call('POST', '/v1/agents', { body: WAITER })).statusCode, 201);
      worker = await t.keyFor('worker', t.tenantId, ['waiter']);
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    const create = async () => {
      const r = await t.call('POST', '/v1/runs', { body: { agent: 'waiter', endpoint: 'wait', input: {} } });
      assert.equal(r.statusCode, 201, r.body);
      return r.json();
    };
    const leaseOf = async (runId: string): Promise<string> => {
      for (let i = 0; i < 100; i++) {
        const tasks = (await t.call('POST', '/v1/worker/lease', { key: worker, body: { agent: 'waiter', max_tasks: 100, wait_ms: 0 } })).json().tasks as { lease_id: string; run_id: string }[];
        const mine = tasks.find((x) => x.run_id === runId);
        for (const x of tasks.filter((y) => y.run_id !== runId)) await t.call('POST', `/v1/leases/${x.lease_id}/release`, { key: worker, body: {} });
        if (mine) return mine.lease_id;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`run ${runId} was never leased`);
    };
    const signal = (runId: string, name: string, payload: unknown, headers: Record<string, string> = {}) => t.call('POST', `/v1/runs/${runId}/signals/${name}`, { body: payload as object, headers });
    const wait = (leaseId: string, name: string, body: { key: string; wait_ms?: number; last?: boolean }) => t.call('POST', `/v1/leases/${leaseId}/signals/${name}/wait`, { key: worker, body });
    const run = async (id: string) => (await t.call('GET', `/v1/runs/${id}`)).json();
    const events = async (id: string) => (await t.call('GET', `/v1/runs/${id}/events`, { headers: { accept: 'application/json' } })).json().data as { type: string; data: any }[];

    it('a signal sent before its wait (even before the run is leased) is kept and consumed by the wait; the run never waits', async () => {
      const r = await create();
      const sent = await signal(r.id, 'go', { value: 42 });
      assert.equal(sent.statusCode, 202, sent.body);
      assert.equal(sent.json().name, 'go');
      assert.equal(sent.json().consumed_at, null);
      const ev = (await events(r.id)).find((e) => e.type === 'run.signal');
      assert.deepEqual(Object.keys(ev!.data).sort(), ['name', 'payload_bytes', 'signal_id'], 'the event carries no payload');
      const lease = await leaseOf(r.id);
      const got = await wait(lease, 'go', { key: 'go#1', wait_ms: 0 });
      assert.equal(got.statusCode, 200, got.body);
      assert.deepEqual(got.json().signal.payload, { value: 42 });
      assert.equal(got.json().signal.consumed_by, 'worker:go#1');
      assert.equal((await run(r.id)).status, 'running');
      assert.ok(!(await events(r.id)).some((e) => e.type === 'run.waiting'));
    });

    it('a wait with nothing pending puts the run waiting (reason signal); the signal that arrives resumes it in the consuming write', async () => {
      const r = await create();
      const lease = await leaseOf(r.id);
      const pending = wait(lease, 'approve', { key: 'approve#1', wait_ms: 20_000 });
      for (let i = 0; (await run(r.id)).status !== 'waiting'; i++) {
        assert.ok(i < 200, 'the run never waited');
        await new Promise((res) => setTimeout(res, 10));
      }
      const waiting = await run(r.id);
      assert.equal(waiting.waiting_reason, 'signal');
      // Heartbeats go on while it waits.
      assert.equal((await t.call('POST', `/v1/leases/${lease}/heartbeat`, { key: worker, body: {} })).json().status, 'active');
      assert.equal((await signal(r.id, 'approve', { ok: true })).statusCode, 202);
      const got = await pending;
      assert.deepEqual(got.json().signal.payload, { ok: true });
      const after = await run(r.id);
      assert.equal(after.status, 'running');
      assert.equal(after.waiting_reason, null);
      const types = (await events(r.id)).map((e) => e.type);
      assert.deepEqual(types.slice(-3), ['run.waiting', 'run.signal', 'run.resumed']);
      // Completing after the wait works as ever.
      assert.equal((await t.call('POST', `/v1/leases/${lease}/complete`, { key: worker, body: { output: {} } })).json().status, 'succeeded');
    });

    it('each wait consumes one signal, the oldest of its name; other names are left alone', async () => {
      const r = await create();
      for (const [name, n] of [['item', 1], ['other', 9], ['item', 2], ['item', 3]] as const) assert.equal((await signal(r.id, name, { n })).statusCode, 202);
      const lease = await leaseOf(r.id);
      const seen: number[] = [];
      for (let i = 1; i <= 3; i++) seen.push((await wait(lease, 'item', { key: `item#${i}`, wait_ms: 0 })).json().signal.payload.n);
      assert.deepEqual(seen, [1, 2, 3]);
      const none = await wait(lease, 'item', { key: 'item#4', wait_ms: 0, last: true });
      assert.equal(none.json().signal, null);
      const list = (await t.call('GET', `/v1/runs/${r.id}/signals`)).json().data as { name: string; consumed_by: string | null }[];
      assert.deepEqual(list.map((s) => [s.name, s.consumed_by]), [['item', 'worker:item#1'], ['other', null], ['item', 'worker:item#2'], ['item', 'worker:item#3']]);
    });

    it('a wait that times out (its last poll) resumes the run without a signal; a signal arriving later is kept for the next wait', async () => {
      const r = await create();
      const lease = await leaseOf(r.id);
      assert.equal((await wait(lease, 'late', { key: 'late#1', wait_ms: 0 })).json().signal, null);
      assert.equal((await run(r.id)).waiting_reason, 'signal');
      assert.equal((await wait(lease, 'late', { key: 'late#1', wait_ms: 0, last: true })).json().signal, null);
      const resumed = await run(r.id);
      assert.equal(resumed.status, 'running');
      assert.equal((await events(r.id)).at(-1)!.data.timed_out, true);
      assert.equal((await signal(r.id, 'late', JSON.stringify('now'), { 'content-type': 'application/json' })).statusCode, 202, 'any JSON value is a payload');
      assert.equal((await wait(lease, 'late', { key: 'late#2', wait_ms: 0 })).json().signal.payload, 'now');
    });

    it('a later attempt waiting at the same place (same key) gets the signal the earlier attempt consumed, not a newer one', async () => {
      const r = await create();
      const first = await leaseOf(r.id);
      await signal(r.id, 'go', { attempt: 1 });
      assert.deepEqual((await wait(first, 'go', { key: 'go#1', wait_ms: 0 })).json().signal.payload, { attempt: 1 });
      assert.equal((await t.call('POST', `/v1/leases/${first}/fail`, { key: worker, body: { error: { type: 'crash', message: 'x' } } })).json().status, 'queued');
      await signal(r.id, 'go', { attempt: 2 });
      const second = await leaseOf(r.id);
      assert.deepEqual((await wait(second, 'go', { key: 'go#1', wait_ms: 0 })).json().signal.payload, { attempt: 1 });
      assert.deepEqual((await wait(second, 'go', { key: 'go#2', wait_ms: 0 })).json().signal.payload, { attempt: 2 });
      // The old lease is fenced off.
      const stale = await wait(first, 'go', { key: 'go#3', wait_ms: 0 });
      assert.equal(stale.statusCode, 409);
      assert.equal(stale.json().error.code, 'LEASE_LOST');
    });

    it('a signal to an ended run is 409; to an unknown run 404 with the code GET gives', async () => {
      const r = await create();
      await t.call('POST', `/v1/runs/${r.id}/cancel`, { body: {} });
      const ended = await signal(r.id, 'go', {});
      assert.equal(ended.statusCode, 409, ended.body);
      assert.equal(ended.json().error.code, 'RUN_ALREADY_TERMINAL');
      const get = await t.call('GET', '/v1/runs/run_00000000000000000000nosuch');
      const unknown = await signal('run_00000000000000000000nosuch', 'go', {});
      assert.equal(unknown.statusCode, 404);
      assert.equal(unknown.json().error.code, get.json().error.code);
      assert.equal(unknown.json().error.code, 'RUN_NOT_FOUND');
      assert.equal((await signal(r.id, 'bad name!', {})).statusCode, 400, 'names are checked');
    });

    it('is idempotent by Idempotency-Key: one signal, the same answer replayed, another body 422', async () => {
      const r = await create();
      const h = { 'idempotency-key': `sig-${r.id}` };
      const a = await signal(r.id, 'go', { n: 1 }, h);
      const b = await signal(r.id, 'go', { n: 1 }, h);
      assert.equal(a.statusCode, 202);
      assert.equal(b.statusCode, 202);
      assert.equal(b.headers['idempotent-replayed'], 'true');
      assert.equal(a.json().id, b.json().id);
      assert.equal((await signal(r.id, 'go', { n: 2 }, h)).statusCode, 422);
      assert.equal((await t.call('GET', `/v1/runs/${r.id}/signals`)).json().data.length, 1);
      await t.engine.audit.settled();
      const audit = (await t.call('GET', '/v1/audit?limit=500')).json().data as { action: string; target_id: string }[];
      assert.ok(audit.filter((x) => x.action === 'POST /v1/runs/{id}/signals/{name}' && x.target_id === r.id).length >= 2, 'each request is audited');
    });
  });
}
