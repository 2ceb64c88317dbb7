/** Workflow definitions offline: shape, steps, needs, cycles, and what each expression may read. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileWorkflow, isWorkflowDocument, parseWorkflowText, type AgentStep, type WaitStep } from '../src/workflow-definition.ts';

/** Every kind of step: calls, an approval gate, a timer, a signal, a fan-out. */
export function pipeline(): Record<string, any> {
  return {
    apiVersion: 'agentd.dev/v1',
    kind: 'Workflow',
    metadata: { name: 'pipeline', description: 'research, draft, review, publish' },
    spec: {
      input: { type: 'object', properties: { topic: { type: 'string' } }, required: ['topic'] },
      output: { published: '{% steps.publish.output %}', title: '{% steps.draft.output.title %}' },
      steps: [
        { id: 'research', agent: 'researcher', endpoint: 'research', input: { topic: '{% input.topic %}' }, retry: { max_attempts: 2 }, timeout: '2m' },
        { id: 'draft', needs: ['research'], agent: 'writer', endpoint: 'draft', input: { notes: '{% steps.research.output.notes %}' } },
        { id: 'review', needs: ['draft'], approval: { prompt: 'Publish {% steps.draft.output.title %}?', assignees: ['editor'], timeout: '1h', on_timeout: 'reject' } },
        { id: 'hold', needs: ['review'], wait: { duration: '10s' } },
        { id: 'go-ahead', needs: ['review'], wait: { signal: 'go', timeout: '1h' } },
        {
          id: 'publish',
          needs: ['hold', 'go-ahead'],
          if: 'steps.review.output.approved',
          agent: 'publisher',
          endpoint: 'publish',
          input: { draft: '{% steps.draft.output %}', source: '{% item %}', n: '{% index %}' },
          for_each: '{% steps.research.output.sources %}',
          concurrency: 3,
        },
      ],
    },
  };
}

/** The problems of a definition changed by `mutate`, as [path, message] pairs. */
function problemsOf(mutate: (d: Record<string, any>) => void): [string, string][] {
  const d = pipeline();
  mutate(d);
  const r = compileWorkflow(d);
  assert.equal(r.ok, false, 'the definition should be refused');
  return r.ok ? [] : r.problems.map((p) => [p.path, p.message]);
}

function expectProblem(mutate: (d: Record<string, any>) => void, path: string, pattern: RegExp): void {
  const problems = problemsOf(mutate);
  assert.ok(
    problems.some(([p, m]) => p === path && pattern.test(m)),
    `expected ${path} ~ ${pattern}, got ${JSON.stringify(problems)}`,
  );
}

describe('a valid definition', () => {
  it('compiles with its order, leaves, upstream steps and normalised fields', () => {
    const r = compileWorkflow(pipeline());
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    const w = r.value;
    assert.equal(w.name, 'pipeline');
    assert.deepEqual(w.order, ['research', 'draft', 'review', 'hold', 'go-ahead', 'publish']);
    assert.deepEqual(w.leaves, ['publish']);
    const publish = w.steps[5] as AgentStep;
    assert.deepEqual(publish.upstream, ['research', 'draft', 'review', 'hold', 'go-ahead']);
    assert.equal(publish.concurrency, 3);
    assert.equal((w.steps[0] as AgentStep).timeout_ms, 120_000);
    assert.equal((w.steps[0] as AgentStep).retry?.max_attempts, 2);
    assert.equal((w.steps[1] as AgentStep).retry, null);
    assert.deepEqual((w.steps[3] as WaitStep).wait, { kind: 'duration', duration_ms: 10_000 });
    assert.deepEqual((w.steps[4] as WaitStep).wait, { kind: 'signal', signal: 'go', timeout_ms: 3_600_000 });
  });

  it('parses from YAML as from JSON, and says it is a Workflow', () => {
    const yaml = `
apiVersion: agentd.dev/v1
kind: Workflow
metadata: { name: tiny }
spec:
  steps:
    - id: only
      agent: hello
      endpoint: greet
      input: { name: "{% input.name %}" }
    - id: later
      needs: [only]
      wait: { until: "2030-01-01T00:00:00Z" }
`;
    const parsed = parseWorkflowText(yaml);
    assert.ok(parsed.ok);
    assert.ok(isWorkflowDocument(parsed.value));
    const r = compileWorkflow(parsed.value);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    assert.equal((r.value.steps[0] as AgentStep).concurrency, null);
    const json = parseWorkflowText(JSON.stringify(pipeline()));
    assert.ok(json.ok && compileWorkflow(json.value).ok);
  });

  it('takes if as {% expr %} too, a literal for_each list, and a default concurrency', () => {
    const d = pipeline();
    d.spec.steps[5].if = '{% steps.review.output.approved %}';
    d.spec.steps[5].for_each = ['a', 'b'];
    delete d.spec.steps[5].concurrency;
    const r = compileWorkflow(d);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    assert.equal((r.value.steps[5] as AgentStep).concurrency, 10);
  });
});

