/**
 * Running workflows through the HTTP API on both databases, with the worker protocol driven by
 * hand: a start creates a `running` workflow run and its first child run; each child's end starts
 * the next step in its transaction; an approval gate waits (run `waiting`, the approval pending on
 * the workflow run); approve and reject; a failed step fails the workflow; cancel cascades; start
 * errors (unknown workflow, bad input).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';
import { deployPipelineAgents } from './helpers/workflow-fixtures.ts';

/** research → draft → review (a gate) → publish if approved; no wait steps, no fan-out. */
function gatedWorkflow(name: string): Record<string, any> {
  return {
    apiVersion: 'agentd.dev/v1',
    kind: 'Workflow',
    metadata: { name },
    spec: {
      input: { type: 'object', properties: { topic: { type: 'string' } }, required: ['topic'] },
      steps: [
        { id: 'research', agent: 'researcher', endpoint: 'research', input: { topic: '{% input.topic %}' } },
        { id: 'draft', needs: ['research'], agent: 'writer', endpoint: 'draft', input: { notes: '{% steps.research.output.notes %}' }, retry: { max_attempts: 1 } },
        { id: 'review', needs: ['draft'], approval: { prompt: 'Publish {% steps.draft.output.title %}?', on_timeout: 'reject' } },
        { id: 'publish', needs: ['review'], if: 'steps.review.output.approved', agent: 'publisher', endpoint: 'publish', input: { title: '{% steps.draft.output.title %}' } },
      ],
    },
  };
}

