/**
 * Durable steps and signal waits in real worker processes (the SDK's ctx.step and
 * ctx.waitForSignal) against a real server process: a step's side effect happens once though the
 * worker is killed -9 after it (the next attempt gets the recorded result); a signal sent before
 * the run is even leased is consumed by its wait; a wait shows the run `waiting` (reason signal)
 * and the signal resumes it; a wait with a timeout throws SignalTimeoutError and the run goes on.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { killAllChildren, startServerProcess, waitUntil, type ServerProcess } from './helpers/server-process.ts';
import { startWorkerProcess, type WorkerProcess, type WorkerProcessOptions } from './helpers/worker-process.ts';

const SWEEP_MS = 200;

const MANIFEST = {
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name: 'durable' },
  spec: { runtime: 'worker', endpoints: { work: { input: { type: 'object' }, timeout: '5m', retry: { max_attempts: 5, initial_interval: '100ms', max_interval: '1s', jitter: 0 } } } },
};

for (const d of await dialects()) {
  describe(`durable steps and signal waits in worker processes (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let dataDir: string;
    let scratch: string;
    let server: ServerProcess;
    let workerKey: string;
    const workers: WorkerProcess[] = [];

    before(async () => {
      db = await d.create();
      dataDir = d.name === 'sqlite' ? db.location : mkdtempSync(join(tmpdir(), 'agentd-steps-'));
      scratch = mkdtempSync(join(tmpdir(), 'agentd-steps-effects-'));
      server = await startServerProcess({ dataDir, databaseUrl: d.name === 'postgres' ? db.location : undefined, sweepInterval: `${SWEEP_MS}ms` });
      assert.equal((await server.api('POST', '/v1/agents', MANIFEST)).status, 201);
      const k = await server.api('POST', '/v1/keys', { role: 'worker', name: 'durable tests', agents: ['durable'] });
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
      rmSync(scratch, { recursive: true, force: true });
      if (d.name === 'postgres' && dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    const startWorker = async (o: Partial<Omit<WorkerProcessOptions, 'url' | 'apiKey'>> = {}) => {
      const w = await startWorkerProcess({ url: server.url, apiKey: workerKey, agent: 'durable', mode: 'durable', pollWaitMs: 5000, ...o });
      workers.push(w);
      return w;
    };
    const createRun = async (input: Record<string, unknown>) => {
      const r = await server.api('POST', '/v1/runs', { agent: 'durable', endpoint: 'work', input });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body as { id: string };
    };
    const getRun = async (id: string) => (await server.api('GET', `/v1/runs/${id}`)).body;
    const eventsOf = async (id: string) => (await server.api<{ data: { type: string; data: Record<string, any> }[] }>('GET', `/v1/runs/${id}/events?after=0&limit=1000`)).body.data;
    const until = (id: string, pred: (run: any) => boolean, what: string) =>
      waitUntil(
        async () => {
          const run = await getRun(id);
          return pred(run) ? run : null;
        },
        { timeoutMs: 30_000, intervalMs: 50, what: `run ${id} ${what}` },
      );

    it('ctx.step does not rerun after the worker is killed -9: the next attempt gets the recorded result, the side effect happened once', async () => {
      const effects = join(scratch, `effects-${d.name}.jsonl`);
      const a = await startWorker({ leaseTtlMs: 2000, workerId: 'steps-a' });
      const run = await createRun({ side_effects: effects, hang_after_step: true });
      const step = await a.waitFor((e) => e.ev === 'step' && e.run_id === run.id, { timeoutMs: 30_000, what: 'the step' });
      assert.equal(step.attempt, 1);
      // The result is recorded before ctx.step returns it: it is in the run's events now.
      assert.equal((await eventsOf(run.id)).filter((e) => e.type === 'run.step').length, 1);
      assert.equal((await a.signal('SIGKILL'))?.signal, 'SIGKILL');

      const b = await startWorker({ leaseTtlMs: 2000, workerId: 'steps-b' });
      const done = await until(run.id, (r) => r.status === 'succeeded', 'to succeed');
      assert.equal(done.attempts, 2);
      assert.deepEqual(done.output.step, step.value, 'attempt 2 returned what attempt 1 recorded');
      assert.equal(done.output.step.made_by_attempt, 1);
      const replayed = b.events().find((e) => e.ev === 'step' && e.run_id === run.id);
      assert.equal(replayed?.attempt, 2);
      const lines = readFileSync(effects, 'utf8').trim().split('\n');
      assert.equal(lines.length, 1, `the side effect ran once: ${lines.join(' | ')}`);
      const steps = (await eventsOf(run.id)).filter((e) => e.type === 'run.step');
      assert.equal(steps.length, 1, 'one run.step event');
      assert.equal(steps[0].data.key, 'side-effect');
    });

    it('a signal sent before the run is leased is consumed by ctx.waitForSignal; the run never waits', async () => {
      const run = await createRun({ wait_signal: 'early' });
      const sent = await server.api('POST', `/v1/runs/${run.id}/signals/early`, { hello: 'world' });
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
      await startWorker();
      const done = await until(run.id, (r) => r.status === 'succeeded', 'to succeed');
      assert.deepEqual(done.output.signal, { hello: 'world' });
      assert.ok(!(await eventsOf(run.id)).some((e) => e.type === 'run.waiting'));
    });

    it('while ctx.waitForSignal waits the run is waiting (reason signal), heartbeating; the signal resumes it', async () => {
      const w = await startWorker({ leaseTtlMs: 2000 });
      const run = await createRun({ wait_signal: 'later' });
      const waiting = await until(run.id, (r) => r.status === 'waiting', 'to wait');
      assert.equal(waiting.waiting_reason, 'signal');
      // Longer than the lease TTL: the heartbeats keep it (no second attempt).
      const mark = w.mark;
      await w.waitFor((e) => e.ev === 'http' && /\/heartbeat$/.test(e.path) && e.status === 200, { from: mark, timeoutMs: 10_000, what: 'a heartbeat while waiting' });
      const sent = await server.api('POST', `/v1/runs/${run.id}/signals/later`, { n: 7 });
      assert.equal(sent.status, 202);
      const done = await until(run.id, (r) => r.status === 'succeeded', 'to succeed');
      assert.deepEqual(done.output.signal, { n: 7 });
      assert.equal(done.attempts, 1);
      const types = (await eventsOf(run.id)).map((e) => e.type);
      const i = types.indexOf('run.waiting');
      assert.deepEqual(types.slice(i, i + 3), ['run.waiting', 'run.signal', 'run.resumed']);
    });

    it('ctx.waitForSignal with a timeout throws SignalTimeoutError when none comes; the run resumes and completes', async () => {
      await startWorker();
      const run = await createRun({ wait_signal: 'never', timeout_ms: 300 });
      const done = await until(run.id, (r) => r.status === 'succeeded', 'to succeed');
      assert.equal(done.output.timed_out, true);
      assert.equal(done.output.signal_name, 'never');
      const resumed = (await eventsOf(run.id)).find((e) => e.type === 'run.resumed');
      assert.equal(resumed?.data.timed_out, true);
    });
  });
}
