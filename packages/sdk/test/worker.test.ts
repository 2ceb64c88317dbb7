import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Agentd, ensureRunFailure, NonRetryableError } from '../src/index.ts';
import { LeaseLostError, RunCancelledError, silentLogger, Worker, WorkerShutdownError, type WorkerOptions } from '../src/worker/index.ts';
import { FakeWorkerServer, makeTask, waitFor } from './helpers/fake-worker-server.ts';
import { assertNoLeaks } from './helpers/leak-check.ts';

let fake: FakeWorkerServer;

beforeEach(async () => {
  fake = await FakeWorkerServer.start();
});

afterEach(async () => {
  await fake.close();
  await assertNoLeaks();
});

function startWorker(options: Partial<WorkerOptions> & Pick<WorkerOptions, 'endpoints'>): { worker: Worker; running: Promise<void> } {
  const worker = new Worker({
    client: new Agentd({ baseURL: fake.url }),
    agent: 'greeter',
    handleSignals: false,
    logger: silentLogger,
    pollWaitMs: 1000,
    ...options,
  });
  return { worker, running: worker.run() };
}

describe('Worker', () => {
  it('runs handlers, appends their events before completing, and batches completions', async () => {
    // The three handlers end together (each waits until all three have sent their events), so
    // their outcomes must leave in one completion call: a worker that completes one by one fails.
    let ready = 0;
    let release!: () => void;
    const together = new Promise<void>((resolve) => (release = resolve));
    const { worker, running } = startWorker({
      workerId: 'w-1',
      endpoints: {
        greet: async (input: { name: string }, ctx) => {
          void ctx.log('greeting', { fields: { who: input.name } });
          void ctx.progress({ progress: 0.5, message: 'half' });
          void ctx.emit('mood', { happy: true });
          await ctx.outputDelta('Hel');
          if (++ready === 3) release();
          await together;
          return { text: `Hello ${input.name}` };
        },
      },
    });
    fake.push(makeTask('greet', { name: 'Ada' }), makeTask('greet', { name: 'Bob' }), makeTask('greet', { name: 'Cy' }));
    await waitFor(() => fake.completions.length === 3);
    await worker.stop();
    await running;

    assert.deepEqual(fake.completions.map((c) => ('output' in c ? c.output : c)).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))), [
      { text: 'Hello Ada' },
      { text: 'Hello Bob' },
      { text: 'Hello Cy' },
    ]);
    const lease = fake.requests.find((r) => r.url.pathname === '/v1/worker/lease')!.json as Record<string, unknown>;
    assert.deepEqual(lease.endpoints, ['greet']);
    assert.equal(lease.agent, 'greeter');
    assert.equal(lease.worker_id, 'w-1');
    assert.equal(lease.wait_ms, 1000);
    const first = fake.appended.find((a) => a.lease_id === fake.completions[0].lease_id)!;
    assert.deepEqual(first.events.map((e) => e.type), ['run.log', 'run.progress', 'custom.mood', 'run.output.delta']);
    const log = first.events[0].data;
    assert.equal(log.level, 'info');
    assert.equal(log.message, 'greeting');
    assert.ok(['Ada', 'Bob', 'Cy'].includes((log.fields as { who: string }).who));
    assert.deepEqual(first.events[1].data, { progress: 0.5, message: 'half' });
    assert.deepEqual(first.events[3].data, { delta: 'Hel' });
    // Every append for a lease happened before that lease's completion.
    const order = fake.requests.map((r) => r.url.pathname);
    assert.ok(order.lastIndexOf(`/v1/leases/${first.lease_id}/events`) < order.indexOf('/v1/worker/complete'));
    const calls = fake.requests.filter((r) => r.url.pathname === '/v1/worker/complete');
    assert.equal(calls.length, 1, 'three outcomes that are ready together go in one call');
    assert.equal((calls[0].json as { results: unknown[] }).results.length, 3);
  });

  it('fails runs with a normalised failure', async () => {
    const { worker, running } = startWorker({
      endpoints: {
        bad: () => {
          throw new NonRetryableError('no such customer', { type: 'customer_not_found', details: { id: 7 } });
        },
        flaky: async () => {
          throw new Error('upstream 502');
        },
        opted: async () => {
          throw Object.assign(new Error('quota'), { non_retryable: true });
        },
      },
    });
    const [bad, flaky, opted] = [makeTask('bad', {}), makeTask('flaky', {}), makeTask('opted', {})];
    fake.push(bad, flaky, opted);
    await waitFor(() => fake.completions.length === 3);
    await worker.stop();
    await running;
    const byLease = new Map(fake.completions.map((c) => [c.lease_id, 'error' in c ? c.error : undefined]));
    assert.deepEqual(byLease.get(bad.lease_id), { type: 'customer_not_found', message: 'no such customer', non_retryable: true, details: { id: 7 } });
    assert.deepEqual(byLease.get(flaky.lease_id), { type: 'Error', message: 'upstream 502', non_retryable: false, details: null });
    assert.equal(byLease.get(opted.lease_id)?.non_retryable, true);
  });

  it('fails the run non-retryably as output_invalid when the server refuses the output', async () => {
    fake.completeItem = (item) =>
      'output' in item
        ? { lease_id: item.lease_id, ok: false, error: { code: 'OUTPUT_INVALID', message: 'output.text is required' } }
        : { lease_id: item.lease_id, ok: true };
    const { worker, running } = startWorker({ endpoints: { greet: () => ({ wrong: true }) } });
    fake.push(makeTask('greet', {}));
    await waitFor(() => fake.completions.length === 2);
    await worker.stop();
    await running;
    const second = fake.completions[1];
    assert.ok('error' in second);
    assert.deepEqual(second.error, { type: 'output_invalid', message: 'output.text is required', non_retryable: true, details: null });
  });

  for (const [answer, ReasonClass] of [
    ['cancelled', RunCancelledError],
    ['lost', LeaseLostError],
  ] as const) {
    it(`aborts ctx.signal when a heartbeat says ${answer}, and reports nothing`, async () => {
      let reason: unknown;
      const task = makeTask('greet', {}, { heartbeat_interval_ms: 20 });
      fake.heartbeats.set(task.lease_id, answer);
      const { worker, running } = startWorker({
        endpoints: {
          greet: async (_input, ctx) => {
            await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
            reason = ctx.signal.reason;
            return 'too late';
          },
        },
      });
      fake.push(task);
      await waitFor(() => reason !== undefined);
      await worker.stop();
      await running;
      assert.ok(reason instanceof ReasonClass);
      assert.equal(fake.completions.length, 0);
      assert.equal(fake.released.length, 0);
    });
  }

  it('keeps a lease alive with heartbeats while the handler runs', async () => {
    const task = makeTask('greet', {}, { heartbeat_interval_ms: 20 });
    const beatsSeen = () => fake.requests.filter((r) => r.url.pathname === `/v1/leases/${task.lease_id}/heartbeat`).length;
    const { worker, running } = startWorker({
      // The handler ends only once the server has seen three beats: no beats, no completion.
      endpoints: { greet: async () => (await waitFor(() => beatsSeen() >= 3, 10_000), 'done') },
    });
    fake.push(task);
    await waitFor(() => fake.completions.length === 1, 15_000);
    await worker.stop();
    await running;
    const beats = fake.requests.filter((r) => r.url.pathname === `/v1/leases/${task.lease_id}/heartbeat`).length;
    assert.ok(beats >= 3, `expected several heartbeats, got ${beats}`);
  });

  it('on stop, aborts the long-poll at once and lets running handlers finish', async () => {
    let finish!: () => void;
    const { worker, running } = startWorker({
      pollWaitMs: 30_000,
      endpoints: { greet: () => new Promise<string>((resolve) => (finish = () => resolve('finished'))) },
    });
    fake.push(makeTask('greet', {}));
    await waitFor(() => finish !== undefined && worker.activeTasks === 1);
    const stopped = worker.stop();
    setTimeout(() => finish(), 50);
    const started = Date.now();
    await stopped;
    await running;
    assert.ok(Date.now() - started < 2000);
    assert.deepEqual(fake.completions.map((c) => ('output' in c ? c.output : null)), ['finished']);
    assert.equal(fake.released.length, 0);
  });

  it('after the grace period, aborts the rest and releases their leases', async () => {
    let reason: unknown;
    const task = makeTask('greet', {});
    const { worker, running } = startWorker({
      shutdownGraceMs: 50,
      endpoints: {
        greet: (_input, ctx) =>
          new Promise((_resolve, reject) =>
            ctx.signal.addEventListener('abort', () => {
              reason = ctx.signal.reason;
              reject(ctx.signal.reason);
            }),
          ),
      },
    });
    fake.push(task);
    await waitFor(() => worker.activeTasks === 1);
    await worker.stop();
    await running;
    assert.ok(reason instanceof WorkerShutdownError);
    assert.deepEqual(fake.released, [task.lease_id]);
    assert.equal(fake.completions.length, 0);
  });

  it('backs off and keeps leasing after lease errors', async () => {
    fake.leaseFailures = 2;
    const { worker, running } = startWorker({ endpoints: { greet: () => 'ok' } });
    fake.push(makeTask('greet', {}));
    await waitFor(() => fake.completions.length === 1);
    await worker.stop();
    await running;
    assert.ok(fake.requests.filter((r) => r.url.pathname === '/v1/worker/lease').length >= 3);
  });

  it('never runs more handlers than its concurrency, and leases only free slots', async () => {
    let active = 0;
    let peak = 0;
    const { worker, running } = startWorker({
      concurrency: 2,
      endpoints: {
        greet: async () => {
          peak = Math.max(peak, ++active);
          await new Promise((resolve) => setTimeout(resolve, 30));
          active--;
          return 'ok';
        },
      },
    });
    fake.push(...Array.from({ length: 6 }, () => makeTask('greet', {})));
    await waitFor(() => fake.completions.length === 6);
    await worker.stop();
    await running;
    assert.equal(peak, 2);
    for (const r of fake.requests.filter((r) => r.url.pathname === '/v1/worker/lease')) {
      assert.ok(Number((r.json as { max_tasks: number }).max_tasks) <= 2);
    }
  });

  it('with prefetch, holds leased tasks beyond its concurrency (heartbeating) and starts them in order as slots free', async () => {
    let active = 0;
    let peak = 0;
    const order: string[] = [];
    const gates: (() => void)[] = [];
    const { worker, running } = startWorker({
      concurrency: 2,
      prefetch: 2,
      endpoints: {
        greet: async (input: { i: string }) => {
          order.push(input.i);
          peak = Math.max(peak, ++active);
          await new Promise<void>((resolve) => gates.push(resolve));
          active--;
          return input.i;
        },
      },
    });
    const tasks = ['a', 'b', 'c', 'd', 'e'].map((i) => makeTask('greet', { i }, { heartbeat_interval_ms: 20 }));
    fake.push(...tasks);
    await waitFor(() => worker.activeTasks === 4);
    assert.deepEqual(order, ['a', 'b'], 'two run; two are held');
    const leases = fake.requests.filter((r) => r.url.pathname === '/v1/worker/lease').map((r) => Number((r.json as { max_tasks: number }).max_tasks));
    assert.ok(leases.every((m) => m <= 4), `never more than concurrency + prefetch in hand: ${leases}`);
    // Held tasks keep their leases alive.
    await waitFor(() => fake.requests.some((r) => r.url.pathname === `/v1/leases/${tasks[3].lease_id}/heartbeat`));
    gates.shift()!();
    await waitFor(() => order.length === 3);
    assert.equal(order[2], 'c', 'the oldest held task starts first');
    while (fake.completions.length < 5) {
      gates.splice(0).forEach((open) => open());
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await worker.stop();
    await running;
    assert.equal(peak, 2, 'never more handlers than concurrency');
    assert.deepEqual(order, ['a', 'b', 'c', 'd', 'e']);
  });

  it('on stop, gives held tasks back at once without running them', async () => {
    let finish!: () => void;
    const ran: string[] = [];
    const { worker, running } = startWorker({
      concurrency: 1,
      prefetch: 2,
      shutdownGraceMs: 5_000,
      endpoints: {
        greet: (input: { i: string }) => {
          ran.push(input.i);
          return new Promise<string>((resolve) => (finish = () => resolve('done')));
        },
      },
    });
    const tasks = ['a', 'b', 'c'].map((i) => makeTask('greet', { i }));
    fake.push(...tasks);
    await waitFor(() => worker.activeTasks === 3);
    const stopped = worker.stop();
    await waitFor(() => fake.released.length === 2);
    assert.deepEqual(fake.released.sort(), [tasks[1].lease_id, tasks[2].lease_id].sort(), 'the held ones, before the grace period ends');
    finish();
    await stopped;
    await running;
    assert.deepEqual(ran, ['a']);
    assert.deepEqual(fake.completions.map((c) => c.lease_id), [tasks[0].lease_id]);
  });

  it('stops on SIGTERM and removes its signal listeners', async () => {
    const before = process.listenerCount('SIGTERM');
    const { running } = startWorker({ handleSignals: true, endpoints: { greet: () => 'ok' } });
    assert.equal(process.listenerCount('SIGTERM'), before + 1);
    await waitFor(() => fake.requests.length > 0);
    process.emit('SIGTERM');
    await running;
    assert.equal(process.listenerCount('SIGTERM'), before);
  });

  it('validates its options', () => {
    const client = new Agentd({ baseURL: fake.url });
    assert.throws(() => new Worker({ client, agent: 'a', endpoints: {} }), TypeError);
    assert.throws(() => new Worker({ client, agent: 'a', endpoints: { e: () => 1 }, pollWaitMs: 60_000 }), RangeError);
    assert.throws(() => new Worker({ client, agent: 'a', endpoints: { e: () => 1 }, concurrency: 0 }), RangeError);
    assert.throws(() => new Worker({ client, agent: 'a', endpoints: { e: () => 1 }, prefetch: -1 }), RangeError);
    assert.throws(() => new Worker({ client, agent: 'a', endpoints: { e: () => 1 }, prefetch: 101 }), RangeError);
  });
});

describe('ensureRunFailure', () => {
  it('normalises strings, plain objects and cyclic details', () => {
    assert.deepEqual(ensureRunFailure('boom'), { type: 'Error', message: 'boom', non_retryable: false, details: null });
    assert.deepEqual(ensureRunFailure({ type: 'x', message: 'y', non_retryable: true }), { type: 'x', message: 'y', non_retryable: true, details: null });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const failure = ensureRunFailure(Object.assign(new TypeError('t'), { details: cyclic }));
    assert.equal(failure.type, 'TypeError');
    assert.deepEqual(failure.details, { unserializable: '[object Object]' });
  });
});
