import { EventType, type LogLine, type Page } from '@agentd/protocol';
import type { RunEventsTable } from '../store/index.ts';
import type { Store } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import type { WireFormat } from '../core/index.ts';
import { belowHorizon, seqCursor } from '../events/index.ts';

export interface LogFilter {
  /** Only lines after this cursor: the run's seq for one run, the tenant-wide event id otherwise. */
  since?: number;
  /** Only lines at these levels (`info`, `warn`, …). */
  level?: string[];
  limit: number;
}

export interface TenantLogFilter extends LogFilter {
  agent?: string;
  run?: string;
}

type LogRow = Pick<RunEventsTable, 'id' | 'seq' | 'run_id' | 'agent' | 'at' | 'data'>;

/**
 * A `run.log` event's data as workers send it, `{level, message, fields?}`. The server does not
 * validate log data, so anything else is shown as well as it can be, never refused.
 */
function toLogLine(row: LogRow, wire: WireFormat): LogLine {
  const data = (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as Record<string, unknown>;
  const fields = data.fields;
  return {
    id: String(row.id),
    seq: row.seq,
    run_id: row.run_id,
    agent: row.agent,
    at: wire.iso(row.at),
    level: typeof data.level === 'string' ? data.level : 'info',
    message: typeof data.message === 'string' ? data.message : data.message === undefined ? '' : JSON.stringify(data.message),
    fields: fields && typeof fields === 'object' && !Array.isArray(fields) ? (fields as Record<string, unknown>) : null,
  };
}

/**
 * Log lines are the runs' `run.log` events (what `ctx.log` appends): one store, so a line shows
 * up in the run's event stream and here at the same moment, in the same order.
 */
export class LogService {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /** One run's lines after seq `since`; RUN_NOT_FOUND for a run not in this tenant. */
  async runLogs(tenantId: string, runId: string, f: LogFilter): Promise<Page<LogLine>> {
    const run = await this.#store.db.selectFrom('runs').select('id').where('tenant_id', '=', tenantId).where('id', '=', runId).executeTakeFirst();
    if (!run) throw new DomainError('RUN_NOT_FOUND', `no run ${JSON.stringify(runId)}`);
    const q = this.#select(tenantId, f).where('run_id', '=', runId).where('seq', '>', seqCursor(f.since ?? 0));
    const rows = await q.orderBy('seq').limit(f.limit).execute();
    return page(rows, f, (r) => String(r.seq), this.#store.wire);
  }

  /** The tenant's lines after event id `since`, oldest first. */
  async tenantLogs(tenantId: string, f: TenantLogFilter): Promise<Page<LogLine>> {
    let q = this.#select(tenantId, f).where('id', '>', f.since ?? 0);
    if (f.agent) q = q.where('agent', '=', f.agent);
    if (f.run) q = q.where('run_id', '=', f.run);
    const rows = await q.orderBy('id').limit(f.limit).execute();
    return page(rows, f, (r) => String(r.id), this.#store.wire);
  }

  #select(tenantId: string, f: LogFilter) {
    let q = this.#store.db
      .selectFrom('run_events')
      .select(['id', 'seq', 'run_id', 'agent', 'at', 'data'])
      .where('tenant_id', '=', tenantId)
      .where('type', '=', EventType.runLog)
      .$call(belowHorizon(this.#store, tenantId));
    const levels = f.level ?? [];
    // The data column is JSON text in both dialects, written by JSON.stringify (no spaces), so a
    // LIKE narrows the scan without a dialect-specific JSON operator; `page` then checks exactly
    // (a nested `"level":"warn"` inside `fields` would match the LIKE too).
    if (levels.length > 0) q = q.where((eb) => eb.or(levels.map((l) => eb('data', 'like', `%"level":${JSON.stringify(l)}%`))));
    return q;
  }
}

/**
 * `next_cursor` is the cursor of the last row read, even when the exact level check dropped it,
 * so the next call goes on from there; null when nothing new was there (keep `since`, ask later).
 */
function page(rows: LogRow[], f: LogFilter, cursorOf: (row: LogRow) => string, wire: WireFormat): Page<LogLine> {
  const lines = rows.map((r) => toLogLine(r, wire));
  const data = f.level && f.level.length > 0 ? lines.filter((l) => f.level!.includes(l.level)) : lines;
  const last = rows.at(-1);
  return { data, next_cursor: last ? cursorOf(last) : null };
}
