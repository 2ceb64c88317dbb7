/**
 * Worker crashes against a real server process, with real worker processes built on the SDK:
 * TESTPLAN 4 (a worker SIGKILLed mid-run), 5 (a zombie worker SIGSTOPped past its lease, then
 * SIGCONTed) and 10 (SIGTERM with runs in flight: finish the short, release the long).
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { killAllChildren, startServerProcess, waitUntil, type ServerProcess } from './helpers/server-process.ts';
import { startWorkerProcess, type WorkerLine, type WorkerProcess, type WorkerProcessOptions } from './helpers/worker-process.ts';

const SWEEP_MS = 200;

const manifest = (name: string) => ({
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name },
  spec: {
    runtime: 'worker',
    endpoints: {
      work: {
        input: { type: 'object' },
        output: { type: 'object' },
        timeout: '5m',
        retry: { max_attempts: 5, initial_interval: '100ms', max_interval: '1s', jitter: 0 },
      },
    },
  },
});

interface Attempt {
  attempt: number;
  lease_id: string;
  worker_id: string | null;
  started_at: string;
  ended_at: string | null;
  outcome: string;
}

const TERMINAL = new Set(['run.succeeded', 'run.failed', 'run.cancelled', 'run.timed_out']);

for (const d of await dialects()) {
  describe(`worker crashes against a server process (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let dataDir: string;
    let server: ServerProcess;
    let workerKey: string;
    const workers: WorkerProcess[] = [];

    before(async () => {
      db = await d.create();
      dataDir = d.name === 'sqlite' ? db.location : mkdtempSync(join(tmpdir(), 'agentd-crash-'));
      server = await startServerProcess({ dataDir, databaseUrl: d.name === 'postgres' ? db.location : undefined, sweepInterval: `${SWEEP_MS}ms` });
      for (const name of ['reaper', 'zombie', 'drain']) {
        const r = await server.api('POST', '/v1/agents', manifest(name));
        assert.equal(r.status, 201, JSON.stringify(r.body));
      }
      const k = await server.api('POST', '/v1/keys', { role: 'worker', name: 'crash tests', agents: ['reaper', 'zombie', 'drain'] });
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
      const w = await startWorkerProcess({ url: server.url, apiKey: workerKey, pollWaitMs: 5000, ...o });
      workers.push(w);
      return w;
    };
    const createRun = async (agent: string, input: Record<string, unknown> = {}) => {
      const r = await server.api('POST', '/v1/runs', { agent, endpoint: 'work', input });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body as { id: string };
    };
    const getRun = async (id: string) => (await server.api('GET', `/v1/runs/${id}`)).body;
    const attemptsOf = async (id: string) => (await server.api<{ data: Attempt[] }>('GET', `/v1/runs/${id}/attempts`)).body.data;
    const eventsOf = async (id: string) =>
      (await server.api<{ data: { seq: number; type: string; data: Record<string, any> }[] }>('GET', `/v1/runs/${id}/events?after=0&limit=1000`, undefined)).body.data;
    const waitForStatus = (id: string, status: string, timeoutMs = 30_000) =>
      waitUntil(
        async () => {
          const run = await getRun(id);
          return run.status === status ? run : null;
        },
        { timeoutMs, intervalMs: 50, what: `run ${id} to be ${status}` },
      );
    /** Worker-protocol call with the worker key. */
    const asWorker = (path: string, body: unknown) => server.api('POST', path, body, workerKey);

    it('TESTPLAN 4: a SIGKILLed worker’s run is leased again (attempt 2) within lease TTL + sweep, and succeeds', async (t) => {
      const TTL = 2000;
      const a = await startWorker({ agent: 'reaper', mode: 'hang', leaseTtlMs: TTL, workerId: 'reaper-a' });
      const run = await createRun('reaper', { n: 1 });
      const aStart = await a.waitForStart(run.id);
      assert.equal(aStart.attempt, 1);
      // B polls before A dies, so the re-lease time is the server's, not B's start-up.
      const b = await startWorker({ agent: 'reaper', mode: 'echo', leaseTtlMs: TTL, workerId: 'reaper-b' });
      await b.waitFor((e) => e.ev === 'http.send' && e.path === '/v1/worker/lease', { what: 'its first lease request' });

      const killedAt = Date.now();
      const exit = await a.signal('SIGKILL');
      assert.equal(exit?.signal, 'SIGKILL');

      const bStart = await b.waitForStart(run.id, { timeoutMs: 30_000 });
      assert.equal(bStart.attempt, 2);
      const done = await waitForStatus(run.id, 'succeeded');
      assert.equal(done.attempts, 2);
      assert.equal(done.output.worker_id, 'reaper-b');
      assert.equal(done.output.attempt, 2);

      const attempts = await attemptsOf(run.id);
      assert.deepEqual(
        attempts.map((x) => [x.attempt, x.outcome, x.worker_id]),
        [
          [1, 'lease_expired', 'reaper-a'],
          [2, 'succeeded', 'reaper-b'],
        ],
      );
      const started1 = Date.parse(attempts[0].started_at);
      const started2 = Date.parse(attempts[1].started_at);
      // Never before the lease could have expired (it ran for at least TTL from the lease)...
      assert.ok(started2 - started1 >= TTL, `re-leased ${started2 - started1} ms after the first lease, before its ${TTL} ms TTL`);
      // ...and within TTL + sweep of the kill, with an order-of-magnitude margin for a loaded machine.
      const releaseMs = started2 - killedAt;
      assert.ok(releaseMs < 10 * (TTL + SWEEP_MS), `re-leased ${releaseMs} ms after the kill`);
      const types = (await eventsOf(run.id)).map((e) => e.type);
      assert.deepEqual(types, ['run.queued', 'run.started', 'run.retrying', 'run.started', 'run.succeeded']);
      t.diagnostic(`${d.name}: kill -9 → attempt 2 leased after ${releaseMs} ms (lease TTL ${TTL} ms + sweep ${SWEEP_MS} ms = ${TTL + SWEEP_MS} ms); first lease → second ${started2 - started1} ms`);
    });

    it('TESTPLAN 5: a zombie worker (SIGSTOP past its lease, then SIGCONT) is refused with 409 LEASE_LOST; exactly one completion', async (t) => {
      const TTL = 2000;
      // A's handler ends 1.5 s in, while A is stopped: on SIGCONT it both heartbeats and completes.
      // Concurrency 1: A holds no open long-poll while it runs, which (frozen with A) could be
      // handed the re-queued run itself; that would be another scenario.
      const a = await startWorker({ agent: 'zombie', mode: 'sleep', sleepMs: 1500, leaseTtlMs: TTL, concurrency: 1, workerId: 'zombie-a' });
      const run = await createRun('zombie', { n: 1 });
      const aStart = await a.waitForStart(run.id);
      await a.signal('SIGSTOP');
      const stoppedAt = Date.now();

      const b = await startWorker({ agent: 'zombie', mode: 'echo', leaseTtlMs: TTL, workerId: 'zombie-b' });
      const bStart = await b.waitForStart(run.id, { timeoutMs: 30_000 });
      assert.equal(bStart.attempt, 2);
      const done = await waitForStatus(run.id, 'succeeded');
      assert.equal(done.output.worker_id, 'zombie-b');
      assert.equal(
        a.events().filter((e) => e.ev === 'finish' && e.run_id === run.id).length,
        0,
        'A was stopped before its handler finished (otherwise this test proves nothing)',
      );

      const mark = a.mark;
      await a.signal('SIGCONT');
      const contAt = Date.now();
      const aLease: string = aStart.lease_id;
      const mine = (e: WorkerLine) =>
        (e.path === `/v1/leases/${aLease}/heartbeat` || e.path === `/v1/leases/${aLease}/events`) || (e.path === '/v1/worker/complete' && (e.lease_ids?.includes(aLease) ?? false));

      // A's handler ends and A learns it lost the lease. With one slot, A's next lease request
      // means the task is settled (reported or discarded); then every request A sent for the old
      // lease has its answer (or was aborted by A itself once it knew).
      await a.waitFor((e) => e.ev === 'finish' && e.run_id === run.id, { from: mark, what: 'its handler to finish' });
      await a.waitFor((e) => e.ev === 'http.send' && e.path === '/v1/worker/lease', { from: mark, what: 'its next lease request' });
      await waitUntil(
        () => {
          const after = a.events(mark);
          const answered = new Set(after.filter((e) => e.ev === 'http').map((e) => e.n as number));
          return after.filter((e) => e.ev === 'http.send' && mine(e)).every((e) => answered.has(e.n));
        },
        { timeoutMs: 20_000, what: "answers to A's requests" },
      );
      const after = a.events(mark);
      const sentNs = new Set(after.filter((e) => e.ev === 'http.send' && mine(e)).map((e) => e.n as number));
      const answers = after.filter((e) => e.ev === 'http' && sentNs.has(e.n));
      const seen: string[] = [];
      for (const ans of answers) {
        if (ans.error) {
          // Only A itself aborts a beat (once it has stopped the task); nothing else may fail.
          assert.equal(ans.error, 'AbortError', `A's request failed: ${JSON.stringify(ans)}`);
          seen.push(`${ans.path.split('/').pop()}: aborted by A`);
        } else if (ans.path === '/v1/worker/complete') {
          assert.equal(ans.status, 200);
          const item = ans.results.find((r: { lease_id: string }) => r.lease_id === aLease);
          assert.equal(item?.ok, false, `A's completion after SIGCONT: ${JSON.stringify(ans)}`);
          assert.equal(item.error.code, 'LEASE_LOST');
          seen.push(`complete: ok=false ${item.error.code}`);
        } else {
          assert.equal(ans.status, 409, `A's ${ans.path} after SIGCONT: ${JSON.stringify(ans)}`);
          assert.equal(ans.code, 'LEASE_LOST');
          seen.push(`${ans.path.split('/').pop()}: ${ans.status} ${ans.code}`);
        }
      }
      assert.ok(seen.some((s) => /409 LEASE_LOST|ok=false LEASE_LOST/.test(s)), `A saw: ${JSON.stringify(seen)}`);
      const sdkSaw = after.filter((e) => e.ev === 'log' && (e.message === 'task aborted' || e.message === 'the server refused the outcome'));
      assert.ok(sdkSaw.length > 0, 'the SDK worker noticed the loss (aborted the task or logged the refusal)');

      // Whatever A did or did not get to send, the server refuses every call on its old lease.
      const probes: Record<string, unknown> = {
        heartbeat: {},
        complete: { output: { worker_id: 'zombie-a' } },
        fail: { error: { type: 'zombie', message: 'late' } },
        events: { events: [{ type: 'run.log', data: { level: 'info', message: 'late' } }] },
        release: {},
      };
      for (const [path, body] of Object.entries(probes)) {
        const r = await asWorker(`/v1/leases/${aLease}/${path}`, body);
        assert.equal(r.status, 409, `${path} with the zombie's lease: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'LEASE_LOST');
      }
      const batch = await asWorker('/v1/worker/complete', { results: [{ lease_id: aLease, output: { worker_id: 'zombie-a' } }] });
      assert.equal(batch.status, 200);
      assert.equal(batch.body.results[0].ok, false);
      assert.equal(batch.body.results[0].error.code, 'LEASE_LOST');

      // Exactly one completion, and it is B's.
      const final = await getRun(run.id);
      assert.equal(final.status, 'succeeded');
      assert.equal(final.attempts, 2);
      assert.deepEqual(final.output, done.output);
      const attempts = await attemptsOf(run.id);
      assert.deepEqual(
        attempts.map((x) => [x.attempt, x.outcome, x.worker_id]),
        [
          [1, 'lease_expired', 'zombie-a'],
          [2, 'succeeded', 'zombie-b'],
        ],
      );
      assert.equal(attempts.filter((x) => x.outcome === 'succeeded').length, 1);
      const events = await eventsOf(run.id);
      assert.equal(events.filter((e) => TERMINAL.has(e.type)).length, 1, 'exactly one terminal event');
      assert.equal(events.at(-1)!.type, 'run.succeeded');
      assert.equal(events.at(-1)!.data.output.worker_id, 'zombie-b');
      assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), 'seq is gap-free');
      assert.equal(events.filter((e) => e.type === 'run.log').length, 0, 'no event from the zombie got in');
      t.diagnostic(`${d.name}: A stopped ${Date.parse(attempts[1].started_at) - stoppedAt} ms before B took the run; A continued ${contAt - Date.parse(done.finished_at)} ms after B's completion and saw ${JSON.stringify(seen)}`);
    });

    it('TESTPLAN 10: SIGTERM with runs in flight stops leasing, finishes short handlers, releases long ones for an immediate restart', async (t) => {
      const TTL = 30_000;
      const GRACE = 3000;
      const w1 = await startWorker({ agent: 'drain', mode: 'sleep', sleepMs: 10 * 60_000, leaseTtlMs: TTL, shutdownGraceMs: GRACE, concurrency: 8, workerId: 'drain-1' });
      const batch = await server.api('POST', '/v1/runs/batch', {
        runs: [
          // In flight at SIGTERM by construction, and done 500 ms into the grace period.
          { agent: 'drain', endpoint: 'work', input: { kind: 'short', after_signal: true, sleep_ms: 500 } },
          { agent: 'drain', endpoint: 'work', input: { kind: 'short', after_signal: true, sleep_ms: 500 } },
          { agent: 'drain', endpoint: 'work', input: { kind: 'long' } },
          { agent: 'drain', endpoint: 'work', input: { kind: 'long' } },
        ],
      });
      assert.equal(batch.status, 201, JSON.stringify(batch.body));
      const ids: string[] = batch.body.data.map((r: { id: string }) => r.id);
      const [short1, short2, long1, long2] = ids;
      for (const id of ids) await w1.waitForStart(id);
      // A second worker is polling before the first one is told to stop.
      const w2 = await startWorker({ agent: 'drain', mode: 'echo', leaseTtlMs: TTL, concurrency: 8, workerId: 'drain-2' });
      await w2.waitFor((e) => e.ev === 'http.send' && e.path === '/v1/worker/lease', { what: 'its first lease request' });

      const termAt = Date.now();
      await w1.signal('SIGTERM');
      await w1.waitFor((e) => e.ev === 'signal' && e.signal === 'SIGTERM', { what: 'the SIGTERM' });
      // Created after W1 took the signal: only W2 may run it.
      const late = await createRun('drain', { kind: 'late' });

      await waitUntil(() => !w1.proc.running, { timeoutMs: TTL, intervalMs: 20, what: 'W1 to exit by itself, well before the lease TTL' });
      const exitedAt = Date.now();
      assert.deepEqual(w1.proc.exit, { code: 0, signal: null }, `W1's exit; stderr: ${w1.proc.stderr}`);

      const signalLine = w1.events().find((e) => e.ev === 'signal')!;
      for (const id of [short1, short2]) {
        const finish = w1.events().find((e) => e.ev === 'finish' && e.run_id === id);
        assert.equal(finish?.outcome, 'returned');
        assert.ok(finish.t >= signalLine.t, 'the short handler was in flight at SIGTERM');
        const run = await waitForStatus(id, 'succeeded');
        assert.equal(run.output.worker_id, 'drain-1', 'a short run is finished by W1 within the grace period');
        assert.deepEqual((await attemptsOf(id)).map((x) => [x.attempt, x.outcome, x.worker_id]), [[1, 'succeeded', 'drain-1']]);
      }
      const relaunch: number[] = [];
      for (const id of [long1, long2]) {
        const run = await waitForStatus(id, 'succeeded');
        assert.equal(run.output.worker_id, 'drain-2');
        const attempts = await attemptsOf(id);
        assert.deepEqual(
          attempts.map((x) => [x.attempt, x.outcome, x.worker_id]),
          [
            [1, 'released', 'drain-1'],
            [2, 'succeeded', 'drain-2'],
          ],
        );
        const firstLeased = Date.parse(attempts[0].started_at);
        const released = Date.parse(attempts[0].ended_at!);
        const restarted = Date.parse(attempts[1].started_at);
        // Started again long before the first lease's TTL would have let the sweeper take it back.
        assert.ok(restarted - firstLeased < TTL, `restarted ${restarted - firstLeased} ms after the first lease (TTL ${TTL} ms)`);
        assert.ok(released - termAt >= GRACE - 100, 'released only once the grace period was over');
        relaunch.push(restarted - released);
        const finish = w1.events().find((e) => e.ev === 'finish' && e.run_id === id);
        assert.equal(finish?.outcome, 'aborted');
        assert.equal(finish?.reason, 'WORKER_SHUTDOWN');
        const events = await eventsOf(id);
        assert.deepEqual(events.map((e) => e.type), ['run.queued', 'run.started', 'run.queued', 'run.started', 'run.succeeded']);
        assert.equal(events[2].data.reason, 'released');
      }
      const lateRun = await waitForStatus(late.id, 'succeeded');
      assert.deepEqual((await attemptsOf(late.id)).map((x) => [x.attempt, x.outcome, x.worker_id]), [[1, 'succeeded', 'drain-2']]);
      assert.equal(lateRun.output.worker_id, 'drain-2');

      // W1 sent no lease request after the signal, and never started the late run.
      const lines = w1.events();
      const signalAt = lines.findIndex((e) => e.ev === 'signal');
      assert.deepEqual(lines.slice(signalAt).filter((e) => e.ev === 'http.send' && e.path === '/v1/worker/lease'), []);
      assert.equal(lines.filter((e) => e.ev === 'start' && e.run_id === late.id).length, 0);

      t.diagnostic(
        `${d.name}: SIGTERM → W1 exit ${exitedAt - termAt} ms (grace ${GRACE} ms); released → restarted on W2 ${JSON.stringify(relaunch)} ms (lease TTL ${TTL} ms); late run leased by W2 only`,
      );
    });
  });
}
