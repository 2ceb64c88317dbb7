import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Agentd, NotFoundError, UnprocessableEntityError, ConflictError } from '@agentd/sdk';
import { Worker, silentLogger } from '@agentd/sdk/worker';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';

/** The SDK against a real server over real sockets, on both databases. */
for (const d of await dialects()) {
  describe(`SDK against the server (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let client: Agentd;
    let worker: Worker;
    let running: Promise<void>;
    let baseURL: string;
    const started: string[] = [];

    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      baseURL = await t.listen();
      client = new Agentd({ baseURL, apiKey: t.adminKey, maxRetries: 0 });
      await client.agents.deploy(HELLO_MANIFEST as never);
      await client.agents.deploy({
        ...HELLO_MANIFEST,
        metadata: { name: 'tools' },
        spec: { runtime: 'worker', endpoints: { fail: { retry: { max_attempts: 2, initial_interval: '10ms' } }, slow: {}, bad: { output: { type: 'object', required: ['x'] } } } },
      } as never);
      worker = new Worker({
        client,
        agent: 'hello',
        concurrency: 5,
        handleSignals: false,
        logger: silentLogger,
        endpoints: {
          greet: async (input: { name: string }, ctx) => {
            started.push(ctx.runId);
            ctx.log(`greeting ${input.name}`);
            ctx.outputDelta('Hello');
            ctx.emit('note', { n: 1 });
            return { greeting: `Hello, ${input.name}!` };
          },
        },
      });
      running = worker.run();
    });
    after(async () => {
      await worker?.stop();
      await running;
      await t?.close();
      await db?.cleanup();
    });

    it('createAndWait returns the finished run; its events stream in order with worker events', async () => {
      const run = await client.runs.createAndWait({ agent: 'hello', endpoint: 'greet', input: { name: 'Ada' } }, { timeoutMs: 15_000 });
      assert.equal(run.status, 'succeeded');
      assert.deepEqual(run.output, { greeting: 'Hello, Ada!' });
      const types: string[] = [];
      for await (const e of client.runs.events(run.id)) types.push(e.type);
      assert.deepEqual(types, ['run.queued', 'run.started', 'run.log', 'run.output.delta', 'custom.note', 'run.succeeded']);
      const resumed: number[] = [];
      for await (const e of client.runs.events(run.id, { after: 4 })) resumed.push(e.seq);
      assert.deepEqual(resumed, [5, 6]);
    });

    it('lists every run across pages with for await', async () => {
      await client.runs.createBatch(Array.from({ length: 25 }, (_, i) => ({ agent: 'tools', endpoint: 'slow', input: { i } })));
      const ids = new Set<string>();
      for await (const r of client.runs.list({ agent: 'tools', limit: 7 })) ids.add(r.id);
      assert.equal(ids.size, 25);
      const first = await client.runs.list({ agent: 'tools', limit: 7 });
      assert.equal(first.data.length, 7);
      assert.ok(first.next_cursor);
    });

    it('maps error bodies to typed errors with code, details and request id', async () => {
      await assert.rejects(client.runs.retrieve('run_nope'), (e: unknown) => e instanceof NotFoundError && e.code === 'RUN_NOT_FOUND' && typeof e.requestId === 'string');
      await assert.rejects(client.runs.create({ agent: 'hello', endpoint: 'greet', input: {} }), (e: unknown) => e instanceof UnprocessableEntityError && e.code === 'INPUT_INVALID' && JSON.stringify(e.details).includes('input.name'));
      const q = await client.runs.create({ agent: 'tools', endpoint: 'slow', input: {} });
      await client.runs.cancel(q.id);
      await assert.rejects(client.runs.cancel(q.id), (e: unknown) => e instanceof ConflictError && e.code === 'RUN_ALREADY_TERMINAL');
    });

    it('a thrown error fails the attempt and is retried; output against the schema fails it non-retryably', async () => {
      const w2 = new Worker({
        client,
        agent: 'tools',
        endpoints: {
          fail: async () => {
            throw new Error('always broken');
          },
          bad: async () => ({ y: 1 }),
        },
        handleSignals: false,
        logger: silentLogger,
      });
      const r2 = w2.run();
      try {
        const failed = await client.runs.createAndWait({ agent: 'tools', endpoint: 'fail', input: {} }, { timeoutMs: 15_000 });
        assert.equal(failed.status, 'failed');
        assert.equal(failed.attempts, 2);
        assert.equal(failed.error?.message, 'always broken');
        const bad = await client.runs.createAndWait({ agent: 'tools', endpoint: 'bad', input: {} }, { timeoutMs: 15_000 });
        assert.equal(bad.status, 'failed');
        assert.equal(bad.attempts, 1);
        assert.equal(bad.error?.type, 'output_invalid');
      } finally {
        await w2.stop();
        await r2;
      }
    });

    it('a busy worker reports and refills in one call; against a server that refuses that, it reports alone', async () => {
      for (const refuse of [false, true]) {
        const name = refuse ? 'refill-old' : 'refill';
        await client.agents.deploy({ ...HELLO_MANIFEST, metadata: { name } } as never);
        const calls: { path: string; lease: boolean; tasks: number | null; status: number }[] = [];
        const fetchSpy: typeof fetch = async (input, init) => {
          const path = new URL(String(input)).pathname;
          const lease = path === '/v1/worker/complete' && typeof init?.body === 'string' && 'lease' in (JSON.parse(init.body) as object);
          if (refuse && lease) {
            calls.push({ path, lease, tasks: null, status: 400 });
            const error = { code: 'VALIDATION_ERROR', message: 'the request does not match the schema', details: [{ path: 'body.lease', message: 'is not allowed' }], request_id: 'x' };
            return new Response(JSON.stringify({ error }), { status: 400, headers: { 'content-type': 'application/json' } });
          }
          const res = await fetch(input, init);
          const text = await res.text();
          const tasks = path === '/v1/worker/lease' || lease ? ((JSON.parse(text) as { tasks?: unknown[] }).tasks?.length ?? null) : null;
          calls.push({ path, lease, tasks, status: res.status });
          return new Response(text, { status: res.status, headers: res.headers });
        };
        const runs = [];
        for (let i = 0; i < 40; i++) runs.push(await client.runs.create({ agent: name, endpoint: 'greet', input: { name: `r${i}` } }));
        const w4 = new Worker({
          client: new Agentd({ baseURL, apiKey: t.adminKey, fetch: fetchSpy }),
          agent: name,
          concurrency: 10,
          handleSignals: false,
          logger: silentLogger,
          endpoints: { greet: async (input: { name: string }) => ({ greeting: `Hello, ${input.name}!` }) },
        });
        const r4 = w4.run();
        try {
          for (const run of runs) assert.equal((await client.runs.wait(run.id, { timeoutMs: 15_000 })).status, 'succeeded');
        } finally {
          await w4.stop();
          await r4;
        }
        const riding = calls.filter((c) => c.lease);
        const refills = riding.reduce((n, c) => n + (c.tasks ?? 0), 0);
        if (!refuse) {
          assert.ok(refills > 0, `completion calls leased runs: ${JSON.stringify(calls)}`);
          const leased = calls.filter((c) => c.path === '/v1/worker/lease').reduce((n, c) => n + (c.tasks ?? 0), 0);
          assert.equal(leased + refills, 40, 'every run leased exactly once');
        } else {
          assert.equal(riding.length, 1, 'after one refusal it stops asking');
          assert.ok(calls.some((c) => c.path === '/v1/worker/complete' && !c.lease && c.status === 200), 'the refused results went again alone');
        }
      }
    });

    it('tells a handler through ctx.signal that its run was cancelled', async () => {
      let aborted: unknown = null;
      let enter!: () => void;
      const entered = new Promise<void>((r) => (enter = r));
      await client.agents.deploy({ ...HELLO_MANIFEST, metadata: { name: 'cancelme' }, spec: { runtime: 'worker', endpoints: { slow: {} } } } as never);
      const w3 = new Worker({
        client,
        agent: 'cancelme',
        leaseTtlMs: 1500,
        handleSignals: false,
        logger: silentLogger,
        endpoints: {
          slow: async (_input, ctx) => {
            enter();
            await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
            aborted = ctx.signal.reason;
            return { late: true };
          },
        },
      });
      const r3 = w3.run();
      try {
        const run = await client.runs.create({ agent: 'cancelme', endpoint: 'slow', input: {} });
        await entered;
        await client.runs.cancel(run.id, { reason: 'stop' });
        const deadline = Date.now() + 10_000;
        while (aborted === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        assert.ok(aborted, 'the handler saw its signal abort');
        assert.match(String((aborted as Error).name), /Cancel/);
        assert.equal((await client.runs.retrieve(run.id)).status, 'cancelled');
      } finally {
        await w3.stop();
        await r3;
      }
    });
  });
}