for (const d of await dialects()) {
  describe(`workflow runs (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;

    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      await deployPipelineAgents(t);
      for (const name of ['gated', 'gated-reject', 'gated-fail', 'gated-cancel']) {
        const r = await t.call('POST', '/v1/workflows', { body: gatedWorkflow(name) });
        assert.equal(r.statusCode, 201, r.body);
      }
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    const getRun = async (id: string) => (await t.call('GET', `/v1/runs/${id}`)).json();
    const children = async (id: string) => (await t.call('GET', `/v1/runs/${id}/children`)).json().data as { id: string; step: string; status: string; call_key: string; input: unknown }[];
    const events = async (id: string) => (await t.call('GET', `/v1/runs/${id}/events?limit=1000`, { headers: { accept: 'application/json' } })).json().data as { type: string; data: any }[];
    const lease = async (agent: string) => {
      const tasks = (await t.call('POST', '/v1/worker/lease', { body: { agent, wait_ms: 0 } })).json().tasks;
      assert.equal(tasks.length, 1, `one ${agent} task`);
      return tasks[0] as { lease_id: string; run_id: string; input: any };
    };
    const complete = async (agent: string, output: unknown) => {
      const task = await lease(agent);
      const r = await t.call('POST', `/v1/leases/${task.lease_id}/complete`, { body: { output } });
      assert.equal(r.statusCode, 200, r.body);
      return task;
    };
    const start = async (name: string, input: unknown = { topic: 'tides' }) => {
      const r = await t.call('POST', `/v1/workflows/${name}/runs`, { body: { input } });
      assert.equal(r.statusCode, 201, r.body);
      return r.json();
    };
    const pendingGate = async (runId: string) => (await t.call('GET', `/v1/approvals?status=pending&run=${runId}`)).json().data as { id: string; run_id: string; prompt: string; source: string }[];

    it('runs step by step: one child per agent step, the gate waits, approve publishes, the run succeeds with the leaf outputs', async () => {
      const run = await start('gated');
      assert.equal(run.kind, 'workflow');
      assert.equal(run.agent, 'gated');
      assert.equal(run.agent_version, 1);
      assert.equal(run.endpoint, 'run');
      assert.equal(run.status, 'running');
      let kids = await children(run.id);
      assert.deepEqual(kids.map((k) => [k.step, k.call_key, k.status]), [['research', 'step:research', 'queued']]);
      assert.deepEqual(kids[0].input, { topic: 'tides' });

      const research = await complete('researcher', { notes: ['high', 'low'] });
      assert.equal(research.run_id, kids[0].id);
      kids = await children(run.id);
      const draft = kids.find((k) => k.step === 'draft')!;
      assert.deepEqual(draft.input, { notes: ['high', 'low'] });
      await complete('writer', { title: 'Tides' });

      const waiting = await getRun(run.id);
      assert.equal(waiting.status, 'waiting');
      assert.equal(waiting.waiting_reason, 'approval');
      const [gate] = await pendingGate(run.id);
      assert.equal(gate.run_id, run.id);
      assert.equal(gate.prompt, 'Publish Tides?');
      assert.equal(gate.source, 'workflow');

      const ok = await t.call('POST', `/v1/approvals/${gate.id}/approve`, { body: { comment: 'ship it' } });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal((await getRun(run.id)).status, 'running');
      kids = await children(run.id);
      assert.deepEqual(kids.find((k) => k.step === 'publish')!.input, { title: 'Tides' });
      await complete('publisher', { url: 'https://x/tides' });

      const done = await getRun(run.id);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.deepEqual(done.output, { publish: { url: 'https://x/tides' } }, 'no output template: the leaf steps by id');
      kids = await children(run.id);
      assert.deepEqual(kids.map((k) => k.step).sort(), ['draft', 'publish', 'research']);
      assert.ok(kids.every((k) => k.status === 'succeeded'));
      const types = (await events(run.id)).map((e) => e.type);
      assert.deepEqual(types.slice(0, 2), ['run.queued', 'run.started']);
      assert.equal(types.filter((x) => x === 'workflow.step.started').length, 4);
      assert.equal(types.filter((x) => x === 'workflow.step.succeeded').length, 4);
      assert.equal(types.at(-1), 'run.succeeded');
      assert.equal(types.filter((x) => x.startsWith('run.') && ['run.succeeded', 'run.failed', 'run.cancelled', 'run.timed_out'].includes(x)).length, 1);
    });

    it('a rejected gate is an output: the publish step is skipped and the workflow still succeeds', async () => {
      const run = await start('gated-reject');
      await complete('researcher', { notes: [] });
      await complete('writer', { title: 'No' });
      const [gate] = await pendingGate(run.id);
      const no = await t.call('POST', `/v1/approvals/${gate.id}/reject`, { body: { reason: 'not now' } });
      assert.equal(no.statusCode, 200, no.body);
      const done = await getRun(run.id);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.deepEqual(done.output, { publish: null });
      const evs = await events(run.id);
      assert.ok(evs.some((e) => e.type === 'workflow.step.skipped' && e.data.step === 'publish'));
      assert.deepEqual((await children(run.id)).map((k) => k.step).sort(), ['draft', 'research']);
    });

    it("a step that fails (after its child's retries) fails the workflow, naming the step", async () => {
      const run = await start('gated-fail');
      await complete('researcher', { notes: [] });
      const task = await lease('writer');
      const f = await t.call('POST', `/v1/leases/${task.lease_id}/fail`, { body: { error: { type: 'boom', message: 'the writer broke' } } });
      assert.equal(f.statusCode, 200, f.body);
      const done = await getRun(run.id);
      assert.equal(done.status, 'failed');
      assert.equal(done.error.type, 'step_failed');
      assert.equal(done.error.details.step, 'draft');
      const evs = await events(run.id);
      assert.ok(evs.some((e) => e.type === 'workflow.step.failed' && e.data.step === 'draft' && e.data.child_run_id === task.run_id));
      assert.deepEqual(evs.filter((e) => e.type === 'run.failed').length, 1);
    });

    it('cancelling the workflow run cancels its live step and its gate', async () => {
      const run = await start('gated-cancel');
      const [kid] = await children(run.id);
      const c = await t.call('POST', `/v1/runs/${run.id}/cancel`, { body: { reason: 'changed my mind' } });
      assert.equal(c.statusCode, 200, c.body);
      assert.equal((await getRun(run.id)).status, 'cancelled');
      assert.equal((await getRun(kid.id)).status, 'cancelled');
      const steps = await t.store.db.selectFrom('workflow_steps').selectAll().where('tenant_id', '=', t.tenantId).where('run_id', '=', run.id).execute();
      assert.deepEqual(steps.map((s) => [s.step_id, s.status]), [['research', 'cancelled']]);
      // Nothing more starts: no lease for the next step's agent.
      assert.equal((await t.call('POST', '/v1/worker/lease', { body: { agent: 'researcher', wait_ms: 0 } })).json().tasks.length, 0);
    });

    it('refuses to start: an unknown workflow (404), input against its schema (422 with paths)', async () => {
      const unknown = await t.call('POST', '/v1/workflows/no-such-flow/runs', { body: { input: {} } });
      assert.equal(unknown.statusCode, 404);
      assert.equal(unknown.json().error.code, 'WORKFLOW_NOT_FOUND');
      const bad = await t.call('POST', '/v1/workflows/gated/runs', { body: { input: { topic: 7 } } });
      assert.equal(bad.statusCode, 422, bad.body);
      assert.equal(bad.json().error.code, 'INPUT_INVALID');
      assert.deepEqual(bad.json().error.details.map((p: { path: string }) => p.path), ['input.topic']);
      const missing = await t.call('POST', '/v1/workflows/gated/runs', { body: {} });
      assert.equal(missing.statusCode, 422, missing.body);
    });
  });
}
