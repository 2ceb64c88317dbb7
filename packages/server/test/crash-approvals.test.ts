/**
 * TESTPLAN 14 over real processes: a run waiting on a worker-requested approval survives a
 * kill -9 of the server and of its worker, and after the decision it resumes exactly once with
 * the decision that was made. The worker is examples/approval, run as a user would run it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { childEnv, killAllChildren, LineProcess, REPO_ROOT, startServerProcess, waitUntil, type ServerProcess } from './helpers/server-process.ts';

const WORKER = join(REPO_ROOT, 'examples/approval/worker.ts');

for (const d of await dialects()) {
  describe(`approval across a crash of server and worker (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let dataDir: string;
    let server: ServerProcess;
    /** The example's worker runs as the README says: with a worker key that names `refund`. */
    let workerKey: string;
    const workers: LineProcess[] = [];
    const startWorker = () => {
      const w = new LineProcess(process.execPath, [WORKER], { env: childEnv({ AGENTD_URL: server.url, AGENTD_API_KEY: workerKey }), cwd: REPO_ROOT });
      workers.push(w);
      return w;
    };

    before(async () => {
      db = await d.create();
      dataDir = d.name === 'sqlite' ? db.location : mkdtempSync(join(tmpdir(), 'agentd-apr-'));
      server = await startServerProcess({ dataDir, databaseUrl: d.name === 'postgres' ? db.location : undefined, sweepInterval: '200ms' });
      const manifest = readFileSync(join(REPO_ROOT, 'examples/approval/agent.yaml'), 'utf8');
      const deployed = await fetch(`${server.url}/v1/agents`, { method: 'POST', headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/yaml' }, body: manifest });
      assert.equal(deployed.status, 201);
      assert.equal((await server.api('POST', '/v1/secrets', { name: 'payments_key', value: 'sk_test_crash_canary_0001' })).status, 201);
      assert.equal((await server.api('POST', '/v1/grants', { secret: 'payments_key', agent: 'refund' })).status, 201);
      const created = await server.api('POST', '/v1/keys', { role: 'worker', name: 'refund worker', agents: ['refund'] });
      assert.equal(created.status, 201);
      workerKey = created.body.key;
    });
    after(async () => {
      await Promise.all(workers.map((w) => w.signal('SIGKILL')));
      await server?.stop();
      await killAllChildren();
      await db?.cleanup();
      if (d.name === 'postgres' && dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    it('waits durably, survives kill -9 of both, and resumes once with the decision', async (t) => {
      startWorker();
      const run = (await server.api('POST', '/v1/runs', { agent: 'refund', endpoint: 'issue', input: { amount: 42 } })).body as { id: string };
      const pending = await waitUntil(
        async () => {
          const page = (await server.api('GET', `/v1/approvals?status=pending&run=${run.id}`)).body as { data: { id: string }[] };
          return page.data.length === 1 ? page.data[0] : null;
        },
        { what: 'the approval request', timeoutMs: 30_000 },
      );
      assert.equal((await server.api('GET', `/v1/runs/${run.id}`)).body.status, 'waiting');

      await Promise.all(workers.map((w) => w.signal('SIGKILL')));
      await server.kill('SIGKILL');
      const restartStarted = Date.now();
      await server.restart();
      t.diagnostic(`restart to ready: ${Date.now() - restartStarted} ms`);
      startWorker();

      const stillPending = (await server.api('GET', `/v1/approvals?status=pending&run=${run.id}`)).body.data;
      assert.deepEqual(stillPending.map((a: { id: string }) => a.id), [pending.id], 'the same approval is still pending after the crash');
      const decided = await server.api('POST', `/v1/approvals/${pending.id}/approve`, { comment: 'after the crash' });
      assert.equal(decided.status, 200, JSON.stringify(decided.body));

      const done = await waitUntil(
        async () => {
          const r = (await server.api('GET', `/v1/runs/${run.id}`)).body;
          return ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(r.status) ? r : null;
        },
        { what: 'the run to end', timeoutMs: 60_000 },
      );
      assert.equal(done.status, 'succeeded', JSON.stringify(done));
      assert.deepEqual({ refunded: done.output.refunded, token_used: done.output.token_used, note: done.output.note }, { refunded: true, token_used: true, note: 'after the crash' });
      const all = (await server.api('GET', `/v1/approvals?run=${run.id}&status=pending,approved,rejected,expired,cancelled`)).body.data;
      assert.equal(all.length, 1, 'never a second request');
      const events = (await server.api('GET', `/v1/runs/${run.id}/events?after=0&limit=1000`)).body.data as { type: string }[];
      assert.equal(events.filter((e) => e.type === 'approval.requested').length, 1);
      assert.equal(events.filter((e) => e.type === 'approval.decided').length, 1);
      assert.equal(events.filter((e) => e.type === 'run.succeeded').length, 1, 'resumed exactly once');
      assert.ok(!JSON.stringify(events).includes('sk_test_crash_canary_0001'), 'the granted secret never reaches an event');
    });
  });
}
