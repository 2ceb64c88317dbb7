import type { ApprovalSpec } from '@agentd/protocol';
import type { ApprovalsTable, RunsTable } from '../store/index.ts';

// Approval rows are written by the run's own transitions (a manifest approval is created with
// its run; cancelling or ending a run settles them), so their shape lives with the runs.

/** The row for a new approval `id` (made by the caller: `store.ids`), created `now`; `expires_at` from the spec's timeout. */
export function approvalRow(a: {
  id: string;
  run: Pick<RunsTable, 'id' | 'tenant_id' | 'agent'>;
  source: 'manifest' | 'worker' | 'workflow';
  key: string;
  spec: ApprovalSpec;
  payload: unknown;
  now: number;
  leaseId: string | null;
}): ApprovalsTable {
  const { run, source, key, spec, payload, now, leaseId } = a;
  return {
    id: a.id,
    tenant_id: run.tenant_id,
    run_id: run.id,
    agent: run.agent,
    approval_key: key,
    source,
    status: 'pending',
    prompt: spec.prompt,
    payload: JSON.stringify(payload ?? null),
    assignees: JSON.stringify(spec.assignees),
    required_approvals: spec.required_approvals,
    on_timeout: spec.on_timeout,
    expires_at: spec.timeout_ms === null ? null : now + spec.timeout_ms,
    lease_id: leaseId,
    decided_by: null,
    comment: null,
    reason: null,
    created_at: now,
    decided_at: null,
  };
}

export function requestedEventData(a: ApprovalsTable): Record<string, unknown> {
  return {
    approval_id: a.id,
    key: a.approval_key,
    source: a.source,
    prompt: a.prompt,
    assignees: JSON.parse(a.assignees),
    required_approvals: a.required_approvals,
    expires_at: a.expires_at === null ? null : new Date(a.expires_at).toISOString(),
  };
}
