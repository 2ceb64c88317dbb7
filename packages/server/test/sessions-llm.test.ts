/**
 * Sessions with an LLM agent end to end, on both databases, against the fake provider
 * (test/helpers/fake-llm.ts, the real OpenAI wire protocol): a session on an LLM agent (its
 * `chat` endpoint resolved), messages whose content is the user's text, the model sent the
 * earlier turns (asserted on the fake's recorded requests) under the agent's `spec.context`
 * policy (validated at deploy), the answer appended as the reply and streamed on the session's
 * event stream, a gated tool call inside a session approved, and an interrupted streaming reply
 * kept as a partial reply; the SDK's `sessions.send` with text.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Agentd } from '@agentd/sdk';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';
import { waitUntil } from './helpers/server-process.ts';
import { readSse } from './helpers/sse-client.ts';
import { FakeLlm, defaultScript } from './helpers/fake-llm.ts';

const KEY = 'sk-fake-sessions-llm';
const llmAgent = (name: string, spec: Record<string, unknown> = {}) => ({ apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name }, spec: { runtime: 'llm', model: 'fake', instructions: 'You are terse.', ...spec } });
const refundAgent = (name: string) => ({
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name },
  spec: { runtime: 'worker', endpoints: { issue: { input: { type: 'object', properties: { amount: { type: 'number' } }, required: ['amount'] }, timeout: '1m', retry: { max_attempts: 1 } } } },
});

type Message = { role: string; content: any; status: string; seq: number; run_id: string };

for (const d of await dialects()) {
  describe(`sessions with an LLM agent (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    const fake = new FakeLlm({ apiKey: KEY });
    let n = 0;
    let name = '';

    before(async () => {
      await fake.start();
      db = await d.create();
      t = await startTestApp(db, {
        models: { fake: { provider: 'openai-compatible', base_url: fake.baseUrl, model: 'fake-1', api_key_secret: 'fake_key' } },
        llm: { pollIntervalMs: 50, deltaIntervalMs: 20 },
      });
      assert.equal((await t.call('POST', '/v1/secrets', { body: { name: 'fake_key', value: KEY } })).statusCode, 201);
      t.engine.llm.start();
    });
    beforeEach(() => {
      n++;
      name = `chat${n}`;
      fake.script = defaultScript;
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
      await fake.stop();
    });

    let listening: Promise<string> | undefined;
    /** The app's base URL over a real socket (it listens once). */
    const baseUrl = () => (listening ??= t.listen());
    const deploy = async (m: unknown) => {
      const r = await t.call('POST', '/v1/agents', { body: m });
      assert.equal(r.statusCode, 201, r.body);
    };
    const create = async (agent: string) => {
      const r = await t.call('POST', '/v1/sessions', { body: { agent } });
      assert.equal(r.statusCode, 201, r.body);
      return r.json<{ id: string; endpoint: string; status: string }>();
    };
    const send = async (id: string, content: unknown, extra: object = {}) => {
      const r = await t.call('POST', `/v1/sessions/${id}/messages`, { body: { content, ...extra } });
      assert.equal(r.statusCode, 201, r.body);
      return r.json<{ run_id: string; interrupted_run_id: string | null }>();
    };
    const history = async (id: string) => (await t.call('GET', `/v1/sessions/${id}/messages`)).json<{ data: Message[] }>().data;
    const run = async (id: string) => (await t.call('GET', `/v1/runs/${id}`)).json();
    const ended = (id: string) => waitUntil(async () => {
      const r = await run(id);
      return ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(r.status) ? r : null;
    }, { timeoutMs: 30_000, what: `run ${id} to end` });
    /** The reply of a message: waits until the history holds it. */
    const replied = async (sessionId: string, runId: string) => waitUntil(async () => (await history(sessionId)).find((m) => m.role === 'assistant' && m.run_id === runId), { timeoutMs: 30_000, what: `the reply of ${runId}` });
    const runEvents = async (id: string) => (await t.call('GET', `/v1/runs/${id}/events?limit=1000`, { headers: { accept: 'application/json' } })).json<{ data: { type: string; data: any }[] }>().data;
    const chatMessages = (body: any) => (body.messages as { role: string; content: unknown }[]).filter((m) => m.role !== 'system').map((m) => [m.role, typeof m.content === 'string' ? m.content : JSON.stringify(m.content)]);

    it('a session on an LLM agent: string messages, the model gets the earlier turns, the answer is the reply and streams on the session\'s events', async () => {
      await deploy(llmAgent(name));
      const s = await create(name);
      assert.equal(s.endpoint, 'chat', 'the LLM agent\'s endpoint is resolved');
      const from = fake.chatRequests().length;
      const first = await send(s.id, 'my name is Ada');
      const r1 = await ended(first.run_id);
      assert.equal(r1.status, 'succeeded', JSON.stringify(r1.error));
      assert.deepEqual(r1.input, { message: 'my name is Ada' }, 'the text became the chat input');
      await replied(s.id, first.run_id);
      const second = await send(s.id, 'what is my name?');
      assert.equal((await ended(second.run_id)).status, 'succeeded');
      const reply = await replied(s.id, second.run_id);
      assert.equal(reply.content.text, 'Hello from fake model: what is my name?');

      const reqs = fake.chatRequests().slice(from);
      assert.equal(reqs.length, 2);
      assert.deepEqual(chatMessages(reqs[0].body), [['user', 'my name is Ada']], 'the first message has no history');
      assert.deepEqual(chatMessages(reqs[1].body), [
        ['user', 'my name is Ada'],
        ['assistant', 'Hello from fake model: my name is Ada'],
        ['user', 'what is my name?'],
      ], 'the model received the earlier turn');
      const h = await history(s.id);
      assert.deepEqual(h.map((m) => [m.role, m.status]), [['user', 'succeeded'], ['assistant', 'complete'], ['user', 'succeeded'], ['assistant', 'complete']]);
      assert.equal(h[0].content, 'my name is Ada', 'the user message is stored as sent');

      // The session's stream holds both replies' text, as run.output.delta events of each run.
      const base = await baseUrl();
      const stream = await readSse(`${base}/v1/sessions/${s.id}/events`, { key: t.adminKey, timeoutMs: 20_000, stopAfter: (f) => f.event === 'run.succeeded' && JSON.parse(f.data).run_id === second.run_id });
      const textOf = (runId: string) => stream.frames.filter((f) => f.event === 'run.output.delta' && JSON.parse(f.data).run_id === runId).map((f) => JSON.parse(f.data).data.text).join('');
      assert.equal(textOf(first.run_id), 'Hello from fake model: my name is Ada');
      assert.equal(textOf(second.run_id), 'Hello from fake model: what is my name?');
    });

    it('the SDK: sessions.send with text streams an LLM answer ({text} deltas) and ends in the reply', async () => {
      await deploy(llmAgent(name));
      const client = new Agentd({ baseURL: await baseUrl(), apiKey: t.adminKey, maxRetries: 0 });
      const s = await client.sessions.create({ agent: name });
      const msg = client.sessions.send(s.id, 'hello sdk');
      let deltas = '';
      for await (const e of msg) if (e.type === 'run.output.delta') deltas += String((e.data as { text?: unknown }).text);
      const reply = await msg.finalReply();
      assert.equal(reply.status, 'succeeded');
      assert.equal(deltas, 'Hello from fake model: hello sdk');
      assert.equal(reply.streamed, 'Hello from fake model: hello sdk');
      assert.equal((reply.output as { text: string }).text, 'Hello from fake model: hello sdk');
    });

    it('spec.context: the newest max_messages are sent, the oldest dropped; a bad policy is refused at deploy (422 with paths)', async () => {
      for (const [context, path] of [
        [{ max_messages: 0 }, 'spec.context.max_messages'],
        [{ max_tokens: 'many' }, 'spec.context.max_tokens'],
        [{ max_turns: 3 }, 'spec.context.max_turns'],
        [{ summarize: 'fake' }, 'spec.context.summarize'],
        [{}, 'spec.context'],
        ['all', 'spec.context'],
      ] as const) {
        const r = await t.call('POST', '/v1/agents', { body: llmAgent(name, { context }) });
        assert.equal(r.statusCode, 422, `${JSON.stringify(context)}: ${r.body}`);
        assert.ok(r.json().error.details.some((p: { path: string }) => p.path === path), `${path} in ${r.body}`);
      }
      await deploy(llmAgent(name, { context: { max_messages: 2 } }));
      const s = await create(name);
      const from = fake.chatRequests().length;
      for (const text of ['one', 'two', 'three']) {
        const m = await send(s.id, text);
        await replied(s.id, m.run_id);
      }
      const third = fake.chatRequests().slice(from)[2];
      assert.deepEqual(chatMessages(third.body), [['user', 'two'], ['assistant', 'Hello from fake model: two'], ['user', 'three']], 'turn one dropped');

      // A token budget: only the newest turn fits 30 estimated tokens (4 characters a token + 4 a message).
      await deploy(llmAgent(name, { context: { max_tokens: 30 } }));
      const long = 'x'.repeat(60);
      const m = await send(s.id, long);
      await replied(s.id, m.run_id);
      const m2 = await send(s.id, 'last');
      await replied(s.id, m2.run_id);
      const req = fake.chatRequests().at(-1)!;
      assert.deepEqual(chatMessages(req.body), [['user', 'last']], 'the long turn (its reply with it) does not fit the budget');
    });

    it('a gated tool call inside a session waits for its approval, runs once approved, and its answer is the reply', async () => {
      await deploy(refundAgent(`${name}-refund`));
      await deploy(llmAgent(name, { tools: [{ agent: `${name}-refund`, endpoint: 'issue', approval: 'always' }] }));
      const s = await create(name);
      const m = await send(s.id, 'Please refund 42 euros');
      const approval = await waitUntil(async () => (await t.call('GET', `/v1/approvals?run=${m.run_id}&status=pending`)).json<{ data: any[] }>().data[0], { timeoutMs: 30_000, what: 'a pending approval' });
      assert.equal((await run(m.run_id)).status, 'waiting');
      // Listed events stop below the stream's horizon (the newest commits may not be listed yet): wait for it.
      await waitUntil(async () => (await runEvents(m.run_id)).some((e) => e.type === 'approval.requested' && e.data.approval_id === approval.id), { timeoutMs: 30_000, what: "the approval on the run's (the session's) events" });
      assert.equal((await t.call('POST', `/v1/approvals/${approval.id}/approve`, { body: { comment: 'ok' } })).statusCode, 200);
      const task = await waitUntil(async () => (await t.call('POST', '/v1/worker/lease', { body: { agent: `${name}-refund`, wait_ms: 0, max_tasks: 1 } })).json<{ tasks: any[] }>().tasks[0], { timeoutMs: 30_000, what: 'the refund run' });
      assert.deepEqual(task.input, { amount: 42 });
      assert.equal((await t.call('POST', `/v1/leases/${task.lease_id}/complete`, { body: { output: { refunded: 42 } } })).statusCode, 200);
      assert.equal((await ended(m.run_id)).status, 'succeeded');
      const reply = await replied(s.id, m.run_id);
      assert.equal(reply.content.text, 'Tool result: {"refunded":42}');
    });

    it('interrupt: a streaming reply is cancelled, its streamed text kept as a partial reply, and the new message runs with it in its history', async () => {
      await deploy(llmAgent(name));
      const s = await create(name);
      fake.script = (turn) => (turn.userText === 'tell me a long story' ? { text: 'Once upon a time', holdMs: 120_000 } : `Hello from fake model: ${turn.userText}`);
      const first = await send(s.id, 'tell me a long story');
      await waitUntil(async () => (await runEvents(first.run_id)).filter((e) => e.type === 'run.output.delta').map((e) => e.data.text).join('') === 'Once upon a time', { timeoutMs: 30_000, what: 'the streamed text' });
      const from = fake.chatRequests().length;
      const second = await send(s.id, 'stop, say hi', { multitask: 'interrupt' });
      assert.equal(second.interrupted_run_id, first.run_id);
      assert.equal((await ended(first.run_id)).status, 'cancelled');
      assert.equal((await ended(second.run_id)).status, 'succeeded');
      await replied(s.id, second.run_id);
      const h = await history(s.id);
      const partial = h.find((m) => m.role === 'assistant' && m.run_id === first.run_id)!;
      assert.equal(partial.status, 'partial');
      assert.equal(partial.content, 'Once upon a time');
      const [req] = fake.chatRequests().slice(from);
      assert.deepEqual(chatMessages(req.body), [['user', 'tell me a long story'], ['assistant', 'Once upon a time'], ['user', 'stop, say hi']]);
    });
  });
}
