/**
 * The shared setup of the LLM runtime tests (llm-streaming, llm-tool-use, llm-budgets,
 * llm-config): one app on the dialect with the fake provider on both wire protocols (aliases
 * `fake`: OpenAI-compatible with prices and 3 retries, `claude`: Anthropic, `nokey`: a key secret
 * the vault does not have), the LLM runner started, a fresh agent name per test, and the helpers
 * the tests share. Call `useLlmRuntime(d)` inside a `describe`: it registers the hooks.
 */
import { after, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import type { DialectCase, TestDatabase } from './dialects.ts';
import { startTestApp, type TestApp } from './test-app.ts';
import { waitUntil } from './server-process.ts';
import { FakeLlm, defaultScript, type RecordedRequest } from './fake-llm.ts';

export const KEY = 'sk-fake-llm-runtime-key';

export const llmAgent = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name }, spec: { runtime: 'llm', model: 'fake', instructions: 'You are terse.', ...spec } });

export const workerAgent = (name: string) => ({
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name },
  spec: { runtime: 'worker', endpoints: { issue: { description: 'Refund an amount.', input: { type: 'object', properties: { amount: { type: 'number' } }, required: ['amount'] }, timeout: '1m', retry: { max_attempts: 1 } } } },
});

export interface LlmRuntimeFixture {
  /** The app (set by the suite's `before`). */
  readonly t: TestApp;
  /** This test's agent name (`a<n>`), new for every test. */
  readonly name: string;
  readonly openai: FakeLlm;
  readonly anthropic: FakeLlm;
  deploy(manifest: unknown): Promise<any>;
  /** Starts a run of `agent`'s chat endpoint with `{message}`; answers its id. */
  start(agent: string, message: string): Promise<string>;
  getRun(id: string): Promise<any>;
  finished(id: string): Promise<any>;
  events(id: string): Promise<{ type: string; data: any }[]>;
  requestsSince(fake: FakeLlm, from: number): RecordedRequest[];
  pendingApproval(runId: string): Promise<any>;
  /** Serves one run of a worker agent in-process through the lease API (as a worker would). */
  serveOnce(agent: string, output: (input: any) => unknown): Promise<any>;
}

export function useLlmRuntime(d: DialectCase): LlmRuntimeFixture {
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

  const getRun = async (id: string) => (await t.call('GET', `/v1/runs/${id}`)).json();
  return {
    get t() {
      return t;
    },
    get name() {
      return name;
    },
    openai,
    anthropic,
    deploy: async (m) => {
      const r = await t.call('POST', '/v1/agents', { body: m });
      assert.equal(r.statusCode, 201, r.body);
      return r.json();
    },
    start: async (agent, message) => {
      const r = await t.call('POST', '/v1/runs', { body: { agent, endpoint: 'chat', input: { message } } });
      assert.equal(r.statusCode, 201, r.body);
      return r.json<{ id: string }>().id;
    },
    getRun,
    finished: (id) =>
      waitUntil(async () => {
        const r = await getRun(id);
        return ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(r.status) ? r : null;
      }, { timeoutMs: 30_000, what: `run ${id} to end` }),
    events: async (id) => (await t.call('GET', `/v1/runs/${id}/events?limit=1000`, { headers: { accept: 'application/json' } })).json<{ data: { type: string; data: any }[] }>().data,
    requestsSince: (fake, from) => fake.chatRequests().slice(from),
    pendingApproval: (runId) => waitUntil(async () => (await t.call('GET', `/v1/approvals?run=${runId}&status=pending`)).json<{ data: any[] }>().data[0], { timeoutMs: 30_000, what: 'a pending approval' }),
    serveOnce: async (agent, output) => {
      const task = await waitUntil(async () => (await t.call('POST', '/v1/worker/lease', { body: { agent, wait_ms: 0, max_tasks: 1 } })).json<{ tasks: any[] }>().tasks[0], { timeoutMs: 30_000, what: `a run of ${agent}` });
      const r = await t.call('POST', `/v1/leases/${task.lease_id}/complete`, { body: { output: output(task.input) } });
      assert.equal(r.statusCode, 200, r.body);
      return task;
    },
  };
}
