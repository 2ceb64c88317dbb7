/**
 * A for_each fan-out against a real server process, on both databases: 8 items at concurrency 3,
 * two completed, the server killed (kill -9) and started again on the same data, the rest
 * completed. The step resumes where the commit left it: each item's child is started once (one
 * child per call key), never more than 3 live, the output in item order, one terminal event.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { killAllChildren, startServerProcess, type ServerProcess } from './helpers/server-process.ts';

const AGENT = {
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name: 'mapper' },
  spec: { runtime: 'worker', endpoints: { map: { input: { type: 'object' }, output: { type: 'object' } } } },
};
const FLOW = {
  apiVersion: 'agentd.dev/v1',
  kind: 'Workflow',
  metadata: { name: 'fan' },
  spec: { output: '{% steps.fan.output %}', steps: [{ id: 'fan', agent: 'mapper', endpoint: 'map', for_each: '{% input.items %}', concurrency: 3, input: { n: '{% item %}' } }] },
};

for (const d of await dialects()) {
  describe(`a for_each fan-out survives a server kill -9 (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let dataDir: string;
    let server: ServerProcess;

    before(async () => {
      db = await d.create();
      dataDir = d.name === 'sqlite' ? db.location : mkdtempSync(join(tmpdir(), 'agentd-crash-for-each-'));
      server = await startServerProcess({ dataDir, databaseUrl: d.name === 'postgres' ? db.location : undefined });
    });
    after(async () => {
      await server?.stop();
      await killAllChildren();
      await db?.cleanup();
      if (d.name === 'postgres' && dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    const lease = async (max: number) => (await server.api('POST', '/v1/worker/lease', { agent: 'mapper', wait_ms: 0, max_tasks: max })).body.tasks as { lease_id: string; input: { n: number } }[];
    const complete = async (task: { lease_id: string; input: { n: number } }) => {
      const r = await server.api('POST', `/v1/leases/${task.lease_id}/complete`, { output: { sq: task.input.n * task.input.n } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    };

    it('resumes the fan-out after the restart: each item once, never more than 3 live, outputs in order', async () => {
      assert.equal((await server.api('POST', '/v1/agents', AGENT)).status, 201);
      assert.equal((await server.api('POST', '/v1/workflows', FLOW)).status, 201);
      const items = [1, 2, 3, 4, 5, 6, 7, 8];
      const started = await server.api('POST', '/v1/workflows/fan/runs', { input: { items } });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const id = started.body.id as string;
      for (const task of (await lease(2)).slice(0, 2)) await complete(task);

      await server.kill('SIGKILL');
      await server.start();

      let rounds = 0;
      while ((await server.api('GET', `/v1/runs/${id}`)).body.status === 'running') {
        assert.ok(++rounds < 50, 'the fan-out makes progress');
        for (const task of await lease(3)) await complete(task);
      }
      const done = (await server.api('GET', `/v1/runs/${id}`)).body;
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.deepEqual(done.output, items.map((n) => ({ sq: n * n })));
      const kids = (await server.api('GET', `/v1/runs/${id}/children?limit=100`)).body.data as { call_key: string; status: string }[];
      assert.deepEqual(kids.map((k) => k.call_key).sort(), items.map((_, i) => `step:fan#${i}`).sort(), 'one child per item');
      assert.ok(kids.every((k) => k.status === 'succeeded'));
      const events = (await server.api('GET', `/v1/runs/${id}/events?limit=1000`)).body.data as { type: string; data: { step?: string; iteration?: number } }[];
      let live = 0;
      let peak = 0;
      for (const e of events) {
        if (e.data?.step !== 'fan' || (e.data.iteration ?? -1) < 0) continue;
        if (e.type === 'workflow.step.started') peak = Math.max(peak, ++live);
        else live--;
      }
      assert.equal(peak, 3);
      assert.equal(events.filter((e) => e.type === 'workflow.step.started').length, 9, 'the step and its 8 items, each started once');
      assert.deepEqual(events.filter((e) => e.type.startsWith('run.') && ['run.succeeded', 'run.failed', 'run.cancelled', 'run.timed_out'].includes(e.type)).map((e) => e.type), ['run.succeeded']);
    });
  });
}
