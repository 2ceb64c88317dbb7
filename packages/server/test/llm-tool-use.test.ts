/**
 * The LLM runtime's tool use, on both databases, against the fake provider: multi-step tool use
 * through an agent-endpoint tool (a child run per call); a gated tool approved and rejected, the
 * approval bound to the call; a provider reusing tool-call ids; a rule on the arguments; a tool
 * reply over the cap; max_steps.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects } from './helpers/dialects.ts';
import { waitUntil } from './helpers/server-process.ts';
import { llmAgent, workerAgent, useLlmRuntime } from './helpers/llm-runtime-fixture.ts';

for (const d of await dialects()) {
  describe(`LLM runtime: tool use (${d.name})`, { skip: d.skip }, () => {
    const f = useLlmRuntime(d);
    const { openai, deploy, start, getRun, finished, events, requestsSince, pendingApproval, serveOnce } = f;

    it('multi-step tool use: each call of an agent-endpoint tool is a child run whose output goes to the model', async () => {
      await deploy(workerAgent(`${f.name}-refund`));
      await deploy(llmAgent(f.name, { tools: [{ agent: `${f.name}-refund`, endpoint: 'issue' }] }));
      let round = 0;
      openai.script = (turn) => {
        round++;
        if (round === 1) return { text: 'Let me refund.', toolCalls: [{ name: `${f.name}-refund_issue`, args: { amount: 1 }, id: `c1-${f.name}` }] };
        if (round === 2) return { toolCalls: [{ name: `${f.name}-refund_issue`, args: { amount: 2 }, id: `c2-${f.name}` }] };
        return `done: ${turn.toolResults.map((r) => r.text).join(',')}`;
      };
      const from = openai.chatRequests().length;
      const id = await start(f.name, 'refund twice');
      const first = await serveOnce(`${f.name}-refund`, (input) => ({ refunded: input.amount }));
      assert.equal(first.input.amount, 1);
      const second = await serveOnce(`${f.name}-refund`, (input) => ({ refunded: input.amount }));
      assert.equal(second.input.amount, 2);
      const run = await finished(id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.equal(run.output.text, 'done: {"refunded":2}');
      const reqs = requestsSince(openai, from);
      assert.equal(reqs.length, 3);
      // The tool was offered with the endpoint's input schema.
      const offered = reqs[0].body.tools.find((x: any) => x.function.name === `${f.name}-refund_issue`);
      assert.equal(offered.function.parameters.required[0], 'amount');
      const children = (await f.t.call('GET', `/v1/runs/${id}/children`)).json<{ data: any[] }>().data;
      assert.deepEqual(children.map((c) => c.call_key).sort(), [`tool:s1-c1-${f.name}`, `tool:s2-c2-${f.name}`]);
      const all = await events(id);
      // The arguments streamed as run.tool_call.delta fragments, then the whole call.
      const fragments = all.filter((e) => e.type === 'run.tool_call.delta' && e.data.tool_call_id === `s1-c1-${f.name}`);
      assert.ok(fragments.length >= 1);
      assert.equal(fragments[0].data.tool, `${f.name}-refund_issue`);
      assert.deepEqual(JSON.parse(fragments.map((e) => e.data.delta).join('')), { amount: 1 });
      const types = all.map((e) => e.type);
      assert.deepEqual(types.filter((x) => (x.startsWith('run.tool') && !x.endsWith('.delta')) || x === 'run.llm.step'), ['run.llm.step', 'run.tool_call', 'run.tool_started', 'run.tool_result', 'run.llm.step', 'run.tool_call', 'run.tool_started', 'run.tool_result', 'run.llm.step']);
    });

    it('a gated tool waits for its approval (bound to the call id and argument hash), runs once approved, and never when rejected', async () => {
      await deploy(workerAgent(`${f.name}-refund`));
      await deploy(llmAgent(f.name, { tools: [{ agent: `${f.name}-refund`, endpoint: 'issue', approval: 'always' }] }));
      const id = await start(f.name, 'please refund me');
      const approval = await pendingApproval(id);
      assert.equal((await getRun(id)).status, 'waiting');
      assert.equal(approval.payload.tool, `${f.name}-refund_issue`);
      assert.deepEqual(approval.payload.args, { amount: 42 });
      assert.match(approval.key, new RegExp(`^tool:${approval.payload.tool_call_id}:${approval.payload.args_hash}$`));
      assert.equal((await f.t.call('GET', `/v1/runs/${id}/children`)).json().data.length, 0, 'nothing ran before the decision');
      assert.equal((await f.t.call('POST', `/v1/approvals/${approval.id}/approve`, { body: { comment: 'ok' } })).statusCode, 200);
      await serveOnce(`${f.name}-refund`, () => ({ refunded: true }));
      const run = await finished(id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.equal(run.output.text, 'Tool result: {"refunded":true}');

      const from = openai.chatRequests().length;
      const id2 = await start(f.name, 'please refund me');
      const a2 = await pendingApproval(id2);
      assert.equal((await f.t.call('POST', `/v1/approvals/${a2.id}/reject`, { body: { reason: 'not this one' } })).statusCode, 200);
      const run2 = await finished(id2);
      assert.equal(run2.status, 'succeeded', JSON.stringify(run2.error));
      assert.equal((await f.t.call('GET', `/v1/runs/${id2}/children`)).json().data.length, 0, 'the rejected call never ran');
      const last = requestsSince(openai, from).at(-1)!;
      const told = last.body.messages.filter((m: any) => m.role === 'tool').map((m: any) => String(m.content)).join('');
      assert.match(told, /tool_call_rejected/);
      assert.match(told, /not this one/);
    });

    it('a provider that reuses tool-call ids across steps and within one: each call waits for its own approval and gets its own result', async () => {
      await deploy(workerAgent(`${f.name}-refund`));
      await deploy(llmAgent(f.name, { tools: [{ agent: `${f.name}-refund`, endpoint: 'issue', approval: 'always' }] }));
      const tool = `${f.name}-refund_issue`;
      // An OpenAI-compatible server that numbers its calls "0", "0", … in every step.
      openai.script = (turn) => {
        const answered = (turn.body.messages as any[]).filter((m) => m.role === 'tool').length;
        if (answered === 0) return { toolCalls: [{ name: tool, args: { amount: 1 }, id: '0' }] };
        if (answered === 1) return { toolCalls: [{ name: tool, args: { amount: 2 }, id: '0' }, { name: tool, args: { amount: 3 }, id: '0' }] };
        return `done: ${(turn.body.messages as any[]).filter((m) => m.role === 'tool').map((m) => String(m.content)).join(',')}`;
      };
      const id = await start(f.name, 'refund three times');
      const seen: number[] = [];
      for (let i = 0; i < 3; i++) {
        // The next call's own approval, or the run's end when a call took another's.
        const next = await waitUntil(async () => {
          const pending = (await f.t.call('GET', `/v1/approvals?run=${id}&status=pending`)).json<{ data: any[] }>().data[0];
          if (pending) return { approval: pending };
          const r = await getRun(id);
          return ['succeeded', 'failed'].includes(r.status) ? { run: r } : null;
        }, { timeoutMs: 30_000, what: 'the next approval' });
        assert.ok(next.approval, `call ${i + 1} waited for its own approval (the run ended: ${JSON.stringify(next.run?.output ?? next.run?.error)})`);
        seen.push(next.approval.payload.args.amount);
        assert.equal((await f.t.call('POST', `/v1/approvals/${next.approval.id}/approve`, { body: {} })).statusCode, 200);
        await serveOnce(`${f.name}-refund`, (input) => ({ refunded: input.amount }));
      }
      assert.deepEqual(seen, [1, 2, 3]);
      const run = await finished(id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.equal(run.output.text, 'done: {"refunded":1},{"refunded":2},{"refunded":3}');
      const children = (await f.t.call('GET', `/v1/runs/${id}/children`)).json<{ data: any[] }>().data;
      // Each child under its own key (the SDK may already rename a repeat within one response).
      const keys = children.map((c) => c.call_key).sort();
      assert.equal(new Set(keys).size, 3);
      assert.deepEqual(keys.slice(0, 2), ['tool:s1-0', 'tool:s2-0']);
      assert.match(keys[2], /^tool:s2-/);
      const approvals = (await f.t.call('GET', `/v1/approvals?run=${id}`)).json<{ data: any[] }>().data;
      assert.equal(new Set(approvals.map((a) => a.key)).size, 3);
    });

    it('an approval rule on the arguments gates only the calls it holds for', async () => {
      await deploy(workerAgent(`${f.name}-refund`));
      await deploy(llmAgent(f.name, { tools: [{ agent: `${f.name}-refund`, endpoint: 'issue', approval: 'amount > 100' }] }));
      openai.script = (turn) => (turn.toolResults.length > 0 ? `ok ${turn.toolResults[0].text}` : { toolCalls: [{ name: `${f.name}-refund_issue`, args: { amount: Number(turn.userText) } }] });
      const small = await start(f.name, '42');
      await serveOnce(`${f.name}-refund`, () => ({ refunded: true }));
      assert.equal((await finished(small)).status, 'succeeded');
      assert.equal((await f.t.call('GET', `/v1/approvals?run=${small}`)).json().data.length, 0);
      const big = await start(f.name, '500');
      const a = await pendingApproval(big);
      assert.deepEqual(a.payload.args, { amount: 500 });
      await f.t.call('POST', `/v1/approvals/${a.id}/reject`, { body: { reason: 'too much' } });
      assert.equal((await finished(big)).status, 'succeeded');
    });

    it('a tool reply over the cap reaches the model as an error, not as the reply', async () => {
      await deploy(workerAgent(`${f.name}-refund`));
      await deploy(llmAgent(f.name, { tools: [{ agent: `${f.name}-refund`, endpoint: 'issue' }] }));
      const id = await start(f.name, 'refund please');
      await serveOnce(`${f.name}-refund`, () => ({ blob: 'x'.repeat(70_000) }));
      const run = await finished(id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.match(run.output.text, /tool_result_too_large/);
      const result = (await events(id)).find((e) => e.type === 'run.tool_result')!;
      assert.equal(result.data.error.code, 'tool_result_too_large');
    });

    it('max_steps caps the model calls of a run', async () => {
      await deploy(workerAgent(`${f.name}-refund`));
      await deploy(llmAgent(f.name, { tools: [{ agent: `${f.name}-refund`, endpoint: 'issue' }], limits: { max_steps: 1 } }));
      const id = await start(f.name, 'refund please');
      await serveOnce(`${f.name}-refund`, () => ({ refunded: true }));
      const run = await finished(id);
      assert.equal(run.error?.type, 'budget_exceeded');
      assert.equal(run.error.details.limit, 'max_steps');
    });
  });
}
