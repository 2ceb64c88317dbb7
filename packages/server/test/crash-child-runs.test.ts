/**
 * A parent worker killed (kill -9) while its child runs, against a real server process with real
 * worker processes on the SDK, on both databases: the parent's next attempt calls again with the
 * same key (from call order) and gets the same child, so the tree has one child only, and the
 * parent ends with that child's output.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { killAllChildren, startServerProcess, waitUntil, type ServerProcess } from './helpers/server-process.ts';
import { startWorkerProcess, type WorkerProcess, type WorkerProcessOptions } from './helpers/worker-process.ts';

const SWEEP_MS = 200;
const TTL = 1500;

const manifest = (name: string) => ({
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name },
  spec: { runtime: 'worker', endpoints: { work: { input: { type: 'object' }, output: { type: 'object' }, timeout: '5m', retry: { max_attempts: 5, initial_interval: '100ms', jitter: 0 } } } },
});

for (const d of await dialects()) {
  describe(`a parent worker killed while its child runs (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let dataDir: string;
    let server: ServerProcess;
    let workerKey: string;
    const workers: WorkerProcess[] = [];

    before(async () => {
      db = await d.create();
      dataDir = d.name === 'sqlite' ? db.location : mkdtempSync(join(tmpdir(), 'agentd-crash-calls-'));
      server = await startServerProcess({ dataDir, databaseUrl: d.name === 'postgres' ? db.location : undefined, sweepInterval: `${SWEEP_MS}ms` });
      for (const name of ['boss', 'helper']) assert.equal((await server.api('POST', '/v1/agents', manifest(name))).status, 201);
      const k = await server.api('POST', '/v1/keys', { role: 'worker', name: 'crash calls', agents: ['boss', 'helper'] });
      assert.equal(k.status, 201);
      workerKey = k.body.key;
    });
    afterEach(async () => {
      await Promise.all(workers.splice(0).map((w) => w.signal('SIGKILL')));
    });
    after(async () => {
      await server?.stop();
      await killAllChildren();
      await db?.cleanup();
      if (d.name === 'postgres' && dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    const startWorker = async (o: Omit<WorkerProcessOptions, 'url' | 'apiKey'>) => {
      const w = await startWorkerProcess({ url: server.url, apiKey: workerKey, pollWaitMs: 2000, leaseTtlMs: TTL, ...o });
      workers.push(w);
      return w;
    };
    const getRun = async (id: string) => (await server.api('GET', `/v1/runs/${id}`)).body;
    const children = async (id: string) => (await server.api<{ data: { id: string; status: string; call_key: string }[] }>('GET', `/v1/runs/${id}/children`)).body.data;

    it("the parent's next attempt gets the same child (one child only) and its output", async () => {
      const boss = { agent: 'boss', mode: 'call' as const, callAgent: 'helper' };
      const first = await startWorker(boss);
      const r = await server.api('POST', '/v1/runs', { agent: 'boss', endpoint: 'work', input: { child_input: { question: 'why' } } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const parentId = r.body.id as string;
      // The parent made its child (nobody serves helper yet) and waits for it.
      await waitUntil(async () => (await getRun(parentId)).waiting_reason === 'child', { timeoutMs: 30_000, intervalMs: 50, what: 'the parent to wait for its child' });
      const [child] = await children(parentId);
      assert.equal(child.call_key, 'call-1');
      assert.equal((await first.signal('SIGKILL'))?.signal, 'SIGKILL');

      const second = await startWorker(boss);
      // Lease expiry → retry → attempt 2, which calls again with call-1.
      await second.waitFor((e) => e.ev === 'start' && e.run_id === parentId && e.attempt === 2, { timeoutMs: 30_000, what: 'attempt 2 of the parent' });
      await waitUntil(async () => (await getRun(parentId)).waiting_reason === 'child', { timeoutMs: 30_000, intervalMs: 50, what: 'attempt 2 to wait for the child' });
      await startWorker({ agent: 'helper', mode: 'echo' });
      const done = await waitUntil(
        async () => {
          const run = await getRun(parentId);
          return ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(run.status) ? run : null;
        },
        { timeoutMs: 30_000, intervalMs: 50, what: 'the parent to end' },
      );
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.equal(done.attempts, 2);
      assert.equal(done.output.child.run_id, child.id, "the output is the first child's");
      assert.deepEqual(done.output.child.input, { question: 'why' });
      const kids = await children(parentId);
      assert.deepEqual(kids.map((k) => k.id), [child.id], 'one child only');
      assert.equal(kids[0].status, 'succeeded');
    });
  });
}
