import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { readSse } from './helpers/sse-client.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';

for (const d of await dialects()) {
  describe(`event streams over SSE (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let base: string;
    let workerKey: string;

    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      base = await t.listen();
      await t.call('POST', '/v1/agents', { body: HELLO_MANIFEST });
      workerKey = await t.keyFor('worker');
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    const leaseOne = async () => (await t.call('POST', '/v1/worker/lease', { key: workerKey, body: { agent: 'hello', wait_ms: 2000 } })).json().tasks[0];

    /** A run with `n` log events, finished. */
    async function finishedRun(n: number): Promise<string> {
      const run = (await t.call('POST', '/v1/runs', { body: { agent: 'hello', endpoint: 'greet', input: { name: 'S' } } })).json();
      const task = await leaseOne();
      for (let i = 0; i < n; i += 100) {
        const events = Array.from({ length: Math.min(100, n - i) }, (_, j) => ({ type: 'run.log', data: { message: `line ${i + j}\nwith a break`, level: 'info' } }));
        assert.equal((await t.call('POST', `/v1/leases/${task.lease_id}/events`, { key: workerKey, body: { events } })).statusCode, 200);
      }
      await t.call('POST', `/v1/leases/${task.lease_id}/complete`, { key: workerKey, body: { output: { greeting: 'done' } } });
      return run.id;
    }

    it('streams live: frames carry id = seq and event = type, the data is the event, and it closes after the terminal event', async () => {
      const run = (await t.call('POST', '/v1/runs', { body: { agent: 'hello', endpoint: 'greet', input: { name: 'Live' } } })).json();
      const reading = readSse(`${base}/v1/runs/${run.id}/events`, { key: t.adminKey, timeoutMs: 10_000 });
      const task = await leaseOne();
      await t.call('POST', `/v1/leases/${task.lease_id}/events`, { key: workerKey, body: { events: [{ type: 'run.output.delta', data: { delta: 'Hel' } }, { type: 'run.output.delta', data: { delta: 'lo' } }] } });
      await t.call('POST', `/v1/leases/${task.lease_id}/complete`, { key: workerKey, body: { output: { greeting: 'Hello' } } });
      const { frames, closedByServer } = await reading;
      assert.ok(closedByServer, 'the server ends the stream after the terminal event');
      assert.deepEqual(frames.map((f) => f.event), ['run.queued', 'run.started', 'run.output.delta', 'run.output.delta', 'run.succeeded']);
      assert.deepEqual(frames.map((f) => f.id), ['1', '2', '3', '4', '5']);
      const last = JSON.parse(frames[4].data);
      assert.equal(last.run_id, run.id);
      assert.deepEqual(last.data.output, { greeting: 'Hello' });
    });

    it('resumes from Last-Event-ID or ?after= with no gap and no duplicate', async () => {
      const id = await finishedRun(10);
      const all = (await readSse(`${base}/v1/runs/${id}/events`, { key: t.adminKey })).frames.map((f) => Number(f.id));
      assert.deepEqual(all, Array.from({ length: 13 }, (_, i) => i + 1));
      const fromHeader = (await readSse(`${base}/v1/runs/${id}/events`, { key: t.adminKey, lastEventId: '7' })).frames.map((f) => Number(f.id));
      assert.deepEqual(fromHeader, all.slice(7));
      const fromQuery = (await readSse(`${base}/v1/runs/${id}/events?after=12`, { key: t.adminKey })).frames.map((f) => Number(f.id));
      assert.deepEqual(fromQuery, [13]);
      const bad = await t.call('GET', `/v1/runs/${id}/events`, { headers: { 'last-event-id': 'abc' } });
      assert.equal(bad.statusCode, 400);
    });

    it('survives 1,000 drops and reconnects with Last-Event-ID: every event exactly once, in order', async () => {
      const id = await finishedRun(1500);
      const seen: number[] = [];
      let last = '0';
      let reconnects = 0;
      for (; reconnects < 1000; reconnects++) {
        // Each connection reads a few frames and is dropped by the client mid-stream.
        const { frames, closedByServer } = await readSse(`${base}/v1/runs/${id}/events`, { key: t.adminKey, lastEventId: last, maxFrames: 1 + (reconnects % 2) });
        for (const f of frames) seen.push(Number(f.id));
        if (frames.length) last = frames[frames.length - 1].id!;
        if (closedByServer) break;
        if (JSON.parse(frames[frames.length - 1].data).type === 'run.succeeded') break;
      }
      // Finish whatever the reconnect budget left.
      const rest = await readSse(`${base}/v1/runs/${id}/events`, { key: t.adminKey, lastEventId: last });
      for (const f of rest.frames) seen.push(Number(f.id));
      assert.equal(reconnects, 1000);
      assert.deepEqual(seen, Array.from({ length: 1503 }, (_, i) => i + 1));
    });

    it("streams a tenant's events live with filters, and resumes by event id", async () => {
      const reading = readSse(`${base}/v1/events?type=run.*&agent=hello`, { key: t.adminKey, stopAfter: (f) => f.event === 'run.succeeded', timeoutMs: 10_000 });
      await new Promise((r) => setTimeout(r, 100));
      const id = await finishedRun(2);
      const { frames } = await reading;
      const mine = frames.filter((f) => JSON.parse(f.data).run_id === id);
      assert.deepEqual(mine.map((f) => f.event), ['run.queued', 'run.started', 'run.log', 'run.log', 'run.succeeded']);
      const ids = frames.map((f) => Number(f.id));
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
      const resumed = await readSse(`${base}/v1/events?run=${id}`, { key: t.adminKey, lastEventId: String(ids[1] - 1), maxFrames: 2, timeoutMs: 3000 });
      assert.deepEqual(resumed.frames.map((f) => Number(f.id)), ids.slice(1, 3));
      const page = await t.call('GET', `/v1/events?run=${id}&type=run.log&after=0`, { headers: { accept: 'application/json' } });
      assert.equal(page.json().data.length, 2);
    });

    it('answers 404 before streaming a run of another tenant, and 401 without a key', async () => {
      const id = await finishedRun(0);
      const other = await t.keyFor('admin', (await t.engine.tenants.create({ name: 'X' })).id);
      await assert.rejects(readSse(`${base}/v1/runs/${id}/events`, { key: other }), /SSE 404/);
      await assert.rejects(readSse(`${base}/v1/runs/${id}/events`, { key: 'agd_nonsense_nonsense' }), /SSE 401/);
    });
  });
}
