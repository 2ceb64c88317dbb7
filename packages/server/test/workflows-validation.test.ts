/**
 * What `POST /v1/workflows` refuses, on both databases: each bad definition is a 422
 * WORKFLOW_INVALID whose details name the path, and leaves no workflow behind.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestDatabase } from './helpers/dialects.ts';
import { startTestApp, type TestApp } from './helpers/test-app.ts';
import { deployPipelineAgents, pipelineWorkflow } from './helpers/workflow-fixtures.ts';

type Mutation = [label: string, mutate: (d: Record<string, any>) => void, path: string, message: RegExp];

const CASES: Mutation[] = [
  ['a cycle', (d) => (d.spec.steps[0].needs = ['review']), 'spec.steps[1].needs[0]', /closes a cycle: research → review → draft → research/],
  ['an unknown agent', (d) => (d.spec.steps[1].agent = 'ghost-writer'), 'spec.steps[1].agent', /no agent named ghost-writer/],
  ['an unknown endpoint', (d) => (d.spec.steps[1].endpoint = 'scribble'), 'spec.steps[1].endpoint', /no endpoint scribble/],
  ['a duplicate step id', (d) => (d.spec.steps[4].id = 'hold'), 'spec.steps[4].id', /duplicates the id of spec.steps\[3\]/],
  ['a bad step id', (d) => (d.spec.steps[4].id = 'Go!'), 'spec.steps[4].id', /lower-case/],
  ['an unknown need', (d) => (d.spec.steps[1].needs = ['reserch']), 'spec.steps[1].needs[0]', /no step named reserch/],
  ['two kinds in one step', (d) => (d.spec.steps[3].approval = { prompt: 'x' }), 'spec.steps[3].wait', /exactly one of agent \+ endpoint, approval, wait/],
  ['a step of no kind', (d) => (d.spec.steps[3] = { id: 'hold', needs: ['review'] }), 'spec.steps[3]', /one of/],
  ['an agent without endpoint', (d) => delete d.spec.steps[0].endpoint, 'spec.steps[0].endpoint', /required with agent/],
  ['a template naming an unknown step', (d) => (d.spec.steps[1].input.notes = '{% steps.nope.output %}'), 'spec.steps[1].input.notes', /no step named nope/],
  ['a template naming a step outside the needs', (d) => (d.spec.steps[1].input.notes = '{% steps.hold.output %}'), 'spec.steps[1].input.notes', /not among this step's needs/],
  ['an approval prompt naming a later step', (d) => (d.spec.steps[2].approval.prompt = 'Ok {% steps.publish.output %}?'), 'spec.steps[2].approval.prompt', /not among this step's needs/],
  ['an output naming an unknown step', (d) => (d.spec.output = '{% steps.nope.output %}'), 'spec.output', /no step named nope/],
  ['an expression syntax error', (d) => (d.spec.steps[0].input.topic = '{% input.topic + %}'), 'spec.steps[0].input.topic', /syntax error/],
  ['an if syntax error', (d) => (d.spec.steps[5].if = 'steps.review.output.approved and'), 'spec.steps[5].if', /syntax error/],
  ['a bad timeout', (d) => (d.spec.steps[0].timeout = 'two minutes'), 'spec.steps[0].timeout', /duration/],
  ['a bad wait duration', (d) => (d.spec.steps[3].wait = { duration: '-1s' }), 'spec.steps[3].wait.duration', /duration/],
  ['a wait for two things', (d) => (d.spec.steps[3].wait = { duration: '1s', signal: 'x' }), 'spec.steps[3].wait', /one thing/],
  ['a bad wait time', (d) => (d.spec.steps[3].wait = { until: 'next tuesday' }), 'spec.steps[3].wait.until', /RFC 3339/],
  ['a bad signal timeout', (d) => (d.spec.steps[4].wait.timeout = 'later'), 'spec.steps[4].wait.timeout', /duration/],
  ['a bad approval policy', (d) => (d.spec.steps[2].approval.on_timeout = 'shrug'), 'spec.steps[2].approval.on_timeout', /one of reject, approve, fail_run/],
  ['a bad approval timeout', (d) => (d.spec.steps[2].approval.timeout = '10ms'), 'spec.steps[2].approval.timeout', /at least 1s/],
  ['a for_each that is not a list', (d) => (d.spec.steps[5].for_each = 'sources'), 'spec.steps[5].for_each', /list/],
  ['a bad concurrency', (d) => (d.spec.steps[5].concurrency = 0), 'spec.steps[5].concurrency', /1 to 1000/],
  ['concurrency without for_each', (d) => (d.spec.steps[0].concurrency = 5), 'spec.steps[0].concurrency', /only for a for_each step/],
  ['item outside a for_each step', (d) => (d.spec.steps[0].input.topic = '{% item %}'), 'spec.steps[0].input.topic', /unknown name item/],
  ['kind Agent', (d) => (d.kind = 'Agent'), 'kind', /Workflow/],
  ['an unknown field', (d) => (d.spec.steps[0].retries = 3), 'spec.steps[0].retries', /unknown field/],
];

for (const d of await dialects()) {
  describe(`workflow registration refusals (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let t: TestApp;

    before(async () => {
      db = await d.create();
      t = await startTestApp(db);
      await deployPipelineAgents(t);
    });
    after(async () => {
      await t?.close();
      await db?.cleanup();
    });

    it('accepts the definition the cases start from', async () => {
      assert.equal((await t.call('POST', '/v1/workflows', { body: pipelineWorkflow('base') })).statusCode, 201);
    });

    for (const [label, mutate, path, message] of CASES) {
      it(`refuses ${label} with 422 at ${path || '(root)'}`, async () => {
        const def = pipelineWorkflow('refused');
        mutate(def);
        const r = await t.call('POST', '/v1/workflows', { body: def });
        assert.equal(r.statusCode, 422, r.body);
        const error = r.json().error;
        assert.equal(error.code, 'WORKFLOW_INVALID');
        assert.ok(Array.isArray(error.details) && error.details.every((p: { path: unknown; message: unknown }) => typeof p.path === 'string' && typeof p.message === 'string'), r.body);
        assert.ok(
          error.details.some((p: { path: string; message: string }) => p.path === path && message.test(p.message)),
          `${path} ~ ${message}: ${r.body}`,
        );
        assert.equal((await t.call('GET', '/v1/workflows/refused')).statusCode, 404, 'nothing was stored');
      });
    }

    it('refuses YAML that does not parse, and a body that is not a definition', async () => {
      const yaml = await t.call('POST', '/v1/workflows', { body: 'kind: Workflow\nspec: [unclosed', headers: { 'content-type': 'application/yaml' } });
      assert.equal(yaml.statusCode, 422, yaml.body);
      assert.equal(yaml.json().error.code, 'WORKFLOW_INVALID');
      assert.equal(yaml.json().error.details[0].path, '');
      assert.match(yaml.json().error.details[0].message, /cannot parse/);
      const list = await t.call('POST', '/v1/workflows', { body: [1, 2] });
      assert.equal(list.statusCode, 422);
      assert.equal(list.json().error.details[0].message, 'a workflow definition must be an object');
    });

    it('checks the agents of the tenant at every deploy: a deleted agent is refused', async () => {
      const extra = { apiVersion: 'agentd.dev/v1', kind: 'Agent', metadata: { name: 'short-lived' }, spec: { runtime: 'worker', endpoints: { go: {} } } };
      assert.equal((await t.call('POST', '/v1/agents', { body: extra })).statusCode, 201);
      const def = { apiVersion: 'agentd.dev/v1', kind: 'Workflow', metadata: { name: 'uses-short-lived' }, spec: { steps: [{ id: 'only', agent: 'short-lived', endpoint: 'go' }] } };
      assert.equal((await t.call('POST', '/v1/workflows', { body: def })).statusCode, 201);
      assert.equal((await t.call('DELETE', '/v1/agents/short-lived')).statusCode, 200);
      const again = { ...def, metadata: { name: 'uses-short-lived', description: 'changed' } };
      const r = await t.call('POST', '/v1/workflows', { body: again });
      assert.equal(r.statusCode, 422, r.body);
      assert.equal(r.json().error.details[0].path, 'spec.steps[0].agent');
    });
  });
}