describe('refusals, each at its path', () => {
  it('the document: apiVersion, kind, name, spec, steps', () => {
    expectProblem((d) => (d.kind = 'Agent'), 'kind', /Workflow/);
    expectProblem((d) => (d.apiVersion = 'v2'), 'apiVersion', /agentd.dev\/v1/);
    expectProblem((d) => (d.metadata.name = 'Bad Name'), 'metadata.name', /lower-case/);
    expectProblem((d) => (d.spec.steps = []), 'spec.steps', /1 to 200/);
    expectProblem((d) => (d.spec.extra = 1), 'spec.extra', /unknown field/);
    expectProblem((d) => (d.spec.input = { type: 'nonsense' }), 'spec.input', /JSON Schema/);
  });

  it('step ids: pattern and uniqueness', () => {
    expectProblem((d) => (d.spec.steps[1].id = 'Draft'), 'spec.steps[1].id', /lower-case/);
    expectProblem((d) => (d.spec.steps[3].id = 'review'), 'spec.steps[3].id', /duplicates the id of spec.steps\[2\]/);
  });

  it('exactly one of agent + endpoint, approval, wait', () => {
    expectProblem((d) => delete d.spec.steps[0].endpoint, 'spec.steps[0].endpoint', /required with agent/);
    expectProblem((d) => (d.spec.steps[3] = { id: 'hold', needs: ['review'] }), 'spec.steps[3]', /one of/);
    expectProblem((d) => (d.spec.steps[3].approval = { prompt: 'x' }), 'spec.steps[3].wait', /exactly one/);
    expectProblem((d) => (d.spec.steps[2].input = {}), 'spec.steps[2].input', /only for an agent step/);
  });

  it('needs: unknown steps, itself, cycles (at the need that closes it)', () => {
    expectProblem((d) => (d.spec.steps[1].needs = ['reserch']), 'spec.steps[1].needs[0]', /no step named reserch/);
    expectProblem((d) => (d.spec.steps[1].needs = ['draft']), 'spec.steps[1].needs[0]', /cannot need itself/);
    expectProblem((d) => (d.spec.steps[0].needs = ['review']), 'spec.steps[1].needs[0]', /closes a cycle: research → review → draft → research/);
    expectProblem((d) => (d.spec.steps[1].needs = 'research'), 'spec.steps[1].needs', /list/);
  });

  it('templates: unknown steps, steps outside the needs, own output, bad fields, syntax', () => {
    expectProblem((d) => (d.spec.steps[1].input.notes = '{% steps.nope.output %}'), 'spec.steps[1].input.notes', /no step named nope/);
    expectProblem((d) => (d.spec.steps[1].input.notes = '{% steps.hold.output %}'), 'spec.steps[1].input.notes', /not among this step's needs/);
    expectProblem((d) => (d.spec.steps[1].input.notes = '{% steps.draft.output %}'), 'spec.steps[1].input.notes', /its own output/);
    expectProblem((d) => (d.spec.steps[1].input.notes = '{% steps.research.result %}'), 'spec.steps[1].input.notes', /output and status/);
    expectProblem((d) => (d.spec.steps[1].input.notes = '{% steps.research.output. %}'), 'spec.steps[1].input.notes', /syntax error/);
    expectProblem((d) => (d.spec.steps[1].input.notes = '{% inptu.topic %}'), 'spec.steps[1].input.notes', /unknown name inptu/);
    expectProblem((d) => (d.spec.steps[1].input.notes = '{% item %}'), 'spec.steps[1].input.notes', /only in the input of a for_each step/);
    expectProblem((d) => (d.spec.steps[5].input.x = '{% steps.go-ahead.output %}'), 'spec.steps[5].input.x', /backquotes: steps.`go-ahead`/);
    expectProblem((d) => (d.spec.steps[2].approval.prompt = 'Publish {% steps.hold.output %}?'), 'spec.steps[2].approval.prompt', /not among this step's needs/);
    expectProblem((d) => (d.spec.steps[5].if = 'steps.publish.output'), 'spec.steps[5].if', /its own output/);
    expectProblem((d) => (d.spec.steps[5].if = 'steps.review.output.approved and item'), 'spec.steps[5].if', /unknown name item/);
    expectProblem((d) => (d.spec.steps[5].if = 'x {% y %}'), 'spec.steps[5].if', /one expression/);
    expectProblem((d) => (d.spec.output = '{% steps.nope.output %}'), 'spec.output', /no step named nope/);
  });

  it('the output may read any step', () => {
    const d = pipeline();
    d.spec.output = { r: '{% steps.research.output %}', h: '{% steps.hold.status %}' };
    assert.ok(compileWorkflow(d).ok);
  });

  it('for_each and concurrency', () => {
    expectProblem((d) => (d.spec.steps[5].for_each = 'steps.research.output.sources'), 'spec.steps[5].for_each', /list/);
    expectProblem((d) => (d.spec.steps[5].for_each = '{% steps.research.output.sources %} and more'), 'spec.steps[5].for_each', /list/);
    expectProblem((d) => (d.spec.steps[5].concurrency = 0), 'spec.steps[5].concurrency', /1 to 1000/);
    expectProblem((d) => (d.spec.steps[0].concurrency = 2), 'spec.steps[0].concurrency', /only for a for_each step/);
    expectProblem((d) => (d.spec.steps[3].for_each = ['a']), 'spec.steps[3].for_each', /only for an agent step/);
  });

  it('durations, retry, approval and wait specs', () => {
    expectProblem((d) => (d.spec.steps[0].timeout = 'soon'), 'spec.steps[0].timeout', /duration/);
    expectProblem((d) => (d.spec.steps[0].retry = { max_attempts: 0 }), 'spec.steps[0].retry.max_attempts', /1 to 100/);
    expectProblem((d) => (d.spec.steps[2].approval.timeout = '5ms'), 'spec.steps[2].approval.timeout', /at least 1s/);
    expectProblem((d) => (d.spec.steps[2].approval.on_timeout = 'shrug'), 'spec.steps[2].approval.on_timeout', /one of/);
    expectProblem((d) => delete d.spec.steps[2].approval.prompt, 'spec.steps[2].approval.prompt', /required/);
    expectProblem((d) => (d.spec.steps[3].wait = { duration: 'long' }), 'spec.steps[3].wait.duration', /duration/);
    expectProblem((d) => (d.spec.steps[3].wait = {}), 'spec.steps[3].wait', /duration, until or signal/);
    expectProblem((d) => (d.spec.steps[3].wait = { duration: '1s', until: '2030-01-01T00:00:00Z' }), 'spec.steps[3].wait', /one thing/);
    expectProblem((d) => (d.spec.steps[3].wait = { duration: '1s', timeout: '1m' }), 'spec.steps[3].wait.timeout', /only for a signal wait/);
    expectProblem((d) => (d.spec.steps[3].wait = { until: 'tomorrow' }), 'spec.steps[3].wait.until', /RFC 3339/);
    expectProblem((d) => (d.spec.steps[3].wait = { until: '{% steps.hold.output %}' }), 'spec.steps[3].wait.until', /its own output/);
    expectProblem((d) => (d.spec.steps[4].wait = { signal: 'bad name' }), 'spec.steps[4].wait.signal', /signal name/);
    expectProblem((d) => (d.spec.steps[4].wait.timeout = 'x'), 'spec.steps[4].wait.timeout', /duration/);
  });

  it('reports every problem of a definition at once', () => {
    const problems = problemsOf((d) => {
      d.spec.steps[0].timeout = 'soon';
      d.spec.steps[1].needs = ['nope'];
      d.spec.steps[3].wait = {};
    });
    // draft no longer needs research, so what draft and publish read from it is refused too.
    assert.deepEqual(problems.map(([p]) => p).sort(), ['spec.steps[0].timeout', 'spec.steps[1].input.notes', 'spec.steps[1].needs[0]', 'spec.steps[3].wait', 'spec.steps[5].for_each']);
  });
});
