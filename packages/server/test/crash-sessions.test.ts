/**
 * A session whose server is killed (`kill -9`) mid-reply: after the restart the reply finishes,
 * it is appended to the history once, the enqueued message behind it runs next, and a session
 * event stream that was open across the crash (the SDK's, resuming with Last-Event-ID by itself)
 * delivered every event of the session exactly once. A real server process; the worker is the
 * SDK's, in this process.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agentd, type RunEvent } from '@agentd/sdk';
import { silentLogger, Worker } from '@agentd/sdk/worker';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { killAllChildren, startServerProcess, waitUntil, type ServerProcess } from './helpers/server-process.ts';

const TALKER = {
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name: 'talker' },
  spec: {
    runtime: 'worker',
    endpoints: {
      say: {
        input: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
        output: { type: 'object' },
        timeout: '2m',
        retry: { max_attempts: 3, initial_interval: '100ms', max_interval: '1s', jitter: 0 },
      },
    },
  },
};

for (const d of await dialects()) {
  describe(`sessions across a server kill -9 (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let dataDir: string;
    let server: ServerProcess;

    before(async () => {
      db = await d.create();
      dataDir = d.name === 'sqlite' ? db.location : mkdtempSync(join(tmpdir(), 'agentd-crash-sessions-'));
      server = await startServerProcess({ dataDir, databaseUrl: d.name === 'postgres' ? db.location : undefined });
      assert.equal((await server.api('POST', '/v1/agents', TALKER)).status, 201);
    });
    after(async () => {
      await server?.stop();
      await killAllChildren();
      await db?.cleanup();
      if (d.name === 'postgres' && dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    it('a reply in progress when the server dies finishes after the restart; the next message runs; the stream has no gap or repeat', async () => {
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const client = new Agentd({ baseURL: server.url, apiKey: server.adminKey, maxRetries: 10 });
      const worker = new Worker({
        client,
        agent: 'talker',
        handleSignals: false,
        logger: silentLogger,
        pollWaitMs: 500,
        endpoints: {
          say: async (input: { text: string }, ctx) => {
            await ctx.outputDelta(`${input.text}: part one;`);
            if (input.text === 'first') await released;
            await ctx.outputDelta(' part two');
            return { text: `${input.text}: part one; part two`, seen: ctx.session?.messages.length ?? -1 };
          },
        },
      });
      const running = worker.run();
      const ac = new AbortController();
      const streamed: RunEvent[] = [];
      try {
        const session = await client.sessions.create({ agent: 'talker' });
        const live = (async () => {
          for await (const e of client.sessions.events(session.id, { signal: ac.signal })) streamed.push(e);
        })();
        const first = await client.sessions.sendMessage(session.id, { text: 'first' });
        const second = await client.sessions.sendMessage(session.id, { text: 'second' }, { multitask: 'enqueue' });
        // Mid-reply: the first part is stored, the worker holds the rest.
        await waitUntil(() => streamed.some((e) => e.run_id === first.run_id && e.type === 'run.output.delta'), { what: 'the first part of the reply', timeoutMs: 30_000 });
        await server.kill('SIGKILL');
        await server.restart();
        release();
        const done = await waitUntil(async () => {
          const r = await server.api('GET', `/v1/runs/${second.run_id}`);
          return r.body.status === 'succeeded' ? r.body : null;
        }, { what: 'the enqueued message to finish after the restart', timeoutMs: 60_000 });
        const firstRun = (await server.api('GET', `/v1/runs/${first.run_id}`)).body;
        assert.equal(firstRun.status, 'succeeded');
        assert.ok(done.started_at >= firstRun.finished_at, 'the enqueued message ran after the first');
        assert.equal(done.output.seen, 2, 'the second run saw the first turn');
        const history = (await server.api('GET', `/v1/sessions/${session.id}/messages`)).body.data as { role: string; content: any; status: string }[];
        assert.deepEqual(history.map((m) => [m.role, m.status]), [['user', 'succeeded'], ['user', 'succeeded'], ['assistant', 'complete'], ['assistant', 'complete']]);
        assert.deepEqual(history.slice(2).map((m) => m.content.text), ['first: part one; part two', 'second: part one; part two'], 'each reply once, in order');
        // The stream kept across the crash: every event of the session, once, in order.
        const expected = (await server.api('GET', `/v1/sessions/${session.id}/events?limit=1000`)).body as { data: RunEvent[] };
        await waitUntil(() => streamed.length >= expected.data.length, { what: 'the live stream to catch up', timeoutMs: 30_000 });
        assert.deepEqual(streamed.map((e) => e.id), expected.data.map((e) => e.id));
        ac.abort();
        await live;
      } finally {
        ac.abort();
        release();
        await worker.stop();
        await running;
      }
    });
  });
}
