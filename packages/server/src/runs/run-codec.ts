import type { Run, RunAttempt, RunEvent, RunFailure, RunStatus, WaitingReason } from '@agentd/protocol';
import type { RunAttemptsTable, RunEventsTable, RunsTable } from '../store/index.ts';

let lastMs = Number.NaN;
let lastIso = '';
/**
 * Epoch ms → ISO-8601. Rows written together share their timestamps (one clock reading per
 * commit), so the last answer is kept: a batch of runs formats each time once, not per field.
 */
export const iso = (ms: number): string => {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
};
export const isoOrNull = (ms: number | null): string | null => (ms === null || ms === undefined ? null : iso(ms));
export const parseJson = <T>(text: string | null): T | null => (text === null || text === undefined ? null : (JSON.parse(text) as T));

export function toRun(row: RunsTable): Run {
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
    deadline_at: isoOrNull(row.deadline_at),
    available_at: iso(row.available_at),
    created_at: iso(row.created_at),
    started_at: isoOrNull(row.started_at),
    finished_at: isoOrNull(row.finished_at),
    updated_at: iso(row.updated_at),
  };
}

export function toAttempt(row: RunAttemptsTable): RunAttempt {
  return {
    attempt: row.attempt,
    lease_id: row.lease_id,
    worker_id: row.worker_id,
    started_at: iso(row.started_at),
    ended_at: isoOrNull(row.ended_at),
    outcome: row.outcome as RunAttempt['outcome'],
    error: parseJson<RunFailure>(row.error),
  };
}

export function toEvent(row: Pick<RunEventsTable, 'id' | 'seq' | 'type' | 'run_id' | 'agent' | 'at' | 'data'>): RunEvent {
  return {
    id: String(row.id),
    seq: row.seq,
    type: row.type,
    run_id: row.run_id,
    agent: row.agent,
    at: iso(row.at),
    data: typeof row.data === 'string' ? JSON.parse(row.data) : row.data,
  };
}

/** Opaque list cursor over (created_at, id), newest first. */
export function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: number; id: string } | null {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string') return { createdAt: v[0], id: v[1] };
  } catch {
    // fall through: a malformed cursor is the caller's error, reported as VALIDATION_ERROR
  }
  return null;
}
