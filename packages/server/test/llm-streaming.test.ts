/**
 * The LLM runtime's model calls, streaming and run control, on both databases, against a fake
 * provider speaking the real OpenAI Chat Completions and Anthropic Messages wire protocols
 * (test/helpers/fake-llm.ts; the AI SDK's providers call it over HTTP): streamed text as
 * coalesced run.output.delta events, the key from the vault, usage asked for and recorded;
 * reasoning deltas on both protocols; the Anthropic protocol with a tool call; a session's
 * history; workers refused an LLM agent's runs; cancel aborting the call in flight.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects } from './helpers/dialects.ts';
import { waitUntil } from './helpers/server-process.ts';
import { llmAgent, workerAgent, KEY, useLlmRuntime } from './helpers/llm-runtime-fixture.ts';

for (const d of await dialects()) {
  describe(`LLM runtime: model calls and streaming (${d.name})`, { skip: d.skip }, () => {
    const f = useLlmRuntime(d);
    const { openai, anthropic, deploy, start, getRun, finished, events, requestsSince, serveOnce } = f;

    it('an LLM agent without endpoints gets chat; its answer streams as run.output.delta and ends in run.succeeded with the text and usage', async () => {
      const agent = await deploy(llmAgent(f.name, {}));
      assert.equal(agent.runtime, 'llm');
      assert.deepEqual(Object.keys(agent.endpoints), ['chat']);
      assert.equal(agent.manifest.spec.model, 'fake');
      const from = openai.chatRequests().length;
      const id = await start(f.name, 'hi there');
      const run = await finished(id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.equal(run.output.text, 'Hello from fake model: hi there');
      const [req] = requestsSince(openai, from);
      assert.equal(req.headers.authorization, `Bearer ${KEY}`);
      assert.equal(req.body.stream, true);
      assert.equal(req.body.stream_options?.include_usage, true);
      assert.ok(req.body.messages.some((m: any) => m.role === 'system' && String(m.content).includes('You are terse.')));
      assert.ok(req.body.messages.some((m: any) => m.role === 'user' && String(m.content) === 'hi there'));
      // The terminal event is visible once the event horizon passes it (it may trail the row by a commit).
      const ev = await waitUntil(async () => {
        const all = await events(id);
        return all.at(-1)?.type === 'run.succeeded' ? all : null;
      }, { what: 'run.succeeded in the events' });
      const deltas = ev.filter((e) => e.type === 'run.output.delta');
      assert.ok(deltas.length >= 1);
      assert.equal(deltas.map((e) => e.data.text).join(''), 'Hello from fake model: hi there');
      const step = ev.find((e) => e.type === 'run.llm.step')!;
      const usage = req.reply!.usage!;
      assert.deepEqual(step.data.usage, { input_tokens: usage.input, output_tokens: usage.output, total_tokens: usage.input + usage.output, cached_input_tokens: 0 });
      assert.equal(step.data.cost_usd, (usage.input * 1 + usage.output * 2) / 1e6);
      assert.equal(run.output.usage.total_tokens, usage.input + usage.output);
      const done = ev.at(-1)!;
      assert.equal(done.type, 'run.succeeded');
      assert.ok(JSON.stringify(done.data).includes('Hello from fake model: hi there'));
      assert.ok(!JSON.stringify(ev).includes(KEY), 'the API key is in no event');
      // Recorded by the usage module too: GET /v1/usage shows the model's own figures.
      const report = (await f.t.call('GET', `/v1/usage?agent=${f.name}`)).json();
      assert.equal(report.totals.input_tokens, usage.input);
      assert.equal(report.totals.output_tokens, usage.output);
      assert.equal(report.data[0].model, 'fake');
    });

    for (const [protocol, alias] of [['OpenAI-compatible reasoning_content', 'fake'], ['Anthropic thinking', 'claude']] as const) {
      it(`reasoning the provider streams (${protocol}) is run.reasoning.delta events before the answer's deltas, kept out of the output`, async () => {
        const reasoning = `The user greets me; a short greeting back will do (${f.name}).`;
        const fake = alias === 'fake' ? openai : anthropic;
        fake.script = (turn) => ({ reasoning, text: `Hello: ${turn.userText}` });
        await deploy(llmAgent(f.name, { model: alias }));
        const from = fake.chatRequests().length;
        const id = await start(f.name, 'hi');
        const run = await finished(id);
        assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
        assert.equal(run.output.text, 'Hello: hi');
        assert.equal(requestsSince(fake, from).length, 1);
        const ev = await waitUntil(async () => {
          const all = await events(id);
          return all.at(-1)?.type === 'run.succeeded' ? all : null;
        }, { what: 'run.succeeded in the events' });
        const thoughts = ev.filter((e) => e.type === 'run.reasoning.delta');
        assert.ok(thoughts.length >= 1, 'reasoning deltas recorded');
        assert.equal(thoughts.map((e) => e.data.text).join(''), reasoning);
        const types = ev.map((e) => e.type);
        assert.ok(types.indexOf('run.reasoning.delta') < types.indexOf('run.output.delta'), `reasoning streams first: ${types.join(',')}`);
        assert.equal(ev.filter((e) => e.type === 'run.output.delta').map((e) => e.data.text).join(''), 'Hello: hi');
        assert.equal(ev.find((e) => e.type === 'run.llm.step')!.data.reasoning, reasoning);
        assert.ok(!JSON.stringify(run.output).includes(reasoning), 'the reasoning is not in the output');
      });
    }

    it('the Anthropic Messages protocol: streamed text and a tool call through a child run', async () => {
      await deploy(workerAgent(`${f.name}-refund`));
      await deploy(llmAgent(f.name, { model: 'claude', tools: [{ agent: `${f.name}-refund`, endpoint: 'issue' }] }));
      const from = anthropic.chatRequests().length;
      const id = await start(f.name, 'refund please');
      await serveOnce(`${f.name}-refund`, () => ({ refunded: true }));
      const run = await finished(id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.equal(run.output.text, 'Tool result: {"refunded":true}');
      const reqs = requestsSince(anthropic, from);
      assert.equal(reqs.length, 2);
      assert.equal(reqs[0].headers['x-api-key'], KEY);
      assert.match(String(reqs[0].body.system?.[0]?.text ?? reqs[0].body.system), /You are terse/);
      assert.ok(run.output.usage.total_tokens > 0);
    });

    it('a run of a session gets the turns before it (chatHistory) ahead of its own message', async () => {
      await deploy(llmAgent(f.name, {}));
      const session = (await f.t.call('POST', '/v1/sessions', { body: { agent: f.name, endpoint: 'chat' } })).json();
      const send = async (message: string) => {
        const r = await f.t.call('POST', `/v1/sessions/${session.id}/messages`, { body: { content: { message } } });
        assert.equal(r.statusCode, 201, r.body);
        return finished(r.json().run_id);
      };
      assert.equal((await send('first')).status, 'succeeded');
      const from = openai.chatRequests().length;
      assert.equal((await send('second')).status, 'succeeded');
      const msgs = requestsSince(openai, from)[0].body.messages.filter((m: any) => m.role !== 'system').map((m: any) => [m.role, String(m.content)]);
      assert.deepEqual(msgs, [['user', 'first'], ['assistant', 'Hello from fake model: first'], ['user', 'second']]);
    });

    it('a worker may not lease the runs of an LLM agent (the server runs them)', async () => {
      await deploy(llmAgent(f.name, {}));
      const r = await f.t.call('POST', '/v1/worker/lease', { body: { agent: f.name, wait_ms: 0, max_tasks: 1 } });
      assert.equal(r.statusCode, 400, r.body);
      assert.match(r.json().error.message, /runtime: llm/);
    });

    it('cancelling a run stops its loop (the model call in flight is aborted)', async () => {
      await deploy(llmAgent(f.name, {}));
      openai.script = () => ({ text: 'slow answer', holdMs: 5000 });
      const id = await start(f.name, 'slow');
      await waitUntil(async () => (await events(id)).some((e) => e.type === 'run.output.delta'), { timeoutMs: 30_000, what: 'the first delta' });
      assert.equal((await f.t.call('POST', `/v1/runs/${id}/cancel`, { body: {} })).statusCode, 200);
      await waitUntil(() => f.t.engine.llm.active === 0, { timeoutMs: 30_000, what: 'the loop to stop' });
      const run = await getRun(id);
      assert.equal(run.status, 'cancelled');
      assert.ok(!(await events(id)).some((e) => e.type === 'run.llm.step'));
    });
  });
}
