/**
 * The LLM runtime against a fake provider speaking the real OpenAI Chat Completions and Anthropic
 * Messages wire protocols (test/helpers/fake-llm.ts; the AI SDK's providers call it over HTTP),
 * on both databases: streamed text as coalesced run.output.delta events, the key from the vault,
 * usage asked for and recorded; multi-step tool use through an agent-endpoint tool (a child run);
 * a gated tool approved and rejected, the approval bound to the call; a rule on the arguments;
 * 429 and 5xx retried; a response without usage failing closed against a budget; a token budget;
 * http_fetch / mcp_server entries refused until their factory is installed.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';
import { waitUntil } from './helpers/server-process.ts';
import { FakeLlm, defaultScript, type FakeScript } from './helpers/fake-llm.ts';
import { DEFAULT_OUTPUT_ESTIMATE_TOKENS } from '../src/llm/llm-loop.ts';

const KEY = 'sk-fake-llm-runtime-key';

const llmAgent = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name }, spec: { runtime: 'llm', model: 'fake', instructions: 'You are terse.', ...spec } });
const workerAgent = (name: string) => ({
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name },
  spec: { runtime: 'worker', endpoints: { issue: { description: 'Refund an amount.', input: { type: 'object', properties: { amount: { type: 'number' } }, required: ['amount'] }, timeout: '1m', retry: { max_attempts: 1 } } } },
});

for (const d of await dialects()) {
  describe(`LLM runtime (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    const openai = new FakeLlm({ apiKey: KEY });
    const anthropic = new FakeLlm({ apiKey: KEY });
    let n = 0;
    let name = '';

    before(async () => {
      await openai.start();
      await anthropic.start();
      db = await d.create();
      t = await startTestApp(db, {
        models: {
          fake: { provider: 'openai-compatible', base_url: openai.baseUrl, model: 'fake-1', api_key_secret: 'fake_key', prices: { input: 1, output: 2 }, max_retries: 3 },
          claude: { provider: 'anthropic', base_url: anthropic.baseUrl, model: 'claude-fake', api_key_secret: 'fake_key' },
          nokey: { provider: 'openai-compatible', base_url: openai.baseUrl, model: 'fake-1', api_key_secret: 'missing_key' },
        },
        llm: { pollIntervalMs: 50, deltaIntervalMs: 50 },
      });
      assert.equal((await t.call('POST', '/v1/secrets', { body: { name: 'fake_key', value: KEY } })).statusCode, 201);
      t.engine.llm.start();
    });
    beforeEach(() => {
      n++;
      name = `a${n}`;
      openai.script = defaultScript;
      anthropic.script = defaultScript;
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
      await openai.stop();
      await anthropic.stop();
    });

    const deploy = async (m: unknown) => {
      const r = await t.call('POST', '/v1/agents', { body: m });
      assert.equal(r.statusCode, 201, r.body);
      return r.json();
    };
    const start = async (agent: string, message: string) => {
      const r = await t.call('POST', '/v1/runs', { body: { agent, endpoint: 'chat', input: { message } } });
      assert.equal(r.statusCode, 201, r.body);
      return r.json<{ id: string }>().id;
    };
    const getRun = async (id: string) => (await t.call('GET', `/v1/runs/${id}`)).json();
    const finished = (id: string) => waitUntil(async () => {
      const r = await getRun(id);
      return ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(r.status) ? r : null;
    }, { timeoutMs: 30_000, what: `run ${id} to end` });
    const events = async (id: string) => (await t.call('GET', `/v1/runs/${id}/events?limit=1000`, { headers: { accept: 'application/json' } })).json<{ data: { type: string; data: any }[] }>().data;
    const requestsSince = (fake: FakeLlm, from: number) => fake.chatRequests().slice(from);
    const pendingApproval = (runId: string) => waitUntil(async () => (await t.call('GET', `/v1/approvals?run=${runId}&status=pending`)).json<{ data: any[] }>().data[0], { timeoutMs: 30_000, what: 'a pending approval' });
    /** Serves one run of a worker agent in-process through the lease API (as a worker would). */
    const serveOnce = async (agent: string, output: (input: any) => unknown) => {
      const task = await waitUntil(async () => (await t.call('POST', '/v1/worker/lease', { body: { agent, wait_ms: 0, max_tasks: 1 } })).json<{ tasks: any[] }>().tasks[0], { timeoutMs: 30_000, what: `a run of ${agent}` });
      const r = await t.call('POST', `/v1/leases/${task.lease_id}/complete`, { body: { output: output(task.input) } });
      assert.equal(r.statusCode, 200, r.body);
      return task;
    };

    it('an LLM agent without endpoints gets chat; its answer streams as run.output.delta and ends in run.succeeded with the text and usage', async () => {
      const agent = await deploy(llmAgent(name, {}));
      assert.equal(agent.runtime, 'llm');
      assert.deepEqual(Object.keys(agent.endpoints), ['chat']);
      assert.equal(agent.manifest.spec.model, 'fake');
      const from = openai.chatRequests().length;
      const id = await start(name, 'hi there');
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
      const report = (await t.call('GET', `/v1/usage?agent=${name}`)).json();
      assert.equal(report.totals.input_tokens, usage.input);
      assert.equal(report.totals.output_tokens, usage.output);
      assert.equal(report.data[0].model, 'fake');
    });

    for (const [protocol, alias] of [['OpenAI-compatible reasoning_content', 'fake'], ['Anthropic thinking', 'claude']] as const) {
      it(`reasoning the provider streams (${protocol}) is run.reasoning.delta events before the answer's deltas, kept out of the output`, async () => {
        const reasoning = `The user greets me; a short greeting back will do (${name}).`;
        const fake = alias === 'fake' ? openai : anthropic;
        fake.script = (turn) => ({ reasoning, text: `Hello: ${turn.userText}` });
        await deploy(llmAgent(name, { model: alias }));
        const from = fake.chatRequests().length;
        const id = await start(name, 'hi');
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

    it('multi-step tool use: each call of an agent-endpoint tool is a child run whose output goes to the model', async () => {
      await deploy(workerAgent(`${name}-refund`));
      await deploy(llmAgent(name, { tools: [{ agent: `${name}-refund`, endpoint: 'issue' }] }));
      let round = 0;
      openai.script = (turn) => {
        round++;
        if (round === 1) return { text: 'Let me refund.', toolCalls: [{ name: `${name}-refund_issue`, args: { amount: 1 }, id: `c1-${name}` }] };
        if (round === 2) return { toolCalls: [{ name: `${name}-refund_issue`, args: { amount: 2 }, id: `c2-${name}` }] };
        return `done: ${turn.toolResults.map((r) => r.text).join(',')}`;
      };
      const from = openai.chatRequests().length;
      const id = await start(name, 'refund twice');
      const first = await serveOnce(`${name}-refund`, (input) => ({ refunded: input.amount }));
      assert.equal(first.input.amount, 1);
      const second = await serveOnce(`${name}-refund`, (input) => ({ refunded: input.amount }));
      assert.equal(second.input.amount, 2);
      const run = await finished(id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.equal(run.output.text, 'done: {"refunded":2}');
      const reqs = requestsSince(openai, from);
      assert.equal(reqs.length, 3);
      // The tool was offered with the endpoint's input schema.
      const offered = reqs[0].body.tools.find((x: any) => x.function.name === `${name}-refund_issue`);
      assert.equal(offered.function.parameters.required[0], 'amount');
      const children = (await t.call('GET', `/v1/runs/${id}/children`)).json<{ data: any[] }>().data;
      assert.deepEqual(children.map((c) => c.call_key).sort(), [`tool:s1-c1-${name}`, `tool:s2-c2-${name}`]);
      const all = await events(id);
      // The arguments streamed as run.tool_call.delta fragments, then the whole call.
      const fragments = all.filter((e) => e.type === 'run.tool_call.delta' && e.data.tool_call_id === `s1-c1-${name}`);
      assert.ok(fragments.length >= 1);
      assert.equal(fragments[0].data.tool, `${name}-refund_issue`);
      assert.deepEqual(JSON.parse(fragments.map((e) => e.data.delta).join('')), { amount: 1 });
      const types = all.map((e) => e.type);
      assert.deepEqual(types.filter((x) => (x.startsWith('run.tool') && !x.endsWith('.delta')) || x === 'run.llm.step'), ['run.llm.step', 'run.tool_call', 'run.tool_started', 'run.tool_result', 'run.llm.step', 'run.tool_call', 'run.tool_started', 'run.tool_result', 'run.llm.step']);
    });

    it('a gated tool waits for its approval (bound to the call id and argument hash), runs once approved, and never when rejected', async () => {
      await deploy(workerAgent(`${name}-refund`));
      await deploy(llmAgent(name, { tools: [{ agent: `${name}-refund`, endpoint: 'issue', approval: 'always' }] }));
      const id = await start(name, 'please refund me');
      const approval = await pendingApproval(id);
      assert.equal((await getRun(id)).status, 'waiting');
      assert.equal(approval.payload.tool, `${name}-refund_issue`);
      assert.deepEqual(approval.payload.args, { amount: 42 });
      assert.match(approval.key, new RegExp(`^tool:${approval.payload.tool_call_id}:${approval.payload.args_hash}$`));
      assert.equal((await t.call('GET', `/v1/runs/${id}/children`)).json().data.length, 0, 'nothing ran before the decision');
      assert.equal((await t.call('POST', `/v1/approvals/${approval.id}/approve`, { body: { comment: 'ok' } })).statusCode, 200);
      await serveOnce(`${name}-refund`, () => ({ refunded: true }));
      const run = await finished(id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.equal(run.output.text, 'Tool result: {"refunded":true}');

      const from = openai.chatRequests().length;
      const id2 = await start(name, 'please refund me');
      const a2 = await pendingApproval(id2);
      assert.equal((await t.call('POST', `/v1/approvals/${a2.id}/reject`, { body: { reason: 'not this one' } })).statusCode, 200);
      const run2 = await finished(id2);
      assert.equal(run2.status, 'succeeded', JSON.stringify(run2.error));
      assert.equal((await t.call('GET', `/v1/runs/${id2}/children`)).json().data.length, 0, 'the rejected call never ran');
      const last = requestsSince(openai, from).at(-1)!;
      const told = last.body.messages.filter((m: any) => m.role === 'tool').map((m: any) => String(m.content)).join('');
      assert.match(told, /tool_call_rejected/);
      assert.match(told, /not this one/);
    });

    it('a provider that reuses tool-call ids across steps and within one: each call waits for its own approval and gets its own result', async () => {
      await deploy(workerAgent(`${name}-refund`));
      await deploy(llmAgent(name, { tools: [{ agent: `${name}-refund`, endpoint: 'issue', approval: 'always' }] }));
      const tool = `${name}-refund_issue`;
      // An OpenAI-compatible server that numbers its calls "0", "0", … in every step.
      openai.script = (turn) => {
        const answered = (turn.body.messages as any[]).filter((m) => m.role === 'tool').length;
        if (answered === 0) return { toolCalls: [{ name: tool, args: { amount: 1 }, id: '0' }] };
        if (answered === 1) return { toolCalls: [{ name: tool, args: { amount: 2 }, id: '0' }, { name: tool, args: { amount: 3 }, id: '0' }] };
        return `done: ${(turn.body.messages as any[]).filter((m) => m.role === 'tool').map((m) => String(m.content)).join(',')}`;
      };
      const id = await start(name, 'refund three times');
      const seen: number[] = [];
      for (let i = 0; i < 3; i++) {
        // The next call's own approval, or the run's end when a call took another's.
        const next = await waitUntil(async () => {
          const pending = (await t.call('GET', `/v1/approvals?run=${id}&status=pending`)).json<{ data: any[] }>().data[0];
          if (pending) return { approval: pending };
          const r = await getRun(id);
          return ['succeeded', 'failed'].includes(r.status) ? { run: r } : null;
        }, { timeoutMs: 30_000, what: 'the next approval' });
        assert.ok(next.approval, `call ${i + 1} waited for its own approval (the run ended: ${JSON.stringify(next.run?.output ?? next.run?.error)})`);
        seen.push(next.approval.payload.args.amount);
        assert.equal((await t.call('POST', `/v1/approvals/${next.approval.id}/approve`, { body: {} })).statusCode, 200);
        await serveOnce(`${name}-refund`, (input) => ({ refunded: input.amount }));
      }
      assert.deepEqual(seen, [1, 2, 3]);
      const run = await finished(id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.equal(run.output.text, 'done: {"refunded":1},{"refunded":2},{"refunded":3}');
      const children = (await t.call('GET', `/v1/runs/${id}/children`)).json<{ data: any[] }>().data;
      // Each child under its own key (the SDK may already rename a repeat within one response).
      const keys = children.map((c) => c.call_key).sort();
      assert.equal(new Set(keys).size, 3);
      assert.deepEqual(keys.slice(0, 2), ['tool:s1-0', 'tool:s2-0']);
      assert.match(keys[2], /^tool:s2-/);
      const approvals = (await t.call('GET', `/v1/approvals?run=${id}`)).json<{ data: any[] }>().data;
      assert.equal(new Set(approvals.map((a) => a.key)).size, 3);
    });

    it('an approval rule on the arguments gates only the calls it holds for', async () => {
      await deploy(workerAgent(`${name}-refund`));
      await deploy(llmAgent(name, { tools: [{ agent: `${name}-refund`, endpoint: 'issue', approval: 'amount > 100' }] }));
      openai.script = (turn) => (turn.toolResults.length > 0 ? `ok ${turn.toolResults[0].text}` : { toolCalls: [{ name: `${name}-refund_issue`, args: { amount: Number(turn.userText) } }] });
      const small = await start(name, '42');
      await serveOnce(`${name}-refund`, () => ({ refunded: true }));
      assert.equal((await finished(small)).status, 'succeeded');
      assert.equal((await t.call('GET', `/v1/approvals?run=${small}`)).json().data.length, 0);
      const big = await start(name, '500');
      const a = await pendingApproval(big);
      assert.deepEqual(a.payload.args, { amount: 500 });
      await t.call('POST', `/v1/approvals/${a.id}/reject`, { body: { reason: 'too much' } });
      assert.equal((await finished(big)).status, 'succeeded');
    });

    it('the Anthropic Messages protocol: streamed text and a tool call through a child run', async () => {
      await deploy(workerAgent(`${name}-refund`));
      await deploy(llmAgent(name, { model: 'claude', tools: [{ agent: `${name}-refund`, endpoint: 'issue' }] }));
      const from = anthropic.chatRequests().length;
      const id = await start(name, 'refund please');
      await serveOnce(`${name}-refund`, () => ({ refunded: true }));
      const run = await finished(id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.equal(run.output.text, 'Tool result: {"refunded":true}');
      const reqs = requestsSince(anthropic, from);
      assert.equal(reqs.length, 2);
      assert.equal(reqs[0].headers['x-api-key'], KEY);
      assert.match(String(reqs[0].body.system?.[0]?.text ?? reqs[0].body.system), /You are terse/);
      assert.ok(run.output.usage.total_tokens > 0);
    });

    it('a tool reply over the cap reaches the model as an error, not as the reply', async () => {
      await deploy(workerAgent(`${name}-refund`));
      await deploy(llmAgent(name, { tools: [{ agent: `${name}-refund`, endpoint: 'issue' }] }));
      const id = await start(name, 'refund please');
      await serveOnce(`${name}-refund`, () => ({ blob: 'x'.repeat(70_000) }));
      const run = await finished(id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.match(run.output.text, /tool_result_too_large/);
      const result = (await events(id)).find((e) => e.type === 'run.tool_result')!;
      assert.equal(result.data.error.code, 'tool_result_too_large');
    });

    it('429 and 5xx answers are retried (Retry-After honoured) and the run succeeds', async () => {
      await deploy(llmAgent(name, {}));
      let calls = 0;
      openai.script = (turn) => {
        calls++;
        if (calls === 1) return { status: 429, retryAfter: '0' };
        if (calls === 2) return { status: 503, retryAfter: '0' };
        return defaultScript(turn);
      };
      const id = await start(name, 'retry me');
      const run = await finished(id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.equal(calls, 3);
      assert.equal(run.attempts, 1, 'retried inside the step, not as a new attempt');
    });

    it('a response without usage fails closed against a token budget (budget_exceeded), and counts as unknown without one', async () => {
      await deploy(workerAgent(`${name}-refund`));
      await deploy(llmAgent(name, { tools: [{ agent: `${name}-refund`, endpoint: 'issue' }], limits: { max_total_tokens: 100000 } }));
      const noUsage: FakeScript = (turn) => ({ ...(typeof defaultScript(turn) === 'string' ? { text: defaultScript(turn) as string } : (defaultScript(turn) as object)), usage: false });
      openai.script = noUsage;
      const from = openai.chatRequests().length;
      const id = await start(name, 'refund please');
      await serveOnce(`${name}-refund`, () => ({ refunded: true }));
      const run = await finished(id);
      assert.equal(run.status, 'failed');
      assert.equal(run.error.type, 'budget_exceeded');
      assert.equal(run.error.details.limit, 'usage_missing');
      assert.equal(requestsSince(openai, from).length, 1, 'no model call after the one without usage');
      const step = (await events(id)).find((e) => e.type === 'run.llm.step')!;
      assert.equal(step.data.usage, null);

      await deploy(llmAgent(`${name}-free`, {}));
      const id2 = await start(`${name}-free`, 'hello');
      const run2 = await finished(id2);
      assert.equal(run2.status, 'succeeded');
      assert.equal(run2.output.usage.steps_without_usage, 1);
    });

    // (Anthropic always sends output_tokens in message_start; the SDK's own counts are judged there.)
    for (const protocol of ['openai'] as const) {
      it(`a response with only part of its usage (${protocol}: no output count) is usage missing, never zero output`, async () => {
        await deploy(workerAgent(`${name}-refund`));
        await deploy(llmAgent(name, { model: protocol === 'openai' ? 'fake' : 'claude', tools: [{ agent: `${name}-refund`, endpoint: 'issue' }], limits: { max_total_tokens: 100000 } }));
        const fake = protocol === 'openai' ? openai : anthropic;
        fake.script = (turn) => ({ ...(typeof defaultScript(turn) === 'string' ? { text: defaultScript(turn) as string } : (defaultScript(turn) as object)), usage: 'input_only' });
        const from = fake.chatRequests().length;
        const id = await start(name, 'refund please');
        await serveOnce(`${name}-refund`, () => ({ refunded: true }));
        const run = await finished(id);
        assert.equal(run.status, 'failed');
        assert.equal(run.error.type, 'budget_exceeded');
        assert.equal(run.error.details.limit, 'usage_missing');
        assert.equal(requestsSince(fake, from).length, 1, 'no model call after the one with partial usage');
        const step = (await events(id)).find((e) => e.type === 'run.llm.step')!;
        assert.equal(step.data.usage, null);
      });
    }

    it('a token budget stops the run before the call that would cross it (its prompt alone is over it)', async () => {
      await deploy(llmAgent(name, { limits: { max_total_tokens: 5 } }));
      const from = openai.chatRequests().length;
      const id = await start(name, 'a message whose prompt is more than five tokens long');
      const run = await finished(id);
      assert.equal(run.status, 'failed');
      assert.equal(run.error.type, 'budget_exceeded');
      assert.equal(run.error.details.limit, 'max_total_tokens');
      assert.equal(requestsSince(openai, from).length, 0, 'no model call');
    });

    it('without max_output_tokens the answer is estimated at DEFAULT_OUTPUT_ESTIMATE_TOKENS: a call whose prompt fits but whose answer may not is refused', async () => {
      await deploy(llmAgent(name, { limits: { max_total_tokens: DEFAULT_OUTPUT_ESTIMATE_TOKENS / 2 } }));
      const from = openai.chatRequests().length;
      const id = await start(name, 'hi');
      const run = await finished(id);
      assert.equal(run.status, 'failed', JSON.stringify(run.output));
      assert.equal(run.error.type, 'budget_exceeded');
      assert.equal(run.error.details.limit, 'max_total_tokens');
      assert.ok(run.error.details.estimate > DEFAULT_OUTPUT_ESTIMATE_TOKENS, JSON.stringify(run.error.details));
      assert.equal(requestsSince(openai, from).length, 0, 'no model call');
      // With max_output_tokens set, that is the answer's estimate.
      await deploy(llmAgent(`${name}-capped`, { limits: { max_total_tokens: DEFAULT_OUTPUT_ESTIMATE_TOKENS / 2, max_output_tokens: 64 } }));
      const ok = await finished(await start(`${name}-capped`, 'hi'));
      assert.equal(ok.status, 'succeeded', JSON.stringify(ok.error));
    });

    it("a provider error that echoes the alias's API key fails the run with the key redacted, in every form", async () => {
      await deploy(llmAgent(name, {}));
      openai.script = () => ({ status: 400, errorMessage: `invalid request for key ${KEY} (url: https://gw.test/?key=${encodeURIComponent(KEY)}, json: ${JSON.stringify(JSON.stringify(KEY))})` });
      const run = await finished(await start(name, 'hello'));
      assert.equal(run.status, 'failed');
      assert.equal(run.error.type, 'model_error');
      const text = JSON.stringify(run.error);
      assert.ok(!text.includes(KEY) && !text.includes(encodeURIComponent(KEY)), text);
      assert.match(run.error.message, /\[redacted:fake_key\]/);
      assert.ok(!JSON.stringify(await events(run.id)).includes(KEY), 'nor in any event');
    });

    it('max_steps caps the model calls of a run', async () => {
      await deploy(workerAgent(`${name}-refund`));
      await deploy(llmAgent(name, { tools: [{ agent: `${name}-refund`, endpoint: 'issue' }], limits: { max_steps: 1 } }));
      const id = await start(name, 'refund please');
      await serveOnce(`${name}-refund`, () => ({ refunded: true }));
      const run = await finished(id);
      assert.equal(run.error?.type, 'budget_exceeded');
      assert.equal(run.error.details.limit, 'max_steps');
    });

    it('structured output: the answer is validated against spec.output and the model asked again when it does not fit', async () => {
      await deploy(llmAgent(name, { output: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } }));
      let round = 0;
      openai.script = () => (++round === 1 ? 'not json' : '```json\n{"n": 7}\n```');
      const id = await start(name, 'a number');
      const run = await finished(id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.deepEqual(run.output.data, { n: 7 });
      assert.equal(round, 2);
    });

    it('a missing key secret, an unknown alias and an unregistered MCP server fail the run with a clear error; http_fetch is offered', async () => {
      await deploy(llmAgent(`${name}-k`, { model: 'nokey' }));
      const r1 = await finished(await start(`${name}-k`, 'x'));
      assert.equal(r1.error.type, 'llm_config');
      assert.match(r1.error.message, /missing_key/);
      await deploy(llmAgent(`${name}-u`, { model: 'nosuch' }));
      const r2 = await finished(await start(`${name}-u`, 'x'));
      assert.match(r2.error.message, /no model alias "nosuch"/);
      await deploy(llmAgent(`${name}-m`, { tools: [{ mcp_server: 'docs' }] }));
      const r4 = await finished(await start(`${name}-m`, 'x'));
      assert.equal(r4.error.type, 'llm_config');
      assert.match(r4.error.message, /no MCP server "docs"/);
      await deploy(llmAgent(`${name}-h`, { tools: [{ http_fetch: { allow: ['docs.example.com'] } }] }));
      const from = openai.chatRequests().length;
      const r3 = await finished(await start(`${name}-h`, 'x'));
      assert.equal(r3.status, 'succeeded', JSON.stringify(r3.error));
      assert.deepEqual(requestsSince(openai, from)[0].body.tools.map((x: any) => x.function.name), ['http_fetch']);
    });

    it("an answer the endpoint's own output schema refuses fails the run for good (output_invalid)", async () => {
      await deploy(llmAgent(name, { endpoints: { chat: { input: { type: 'object' }, output: { type: 'object', required: ['verdict'] }, retry: { max_attempts: 3 } } } }));
      const run = await finished(await start(name, 'hi'));
      assert.equal(run.status, 'failed');
      assert.equal(run.error.type, 'output_invalid');
      assert.equal(run.attempts, 1);
    });

    it('a run of a session gets the turns before it (chatHistory) ahead of its own message', async () => {
      await deploy(llmAgent(name, {}));
      const session = (await t.call('POST', '/v1/sessions', { body: { agent: name, endpoint: 'chat' } })).json();
      const send = async (message: string) => {
        const r = await t.call('POST', `/v1/sessions/${session.id}/messages`, { body: { content: { message } } });
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
      await deploy(llmAgent(name, {}));
      const r = await t.call('POST', '/v1/worker/lease', { body: { agent: name, wait_ms: 0, max_tasks: 1 } });
      assert.equal(r.statusCode, 400, r.body);
      assert.match(r.json().error.message, /runtime: llm/);
    });

    it('examples/assistant deploys (YAML)', async () => {
      const yaml = readFileSync(resolve(import.meta.dirname, '../../../examples/assistant/agent.yaml'), 'utf8');
      const r = await t.call('POST', '/v1/agents', { body: yaml, headers: { 'content-type': 'application/yaml' } });
      assert.equal(r.statusCode, 201, r.body);
      assert.equal(r.json().runtime, 'llm');
    });

    it('manifest validation names the field of a bad LLM spec', async () => {
      const r = await t.call('POST', '/v1/agents', { body: llmAgent(name, { model: '', tools: [{ agent: 'x' }, { http_fetch: { allow: [] } }, { nope: 1 }], limits: { max_steps: 0 }, approval: 'x' }) });
      assert.equal(r.statusCode, 422);
      const paths = r.json().error.details.map((p: any) => p.path);
      for (const p of ['spec.model', 'spec.tools.0.endpoint', 'spec.tools.1.http_fetch.allow', 'spec.tools.2', 'spec.limits.max_steps', 'spec.approval']) assert.ok(paths.includes(p), `${p} in ${paths}`);
      const bad = await t.call('POST', '/v1/agents', { body: llmAgent(name, { tools: [{ agent: 'x', endpoint: 'y', approval: 'amount >' }] }) });
      assert.equal(bad.statusCode, 422);
      assert.equal(bad.json().error.details[0].path, 'spec.tools.0.approval');
    });

    it('cancelling a run stops its loop (the model call in flight is aborted)', async () => {
      await deploy(llmAgent(name, {}));
      openai.script = () => ({ text: 'slow answer', holdMs: 5000 });
      const id = await start(name, 'slow');
      await waitUntil(async () => (await events(id)).some((e) => e.type === 'run.output.delta'), { timeoutMs: 30_000, what: 'the first delta' });
      assert.equal((await t.call('POST', `/v1/runs/${id}/cancel`, { body: {} })).statusCode, 200);
      await waitUntil(() => t.engine.llm.active === 0, { timeoutMs: 30_000, what: 'the loop to stop' });
      const run = await getRun(id);
      assert.equal(run.status, 'cancelled');
      assert.ok(!(await events(id)).some((e) => e.type === 'run.llm.step'));
    });
  });
}
