/**
 * examples/pipeline against a real server process with its real worker process, on both
 * databases: the workflow reaches its approval gate, the server is killed (kill -9) and started
 * again on the same data, the gate is approved, and the workflow resumes exactly once: one
 * terminal event, one child run per agent step, each step started once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { childEnv, killAllChildren, LineProcess, REPO_ROOT, startServerProcess, waitUntil, type ServerProcess } from './helpers/server-process.ts';

const PIPE = join(REPO_ROOT, 'examples/pipeline');
const TERMINAL = ['run.succeeded', 'run.failed', 'run.cancelled', 'run.timed_out'];

for (const d of await dialects()) {
  describe(`examples/pipeline survives a server kill -9 at its gate (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let dataDir: string;
    let server: ServerProcess;
    let worker: LineProcess | null = null;

    before(async () => {
      db = await d.create();
      dataDir = d.name === 'sqlite' ? db.location : mkdtempSync(join(tmpdir(), 'agentd-crash-workflows-'));
      server = await startServerProcess({ dataDir, databaseUrl: d.name === 'postgres' ? db.location : undefined });
    });
    after(async () => {
      await worker?.signal('SIGKILL');
      await server?.stop();
      await killAllChildren();
      await db?.cleanup();
      if (d.name === 'postgres' && dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    const deploy = async (path: string, file: string) => {
      const res = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/yaml' },
        body: readFileSync(join(PIPE, file), 'utf8'),
      });
      assert.equal(res.status, 201, await res.text());
    };
    const startWorker = () =>
      new LineProcess(process.execPath, ['--conditions=@agentd/source', join(PIPE, 'worker.ts')], { env: childEnv({ AGENTD_URL: server.url, AGENTD_API_KEY: server.adminKey }) });
    const getRun = async (id: string) => (await server.api('GET', `/v1/runs/${id}`)).body;

    it('waits at the gate, resumes after the restart, ends succeeded once with one child per step', async () => {
      for (const f of ['researcher.yaml', 'writer.yaml', 'publisher.yaml']) await deploy('/v1/agents', f);
      await deploy('/v1/workflows', 'workflow.yaml');
      worker = startWorker();
      const input = JSON.parse(readFileSync(join(PIPE, 'input.json'), 'utf8'));
      const started = await server.api('POST', '/v1/workflows/pipeline/runs', { input });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const id = started.body.id as string;

      const gate = await waitUntil(
        async () => {
          const pending = (await server.api('GET', `/v1/approvals?status=pending&run=${id}`)).body.data;
          return pending.length > 0 ? pending[0] : null;
        },
        { timeoutMs: 60_000, intervalMs: 100, what: 'the approval gate' },
      );
      assert.equal(gate.run_id, id);
      assert.equal(gate.prompt, `Publish "All about ${input.topic}"?`);
      const waiting = await getRun(id);
      assert.equal(waiting.status, 'waiting');
      assert.equal(waiting.waiting_reason, 'approval');

      await worker.signal('SIGKILL');
      await server.kill('SIGKILL');
      await server.start();
      worker = startWorker();

      assert.equal((await server.api('GET', `/v1/approvals/${gate.id}`)).body.status, 'pending', 'the gate is still pending after the restart');
      const ok = await server.api('POST', `/v1/approvals/${gate.id}/approve`, { comment: 'ok' });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const done = await waitUntil(async () => {
        const r = await getRun(id);
        return ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(r.status) ? r : null;
      }, { timeoutMs: 60_000, intervalMs: 100, what: 'the workflow to end' });
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.deepEqual(done.output, { published: true, url: `https://blog.example.com/all-about-durable-workflows`, title: 'All about durable workflows' });

      const kids = (await server.api('GET', `/v1/runs/${id}/children`)).body.data as { step: string; status: string }[];
      assert.deepEqual(kids.map((k) => k.step).sort(), ['draft', 'publish', 'research'], 'one child run per agent step');
      assert.ok(kids.every((k) => k.status === 'succeeded'));
      const events = (await server.api('GET', `/v1/runs/${id}/events?limit=1000`)).body.data as { type: string; data: { step?: string } }[];
      assert.deepEqual(events.filter((e) => TERMINAL.includes(e.type)).map((e) => e.type), ['run.succeeded'], 'exactly one terminal event');
      const startedSteps = events.filter((e) => e.type === 'workflow.step.started').map((e) => e.data.step);
      assert.deepEqual(startedSteps, ['research', 'draft', 'review', 'publish'], 'each step started once, in order');
    });
  });
}
