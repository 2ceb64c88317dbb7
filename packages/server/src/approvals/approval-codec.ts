import type { Approval, ApprovalStatus, ApprovalTimeoutPolicy, ApprovalVote } from '@agentd/protocol';
import type { ApprovalsTable, ApprovalVotesTable } from '../store/index.ts';
import type { WireFormat } from '../core/index.ts';

/** The settled outcome: approved, rejected/cancelled, or what the timeout policy said. */
export function approvedOf(row: Pick<ApprovalsTable, 'status' | 'on_timeout'>): boolean | null {
  switch (row.status as ApprovalStatus) {
    case 'pending':
      return null;
    case 'approved':
      return true;
    case 'expired':
      return row.on_timeout === 'approve';
    default:
      return false;
  }
}

export function toApproval(row: ApprovalsTable, votes: ApprovalVotesTable[], wire: WireFormat): Approval {
  return {
    id: row.id,
    run_id: row.run_id,
    agent: row.agent,
    key: row.approval_key,
    source: row.source as Approval['source'],
    status: row.status as ApprovalStatus,
    approved: approvedOf(row),
    prompt: row.prompt,
    payload: JSON.parse(row.payload),
    assignees: JSON.parse(row.assignees) as string[],
    required_approvals: row.required_approvals,
    votes: votes.map(
      (v): ApprovalVote => ({ voter: v.voter, voter_name: v.voter_name, decision: v.decision as ApprovalVote['decision'], comment: v.comment, at: wire.iso(v.at) }),
    ),
    on_timeout: row.on_timeout as ApprovalTimeoutPolicy,
    expires_at: wire.isoOrNull(row.expires_at),
    decided_by: row.decided_by,
    comment: row.comment,
    reason: row.reason,
    created_at: wire.iso(row.created_at),
    decided_at: wire.isoOrNull(row.decided_at),
  };
}
