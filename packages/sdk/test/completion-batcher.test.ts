/**
 * CompletionBatcher on mocked timers: whether an outcome waits for the batching delay or goes on
 * the next turn is told by which calls were made before the delay's timer is advanced, never by
 * how long anything took, so the tests are deterministic under any load.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, it, mock } from 'node:test';
import type { Agentd } from '../src/index.ts';
import { CompletionBatcher } from '../src/worker/completion-batcher.ts';

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

/** A client that answers every completion call at once, recording the lease ids of each call. */
function recordingClient() {
  const calls: string[][] = [];
  const client = {
    worker: {
      completeBatch: async (results: { lease_id: string }[]) => {
        calls.push(results.map((r) => r.lease_id));
        return { results: results.map((r) => ({ lease_id: r.lease_id, ok: true })) };
      },
    },
  } as unknown as Agentd;
  return { client, calls };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

it('an outcome with nothing to batch with goes on the next turn, without the batching delay', async () => {
  const { client, calls } = recordingClient();
  const batcher = new CompletionBatcher(client, { alone: () => true });
  const done = batcher.submit({ lease_id: 'l1', output: {} });
  await nextTurn();
  assert.deepEqual(calls, [['l1']], 'sent before the delay timer fired');
  assert.deepEqual(await done, { lease_id: 'l1', ok: true });
});

it('otherwise outcomes wait for the batching delay and leave together', async () => {
  const { client, calls } = recordingClient();
  const batcher = new CompletionBatcher(client, { alone: () => false });
  const first = batcher.submit({ lease_id: 'l1', output: {} });
  await nextTurn();
  const second = batcher.submit({ lease_id: 'l2', output: {} });
  await nextTurn();
  assert.deepEqual(calls, [], 'nothing sent before the delay');
  mock.timers.tick(5);
  await Promise.all([first, second]);
  assert.deepEqual(calls, [['l1', 'l2']]);
});

it('without the hint (the default) an outcome waits for the delay too', async () => {
  const { client, calls } = recordingClient();
  const batcher = new CompletionBatcher(client);
  const done = batcher.submit({ lease_id: 'l1', output: {} });
  await nextTurn();
  assert.deepEqual(calls, []);
  mock.timers.tick(5);
  await done;
  assert.deepEqual(calls, [['l1']]);
});

it('a full batch is the size the worker gives (its slots), and goes on the next turn', async () => {
  const { client, calls } = recordingClient();
  const batcher = new CompletionBatcher(client, { batchSize: 3 });
  const done = ['l1', 'l2', 'l3'].map((id) => batcher.submit({ lease_id: id, output: {} }));
  await nextTurn();
  assert.deepEqual(calls, [['l1', 'l2', 'l3']], 'sent before the delay timer fired');
  await Promise.all(done);
  const alone = batcher.submit({ lease_id: 'l4', output: {} });
  await nextTurn();
  assert.equal(calls.length, 1, 'one short of a batch waits for the delay');
  mock.timers.tick(5);
  await alone;
  assert.deepEqual(calls.at(-1), ['l4']);
});

it('never sends more than the server takes in one call: a burst past 500 goes in several', async () => {
  const { client, calls } = recordingClient();
  const batcher = new CompletionBatcher(client, { batchSize: 10_000 });
  const ids = Array.from({ length: 1_100 }, (_, i) => `l${i}`);
  const done = ids.map((id) => batcher.submit({ lease_id: id, output: {} }));
  mock.timers.tick(5);
  await Promise.all(done);
  assert.deepEqual(calls.map((c) => c.length), [500, 500, 100]);
  assert.deepEqual(calls.flat(), ids, 'each once, in order');
});

it('flush waits for every call of a burst past 500, not only the first', async () => {
  const { client, calls } = recordingClient();
  const batcher = new CompletionBatcher(client, { batchSize: 10_000 });
  const done = Array.from({ length: 1_100 }, (_, i) => batcher.submit({ lease_id: `l${i}`, output: {} }));
  await batcher.flush();
  assert.deepEqual(calls.map((c) => c.length), [500, 500, 100], 'every outcome was sent before flush resolved');
  await Promise.all(done);
});
