import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';

const RUNS = 1000;
const POLLERS = 50;

for (const d of await dialects()) {
  describe(`concurrent leasing (${d.name})`, { skip: d.skip }, () => {
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

    it(`${POLLERS} pollers over HTTP on ${RUNS} runs: no run is leased twice at once, every run completes once`, async (ctx) => {
      for (let i = 0; i < RUNS; i += 500) {
        const runs = Array.from({ length: Math.min(500, RUNS - i) }, (_, j) => ({ agent: 'hello', endpoint: 'greet', input: { name: `r${i + j}` } }));
        assert.equal((await t.call('POST', '/v1/runs/batch', { body: { runs } })).statusCode, 201);
      }
      const holders = new Map<string, string>(); // run id → lease currently held
      let doubleLeases = 0;
      let completed = 0;
      const post = async (path: string, body: unknown) => {
        const r = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${workerKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return { status: r.status, body: (await r.json()) as any };
      };
      const poller = async (n: number) => {
        for (;;) {
          const { body } = await post('/v1/worker/lease', { agent: 'hello', max_tasks: 1 + (n % 5), wait_ms: 0, worker_id: `p${n}` });
          const tasks = body.tasks as { lease_id: string; run_id: string; input: { name: string } }[];
          if (tasks.length === 0) return;
          for (const task of tasks) {
            if (holders.has(task.run_id)) doubleLeases++;
            holders.set(task.run_id, task.lease_id);
          }
          await Promise.all(
            tasks.map(async (task) => {
              const r = await post(`/v1/leases/${task.lease_id}/complete`, { output: { greeting: task.input.name } });
              assert.equal(r.status, 200, JSON.stringify(r.body));
              holders.delete(task.run_id);
              completed++;
            }),
          );
        }
      };
      await Promise.all(Array.from({ length: POLLERS }, (_, n) => poller(n)));
      assert.equal(doubleLeases, 0);
      assert.equal(completed, RUNS);
      const succeeded = await t.store.allTenants(t.store.db).selectFrom('runs').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'succeeded').executeTakeFirstOrThrow();
      assert.equal(Number(succeeded.n), RUNS);
      const attempts = await t.store.allTenants(t.store.db).selectFrom('run_attempts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(attempts.n), RUNS, 'one attempt per run: nothing was leased twice');
      ctx.diagnostic(`${RUNS} runs, ${POLLERS} pollers, double leases: ${doubleLeases}`);
    });

    it('two engines on one database (two nodes) never lease the same run', { skip: d.name === 'sqlite' ? 'one writer process on SQLite' : false }, async () => {
      const second = await startTestApp(db);
      try {
        const runs = Array.from({ length: 300 }, (_, j) => ({ agent: 'hello', endpoint: 'greet', input: { name: `n${j}` } }));
        await t.call('POST', '/v1/runs/batch', { body: { runs } });
        const seen = new Set<string>();
        let dup = 0;
        const loop = async (app: TestApp) => {
          for (;;) {
            const tasks = (await app.engine.leases.leaseOnce({ tenantId: 'default', agent: 'hello', maxTasks: 7, waitMs: 0, workerId: null, leaseTtlMs: 30_000 }));
            if (tasks.length === 0) return;
            for (const task of tasks) {
              if (seen.has(task.run_id)) dup++;
              seen.add(task.run_id);
            }
          }
        };
        await Promise.all([loop(t), loop(second), loop(t), loop(second)]);
        assert.equal(dup, 0);
        assert.equal(seen.size, 300);
      } finally {
        await second.close();
      }
    });
  });
}
