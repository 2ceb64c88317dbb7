/**
 * The LLM runtime's retries, usage and budgets, on both databases, against the fake provider:
 * 429 and 5xx retried; a response without usage (or with part of it) failing closed against a
 * budget; a token budget and the output estimate stopping a call before it is made; a provider
 * error echoing the API key redacted.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects } from './helpers/dialects.ts';
import { defaultScript, type FakeScript } from './helpers/fake-llm.ts';
import { llmAgent, workerAgent, KEY, useLlmRuntime } from './helpers/llm-runtime-fixture.ts';
import { DEFAULT_OUTPUT_ESTIMATE_TOKENS } from '../src/llm/llm-loop.ts';

for (const d of await dialects()) {
  describe(`LLM runtime: retries, usage and budgets (${d.name})`, { skip: d.skip }, () => {
    const f = useLlmRuntime(d);
    const { openai, anthropic, deploy, start, finished, events, requestsSince, serveOnce } = f;

    it('429 and 5xx answers are retried (Retry-After honoured) and the run succeeds', async () => {
      await deploy(llmAgent(f.name, {}));
      let calls = 0;
      openai.script = (turn) => {
        calls++;
        if (calls === 1) return { status: 429, retryAfter: '0' };
        if (calls === 2) return { status: 503, retryAfter: '0' };
        return defaultScript(turn);
      };
      const id = await start(f.name, 'retry me');
      const run = await finished(id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.equal(calls, 3);
      assert.equal(run.attempts, 1, 'retried inside the step, not as a new attempt');
    });

    it('a response without usage fails closed against a token budget (budget_exceeded), and counts as unknown without one', async () => {
      await deploy(workerAgent(`${f.name}-refund`));
      await deploy(llmAgent(f.name, { tools: [{ agent: `${f.name}-refund`, endpoint: 'issue' }], limits: { max_total_tokens: 100000 } }));
      const noUsage: FakeScript = (turn) => ({ ...(typeof defaultScript(turn) === 'string' ? { text: defaultScript(turn) as string } : (defaultScript(turn) as object)), usage: false });
      openai.script = noUsage;
      const from = openai.chatRequests().length;
      const id = await start(f.name, 'refund please');
      await serveOnce(`${f.name}-refund`, () => ({ refunded: true }));
      const run = await finished(id);
      assert.equal(run.status, 'failed');
      assert.equal(run.error.type, 'budget_exceeded');
      assert.equal(run.error.details.limit, 'usage_missing');
      assert.equal(requestsSince(openai, from).length, 1, 'no model call after the one without usage');
      const step = (await events(id)).find((e) => e.type === 'run.llm.step')!;
      assert.equal(step.data.usage, null);

      await deploy(llmAgent(`${f.name}-free`, {}));
      const id2 = await start(`${f.name}-free`, 'hello');
      const run2 = await finished(id2);
      assert.equal(run2.status, 'succeeded');
      assert.equal(run2.output.usage.steps_without_usage, 1);
    });

    // (Anthropic always sends output_tokens in message_start; the SDK's own counts are judged there.)

    for (const protocol of ['openai'] as const) {
      it(`a response with only part of its usage (${protocol}: no output count) is usage missing, never zero output`, async () => {
        await deploy(workerAgent(`${f.name}-refund`));
        await deploy(llmAgent(f.name, { model: protocol === 'openai' ? 'fake' : 'claude', tools: [{ agent: `${f.name}-refund`, endpoint: 'issue' }], limits: { max_total_tokens: 100000 } }));
        const fake = protocol === 'openai' ? openai : anthropic;
        fake.script = (turn) => ({ ...(typeof defaultScript(turn) === 'string' ? { text: defaultScript(turn) as string } : (defaultScript(turn) as object)), usage: 'input_only' });
        const from = fake.chatRequests().length;
        const id = await start(f.name, 'refund please');
        await serveOnce(`${f.name}-refund`, () => ({ refunded: true }));
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
      await deploy(llmAgent(f.name, { limits: { max_total_tokens: 5 } }));
      const from = openai.chatRequests().length;
      const id = await start(f.name, 'a message whose prompt is more than five tokens long');
      const run = await finished(id);
      assert.equal(run.status, 'failed');
      assert.equal(run.error.type, 'budget_exceeded');
      assert.equal(run.error.details.limit, 'max_total_tokens');
      assert.equal(requestsSince(openai, from).length, 0, 'no model call');
    });

    it('without max_output_tokens the answer is estimated at DEFAULT_OUTPUT_ESTIMATE_TOKENS: a call whose prompt fits but whose answer may not is refused', async () => {
      await deploy(llmAgent(f.name, { limits: { max_total_tokens: DEFAULT_OUTPUT_ESTIMATE_TOKENS / 2 } }));
      const from = openai.chatRequests().length;
      const id = await start(f.name, 'hi');
      const run = await finished(id);
      assert.equal(run.status, 'failed', JSON.stringify(run.output));
      assert.equal(run.error.type, 'budget_exceeded');
      assert.equal(run.error.details.limit, 'max_total_tokens');
      assert.ok(run.error.details.estimate > DEFAULT_OUTPUT_ESTIMATE_TOKENS, JSON.stringify(run.error.details));
      assert.equal(requestsSince(openai, from).length, 0, 'no model call');
      // With max_output_tokens set, that is the answer's estimate.
      await deploy(llmAgent(`${f.name}-capped`, { limits: { max_total_tokens: DEFAULT_OUTPUT_ESTIMATE_TOKENS / 2, max_output_tokens: 64 } }));
      const ok = await finished(await start(`${f.name}-capped`, 'hi'));
      assert.equal(ok.status, 'succeeded', JSON.stringify(ok.error));
    });

    it("a provider error that echoes the alias's API key fails the run with the key redacted, in every form", async () => {
      await deploy(llmAgent(f.name, {}));
      openai.script = () => ({ status: 400, errorMessage: `invalid request for key ${KEY} (url: https://gw.test/?key=${encodeURIComponent(KEY)}, json: ${JSON.stringify(JSON.stringify(KEY))})` });
      const run = await finished(await start(f.name, 'hello'));
      assert.equal(run.status, 'failed');
      assert.equal(run.error.type, 'model_error');
      const text = JSON.stringify(run.error);
      assert.ok(!text.includes(KEY) && !text.includes(encodeURIComponent(KEY)), text);
      assert.match(run.error.message, /\[redacted:fake_key\]/);
      assert.ok(!JSON.stringify(await events(run.id)).includes(KEY), 'nor in any event');
    });
  });
}
