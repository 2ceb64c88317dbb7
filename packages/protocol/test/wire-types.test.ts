/**
 * The wire types are derived from the TypeBox schemas (`Static`), so a schema built the wrong way
 * shows up as a wrong type, not as a failing request: a union made with `values.map(Type.Literal)`
 * types as `never`, which accepts nothing and is caught nowhere else. These checks pin the derived
 * types of the enumerated fields to the enums clients switch on; `npm run typecheck` fails first.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Type from 'typebox';
import type { Agent, ApiKey, Approval, ApprovalStatus, ApprovalTimeoutPolicy, Finding, FindingSeverity, Role, Run, RunAttempt, RunStatus, Task, WaitingReason } from '@agentd/protocol';
import { OneOf, Run as RunSchema } from '@agentd/protocol/schemas';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

const typeChecks: true[] = [
  true satisfies Equal<Run['status'], RunStatus>,
  true satisfies Equal<Run['waiting_reason'], WaitingReason | null>,
  true satisfies Equal<RunAttempt['outcome'], 'running' | 'succeeded' | 'failed' | 'released' | 'parked' | 'lease_expired' | 'cancelled' | 'timed_out'>,
  true satisfies Equal<ApiKey['role'], Role>,
  true satisfies Equal<Approval['status'], ApprovalStatus>,
  true satisfies Equal<ApprovalStatus, 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled'>,
  true satisfies Equal<Approval['on_timeout'], ApprovalTimeoutPolicy>,
  true satisfies Equal<Approval['source'], 'manifest' | 'worker' | 'workflow'>,
  true satisfies Equal<Approval['votes'][number]['decision'], 'approve' | 'reject'>,
  true satisfies Equal<Finding['severity'], FindingSeverity>,
  true satisfies Equal<Agent['runtime'], 'worker' | 'llm'>,
  true satisfies Equal<Agent['endpoints'][string]['retry']['max_attempts'], number>,
  true satisfies Equal<NonNullable<Task['secrets_withheld']>['reason'], 'admin_key' | 'all_agents_key'>,
];

describe('wire schemas and the types derived from them', () => {
  it('derive the enumerated fields as their enums (checked by the compiler)', () => {
    assert.equal(typeChecks.length, 13);
  });

  it('OneOf is an anyOf of consts and nothing else in JSON, the same as a union of literals', () => {
    const values = ['a', 'b'] as const;
    assert.equal(JSON.stringify(OneOf(values)), JSON.stringify(Type.Union([Type.Literal('a'), Type.Literal('b')])));
    const status = JSON.parse(JSON.stringify(RunSchema.properties.status)) as { anyOf: { type: string; const: string }[] };
    assert.deepEqual(status, { anyOf: ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'timed_out'].map((s) => ({ type: 'string', const: s })) });
  });
});
