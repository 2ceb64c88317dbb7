import { EventType, type Finding, type FindingSeverity, type Page } from '@agentd/protocol';
import type { Transaction } from 'kysely';
import type { Database, FindingsTable } from '../store/index.ts';
import type { Store } from '../store/index.ts';
import type { WriteContext } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import { runByLease } from '../leases/index.ts';
import type { WireFormat } from '../core/index.ts';
import { appendRunEvents } from '../runs/index.ts';

export interface FindingInput {
  severity: FindingSeverity;
  source?: string | null;
  file?: string | null;
  summary: string;
  details?: unknown;
}

export interface FindingFilter {
  /** Only findings with an id above this one (the follow cursor). */
  since?: number;
  severity?: FindingSeverity[];
  agent?: string;
  run?: string;
  limit: number;
}

/** Lets a route record its idempotent response in the transaction that made it. */
export type FindingRecorder = (ctx: WriteContext, response: { data: Finding[] }) => Promise<void>;

function toFinding(row: FindingsTable, wire: WireFormat): Finding {
  return {
    id: String(row.id),
    run_id: row.run_id,
    agent: row.agent,
    severity: row.severity as FindingSeverity,
    source: row.source,
    file: row.file,
    summary: row.summary,
    details: JSON.parse(row.details) as unknown,
    created_at: wire.iso(row.created_at),
  };
}

/**
 * Findings: structured results a run posts through its lease. Each one also appends a
 * `run.finding` event to the run, in the same transaction, so the run's stream shows it in order.
 */
export class FindingService {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /**
   * Stores 1–100 findings for the run that holds `leaseId`, fenced like the lease's events:
   * unknown lease 404, a lease that is no longer the run's 409, and then nothing is written.
   * `record` runs in the transaction that stores them.
   */
  async post(tenantId: string, leaseId: string, items: FindingInput[], opts: { record?: FindingRecorder } = {}): Promise<{ data: Finding[] }> {
    const { record } = opts;
    return this.#store.writer.write(async (ctx) => {
      const run = await runByLease(ctx, tenantId, leaseId, ['running', 'waiting']);
      const rows: FindingsTable[] = items.map((f) => ({
        tenant_id: tenantId,
        id: 0, // assigned below, once every operation of the batch has run
        run_id: run.id,
        agent: run.agent,
        severity: f.severity,
        source: f.source ?? null,
        file: f.file ?? null,
        summary: f.summary,
        details: JSON.stringify(f.details ?? null),
        created_at: ctx.now,
      }));
      const eventData = rows.map((r, i) => ({ finding_id: '', severity: r.severity, source: r.source, file: r.file, summary: r.summary, details: items[i].details ?? null }));
      await appendRunEvents(ctx, run, eventData.map((data) => ({ type: EventType.runFinding, data })));
      const response = { data: [] as Finding[] };
      // The tenant's finding counter is taken last in the batch (see WriteContext.deferred): its
      // row lock, held to commit, makes ids visible in id order, so a `since` cursor never skips.
      ctx.deferred.push(async (trx) => {
        const first = await reserveFindingIds(trx, tenantId, rows.length);
        rows.forEach((r, i) => {
          r.id = first + i;
          eventData[i].finding_id = String(r.id);
        });
        await trx.insertInto('findings').values(rows).execute();
        response.data = rows.map((r) => toFinding(r, this.#store.wire));
        if (record) await record(ctx, response);
      });
      return response;
    });
  }

  /** The tenant's findings after `since`, oldest first. */
  async list(tenantId: string, f: FindingFilter): Promise<Page<Finding>> {
    let q = this.#select(tenantId).where('id', '>', f.since ?? 0);
    if (f.severity && f.severity.length > 0) q = q.where('severity', 'in', f.severity);
    if (f.agent) q = q.where('agent', '=', f.agent);
    if (f.run) q = q.where('run_id', '=', f.run);
    const rows = await q.orderBy('id').limit(f.limit).execute();
    const data = rows.map((r) => toFinding(r, this.#store.wire));
    // The last id read is where to go on from; null when nothing new was there.
    return { data, next_cursor: data.at(-1)?.id ?? null };
  }

  /** One run's findings after `since`; RUN_NOT_FOUND for a run not in this tenant. */
  async listForRun(tenantId: string, runId: string, f: Omit<FindingFilter, 'run' | 'agent'>): Promise<Page<Finding>> {
    const run = await this.#store.db.selectFrom('runs').select('id').where('tenant_id', '=', tenantId).where('id', '=', runId).executeTakeFirst();
    if (!run) throw new DomainError('RUN_NOT_FOUND', `no run ${JSON.stringify(runId)}`);
    return this.list(tenantId, { ...f, run: runId });
  }

  /** The tenant's newest finding id: where a live stream without a cursor starts. */
  async latestId(tenantId: string): Promise<number> {
    const row = await this.#store.db.selectFrom('tenants').select('finding_seq').where('id', '=', tenantId).executeTakeFirst();
    return Number(row?.finding_seq ?? 0);
  }

  #select(tenantId: string) {
    return this.#store.db.selectFrom('findings').selectAll().where('tenant_id', '=', tenantId);
  }
}

/** Adds `count` to the tenant's finding counter; returns the first id of the reserved range. */
async function reserveFindingIds(trx: Transaction<Database>, tenantId: string, count: number): Promise<number> {
  const row = await trx
    .updateTable('tenants')
    .set((eb) => ({ finding_seq: eb('finding_seq', '+', count) }))
    .where('id', '=', tenantId)
    .returning('finding_seq')
    .executeTakeFirstOrThrow();
  return Number(row.finding_seq) - count + 1;
}
