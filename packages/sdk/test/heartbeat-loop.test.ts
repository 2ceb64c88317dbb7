import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Agentd } from '../src/index.ts';
import { silentLogger } from '../src/worker/index.ts';
import { HeartbeatLoop } from '../src/worker/heartbeat-loop.ts';
import { makeTask, waitFor } from './helpers/fake-worker-server.ts';

/** A client whose heartbeats hang until aborted, recording each call's signal. */
function hangingClient() {
  const signals: AbortSignal[] = [];
  const client = {
    leases: {
      heartbeat: (_leaseId: string, opts: { signal: AbortSignal }) =>
        new Promise((_resolve, reject) => {
          signals.push(opts.signal);
          opts.signal.addEventListener('abort', () => reject(opts.signal.reason), { once: true });
        }),
    },
  } as unknown as Agentd;
  return { client, signals };
}

it('stop() aborts the beat in flight and schedules no more', async () => {
  const { client, signals } = hangingClient();
  const loop = new HeartbeatLoop({ client, task: makeTask('greet', {}, { heartbeat_interval_ms: 100 }), logger: silentLogger, onCancelled: () => {}, onLeaseLost: () => {} });
  loop.start();
  await waitFor(() => signals.length === 1);
  assert.equal(signals[0].aborted, false);
  loop.stop();
  assert.equal(signals[0].aborted, true, 'the hanging beat is aborted');
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(signals.length, 1, 'no beat after stop()');
});

it('stop() with no beat in flight aborts nothing and leaves no timer', async () => {
  const { client, signals } = hangingClient();
  const loop = new HeartbeatLoop({ client, task: makeTask('greet', {}, { heartbeat_interval_ms: 100 }), logger: silentLogger, onCancelled: () => {}, onLeaseLost: () => {} });
  loop.start();
  loop.stop();
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(signals.length, 0, 'the first beat never started');
});
