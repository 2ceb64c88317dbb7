/**
 * The LLM runtime's configuration and output checks, on both databases, against the fake
 * provider: structured output (spec.output) asked again until it fits; a missing key secret, an
 * unknown alias and an unregistered MCP server failing the run (llm_config); an endpoint output
 * schema refusing the answer (output_invalid); manifest validation naming the bad fields.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects } from './helpers/dialects.ts';
import { llmAgent, useLlmRuntime } from './helpers/llm-runtime-fixture.ts';

for (const d of await dialects()) {
  describe(`LLM runtime: configuration and output (${d.name})`, { skip: d.skip }, () => {
    const f = useLlmRuntime(d);
    const { openai, deploy, start, finished, requestsSince } = f;

    it('structured output: the answer is validated against spec.output and the model asked again when it does not fit', async () => {
      await deploy(llmAgent(f.name, { output: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } }));
      let round = 0;
      openai.script = () => (++round === 1 ? 'not json' : '```json\n{"n": 7}\n```');
      const id = await start(f.name, 'a number');
      const run = await finished(id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.deepEqual(run.output.data, { n: 7 });
      assert.equal(round, 2);
    });

    it('a missing key secret, an unknown alias and an unregistered MCP server fail the run with a clear error; http_fetch is offered', async () => {
      await deploy(llmAgent(`${f.name}-k`, { model: 'nokey' }));
      const r1 = await finished(await start(`${f.name}-k`, 'x'));
      assert.equal(r1.error.type, 'llm_config');
      assert.match(r1.error.message, /missing_key/);
      await deploy(llmAgent(`${f.name}-u`, { model: 'nosuch' }));
      const r2 = await finished(await start(`${f.name}-u`, 'x'));
      assert.match(r2.error.message, /no model alias "nosuch"/);
      await deploy(llmAgent(`${f.name}-m`, { tools: [{ mcp_server: 'docs' }] }));
      const r4 = await finished(await start(`${f.name}-m`, 'x'));
      assert.equal(r4.error.type, 'llm_config');
      assert.match(r4.error.message, /no MCP server "docs"/);
      await deploy(llmAgent(`${f.name}-h`, { tools: [{ http_fetch: { allow: ['docs.example.com'] } }] }));
      const from = openai.chatRequests().length;
      const r3 = await finished(await start(`${f.name}-h`, 'x'));
      assert.equal(r3.status, 'succeeded', JSON.stringify(r3.error));
      assert.deepEqual(requestsSince(openai, from)[0].body.tools.map((x: any) => x.function.name), ['http_fetch']);
    });

    it("an answer the endpoint's own output schema refuses fails the run for good (output_invalid)", async () => {
      await deploy(llmAgent(f.name, { endpoints: { chat: { input: { type: 'object' }, output: { type: 'object', required: ['verdict'] }, retry: { max_attempts: 3 } } } }));
      const run = await finished(await start(f.name, 'hi'));
      assert.equal(run.status, 'failed');
      assert.equal(run.error.type, 'output_invalid');
      assert.equal(run.attempts, 1);
    });

    it('manifest validation names the field of a bad LLM spec', async () => {
      const r = await f.t.call('POST', '/v1/agents', { body: llmAgent(f.name, { model: '', tools: [{ agent: 'x' }, { http_fetch: { allow: [] } }, { nope: 1 }], limits: { max_steps: 0 }, approval: 'x' }) });
      assert.equal(r.statusCode, 422);
      const paths = r.json().error.details.map((p: any) => p.path);
      for (const p of ['spec.model', 'spec.tools.0.endpoint', 'spec.tools.1.http_fetch.allow', 'spec.tools.2', 'spec.limits.max_steps', 'spec.approval']) assert.ok(paths.includes(p), `${p} in ${paths}`);
      const bad = await f.t.call('POST', '/v1/agents', { body: llmAgent(f.name, { tools: [{ agent: 'x', endpoint: 'y', approval: 'amount >' }] }) });
      assert.equal(bad.statusCode, 422);
      assert.equal(bad.json().error.details[0].path, 'spec.tools.0.approval');
    });
  });
}
