/**
 * Sessions through the TypeScript SDK against a real server over sockets, on both databases:
 * `client.sessions.create/retrieve/list/messages/pause/resume/end/fork/delete`, `send` as an
 * event stream followed by `finalReply()` (and `finalReply()` alone), the API errors as typed
 * SDK errors (409 SESSION_BUSY, 410 SESSION_ENDED, 422 INPUT_INVALID), and the worker's
 * `ctx.session.messages` growing turn by turn.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Agentd, APIError, type RunEvent } from '@agentd/sdk';
import { Worker, silentLogger } from '@agentd/sdk/worker';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { HELLO_MANIFEST, startTestApp, type TestApp } from './helpers/test-app.ts';

for (const d of await dialects()) {
  describe(`sessions through the SDK (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let client: Agentd;
    let worker: Worker;
    let running: Promise<void>;
    const seen: number[] = [];
    let gate: Promise<void> = Promise.resolve();

    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      client = new Agentd({ baseURL: await t.listen(), apiKey: t.adminKey, maxRetries: 0 });
      await client.agents.deploy(HELLO_MANIFEST);
      worker = new Worker({
        client,
        agent: 'hello',
        handleSignals: false,
        logger: silentLogger,
        pollWaitMs: 500,
        endpoints: {
          greet: async (input: { name: string }, ctx) => {
            seen.push(ctx.session?.messages.length ?? -1);
            await ctx.outputDelta('Hello, ');
            await gate;
            await ctx.outputDelta(`${input.name}!`);
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

    const code = (err: unknown) => (err instanceof APIError ? `${err.status} ${err.code}` : String(err));

    it('send streams the reply and finalReply gives the output; the worker sees the turns before its own', async () => {
      const session = await client.sessions.create({ agent: 'hello', metadata: { ui: 'test' } });
      assert.equal(session.status, 'active');
      const msg = client.sessions.send(session.id, { name: 'Ada' });
      const events: RunEvent[] = [];
      for await (const e of msg) events.push(e);
      assert.deepEqual(events.map((e) => e.type), ['run.queued', 'run.started', 'run.output.delta', 'run.output.delta', 'run.succeeded']);
      const reply = await msg.finalReply();
      assert.equal(reply.status, 'succeeded');
      assert.deepEqual(reply.output, { greeting: 'Hello, Ada!' });
      assert.equal(reply.streamed, 'Hello, Ada!');
      const second = await client.sessions.send(session.id, { name: 'Bea' }).finalReply();
      assert.deepEqual(second.output, { greeting: 'Hello, Bea!' });
      assert.deepEqual(seen.slice(-2), [0, 2], 'the second run saw the first turn');
      const history = [];
      for await (const m of client.sessions.messages(session.id, { limit: 1 })) history.push(m);
      assert.deepEqual(history.map((m) => [m.seq, m.role]), [[1, 'user'], [2, 'assistant'], [3, 'user'], [4, 'assistant']]);
      assert.equal((await client.sessions.retrieve(session.id)).message_count, 4);
      const listed = [];
      for await (const s of client.sessions.list({ agent: 'hello', status: 'active' })) listed.push(s.id);
      assert.ok(listed.includes(session.id));
    });

    it('a second message while one is in flight is a typed 409; enqueue and the session lifecycle', async () => {
      let open!: () => void;
      gate = new Promise((r) => (open = r));
      const session = await client.sessions.create({ agent: 'hello', endpoint: 'greet' });
      const first = client.sessions.send(session.id, { name: 'One' });
      const accepted = await first.accepted;
      const busy = await client.sessions.sendMessage(session.id, { name: 'Two' }).then(() => 'sent', code);
      assert.equal(busy, '409 SESSION_BUSY');
      const queued = client.sessions.send(session.id, { name: 'Three' }, { multitask: 'enqueue' });
      assert.equal((await queued.accepted).status, 'queued');
      const invalid = await client.sessions.sendMessage(session.id, { nom: 'x' }, { multitask: 'enqueue' }).then(() => 'sent', code);
      assert.equal(invalid, '422 INPUT_INVALID');
      await client.sessions.pause(session.id);
      open();
      assert.equal((await first.finalReply()).run_id, accepted.run_id);
      assert.equal((await client.sessions.retrieve(session.id)).current_run_id, null, 'paused: the enqueued one waits');
      await client.sessions.resume(session.id);
      assert.deepEqual((await queued.finalReply()).output, { greeting: 'Hello, Three!' });
      const fork = await client.sessions.fork(session.id);
      assert.equal(fork.message_count, 4);
      const ended = await client.sessions.end(session.id, { reason: 'bye' });
      assert.equal(ended.end_reason, 'bye');
      assert.equal(await client.sessions.send(session.id, { name: 'Four' }).finalReply().then(() => 'sent', code), '410 SESSION_ENDED');
      assert.deepEqual((await client.sessions.send(fork.id, { name: 'Five' }).finalReply()).output, { greeting: 'Hello, Five!' }, 'the fork goes on');
      const deleted = await client.sessions.delete(fork.id);
      assert.equal(deleted.messages_deleted, 6);
      assert.equal(await client.sessions.retrieve(fork.id).then(() => 'found', code), '404 SESSION_NOT_FOUND');
    });
  });
}
