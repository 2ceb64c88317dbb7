import { createHash } from 'node:crypto';
import type { ToolApproval } from '@agentd/protocol/manifest';
import { compileExpression, evaluateCondition, type ExpressionScope } from '@agentd/protocol/workflow';
import type { Approval } from '@agentd/protocol';
import { canonicalJson } from '../core/index.ts';
import type { ApprovalService } from '../approvals/index.ts';
import { LoopParked, type LlmLease } from './llm-lease.ts';

/** Tool calls are bound to approvals by this hash of their arguments (key order ignored). */
export function argsHash(args: unknown): string {
  return createHash('sha256').update(canonicalJson(args ?? null)).digest('hex');
}

/**
 * The approval key of one tool call: its id and its arguments' hash. The same key always names
 * the same approval (a re-leased run finds the decision), and an approval decided for one call
 * can never stand for another call, nor for this call with other arguments.
 */
export function approvalKey(toolCallId: string, hash: string): string {
  return `tool:${toolCallId}:${hash}`;
}

/** Whether this call waits for a person: `always`, or the rule holds on the arguments. A rule that fails to evaluate gates the call (fail closed). */
export async function needsApproval(rule: ToolApproval, args: unknown): Promise<boolean> {
  if (rule.kind === 'never') return false;
  if (rule.kind === 'always') return true;
  const compiled = compileExpression(rule.expression, 'approval', []);
  if (!compiled) return true;
  const obj = args && typeof args === 'object' && !Array.isArray(args) ? (args as Record<string, unknown>) : {};
  // The arguments are the root (`amount > 100`), also reachable as `args.` and `input.`.
  const scope = { ...obj, args, input: args, steps: {} } as unknown as ExpressionScope;
  try {
    return await evaluateCondition(compiled, scope);
  } catch {
    return true;
  }
}

export type GateOutcome = { approved: true; approval: Approval } | { approved: false; approval: Approval; message: string };

/**
 * Asks for (or finds) the approval of one call, showing the tool, its arguments and the model's
 * reason. Decided (a re-leased run finds its decision): the outcome. Pending: the run was parked
 * in the commit that asked (`waiting`, reason approval, no lease; LoopParked is thrown), and the
 * decision puts it back in the queue; the next holder gets here again and finds it decided.
 */
export async function gateToolCall(
  approvals: ApprovalService,
  lease: LlmLease,
  call: { id: string; tool: string; args: unknown; args_hash: string; reason: string; prompt?: string },
): Promise<GateOutcome> {
  const key = approvalKey(call.id, call.args_hash);
  const approval = await approvals.requestForLease(lease.tenantId, lease.leaseId, {
    key,
    payload: { tool: call.tool, tool_call_id: call.id, args: call.args, args_hash: call.args_hash, reason: call.reason },
    prompt: call.prompt ?? `The model wants to call ${call.tool} with ${JSON.stringify(call.args)}.`,
    timeout_ms: null,
    on_timeout: 'reject',
    assignees: [],
    required_approvals: 1,
    park: true,
  });
  if (approval.status === 'pending') throw new LoopParked('approval');
  lease.signal.throwIfAborted();
  if (approval.status === 'approved') return { approved: true, approval };
  const why = approval.reason ? `: ${approval.reason}` : '';
  const message = approval.status === 'expired' ? `the call was not approved in time${why}` : `the call was rejected by the approver${why}`;
  return { approved: false, approval, message };
}
