/**
 * A workflow with every kind of step (calls, an approval gate, a timer, a signal wait, a
 * fan-out) and the agents it calls, for the workflow API and CLI tests.
 */
import assert from 'node:assert/strict';
import type { TestApp } from './test-app.ts';

const agent = (name: string, endpoint: string) => ({
  apiVersion: 'agentd.dev/v1',
  kind: 'Agent',
  metadata: { name },
  spec: { runtime: 'worker', endpoints: { [endpoint]: { input: { type: 'object' }, output: { type: 'object' } } } },
});

export const PIPELINE_AGENTS = [agent('researcher', 'research'), agent('writer', 'draft'), agent('publisher', 'publish')];

export async function deployPipelineAgents(t: TestApp, key?: string): Promise<void> {
  for (const m of PIPELINE_AGENTS) {
    const r = await t.call('POST', '/v1/agents', { body: m, key });
    assert.equal(r.statusCode, 201, r.body);
  }
}

/** The definition as JSON, with `name`; a fresh object each call, so a test may change it. */
export function pipelineWorkflow(name = 'pipeline'): Record<string, any> {
  return {
    apiVersion: 'agentd.dev/v1',
    kind: 'Workflow',
    metadata: { name, description: 'research, draft, review, publish' },
    spec: {
      input: { type: 'object', properties: { topic: { type: 'string' } }, required: ['topic'] },
      output: '{% steps.publish.output %}',
      steps: [
        { id: 'research', agent: 'researcher', endpoint: 'research', input: { topic: '{% input.topic %}' }, retry: { max_attempts: 3 }, timeout: '2m' },
        { id: 'draft', needs: ['research'], agent: 'writer', endpoint: 'draft', input: { notes: '{% steps.research.output.notes %}' } },
        { id: 'review', needs: ['draft'], approval: { prompt: 'Publish {% steps.draft.output.title %}?', assignees: ['editor'], timeout: '1h', on_timeout: 'reject' } },
        { id: 'hold', needs: ['review'], wait: { duration: '10s' } },
        { id: 'go', needs: ['review'], wait: { signal: 'go-ahead', timeout: '1h' } },
        {
          id: 'publish',
          needs: ['hold', 'go'],
          if: 'steps.review.output.approved',
          agent: 'publisher',
          endpoint: 'publish',
          input: { draft: '{% steps.draft.output %}', source: '{% item %}' },
          for_each: '{% steps.research.output.sources %}',
          concurrency: 10,
        },
      ],
    },
  };
}

/** The same definition as YAML (keys in another order than the JSON). */
export const PIPELINE_YAML = `apiVersion: agentd.dev/v1
kind: Workflow
metadata:
  description: research, draft, review, publish
  name: pipeline
spec:
  input: { type: object, properties: { topic: { type: string } }, required: [topic] }
  output: "{% steps.publish.output %}"
  steps:
    - id: research
      agent: researcher
      endpoint: research
      input: { topic: "{% input.topic %}" }
      retry: { max_attempts: 3 }
      timeout: 2m
    - id: draft
      needs: [research]
      agent: writer
      endpoint: draft
      input: { notes: "{% steps.research.output.notes %}" }
    - id: review
      needs: [draft]
      approval:
        prompt: "Publish {% steps.draft.output.title %}?"
        assignees: [editor]
        timeout: 1h
        on_timeout: reject
    - id: hold
      needs: [review]
      wait: { duration: 10s }
    - id: go
      needs: [review]
      wait: { signal: go-ahead, timeout: 1h }
    - id: publish
      needs: [hold, go]
      if: steps.review.output.approved
      agent: publisher
      endpoint: publish
      input: { draft: "{% steps.draft.output %}", source: "{% item %}" }
      for_each: "{% steps.research.output.sources %}"
      concurrency: 10
`;
