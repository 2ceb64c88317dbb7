/** `client.workflows` of the SDK against a real server on both databases. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Agentd, ConflictError, NotFoundError, PermissionDeniedError, UnprocessableEntityError, type Workflow } from '@agentd/sdk';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';
import { PIPELINE_AGENTS, PIPELINE_YAML, pipelineWorkflow } from './helpers/workflow-fixtures.ts';

for (const d of await dialects()) {
  describe(`workflows through the SDK (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;
    let client: Agentd;

    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      client = new Agentd({ baseURL: await t.listen(), apiKey: t.adminKey, maxRetries: 0 });
      for (const m of PIPELINE_AGENTS) await client.agents.deploy(m);
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    it('deploys YAML text and objects, lists, gets and reads versions', async () => {
      const first = await client.workflows.deploy(PIPELINE_YAML);
      assert.equal(first.version, 1);
      const changed = pipelineWorkflow();
      changed.metadata.description = 'v2';
      const second = await client.workflows.deploy(changed);
      assert.equal(second.version, 2);
      await client.workflows.deploy(pipelineWorkflow('other'));
      const names: string[] = [];
      for await (const w of client.workflows.list({ limit: 1 })) names.push(w.name);
      assert.deepEqual(names.sort(), ['other', 'pipeline'], 'every workflow, one page at a time');
      const got: Workflow = await client.workflows.get('pipeline');
      assert.equal(got.description, 'v2');
      assert.deepEqual(await client.workflows.retrieve('pipeline'), got);
      const versions = [];
      for await (const v of client.workflows.versions('pipeline')) versions.push(v.version);
      assert.deepEqual(versions, [2, 1]);
      assert.equal((await client.workflows.retrieveVersion('pipeline', 1)).definition.kind, 'Workflow');
      assert.deepEqual(await client.workflows.delete('other'), { name: 'other', deleted: true });
    });

    it('throws typed errors: WORKFLOW_INVALID with paths, WORKFLOW_NOT_FOUND, FORBIDDEN', async () => {
      const cyclic = pipelineWorkflow('cyclic');
      cyclic.spec.steps[0].needs = ['publish'];
      await assert.rejects(client.workflows.deploy(cyclic), (err: unknown) => {
        assert.ok(err instanceof UnprocessableEntityError);
        assert.equal(err.code, 'WORKFLOW_INVALID');
        assert.ok((err.details as { path: string }[]).some((p) => p.path === 'spec.steps[1].needs[0]'), JSON.stringify(err.details));
        return true;
      });
      await assert.rejects(client.workflows.get('nope'), (err: unknown) => err instanceof NotFoundError && err.code === 'WORKFLOW_NOT_FOUND');
      const worker = new Agentd({ baseURL: client.baseURL, apiKey: await t.keyFor('worker'), maxRetries: 0 });
      await assert.rejects(worker.workflows.deploy(pipelineWorkflow('by-worker')), PermissionDeniedError);
    });

    it('starts a workflow: its run, its first step as a child; input against its schema is refused', async () => {
      const flow = pipelineWorkflow('one-step');
      flow.spec.steps = [flow.spec.steps[0]];
      delete flow.spec.output;
      await client.workflows.deploy(flow);
      const run = await client.workflows.start('one-step', { input: { topic: 'sdk' } }, { idempotencyKey: 'start-once' });
      assert.equal(run.kind, 'workflow');
      assert.equal(run.status, 'running');
      assert.equal((await client.workflows.start('one-step', { input: { topic: 'sdk' } }, { idempotencyKey: 'start-once' })).id, run.id, 'the same key answers the same run');
      const kids = [];
      for await (const k of client.runs.children(run.id)) kids.push(k);
      assert.deepEqual(kids.map((k) => [k.step, k.agent]), [['research', 'researcher']]);
      await assert.rejects(client.workflows.start('one-step', { input: { topic: 7 } }), (err: unknown) => err instanceof UnprocessableEntityError && err.code === 'INPUT_INVALID');
      await assert.rejects(client.workflows.start('nope'), (err: unknown) => err instanceof NotFoundError && err.code === 'WORKFLOW_NOT_FOUND');
    });

    it('retries a failed workflow run (client.runs.retry): a new run; a live one is a ConflictError', async () => {
      const flow = pipelineWorkflow('sdk-retry');
      // The step's input does not match researcher/research's object schema: the run fails as it starts.
      flow.spec.steps = [{ ...flow.spec.steps[0], input: '{% input.topic %}' }];
      delete flow.spec.output;
      await client.workflows.deploy(flow);
      const failed = await client.workflows.start('sdk-retry', { input: { topic: 'sdk' } });
      assert.equal(failed.status, 'failed');
      const again = await client.runs.retry(failed.id, {}, { idempotencyKey: 'sdk-retry-once' });
      assert.notEqual(again.id, failed.id);
      assert.equal(again.kind, 'workflow');
      assert.equal(again.agent, 'sdk-retry');
      assert.equal((await client.runs.retry(failed.id, {}, { idempotencyKey: 'sdk-retry-once' })).id, again.id);
      const live = await client.workflows.start('one-step', { input: { topic: 'live' } });
      await assert.rejects(client.runs.retry(live.id), (err: unknown) => err instanceof ConflictError && err.code === 'RUN_NOT_RETRYABLE');
    });
  });
}
