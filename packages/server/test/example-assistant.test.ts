/**
 * examples/assistant end to end, on both databases, as its README runs it, against the fake
 * model (test/helpers/fake-llm.ts) instead of Ollama: the example's own MCP server
 * (examples/assistant/docs-server.ts, a real `@modelcontextprotocol/server` over Streamable HTTP)
 * registered as `docs`, examples/approval's refund agent and the assistant deployed from their
 * YAML files; a run whose model searches the docs through the MCP tool, then calls the gated
 * refund tool, which waits for its approval; approved, the refund child run is served and the
 * run succeeds with the answer, its tokens and cost in GET /v1/usage.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';
import { waitUntil } from './helpers/server-process.ts';
import { FakeLlm } from './helpers/fake-llm.ts';
import { EgressPolicy } from '../src/egress/index.ts';
import { startDocsServer, type DocsServer } from '../../../examples/assistant/docs-server.ts';

const KEY = 'sk-example-assistant';
const EXAMPLES = resolve(import.meta.dirname, '../../../examples');
const yaml = (path: string) => readFileSync(resolve(EXAMPLES, path), 'utf8');

for (const d of await dialects()) {
  describe(`examples/assistant (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let docs: DocsServer;
    const model = new FakeLlm({ apiKey: KEY });

    before(async () => {
      await model.start();
      docs = await startDocsServer();
      db = await d.create();
      // agentd.yaml's `server: egress_allow: [127.0.0.1]`, and its alias `local` on the fake model.
      t = await startTestApp(db, {
        webhooks: { egress: new EgressPolicy(['127.0.0.1']) },
        models: { local: { provider: 'openai-compatible', base_url: model.baseUrl, model: 'fake-1', api_key_secret: 'local_model_key', prices: { input: 1, output: 2 } } },
        llm: { pollIntervalMs: 50 },
      });
      t.engine.llm.start();
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
      await docs?.close();
      await model.stop();
    });

    const deployYaml = async (path: string) => {
      const r = await t.call('POST', '/v1/agents', { body: yaml(path), headers: { 'content-type': 'application/yaml' } });
      assert.equal(r.statusCode, 201, r.body);
      return r.json();
    };

    it('the MCP docs tool, the gated refund approved, the answer and its usage', async () => {
      assert.equal((await t.call('POST', '/v1/secrets', { body: { name: 'local_model_key', value: KEY } })).statusCode, 201);
      const reg = await t.call('POST', '/v1/mcp-servers', { body: { name: 'docs', url: docs.url, description: 'help-centre articles' } });
      assert.equal(reg.statusCode, 201, reg.body);
      assert.deepEqual(reg.json().tools.map((x: { name: string }) => x.name), ['search_docs']);
      await deployYaml('approval/agent.yaml');
      const assistant = await deployYaml('assistant/agent.yaml');
      assert.deepEqual(assistant.manifest.spec.tools.map((x: Record<string, unknown>) => Object.keys(x)[0]), ['agent', 'http_fetch', 'mcp_server']);

      // A model that searches the docs first, then refunds, then answers with what it learnt.
      model.script = (turn) => {
        const results = (turn.body.messages as { role: string; content: unknown }[]).filter((m) => m.role === 'tool').map((m) => String(m.content));
        if (results.length === 0) return { text: 'Let me check the policy.', toolCalls: [{ name: 'docs_search_docs', args: { query: 'refund days' }, id: 'search' }] };
        if (results.length === 1) return { toolCalls: [{ name: 'refund_issue', args: { amount: 42 }, id: 'refund' }] };
        return `Done: refunded. ${/5 working days/.test(results[0]) ? 'It reaches your card within 5 working days.' : 'no policy found'}`;
      };
      const from = model.chatRequests().length;
      const created = await t.call('POST', '/v1/runs', { body: { agent: 'assistant', endpoint: 'chat', input: { message: 'How long do refunds take? Then refund 42 euros for order 17.' } } });
      assert.equal(created.statusCode, 201, created.body);
      const id = created.json().id as string;

      const approval = await waitUntil(async () => (await t.call('GET', `/v1/approvals?run=${id}&status=pending`)).json().data[0], { timeoutMs: 30_000, what: 'the refund call to wait for its approval' });
      assert.equal(approval.payload.tool, 'refund_issue');
      assert.deepEqual(approval.payload.args, { amount: 42 });
      const waiting = (await t.call('GET', `/v1/runs/${id}`)).json();
      assert.deepEqual([waiting.status, waiting.waiting_reason], ['waiting', 'approval']);
      assert.deepEqual(docs.calls, ['refund days'], 'the MCP server ran the search once');
      const first = model.chatRequests()[from];
      const offered = first.body.tools.find((x: any) => x.function.name === 'docs_search_docs');
      assert.ok(offered, `docs_search_docs offered among ${first.body.tools.map((x: any) => x.function.name)}`);
      assert.deepEqual(offered.function.parameters.required, ['query']);
      assert.ok(!('$schema' in offered.function.parameters), 'no $schema key sent to the model');

      assert.equal((await t.call('POST', `/v1/approvals/${approval.id}/approve`, { body: { comment: 'ok' } })).statusCode, 200);
      // The refund worker (examples/approval) would ask for its own approval; here it answers at once.
      const task = await waitUntil(async () => (await t.call('POST', '/v1/worker/lease', { body: { agent: 'refund', wait_ms: 0, max_tasks: 1 } })).json().tasks[0], { timeoutMs: 30_000, what: 'the refund child run' });
      assert.deepEqual(task.input, { amount: 42 });
      assert.equal((await t.call('POST', `/v1/leases/${task.lease_id}/complete`, { body: { output: { refunded: true, token_used: true, decided_by: null, note: null } } })).statusCode, 200);

      const run = await waitUntil(async () => {
        const r = (await t.call('GET', `/v1/runs/${id}`)).json();
        return ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(r.status) ? r : null;
      }, { timeoutMs: 30_000, what: 'the run to end' });
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.equal(run.output.text, 'Done: refunded. It reaches your card within 5 working days.');
      assert.equal(run.output.usage.steps, 3);
      assert.deepEqual(docs.calls, ['refund days'], 'the recorded search was not made again after the wait');

      const events = (await t.call('GET', `/v1/runs/${id}/events?limit=1000`, { headers: { accept: 'application/json' } })).json().data as { type: string; data: any }[];
      const results = events.filter((e) => e.type === 'run.tool_result');
      assert.deepEqual(results.map((e) => [e.data.tool, e.data.ok]), [['docs_search_docs', true], ['refund_issue', true]]);
      assert.match(JSON.stringify(results[0].data.output), /Refund policy/);

      const usage = (await t.call('GET', '/v1/usage?agent=assistant')).json();
      assert.ok(usage.totals.input_tokens > 0 && usage.totals.output_tokens > 0, JSON.stringify(usage.totals));
      assert.equal(usage.totals.steps, 3);
      assert.ok(usage.totals.cost_micros > 0, JSON.stringify(usage.totals));
    });
  });
}
