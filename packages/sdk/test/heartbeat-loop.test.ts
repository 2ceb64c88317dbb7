/**
 * HeartbeatLoop on mocked timers: every assertion is about which beats happen, never about how
 * long something took, so the tests are deterministic under any load.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, it, mock } from 'node:test';
import type { Agentd } from '../src/index.ts';
import { silentLogger } from '../src/worker/index.ts';
import { HeartbeatLoop } from '../src/worker/heartbeat-loop.ts';
import { makeTask } from './helpers/fake-worker-server.ts';

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

/** A client whose heartbeats hang until aborted (or answer at once), recording each call's signal. */
function recordingClient(answer: 'hang' | 'active' | 'cancelled' = 'hang') {
  const signals: AbortSignal[] = [];
  const client = {
    leases: {
      heartbeat: (_leaseId: string, opts: { signal: AbortSignal }) =>
        new Promise((resolve, reject) => {
          signals.push(opts.signal);
          if (answer !== 'hang') resolve({ status: answer });
          opts.signal.addEventListener('abort', () => reject(opts.signal.reason), { once: true });
        }),
    },
  } as unknown as Agentd;
  return { client, signals };
}

const loopFor = (client: Agentd, intervalMs: number, on: { cancelled?: () => void } = {}) =>
  new HeartbeatLoop({ client, task: makeTask('greet', {}, { heartbeat_interval_ms: intervalMs }), logger: silentLogger, onCancelled: on.cancelled ?? (() => {}), onLeaseLost: () => {} });

/** Lets settled heartbeat promises run their continuations (which schedule the next beat). */
const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

it('beats once per interval, each after the previous one answered', async () => {
  const { client, signals } = recordingClient('active');
  const loop = loopFor(client, 200);
  loop.start();
  mock.timers.tick(199);
  assert.equal(signals.length, 0, 'no beat before the interval');
  for (let n = 1; n <= 3; n++) {
    mock.timers.tick(1);
    assert.equal(signals.length, n, `beat ${n} at ${n * 200} ms`);
    await settle();
    mock.timers.tick(199);
    assert.equal(signals.length, n, 'never two beats within one interval');
  }
  loop.stop();
});

it('floors a tiny interval at 100 ms, so a bad TTL is no busy loop', async () => {
  const { client, signals } = recordingClient('active');
  const loop = loopFor(client, 1);
  loop.start();
  mock.timers.tick(99);
  assert.equal(signals.length, 0);
  mock.timers.tick(1);
  assert.equal(signals.length, 1);
  loop.stop();
});

it('stop() aborts the beat in flight and schedules no more', async () => {
  const { client, signals } = recordingClient('hang');
  const loop = loopFor(client, 100);
  loop.start();
  mock.timers.tick(100);
  assert.equal(signals.length, 1);
  assert.equal(signals[0].aborted, false);
  loop.stop();
  assert.equal(signals[0].aborted, true, 'the hanging beat is aborted');
  await settle();
  mock.timers.tick(10_000);
  assert.equal(signals.length, 1, 'no beat after stop()');
});

it('stop() with no beat in flight aborts nothing and cancels the scheduled beat', async () => {
  const { client, signals } = recordingClient('hang');
  const loop = loopFor(client, 100);
  loop.start();
  mock.timers.tick(50);
  loop.stop();
  mock.timers.tick(10_000);
  assert.equal(signals.length, 0, 'the first beat never started');
});

it('a beat answered "cancelled" reports it once and stops beating', async () => {
  const { client, signals } = recordingClient('cancelled');
  let cancelled = 0;
  const loop = loopFor(client, 100, { cancelled: () => cancelled++ });
  loop.start();
  mock.timers.tick(100);
  await settle();
  mock.timers.tick(10_000);
  assert.equal(cancelled, 1);
  assert.equal(signals.length, 1);
});
