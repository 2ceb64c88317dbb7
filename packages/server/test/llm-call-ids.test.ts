/** The ids tool calls are recorded under: namespaced by step, unique within the step. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { recordedCallIds } from '../src/llm/llm-loop.ts';

describe('recorded tool-call ids', () => {
  it('are namespaced by the step and suffixed when a provider repeats an id within the step', () => {
    assert.deepEqual(recordedCallIds(1, ['0']), ['s1-0']);
    assert.deepEqual(recordedCallIds(2, ['0', '0', '0']), ['s2-0', 's2-0-2', 's2-0-3']);
    // A suffix never collides with an id the provider gave.
    assert.deepEqual(recordedCallIds(3, ['a', 'a-2', 'a']), ['s3-a', 's3-a-2', 's3-a-3']);
    for (const id of recordedCallIds(4, ['toolu_01A', 'call_x'])) assert.match(id, /^[A-Za-z0-9_-]+$/);
  });
});
