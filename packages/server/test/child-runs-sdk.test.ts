/**
 * ctx.call through the SDK worker against a real server over sockets, on both databases: the
 * parent gets the child's output, a failed child is a ChildRunFailed (caught, or failing the
 * parent when not), and the client reads the tree (runs.children, runs.list({ root })).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Agentd } from '@agentd/sdk';
import { ChildRunFailed, Worker, silentLogger } from '@agentd/sdk/worker';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';

const manifest = (name: string, endpoints: string[]) => ({
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name },
  spec: { runtime: 'worker', endpoints: Object.fromEntries(endpoints.map((e) => [e, { timeout: '1m', retry: { max_attempts: 2, initial_interval: '10ms', jitter: 0 } }])) },
});

for (const d of await dialects()) {
  describe(`ctx.call through the SDK (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let client: Agentd;
    const workers: { worker: Worker; running: Promise<void> }[] = [];

    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      client = new Agentd({ baseURL: await t.listen(), apiKey: t.adminKey, maxRetries: 0 });
      await client.agents.deploy(manifest('boss', ['delegate', 'catch', 'uncaught', 'twice', 'envelope']) as never);
      await client.agents.deploy(manifest('helper', ['double', 'refuse', 'envelope']) as never);
      const start = (worker: Worker) => workers.push({ worker, running: worker.run() });
      start(
        new Worker({
          client,
          agent: 'helper',
          concurrency: 4,
          handleSignals: false,
          logger: silentLogger,
          endpoints: {
            double: async (input: { n: number }) => ({ n: input.n * 2 }),
            envelope: async (_input, ctx) => ({ runId: ctx.runId, parentRunId: ctx.parentRunId, rootRunId: ctx.rootRunId, callerAgent: ctx.callerAgent, depth: ctx.depth }),
            refuse: async () => {
              throw Object.assign(new Error('will not'), { type: 'refused', non_retryable: true });
            },
          },
        }),
      );
      start(
        new Worker({
          client,
          agent: 'boss',
          concurrency: 4,
          handleSignals: false,
          logger: silentLogger,
          endpoints: {
            delegate: async (input: { n: number }, ctx) => ({ got: await ctx.call<{ n: number }>('helper', 'double', { n: input.n }) }),
            catch: async (_input, ctx) => {
              try {
                await ctx.call('helper', 'refuse', {});
                return { caught: false };
              } catch (err) {
                if (!(err instanceof ChildRunFailed)) throw err;
                return { caught: true, child: err.childRunId, status: err.status, type: err.failure?.type };
              }
            },
            uncaught: async (_input, ctx) => ctx.call('helper', 'refuse', {}),
            envelope: async (_input, ctx) => ({
              own: { runId: ctx.runId, parentRunId: ctx.parentRunId, rootRunId: ctx.rootRunId, callerAgent: ctx.callerAgent, depth: ctx.depth },
              child: await ctx.call('helper', 'envelope', {}),
            }),
            // Two calls in order: keys call-1 and call-2; a third with its own key.
            twice: async (_input, ctx) => {
              const [a, b] = await Promise.all([ctx.call<{ n: number }>('helper', 'double', { n: 1 }), ctx.call<{ n: number }>('helper', 'double', { n: 2 })]);
              const c = await ctx.call<{ n: number }>('helper', 'double', { n: 3 }, { key: 'third' });
              return { sum: a.n + b.n + c.n };
            },
          },
        }),
      );
    });
    after(async () => {
      for (const w of workers) await w.worker.stop();
      await Promise.all(workers.map((w) => w.running));
      await t?.close();
      await db?.cleanup();
    });

    it("the parent gets the child's output; the child carries the call envelope", async () => {
      const run = await client.runs.createAndWait({ agent: 'boss', endpoint: 'delegate', input: { n: 21 } }, { timeoutMs: 20_000 });
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.deepEqual(run.output, { got: { n: 42 } });
      const children = await client.runs.children(run.id);
      assert.equal(children.data.length, 1);
      const [child] = children.data;
      assert.equal(child.parent_run_id, run.id);
      assert.equal(child.root_run_id, run.id);
      assert.equal(child.caller_agent, 'boss');
      assert.equal(child.call_key, 'call-1');
      const events = (await client.runs.eventsPage(run.id, { after: 0, limit: 100 })).data.map((e) => e.type);
      assert.ok(events.includes('run.waiting') && events.includes('run.resumed'), events.join(', '));
    });

    it('the handler sees the call envelope: ctx.parentRunId, ctx.rootRunId, ctx.callerAgent, ctx.depth (a root: null, itself, null, 0)', async () => {
      const run = await client.runs.createAndWait({ agent: 'boss', endpoint: 'envelope', input: {} }, { timeoutMs: 20_000 });
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      const [child] = (await client.runs.children(run.id)).data;
      assert.deepEqual(run.output, {
        own: { runId: run.id, parentRunId: null, rootRunId: run.id, callerAgent: null, depth: 0 },
        child: { runId: child.id, parentRunId: run.id, rootRunId: run.id, callerAgent: 'boss', depth: 1 },
      });
    });

    it('a failed child is a ChildRunFailed with its run id, status and failure', async () => {
      const run = await client.runs.createAndWait({ agent: 'boss', endpoint: 'catch', input: {} }, { timeoutMs: 20_000 });
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      const out = run.output as { caught: boolean; child: string; status: string; type: string };
      assert.equal(out.caught, true);
      assert.equal(out.status, 'failed');
      assert.equal(out.type, 'refused');
      assert.equal((await client.runs.retrieve(out.child)).parent_run_id, run.id);
    });

    it('an uncaught ChildRunFailed fails the parent for good, naming the child', async () => {
      const run = await client.runs.createAndWait({ agent: 'boss', endpoint: 'uncaught', input: {} }, { timeoutMs: 20_000 });
      assert.equal(run.status, 'failed');
      assert.equal(run.error?.type, 'child_run_failed');
      assert.equal(run.attempts, 1, 'not retried: a retry would find the same failed child');
      const details = run.error?.details as { child_run_id: string; status: string };
      assert.equal(details.status, 'failed');
      assert.equal((await client.runs.retrieve(details.child_run_id)).status, 'failed');
    });

    it('keys come from call order (concurrent calls too) unless given; list({ root }) is the tree', async () => {
      const run = await client.runs.createAndWait({ agent: 'boss', endpoint: 'twice', input: {} }, { timeoutMs: 20_000 });
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.deepEqual(run.output, { sum: 12 });
      const keys = (await client.runs.children(run.id)).data.map((c) => c.call_key).sort();
      assert.deepEqual(keys, ['call-1', 'call-2', 'third']);
      const tree = [];
      for await (const r of client.runs.list({ root: run.id })) tree.push(r.id);
      assert.equal(tree.length, 4);
      assert.ok(tree.includes(run.id));
    });
  });
}
