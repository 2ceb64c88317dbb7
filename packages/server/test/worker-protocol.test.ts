import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, ManualClock, startTestApp, type TestApp } from './helpers/test-app.ts';

const RETRYING = {
  ...HELLO_MANIFEST,
  metadata: { name: 'flaky' },
  spec: {
    runtime: 'worker',
    endpoints: {
      work: {
        input: {},
        output: { type: 'object', required: ['ok'] },
        timeout: '10s',
        retry: { max_attempts: 4, initial_interval: '1s', backoff_coefficient: 2, max_interval: '3s', jitter: 0.5, non_retryable_types: ['bad_request'] },
      },
    },
  },
};

for (const d of await dialects()) {
  describe(`worker protocol (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    let workerKey: string;
    // Jitter draws from a fixed sequence so backoff bounds are exact.
    let draws = [0, 1, 0.5, 0];
    const random = () => (draws.length ? draws.shift()! : 0.5);

    before(async () => {
      db = await d.create();
      t = await startTestApp(db, { clock, random });
      assert.equal((await t.call('POST', '/v1/agents', { body: HELLO_MANIFEST })).statusCode, 201);
      assert.equal((await t.call('POST', '/v1/agents', { body: RETRYING })).statusCode, 201);
      workerKey = await t.keyFor('worker');
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    const create = async (agent: string, endpoint: string, input: unknown) => {
      const r = await t.call('POST', '/v1/runs', { body: { agent, endpoint, input } });
      assert.equal(r.statusCode, 201, r.body);
      return r.json();
    };
    const lease = async (agent: string, max = 1, extra: Record<string, unknown> = {}) => {
      const r = await t.call('POST', '/v1/worker/lease', { key: workerKey, body: { agent, max_tasks: max, wait_ms: 0, worker_id: 'w1', ...extra } });
      assert.equal(r.statusCode, 200, r.body);
      return r.json().tasks as { lease_id: string; run_id: string; attempt: number; input: unknown; metadata: unknown; heartbeat_interval_ms: number }[];
    };
    const w = (method: string, url: string, body?: unknown) => t.call(method, url, { key: workerKey, body: body ?? {} });

    it('leases, streams worker events, completes; a repeated complete is idempotent; stale calls are 409', async () => {
      const run = await create('hello', 'greet', { name: 'Ada' });
      const [task] = await lease('hello');
      assert.equal(task.run_id, run.id);
      assert.equal(task.attempt, 1);
      assert.deepEqual(task.input, { name: 'Ada' });
      assert.equal(task.heartbeat_interval_ms, 10_000);
      assert.equal((await lease('hello')).length, 0, 'a leased run is not leased twice');
      const ev = await w('POST', `/v1/leases/${task.lease_id}/events`, { events: [{ type: 'run.log', data: { level: 'info', message: 'hi' } }, { type: 'custom.step', data: { n: 1 } }] });
      assert.deepEqual(ev.json(), { seqs: [3, 4] });
      const badType = await w('POST', `/v1/leases/${task.lease_id}/events`, { events: [{ type: 'run.succeeded', data: {} }] });
      assert.equal(badType.statusCode, 400);
      const hb = await w('POST', `/v1/leases/${task.lease_id}/heartbeat`);
      assert.equal(hb.json().status, 'active');
      const invalid = await w('POST', `/v1/leases/${task.lease_id}/complete`, { output: { nope: 1 } });
      assert.equal(invalid.statusCode, 422);
      assert.equal(invalid.json().error.code, 'OUTPUT_INVALID');
      assert.equal((await t.call('GET', `/v1/runs/${run.id}`)).json().status, 'running', 'invalid output changes nothing');
      const c1 = await w('POST', `/v1/leases/${task.lease_id}/complete`, { output: { greeting: 'Hello, Ada!' } });
      assert.equal(c1.statusCode, 200, c1.body);
      assert.equal(c1.json().status, 'succeeded');
      const c2 = await w('POST', `/v1/leases/${task.lease_id}/complete`, { output: { greeting: 'Hello, Ada!' } });
      assert.equal(c2.statusCode, 200, 'the retried complete (response lost) succeeds again');
      assert.deepEqual(c2.json(), c1.json());
      for (const path of ['heartbeat', 'fail', 'events', 'release']) {
        const body = path === 'fail' ? { error: { type: 'x', message: 'y' } } : path === 'events' ? { events: [{ type: 'run.log', data: {} }] } : {};
        const r = await w('POST', `/v1/leases/${task.lease_id}/${path}`, body);
        assert.equal(r.statusCode, 409, `${path} after completion`);
        assert.equal(r.json().error.code, 'LEASE_LOST');
      }
      const events = (await t.call('GET', `/v1/runs/${run.id}/events`, { headers: { accept: 'application/json' } })).json().data;
      assert.deepEqual(events.map((e: { type: string }) => e.type), ['run.queued', 'run.started', 'run.log', 'custom.step', 'run.succeeded']);
      assert.deepEqual(events.map((e: { seq: number }) => e.seq), [1, 2, 3, 4, 5]);
      const pageOf = async (type: string) => (await t.call('GET', `/v1/events?after=0&run=${run.id}&type=${encodeURIComponent(type)}`, { headers: { accept: 'application/json' } })).json().data.map((e: { type: string }) => e.type);
      assert.deepEqual(await pageOf('custom.st*'), ['custom.step']);
      assert.deepEqual(await pageOf('custom.s_ep*'), [], '_ in a prefix is literal, not a wildcard');
      assert.deepEqual(await pageOf('run.s*'), ['run.started', 'run.succeeded']);
      const unknown = await w('POST', '/v1/leases/lse_nope/heartbeat');
      assert.equal(unknown.statusCode, 404);
      assert.equal(unknown.json().error.code, 'LEASE_NOT_FOUND');
    });

    it('retries with capped, jittered backoff until attempts are spent, keeping the last error', async () => {
      draws = [0, 1, 0.5];
      const run = await create('flaky', 'work', { x: 1 });
      const delays: number[] = [];
      for (let attempt = 1; attempt <= 4; attempt++) {
        const [task] = await lease('flaky');
        assert.ok(task, `attempt ${attempt} is leasable`);
        assert.equal(task.attempt, attempt);
        const f = await w('POST', `/v1/leases/${task.lease_id}/fail`, { error: { type: 'boom', message: `failure ${attempt}`, details: { attempt } } });
        assert.equal(f.statusCode, 200, f.body);
        const after = f.json();
        if (attempt < 4) {
          assert.equal(after.status, 'queued');
          const delay = Date.parse(after.available_at) - clock.now();
          delays.push(delay);
          assert.equal((await lease('flaky')).length, 0, 'not leasable before its backoff ends');
          clock.advance(delay);
        } else {
          assert.equal(after.status, 'failed');
          assert.deepEqual(after.error, { type: 'boom', message: 'failure 4', non_retryable: false, details: { attempt: 4 } });
        }
      }
      // base 1s, 2s, 3s (capped) with jitter ±50%: draws 0 → −50%, 1 → +50% but capped at 3s, 0.5 → 0.
      assert.deepEqual(delays, [500, 3000, 3000]);
      const attempts = (await t.call('GET', `/v1/runs/${run.id}/attempts`)).json().data;
      assert.deepEqual(attempts.map((a: { attempt: number; outcome: string }) => [a.attempt, a.outcome]), [[1, 'failed'], [2, 'failed'], [3, 'failed'], [4, 'failed']]);
      const types = (await t.call('GET', `/v1/runs/${run.id}/events`, { headers: { accept: 'application/json' } })).json().data.map((e: { type: string }) => e.type);
      assert.deepEqual(types.filter((x: string) => x === 'run.retrying').length, 3);
      assert.equal(types.at(-1), 'run.failed');
    });

    it('ends at once on a non-retryable failure (flag or policy type)', async () => {
      for (const error of [{ type: 'boom', message: 'no', non_retryable: true }, { type: 'bad_request', message: 'policy says no' }]) {
        const run = await create('flaky', 'work', {});
        const [task] = await lease('flaky');
        assert.equal(task.run_id, run.id);
        const f = await w('POST', `/v1/leases/${task.lease_id}/fail`, { error });
        assert.equal(f.json().status, 'failed');
        assert.equal(f.json().attempts, 1);
      }
    });

    it('re-queues a run whose lease expired (worker gone), with attempt + 1; the old lease is fenced', async () => {
      const run = await create('hello', 'greet', { name: 'Zed' });
      const [first] = await lease('hello', 1, { lease_ttl_ms: 5000 });
      clock.advance(4000);
      assert.equal((await w('POST', `/v1/leases/${first.lease_id}/heartbeat`)).json().status, 'active', 'a heartbeat extends the lease');
      clock.advance(4000);
      assert.equal((await t.engine.sweeper.sweepOnce()).expiredLeases, 0, 'heartbeated lease is not reclaimed');
      clock.advance(1500);
      assert.equal((await t.engine.sweeper.sweepOnce()).expiredLeases, 1);
      const [second] = await lease('hello');
      assert.equal(second.run_id, run.id);
      assert.equal(second.attempt, 2);
      const stale = await w('POST', `/v1/leases/${first.lease_id}/complete`, { output: { greeting: 'late' } });
      assert.equal(stale.statusCode, 409);
      assert.equal((await w('POST', `/v1/leases/${second.lease_id}/complete`, { output: { greeting: 'on time' } })).statusCode, 200);
      const done = (await t.call('GET', `/v1/runs/${run.id}`)).json();
      assert.deepEqual(done.output, { greeting: 'on time' });
      const types = (await t.call('GET', `/v1/runs/${run.id}/events`, { headers: { accept: 'application/json' } })).json().data.map((e: { type: string }) => e.type);
      assert.deepEqual(types, ['run.queued', 'run.started', 'run.retrying', 'run.started', 'run.succeeded']);
    });

    it('fails an attempt past its timeout and ends the run timed_out when attempts are spent', async () => {
      await t.call('POST', '/v1/agents', { body: { ...RETRYING, metadata: { name: 'slow' }, spec: { runtime: 'worker', endpoints: { work: { timeout: '2s', retry: { max_attempts: 1 } } } } } });
      const run = await create('slow', 'work', {});
      const [task] = await lease('slow', 1, { lease_ttl_ms: 60_000 });
      clock.advance(2500);
      assert.equal((await t.engine.sweeper.sweepOnce()).attemptTimeouts, 1);
      const r = (await t.call('GET', `/v1/runs/${run.id}`)).json();
      assert.equal(r.status, 'timed_out');
      assert.equal(r.error.type, 'timeout');
      assert.equal((await w('POST', `/v1/leases/${task.lease_id}/heartbeat`)).statusCode, 409);
    });

    it('ends a run past its deadline as timed_out, even while queued', async () => {
      const deadline = new Date(clock.now() + 1000).toISOString();
      const r = await t.call('POST', '/v1/runs', { body: { agent: 'slow', endpoint: 'work', input: {}, deadline } });
      clock.advance(1001);
      assert.equal((await lease('slow')).length, 0, 'an overdue run is not leased');
      assert.equal((await t.engine.sweeper.sweepOnce()).deadlines, 1);
      const run = (await t.call('GET', `/v1/runs/${r.json().id}`)).json();
      assert.equal(run.status, 'timed_out');
      assert.equal(run.error.type, 'deadline_exceeded');
    });

    it('tells a running worker its run was cancelled through the heartbeat', async () => {
      const run = await create('hello', 'greet', { name: 'Cy' });
      const [task] = await lease('hello');
      assert.equal((await t.call('POST', `/v1/runs/${run.id}/cancel`)).statusCode, 200);
      const hb = await w('POST', `/v1/leases/${task.lease_id}/heartbeat`);
      assert.equal(hb.statusCode, 200);
      assert.equal(hb.json().status, 'cancelled');
      assert.equal((await w('POST', `/v1/leases/${task.lease_id}/complete`, { output: { greeting: 'x' } })).statusCode, 409);
      assert.equal((await t.call('GET', `/v1/runs/${run.id}`)).json().status, 'cancelled');
    });

    it('releases a run for immediate re-lease without spending its retry budget', async () => {
      const run = await create('hello', 'greet', { name: 'Rel' });
      const [task] = await lease('hello');
      const rel = await w('POST', `/v1/leases/${task.lease_id}/release`);
      assert.equal(rel.statusCode, 200, rel.body);
      assert.equal(rel.json().status, 'queued');
      assert.equal(rel.json().max_attempts, 4);
      const [again] = await lease('hello');
      assert.equal(again.run_id, run.id);
      assert.equal(again.attempt, 2);
    });

    it('completes and fails many leases in one batch call, each fenced by its own lease', async () => {
      const runs = [];
      for (let i = 0; i < 5; i++) runs.push(await create('hello', 'greet', { name: `b${i}` }));
      const tasks = await lease('hello', 10);
      assert.equal(tasks.length, 5);
      const results = [
        ...tasks.slice(0, 3).map((x) => ({ lease_id: x.lease_id, output: { greeting: 'ok' } })),
        { lease_id: tasks[3].lease_id, error: { type: 'x', message: 'nope', non_retryable: true } },
        { lease_id: tasks[4].lease_id, output: { wrong: true } },
        { lease_id: 'lse_unknown', output: { greeting: 'x' } },
      ];
      const r = await w('POST', '/v1/worker/complete', { results });
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json().results.map((x: { ok: boolean; error?: { code: string } }) => (x.ok ? 'ok' : x.error!.code)), ['ok', 'ok', 'ok', 'ok', 'OUTPUT_INVALID', 'LEASE_NOT_FOUND']);
      const statuses = await Promise.all(tasks.map(async (x) => (await t.call('GET', `/v1/runs/${x.run_id}`)).json().status));
      assert.deepEqual(statuses, ['succeeded', 'succeeded', 'succeeded', 'failed', 'running']);
    });

    it('leases up to 500 runs in one call and completes them in one, in priority order; 501 is refused', async () => {
      await t.call('POST', '/v1/agents', { body: { ...HELLO_MANIFEST, metadata: { name: 'wide' } } });
      const runs = Array.from({ length: 520 }, (_, i) => ({ agent: 'wide', endpoint: 'greet', input: { name: `w${i}` }, priority: i < 20 ? -1 : 0 }));
      for (let i = 0; i < runs.length; i += 260) assert.equal((await t.call('POST', '/v1/runs/batch', { body: { runs: runs.slice(i, i + 260) } })).statusCode, 201);
      const refused = await w('POST', '/v1/worker/lease', { agent: 'wide', max_tasks: 501, wait_ms: 0 });
      assert.equal(refused.statusCode, 400, refused.body);
      const tasks = await lease('wide', 500);
      assert.equal(tasks.length, 500);
      assert.equal(new Set(tasks.map((x) => x.lease_id)).size, 500);
      assert.ok(tasks.every((x) => Number((x.input as { name: string }).name.slice(1)) >= 20), 'the 20 low-priority runs are left');
      const done = await w('POST', '/v1/worker/complete', { results: tasks.map((x) => ({ lease_id: x.lease_id, output: { greeting: 'ok' } })) });
      assert.equal(done.statusCode, 200, done.body);
      assert.ok(done.json().results.every((x: { ok: boolean }) => x.ok));
      assert.equal((await lease('wide', 500)).length, 20);
    });

    it('reports results and leases more in one call when a lease rides on the completion', async () => {
      await t.call('POST', '/v1/agents', { body: { ...HELLO_MANIFEST, metadata: { name: 'refill' } } });
      const first = [];
      for (let i = 0; i < 2; i++) first.push(await create('refill', 'greet', { name: `f${i}` }));
      const tasks = await lease('refill', 2);
      const next = [];
      for (let i = 0; i < 3; i++) next.push(await create('refill', 'greet', { name: `n${i}` }));
      const results = tasks.map((x) => ({ lease_id: x.lease_id, output: { greeting: 'ok' } }));

      // Invalid lease part: the whole call is refused and nothing is recorded.
      const bad = await w('POST', '/v1/worker/complete', { results, lease: { agent: 'refill', max_tasks: 2, wait_ms: 100 } });
      assert.equal(bad.statusCode, 400, bad.body);
      assert.equal(bad.json().error.code, 'VALIDATION_ERROR');
      assert.equal((await t.call('GET', `/v1/runs/${tasks[0].run_id}`)).json().status, 'running');

      const r = await w('POST', '/v1/worker/complete', { results, lease: { agent: 'refill', max_tasks: 2, worker_id: 'w2', lease_ttl_ms: 5000 } });
      assert.equal(r.statusCode, 200, r.body);
      const body = r.json() as { results: { ok: boolean }[]; tasks: { run_id: string; lease_id: string; lease_expires_at: string }[] };
      assert.deepEqual(body.results.map((x) => x.ok), [true, true]);
      assert.equal(body.tasks.length, 2, 'at most max_tasks');
      const nextIds = new Set(next.map((x) => x.id));
      assert.ok(body.tasks.every((x) => nextIds.has(x.run_id)), 'ready runs, not the ones just completed');
      assert.equal(Date.parse(body.tasks[0].lease_expires_at) - clock.now(), 5000);
      for (const x of tasks) assert.equal((await t.call('GET', `/v1/runs/${x.run_id}`)).json().status, 'succeeded');
      const leased = (await t.call('GET', `/v1/runs/${body.tasks[0].run_id}/attempts`)).json().data;
      assert.equal(leased[0].worker_id, 'w2');

      // Nothing ready: tasks is empty; without a lease the answer has no tasks at all.
      const more = await w('POST', '/v1/worker/complete', { results: body.tasks.map((x) => ({ lease_id: x.lease_id, output: { greeting: 'ok' } })), lease: { agent: 'refill', max_tasks: 5, endpoints: ['nope'] } });
      assert.equal(more.statusCode, 200, more.body);
      assert.deepEqual(more.json().tasks, []);
      const [last] = await lease('refill', 5);
      assert.ok(nextIds.has(last.run_id) && !body.tasks.some((x) => x.run_id === last.run_id), 'the third run was left for the next call');
      const plain = await w('POST', '/v1/worker/complete', { results: [{ lease_id: last.lease_id, output: { greeting: 'ok' } }] });
      assert.equal(plain.json().tasks, undefined);
    });


    it('keeps awkward values intact through batch create, lease and batched completion', async () => {
      // On PostgreSQL these travel as array parameters (unnest / = ANY): quoting must hold.
      await t.call('POST', '/v1/agents', { body: { ...RETRYING, metadata: { name: 'awkward' } } });
      const awkward = ['', 'NULL', 'null', '"quoted"', 'back\\slash', '{braces,comma}', 'new\nline', 'ünïcødé ✓', "it's", '\\"mixed\\"'];
      const created = await t.call('POST', '/v1/runs/batch', {
        body: { runs: awkward.map((s, i) => ({ agent: 'awkward', endpoint: 'work', input: { s, n: i, nested: [s, { s }] }, metadata: { s } })) },
      });
      assert.equal(created.statusCode, 201, created.body);
      const tasks = await lease('awkward', 20);
      assert.equal(tasks.length, awkward.length);
      for (const task of tasks) {
        const input = task.input as { s: string; n: number; nested: unknown };
        assert.deepEqual(task.input, { s: awkward[input.n], n: input.n, nested: [awkward[input.n], { s: awkward[input.n] }] });
        assert.deepEqual(task.metadata, { s: awkward[input.n] });
      }
      const results = tasks.map((x) => ({ lease_id: x.lease_id, output: { ok: true, echo: (x.input as { s: string }).s } }));
      const r = await w('POST', '/v1/worker/complete', { results });
      assert.ok(r.json().results.every((x: { ok: boolean }) => x.ok), r.body);
      for (const task of tasks) {
        const run = (await t.call('GET', `/v1/runs/${task.run_id}`)).json();
        assert.equal(run.status, 'succeeded');
        assert.deepEqual(run.output, { ok: true, echo: (task.input as { s: string }).s });
        assert.deepEqual(run.input, task.input);
        const events = (await t.call('GET', `/v1/runs/${task.run_id}/events`, { headers: { accept: 'application/json' } })).json().data;
        assert.deepEqual(events.at(-1).data.output, run.output);
        const attempts = (await t.call('GET', `/v1/runs/${task.run_id}/attempts`)).json().data;
        assert.deepEqual(attempts.map((a: { outcome: string; lease_id: string }) => [a.outcome, a.lease_id]), [['succeeded', task.lease_id]]);
      }
    });
    it('serves runs by priority, then age, and only the endpoints asked for', async () => {
      await t.call('POST', '/v1/agents', { body: { ...HELLO_MANIFEST, metadata: { name: 'prio' }, spec: { runtime: 'worker', endpoints: { a: {}, b: {} } } } });
      const low = (await t.call('POST', '/v1/runs', { body: { agent: 'prio', endpoint: 'a', input: {}, priority: -5 } })).json();
      const mid = (await t.call('POST', '/v1/runs', { body: { agent: 'prio', endpoint: 'a', input: {} } })).json();
      const high = (await t.call('POST', '/v1/runs', { body: { agent: 'prio', endpoint: 'a', input: {}, priority: 10 } })).json();
      const other = (await t.call('POST', '/v1/runs', { body: { agent: 'prio', endpoint: 'b', input: {}, priority: 100 } })).json();
      const got = await lease('prio', 10, { endpoints: ['a'] });
      assert.deepEqual(got.map((x) => x.run_id), [high.id, mid.id, low.id]);
      await t.call('POST', '/v1/agents/prio/endpoints/b/disable');
      assert.equal((await lease('prio', 10)).length, 0, 'disabled endpoint is not leased');
      await t.call('POST', '/v1/agents/prio/endpoints/b/enable');
      assert.deepEqual((await lease('prio', 10)).map((x) => x.run_id), [other.id]);
    });

    it('long-polls: a waiting lease returns as soon as a run is created', async () => {
      await t.call('POST', '/v1/agents', { body: { ...HELLO_MANIFEST, metadata: { name: 'poller' } } });
      const pending = t.call('POST', '/v1/worker/lease', { key: workerKey, body: { agent: 'poller', wait_ms: 10_000 } });
      await new Promise((r) => setTimeout(r, 50));
      const run = await create('poller', 'greet', { name: 'p' });
      const got = (await pending).json().tasks;
      assert.equal(got.length, 1);
      assert.equal(got[0].run_id, run.id);
      const types = (await t.call('GET', `/v1/runs/${run.id}/events`, { headers: { accept: 'application/json' } })).json().data.map((e: { type: string }) => e.type);
      assert.deepEqual(types, ['run.queued', 'run.started'], 'handed to the waiting poller: queued then started, gap-free');
    });

    it('hands a new run only to a waiting poller that serves its endpoint', async () => {
      await t.call('POST', '/v1/agents', { body: { ...HELLO_MANIFEST, metadata: { name: 'picky' }, spec: { runtime: 'worker', endpoints: { a: {}, b: {} } } } });
      const onlyB = t.call('POST', '/v1/worker/lease', { key: workerKey, body: { agent: 'picky', endpoints: ['b'], wait_ms: 1500 } });
      await new Promise((r) => setTimeout(r, 50));
      const runA = (await t.call('POST', '/v1/runs', { body: { agent: 'picky', endpoint: 'a', input: {} } })).json();
      const runB = (await t.call('POST', '/v1/runs', { body: { agent: 'picky', endpoint: 'b', input: {} } })).json();
      const got = (await onlyB).json().tasks;
      assert.deepEqual(got.map((x: { run_id: string }) => x.run_id), [runB.id]);
      assert.equal((await t.call('GET', `/v1/runs/${runA.id}`)).json().status, 'queued', 'the other endpoint’s run waits for its own worker');
      const [a] = await lease('picky', 5, { endpoints: ['a'] });
      assert.equal(a.run_id, runA.id);
    });
  });
}
