import type { Run, RunAttempt, RunEvent, RunFailure, RunKind, RunStatus, WaitingReason } from '@agentd/protocol';
import type { RunAttemptsTable, RunEventsTable, RunsTable } from '../store/index.ts';
import { parseJson, type WireFormat } from '../core/index.ts';

export function toRun(row: RunsTable, wire: WireFormat): Run {
  return {
    id: row.id,
    agent: row.agent,
    agent_version: row.agent_version,
    endpoint: row.endpoint,
    status: row.status as RunStatus,
    waiting_reason: row.waiting_reason as WaitingReason | null,
    input: parseJson(row.input),
    output: parseJson(row.output),
    error: parseJson<RunFailure>(row.error),
    metadata: parseJson<Record<string, unknown>>(row.metadata) ?? {},
    priority: row.priority,
    attempts: row.attempts,
    max_attempts: row.max_attempts,
    timeout_ms: row.timeout_ms,
    deadline_at: wire.isoOrNull(row.deadline_at),
    available_at: wire.iso(row.available_at),
    created_at: wire.iso(row.created_at),
    started_at: wire.isoOrNull(row.started_at),
    finished_at: wire.isoOrNull(row.finished_at),
    updated_at: wire.iso(row.updated_at),
    generation: row.generation,
    parent_run_id: row.parent_run_id,
    root_run_id: row.root_run_id ?? row.id,
    depth: row.depth,
    caller_agent: row.caller_agent,
    call_key: row.call_key,
    step: row.step,
    kind: row.kind as RunKind,
  };
}

export function toAttempt(row: RunAttemptsTable, wire: WireFormat): RunAttempt {
  return {
    attempt: row.attempt,
    lease_id: row.lease_id,
    worker_id: row.worker_id,
    started_at: wire.iso(row.started_at),
    ended_at: wire.isoOrNull(row.ended_at),
    outcome: row.outcome as RunAttempt['outcome'],
    error: parseJson<RunFailure>(row.error),
  };
}

export function toEvent(row: Pick<RunEventsTable, 'id' | 'seq' | 'type' | 'run_id' | 'agent' | 'at' | 'data'>, wire: WireFormat): RunEvent {
  return {
    id: String(row.id),
    seq: row.seq,
    type: row.type,
    run_id: row.run_id,
    agent: row.agent,
    at: wire.iso(row.at),
    data: typeof row.data === 'string' ? JSON.parse(row.data) : row.data,
  };
}
