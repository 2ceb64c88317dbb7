/** JSONata templates and conditions: parsing, what they read from the scope, evaluation. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldProblem } from '../src/errors.ts';
import { compileExpression, compileTemplate, evaluateCondition, evaluateTemplate, ExpressionError, templateExpressions, truthy, type ExpressionScope } from '../src/workflow-expressions.ts';

const scope: ExpressionScope = {
  input: { topic: 'tides', tags: ['a', 'b'] },
  steps: {
    research: { output: { notes: 'moon', sources: ['x', 'y'], count: 2 }, status: 'succeeded' },
    review: { output: { approved: false }, status: 'succeeded' },
  },
};

function reads(source: string) {
  const problems: FieldProblem[] = [];
  const e = compileExpression(source, 'p', problems);
  assert.deepEqual(problems, []);
  return e!.references.map((r) => [r.name, r.step, r.field]);
}

describe('expression references', () => {
  it('finds steps.<id>.<field> at the root, through $$ and $, in functions, lambdas, conditions and blocks', () => {
    assert.deepEqual(reads('steps.research.output.notes'), [['steps', 'research', 'output']]);
    assert.deepEqual(reads('$$.steps.a.status'), [['steps', 'a', 'status']]);
    assert.deepEqual(reads('$.input.topic'), [['input', null, null]]);
    assert.deepEqual(reads('$map(steps.a.output.list, function($v) { steps.b.output & $v })'), [
      ['steps', 'a', 'output'],
      ['steps', 'b', 'output'],
    ]);
    assert.deepEqual(reads('input.flag ? steps.a.output : steps.b.output'), [
      ['input', null, null],
      ['steps', 'a', 'output'],
      ['steps', 'b', 'output'],
    ]);
    assert.deepEqual(reads('($x := steps.a.output; $x.y)'), [['steps', 'a', 'output']]);
    assert.deepEqual(reads('steps.`my-step`.output'), [['steps', 'my-step', 'output']]);
  });

  it('does not take names inside a path, a predicate or a sort for the scope (they are fields of each item)', () => {
    assert.deepEqual(reads('input.items[steps > 1].item'), [['input', null, null]]);
    assert.deepEqual(reads('steps.a.output^(>index)'), [['steps', 'a', 'output']]);
    assert.deepEqual(reads('input.items[$$.steps.b.output = id]'), [
      ['input', null, null],
      ['steps', 'b', 'output'],
    ]);
  });

  it('marks steps without a literal id (steps.*, steps[0]) as such', () => {
    assert.deepEqual(reads('steps.*'), [['steps', null, null]]);
    assert.deepEqual(reads('steps[0]'), [['steps', null, null]]);
    assert.deepEqual(reads('$keys(steps)'), [['steps', null, null]]);
  });

  it('reports syntax errors, $eval and empty expressions at the path', () => {
    for (const [source, pattern] of [
      ['steps.', /syntax error at position 6/],
      ['"open', /syntax error/],
      ['$eval("steps.a")', /\$eval is not allowed/],
      ['   ', /empty/],
      ['x'.repeat(5000), /longer than/],
    ] as const) {
      const problems: FieldProblem[] = [];
      assert.equal(compileExpression(source, 'spec.steps[1].if', problems), null, source);
      assert.equal(problems.length, 1, source);
      assert.equal(problems[0].path, 'spec.steps[1].if');
      assert.match(problems[0].message, pattern);
    }
  });
});

describe('templates', () => {
  it('keeps values without {% %} as they are', () => {
    const value = { a: 1, b: ['x', { c: null }], d: 'plain %} text' };
    assert.deepEqual(compileTemplate(value, 'v', []), { kind: 'value', value });
  });

  it('evaluates a whole-value template to any JSON type and interpolates text', async () => {
    const problems: FieldProblem[] = [];
    const t = compileTemplate(
      { sources: '{% steps.research.output.sources %}', count: '{% steps.research.output.count %}', line: 'About {% input.topic %}: {% steps.research.output.count %} sources, {% input.tags %}', missing: '{% input.nope %}', list: ['{% input.nope %}', '{% input.topic %}'] },
      'spec.steps[0].input',
      problems,
    );
    assert.deepEqual(problems, []);
    assert.equal(templateExpressions(t).length, 8);
    assert.deepEqual(await evaluateTemplate(t, scope), { sources: ['x', 'y'], count: 2, line: 'About tides: 2 sources, ["a","b"]', list: [null, 'tides'] });
  });

  it('gives item and index in scope', async () => {
    const t = compileTemplate({ source: '{% item %}', n: '{% index + 1 %}' }, 'p', []);
    assert.deepEqual(await evaluateTemplate(t, { ...scope, item: 'x', index: 0 }), { source: 'x', n: 1 });
  });

  it('reports an unclosed {% and each bad part with the path, checking the other parts', () => {
    const problems: FieldProblem[] = [];
    compileTemplate({ a: 'x {% input.topic', b: ['{% 1 + %} and {% steps.a.output %}'] }, 'spec.output', problems);
    assert.deepEqual(
      problems.map((p) => p.path),
      ['spec.output.a', 'spec.output.b[0]'],
    );
    assert.match(problems[0].message, /never closed/);
  });

  it('throws an ExpressionError naming the path when evaluation fails', async () => {
    const t = compileTemplate({ n: '{% input.topic + 1 %}' }, 'spec.steps[3].input', []);
    await assert.rejects(evaluateTemplate(t, scope), (err: unknown) => err instanceof ExpressionError && err.path === 'spec.steps[3].input.n' && err.code === 'T2001');
    const f = compileTemplate('{% function($x) { $x } %}', 'spec.output', []);
    await assert.rejects(evaluateTemplate(f, scope), (err: unknown) => err instanceof ExpressionError && err.code === 'A0001');
  });

  it('stops a runaway expression with the guardrails', async () => {
    const t = compileTemplate('{% ($f := function($n) { $f($n + 1) }; $f(0)) %}', 'spec.output', []);
    await assert.rejects(evaluateTemplate(t, scope), (err: unknown) => err instanceof ExpressionError && ['D1011', 'D1012'].includes(err.code));
  });
});

describe('conditions', () => {
  it("follow JSONata's $boolean rules; no match is false", async () => {
    const cond = (s: string) => compileExpression(s, 'if', []) as NonNullable<ReturnType<typeof compileExpression>>;
    assert.equal(await evaluateCondition(cond('steps.review.output.approved'), scope), false);
    assert.equal(await evaluateCondition(cond('steps.research.output.count > 1'), scope), true);
    assert.equal(await evaluateCondition(cond('steps.research.output.sources'), scope), true);
    assert.equal(await evaluateCondition(cond('input.nothing'), scope), false);
    assert.equal(await evaluateCondition(cond('steps.research.status = "succeeded"'), scope), true);
    for (const [v, want] of [[[], false], [[0], false], [[0, 1], true], ['', false], ['x', true], [0, false], [{}, false], [{ a: 1 }, true], [null, false], [undefined, false]] as const) {
      assert.equal(truthy(v), want, JSON.stringify(v));
    }
  });
});
