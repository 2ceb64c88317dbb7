import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';

interface LogJson {
  id: string;
  seq: number;
  run_id: string;
  agent: string;
  at: string;
  level: string;
  message: string;
  fields: Record<string, unknown> | null;
}
type LogPage = { data: LogJson[]; next_cursor: string | null };

const OTHER = { ...HELLO_MANIFEST, metadata: { name: 'other' }, spec: { runtime: 'worker', endpoints: { go: { input: {}, output: {}, timeout: '30s' } } } };

/** Log lines: the run.log events workers append, per run (cursor = seq) and per tenant (cursor = event id). */
for (const d of await dialects()) {
  describe(`log lines (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let workerKey: string;

    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      for (const m of [HELLO_MANIFEST, OTHER]) assert.equal((await t.call('POST', '/v1/agents', { body: m })).statusCode, 201);
      workerKey = await t.keyFor('worker');
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    const leasedRun = async (agent: string) => {
      const run = (await t.call('POST', '/v1/runs', { body: { agent, endpoint: agent === 'hello' ? 'greet' : 'go', input: agent === 'hello' ? { name: 'x' } : {} } })).json();
      const [task] = (await t.call('POST', '/v1/worker/lease', { key: workerKey, body: { agent, wait_ms: 0 } })).json().tasks;
      assert.equal(task.run_id, run.id);
      return { runId: run.id as string, leaseId: task.lease_id as string };
    };
    const append = async (leaseId: string, events: { type: string; data: Record<string, unknown> }[]) => {
      const r = await t.call('POST', `/v1/leases/${leaseId}/events`, { key: workerKey, body: { events } });
      assert.equal(r.statusCode, 200, r.body);
    };
    const log = (message: string, level = 'info', fields?: Record<string, unknown>) => ({ type: 'run.log', data: fields ? { level, message, fields } : { level, message } });
    const get = async (url: string, key?: string): Promise<LogPage> => {
      const r = await t.call('GET', url, { key });
      assert.equal(r.statusCode, 200, r.body);
      return r.json();
    };

    it("lists a run's log lines after seq `since`, skipping its other events", async () => {
      const { runId, leaseId } = await leasedRun('hello');
      await append(leaseId, [log('one'), { type: 'run.progress', data: { progress: 0.5 } }, log('two', 'warn', { file: 'a.ts' }), { type: 'custom.x', data: {} }, log('three', 'error')]);
      const all = await get(`/v1/runs/${runId}/logs`);
      assert.deepEqual(all.data.map((l) => [l.seq, l.level, l.message]), [[3, 'info', 'one'], [5, 'warn', 'two'], [7, 'error', 'three']]);
      assert.deepEqual(all.data[1].fields, { file: 'a.ts' });
      assert.equal(all.data[0].fields, null);
      assert.deepEqual([all.data[0].run_id, all.data[0].agent], [runId, 'hello']);
      assert.equal(all.next_cursor, '7');

      const after = await get(`/v1/runs/${runId}/logs?since=3`);
      assert.deepEqual(after.data.map((l) => l.message), ['two', 'three']);
      assert.deepEqual(await get(`/v1/runs/${runId}/logs?since=7`), { data: [], next_cursor: null }, 'caught up: null cursor');
      await append(leaseId, [log('four')]);
      assert.deepEqual((await get(`/v1/runs/${runId}/logs?since=7`)).data.map((l) => [l.seq, l.message]), [[8, 'four']]);

      const paged: string[] = [];
      let since = '0';
      for (;;) {
        const p = await get(`/v1/runs/${runId}/logs?since=${since}&limit=2`);
        paged.push(...p.data.map((l) => l.message));
        if (!p.next_cursor) break;
        since = p.next_cursor;
      }
      assert.deepEqual(paged, ['one', 'two', 'three', 'four']);

      const missing = await t.call('GET', '/v1/runs/run_nope/logs');
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().error.code, 'RUN_NOT_FOUND');
      assert.equal((await t.call('GET', `/v1/runs/${runId}/logs?since=-1`)).statusCode, 400);
    });

    it('filters by level exactly (a nested "level" in fields does not count), one or several', async () => {
      const { runId, leaseId } = await leasedRun('hello');
      await append(leaseId, [log('plain'), log('nested', 'info', { level: 'error' }), log('bad', 'error'), log('careful', 'warn')]);
      assert.deepEqual((await get(`/v1/runs/${runId}/logs?level=error`)).data.map((l) => l.message), ['bad']);
      assert.deepEqual((await get(`/v1/runs/${runId}/logs?level=warn,error`)).data.map((l) => l.message), ['bad', 'careful']);
      // Every row the filter read moves the cursor on, even one the exact check dropped.
      const p = await get(`/v1/runs/${runId}/logs?level=error&limit=1`);
      assert.deepEqual(p.data, [], 'the LIKE matched the nested level; the exact check dropped it');
      assert.ok(p.next_cursor !== null);
      assert.deepEqual((await get(`/v1/runs/${runId}/logs?level=error&since=${p.next_cursor}`)).data.map((l) => l.message), ['bad']);
      assert.equal((await t.call('GET', `/v1/runs/${runId}/logs?level=ERROR%25`)).statusCode, 400);
    });

    it("lists the tenant's lines by event id, by agent and run, and follows them with `since`", async () => {
      const start = (await get('/v1/logs?limit=1000')).data.at(-1)?.id ?? '0';
      const a = await leasedRun('hello');
      const b = await leasedRun('other');
      await append(a.leaseId, [log('a1')]);
      await append(b.leaseId, [log('b1', 'warn')]);
      await append(a.leaseId, [log('a2', 'error')]);
      const fresh = await get(`/v1/logs?since=${start}`);
      assert.deepEqual(fresh.data.map((l) => l.message), ['a1', 'b1', 'a2']);
      assert.deepEqual(fresh.data.map((l) => Number(l.id)), [...fresh.data.map((l) => Number(l.id))].sort((x, y) => x - y));
      assert.equal(fresh.next_cursor, fresh.data[2].id);
      assert.deepEqual((await get(`/v1/logs?since=${start}&agent=other`)).data.map((l) => l.message), ['b1']);
      assert.deepEqual((await get(`/v1/logs?since=${start}&run=${a.runId}`)).data.map((l) => l.message), ['a1', 'a2']);
      assert.deepEqual((await get(`/v1/logs?since=${start}&level=warn,error`)).data.map((l) => l.message), ['b1', 'a2']);
      assert.deepEqual(await get(`/v1/logs?since=${fresh.next_cursor}`), { data: [], next_cursor: null });
      await append(b.leaseId, [log('b2')]);
      assert.deepEqual((await get(`/v1/logs?since=${fresh.next_cursor}`)).data.map((l) => l.message), ['b2']);
    });

    it('shows odd log data as well as it can instead of failing', async () => {
      const { runId, leaseId } = await leasedRun('hello');
      await append(leaseId, [{ type: 'run.log', data: {} }, { type: 'run.log', data: { message: { nested: true }, fields: [1, 2] } }]);
      const lines = (await get(`/v1/runs/${runId}/logs`)).data;
      assert.deepEqual(lines.map((l) => [l.level, l.message, l.fields]), [['info', '', null], ['info', '{"nested":true}', null]]);
    });

    it('is readable by a viewer and not by a worker key; tenants do not see each other', async () => {
      const { runId } = await leasedRun('hello');
      const viewer = await t.keyFor('viewer');
      assert.equal((await t.call('GET', `/v1/runs/${runId}/logs`, { key: viewer })).statusCode, 200);
      assert.equal((await t.call('GET', '/v1/logs', { key: viewer })).statusCode, 200);
      assert.equal((await t.call('GET', '/v1/logs', { key: workerKey })).statusCode, 403);
      const other = await t.engine.tenants.create({ name: 'Other' });
      const stranger = await t.keyFor('admin', other.id);
      assert.equal((await t.call('GET', `/v1/runs/${runId}/logs`, { key: stranger })).statusCode, 404);
      assert.deepEqual(await get('/v1/logs', stranger), { data: [], next_cursor: null });
      assert.deepEqual(await get('/v1/findings', stranger), { data: [], next_cursor: null });
    });
  });
}
