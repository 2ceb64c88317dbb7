/**
 * The LLM loop survives its holder dying, on both databases:
 * - a real server process kill -9'd while the model streams its second step: the run is leased
 *   again after restart, rebuilt from its events, and finishes without repeating the recorded
 *   tool call (one child run; the model's retried request carries the recorded result);
 * - a server kill -9'd while a run is parked on a tool approval: the run held no lease, so after
 *   the restart the decision puts it straight back in the queue, and it finishes without asking
 *   the recorded step again or running the tool twice;
 * - a non-idempotent tool in flight when the runner stops: the next holder tells the model the
 *   call's outcome is unknown instead of calling it again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { killAllChildren, startServerProcess, waitUntil, type ServerProcess } from './helpers/server-process.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';
import { FakeLlm } from './helpers/fake-llm.ts';
import type { ToolFactory, ToolRunner } from '../src/tools/index.ts';

const KEY = 'sk-durability';

const refundAgent = {
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name: 'refund' },
  spec: { runtime: 'worker', endpoints: { issue: { input: { type: 'object', properties: { amount: { type: 'number' } }, required: ['amount'] }, timeout: '1m', retry: { max_attempts: 1 } } } },
};
const assistant = (tools: unknown[]) => ({ apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name: 'assistant' }, spec: { runtime: 'llm', model: 'fake', instructions: 'Be brief.', tools, limits: { timeout: '5m' } } });

for (const d of await dialects()) {
  describe(`LLM loop: kill -9 mid-loop (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let dataDir: string;
    let server: ServerProcess;
    const fake = new FakeLlm({ apiKey: KEY });

    before(async () => {
      await fake.start();
      db = await d.create();
      dataDir = d.name === 'sqlite' ? db.location : mkdtempSync(join(tmpdir(), 'agentd-llm-crash-'));
      // agentd serve --config with a models: section; a short LLM lease, so a killed node's run goes on soon.
      const config = join(mkdtempSync(join(tmpdir(), 'agentd-llm-config-')), 'agentd.yaml');
      writeFileSync(config, `models:\n  fake:\n    provider: openai-compatible\n    base_url: ${fake.baseUrl}\n    model: fake-1\n    api_key_secret: model_key\n`);
      server = await startServerProcess({ dataDir, databaseUrl: d.name === 'postgres' ? db.location : undefined, args: ['--config', config], env: { AGENTD_LLM_LEASE_TTL: '1500ms', AGENTD_LLM_POLL_INTERVAL: '50ms' } });
    });
    after(async () => {
      await server?.stop();
      await killAllChildren();
      await fake.stop();
      await db?.cleanup();
      if (d.name === 'postgres' && dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    it('finishes after a restart without making the recorded tool call again', async () => {
      assert.equal((await server.api('POST', '/v1/secrets', { name: 'model_key', value: KEY })).status, 201);
      assert.equal((await server.api('POST', '/v1/agents', refundAgent)).status, 201);
      assert.equal((await server.api('POST', '/v1/agents', assistant([{ agent: 'refund', endpoint: 'issue' }]))).status, 201);
      let second = 0;
      fake.script = (turn) => {
        if (turn.toolResults.length === 0) return { text: 'Refunding.', toolCalls: [{ name: 'refund_issue', args: { amount: 5 }, id: 'call_refund_1' }] };
        second++;
        // The first holder's second step never ends: it is killed while this streams.
        return second === 1 ? { text: 'All done, refunded.', holdMs: 60_000 } : { text: `All done: ${turn.toolResults[0].text}` };
      };
      const r = await server.api('POST', '/v1/runs', { agent: 'assistant', endpoint: 'chat', input: { message: 'refund 5' } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const id = r.body.id as string;
      // Serve the child (the refund) as a worker would.
      const task = await waitUntil(async () => (await server.api('POST', '/v1/worker/lease', { agent: 'refund', wait_ms: 0, max_tasks: 1 })).body.tasks?.[0], { timeoutMs: 30_000, what: 'the refund child run' });
      assert.equal((await server.api('POST', `/v1/leases/${task.lease_id}/complete`, { output: { refunded: 5 } })).status, 200);
      await waitUntil(() => second === 1, { timeoutMs: 30_000, what: 'the second model step to start' });
      const before = (await server.api('GET', `/v1/runs/${id}/events?limit=1000`)).body.data as { type: string }[];
      assert.ok(before.some((e) => e.type === 'run.tool_result'), 'the tool result was recorded before the crash');
      assert.equal((await server.kill('SIGKILL'))?.signal, 'SIGKILL');

      await server.start();
      const run = await waitUntil(async () => {
        const got = (await server.api('GET', `/v1/runs/${id}`)).body;
        return ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(got.status) ? got : null;
      }, { timeoutMs: 60_000, what: 'the run to finish after the restart' });
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.equal(run.output.text, 'All done: {"refunded":5}');
      // Parked while its child ran, leased again, killed mid-step, its lease expired and retried.
      assert.equal(run.attempts, 3);
      const attempts = (await server.api('GET', `/v1/runs/${id}/attempts`)).body.data.map((a: { outcome: string }) => a.outcome);
      assert.deepEqual(attempts, ['parked', 'lease_expired', 'succeeded']);
      assert.equal(second, 2, 'the interrupted step was asked again, once');
      const children = (await server.api('GET', `/v1/runs/${id}/children`)).body.data as unknown[];
      assert.equal(children.length, 1, 'one refund child run only');
      const events = (await server.api('GET', `/v1/runs/${id}/events?limit=1000`)).body.data as { type: string; data: any }[];
      assert.equal(events.filter((e) => e.type === 'run.tool_call').length, 1);
      assert.equal(events.filter((e) => e.type === 'run.tool_started').length, 1);
      assert.equal(events.filter((e) => e.type === 'run.tool_result').length, 1);
      // The retried request carried the recorded call and its result.
      const last = fake.chatRequests().at(-1)!;
      const tool = last.body.messages.find((m: any) => m.role === 'tool');
      assert.equal(tool.tool_call_id, 's1-call_refund_1');
      assert.match(String(tool.content), /"refunded":5/);
      // Usage: each recorded step counted once (the killed step never finished, so not at all).
      const steps = events.filter((e) => e.type === 'run.llm.step');
      assert.equal(steps.length, 2);
      const report = (await server.api('GET', '/v1/usage?agent=assistant')).body;
      assert.equal(report.totals.total_tokens, steps.reduce((n, e) => n + e.data.usage.total_tokens, 0));
    });
  });

  describe(`LLM loop: kill -9 while parked on an approval (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let dataDir: string;
    let server: ServerProcess;
    const fake = new FakeLlm({ apiKey: KEY });

    before(async () => {
      await fake.start();
      db = await d.create();
      dataDir = d.name === 'sqlite' ? db.location : mkdtempSync(join(tmpdir(), 'agentd-llm-park-'));
      const config = join(mkdtempSync(join(tmpdir(), 'agentd-llm-config-')), 'agentd.yaml');
      writeFileSync(config, `models:\n  fake:\n    provider: openai-compatible\n    base_url: ${fake.baseUrl}\n    model: fake-1\n    api_key_secret: model_key\n`);
      // A long LLM lease: a run that held one when the server died would wait all of it out.
      server = await startServerProcess({ dataDir, databaseUrl: d.name === 'postgres' ? db.location : undefined, args: ['--config', config], env: { AGENTD_LLM_LEASE_TTL: '10m', AGENTD_LLM_POLL_INTERVAL: '50ms' } });
    });
    after(async () => {
      await server?.stop();
      await killAllChildren();
      await fake.stop();
      await db?.cleanup();
      if (d.name === 'postgres' && dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    it('a parked run holds nothing: after the restart its approval resumes it at once, the recorded step is not asked again, the tool runs once', async () => {
      assert.equal((await server.api('POST', '/v1/secrets', { name: 'model_key', value: KEY })).status, 201);
      assert.equal((await server.api('POST', '/v1/agents', refundAgent)).status, 201);
      assert.equal((await server.api('POST', '/v1/agents', assistant([{ agent: 'refund', endpoint: 'issue', approval: 'always' }]))).status, 201);
      let asked = 0;
      fake.script = (turn) => {
        asked++;
        return turn.toolResults.length === 0 ? { text: 'Refunding.', toolCalls: [{ name: 'refund_issue', args: { amount: 7 }, id: 'call_gated' }] } : `Refunded: ${turn.toolResults[0].text}`;
      };
      const r = await server.api('POST', '/v1/runs', { agent: 'assistant', endpoint: 'chat', input: { message: 'refund 7' } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const id = r.body.id as string;
      const approval = await waitUntil(async () => (await server.api('GET', `/v1/approvals?run=${id}&status=pending`)).body.data?.[0], { timeoutMs: 30_000, what: 'the approval' });
      const parked = await waitUntil(async () => {
        const got = (await server.api('GET', `/v1/runs/${id}/attempts`)).body.data as { outcome: string }[];
        return got.length === 1 && got[0].outcome === 'parked' ? got : null;
      }, { timeoutMs: 30_000, what: 'the run to park' });
      assert.equal(parked.length, 1);
      assert.equal((await server.kill('SIGKILL'))?.signal, 'SIGKILL');

      await server.start();
      assert.equal((await server.api('GET', `/v1/runs/${id}`)).body.status, 'waiting');
      assert.equal((await server.api('POST', `/v1/approvals/${approval.id}/approve`, { comment: 'ok' })).status, 200);
      // Leased again at once (no lease of the dead server's to run out): the child comes well inside the 10 min TTL.
      const task = await waitUntil(async () => (await server.api('POST', '/v1/worker/lease', { agent: 'refund', wait_ms: 0, max_tasks: 1 })).body.tasks?.[0], { timeoutMs: 30_000, what: 'the refund child run' });
      assert.equal((await server.api('POST', `/v1/leases/${task.lease_id}/complete`, { output: { refunded: 7 } })).status, 200);
      const run = await waitUntil(async () => {
        const got = (await server.api('GET', `/v1/runs/${id}`)).body;
        return ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(got.status) ? got : null;
      }, { timeoutMs: 60_000, what: 'the run to finish' });
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.equal(run.output.text, 'Refunded: {"refunded":7}');
      assert.equal(asked, 2, 'the recorded step was not asked again');
      const attempts = (await server.api('GET', `/v1/runs/${id}/attempts`)).body.data.map((a: { outcome: string }) => a.outcome);
      assert.deepEqual(attempts, ['parked', 'parked', 'succeeded'], 'parked on the approval, then on the child; no lease ran out');
      assert.equal(((await server.api('GET', `/v1/runs/${id}/children`)).body.data as unknown[]).length, 1);
      const events = (await server.api('GET', `/v1/runs/${id}/events?limit=1000`)).body.data as { type: string }[];
      assert.equal(events.filter((e) => e.type === 'run.tool_started').length, 1);
      assert.equal(events.filter((e) => e.type === 'run.tool_result').length, 1);
    });
  });

  describe(`LLM loop: a non-idempotent tool in flight when the holder stops (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    const fake = new FakeLlm({ apiKey: null });
    let calls = 0;
    let release: () => void = () => undefined;
    let enter: () => void = () => undefined;
    const entered = new Promise<void>((done) => (enter = done));
    const tools: ToolFactory = {
      async create(): Promise<ToolRunner[]> {
        return [
          {
            spec: { name: 'charge', description: 'Charges a card.', inputSchema: { type: 'object', properties: { cents: { type: 'integer' } }, required: ['cents'] }, idempotent: false },
            async call(req) {
              calls++;
              enter();
              await new Promise<void>((done, fail) => {
                release = done;
                req.signal.addEventListener('abort', () => fail(req.signal.reason), { once: true });
              });
              return { ok: true, output: { charged: true } };
            },
          },
        ];
      },
    };

    before(async () => {
      await fake.start();
      db = await d.create();
      t = await startTestApp(db, { models: { fake: { provider: 'openai-compatible', base_url: fake.baseUrl, model: 'fake-1' } }, llm: { pollIntervalMs: 50, tools } });
      t.engine.llm.start();
    });
    after(async () => {
      release();
      await t?.close();
      await db?.cleanup();
      await fake.stop();
    });

    it('the model is told the outcome is unknown; the tool is not called again', async () => {
      fake.script = (turn) => (turn.toolResults.length > 0 ? `Noted: ${turn.toolResults[0].text}` : { toolCalls: [{ name: 'charge', args: { cents: 100 }, id: 'call_charge' }] });
      const m = { apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name: 'payer' }, spec: { runtime: 'llm', model: 'fake', tools: [{ http_fetch: { allow: ['pay.example'] } }] } };
      assert.equal((await t.call('POST', '/v1/agents', { body: m })).statusCode, 201);
      const r = await t.call('POST', '/v1/runs', { body: { agent: 'payer', endpoint: 'chat', input: { message: 'pay' } } });
      const id = r.json().id as string;
      await entered;
      // The holder goes away mid-call (its run is given back to the queue), then a new one starts.
      await t.engine.llm.stop();
      t.engine.llm.start();
      const run = await waitUntil(async () => {
        const got = (await t.call('GET', `/v1/runs/${id}`)).json();
        return got.status === 'succeeded' || got.status === 'failed' ? got : null;
      }, { timeoutMs: 30_000, what: 'the run to finish' });
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.equal(calls, 1, 'the tool ran once');
      assert.match(run.output.text, /outcome_unknown/);
    });
  });
}
