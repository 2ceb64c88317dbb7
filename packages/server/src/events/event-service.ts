import type { RunEvent } from '@agentd/protocol';
import { sql } from 'kysely';
import type { Store } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import { toEvent } from '../runs/index.ts';

export interface TenantEventFilter {
  agent?: string;
  run?: string;
  /** Exact type, or a prefix ending in `*` (`run.*`). */
  type?: string;
  /** Only the events of the runs of this tree (its root run and every descendant). */
  root?: string;
}

/**
 * The largest per-run `seq` (a PostgreSQL INTEGER). A cursor past it (`?after=2200000000`) would
 * make PostgreSQL refuse the comparison (a 500); clamped, it simply finds nothing newer.
 */
export const MAX_SEQ = 2_147_483_647;

/** A seq cursor the database can compare. */
export const seqCursor = (after: number): number => Math.min(after, MAX_SEQ);

export class EventService {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /** The run's tenant-checked identity, for streams that must 404 before they start. */
  async runInfo(tenantId: string, runId: string): Promise<{ status: string; last_seq: number }> {
    const row = await this.#store.db.selectFrom('runs').select(['status', 'last_seq']).where('tenant_id', '=', tenantId).where('id', '=', runId).executeTakeFirst();
    if (!row) throw new DomainError('RUN_NOT_FOUND', `no run ${JSON.stringify(runId)}`);
    return row;
  }

  async runEvents(tenantId: string, runId: string, afterSeq: number, limit: number): Promise<RunEvent[]> {
    const rows = await this.#store.db
      .selectFrom('run_events')
      .select(['id', 'seq', 'type', 'run_id', 'agent', 'at', 'data'])
      .where('tenant_id', '=', tenantId)
      .where('run_id', '=', runId)
      .where('seq', '>', seqCursor(afterSeq))
      .$call(belowHorizon(this.#store, tenantId))
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((r) => toEvent(r, this.#store.wire));
  }

  async tenantEvents(tenantId: string, afterId: number, filter: TenantEventFilter, limit: number): Promise<RunEvent[]> {
    let q = this.#store.db
      .selectFrom('run_events')
      .select(['id', 'seq', 'type', 'run_id', 'agent', 'at', 'data'])
      .where('tenant_id', '=', tenantId)
      .where('id', '>', afterId)
      .$call(belowHorizon(this.#store, tenantId));
    if (filter.agent) q = q.where('agent', '=', filter.agent);
    if (filter.run) q = q.where('run_id', '=', filter.run);
    // The tree's runs as of this read: a child made later joins the stream from its first event.
    if (filter.root) q = q.where('run_id', 'in', this.#store.db.selectFrom('runs').select('id').where('tenant_id', '=', tenantId).where('root_run_id', '=', filter.root));
    if (filter.type) {
      const prefix = filter.type.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`);
      q = filter.type.endsWith('*') ? q.where(sql<boolean>`type LIKE ${`${prefix}%`} ESCAPE '\\'`) : q.where('type', '=', filter.type);
    }
    const rows = await q.orderBy('id').limit(limit).execute();
    return rows.map((r) => toEvent(r, this.#store.wire));
  }

  /** The tenant's newest event id, where a stream with no cursor starts. */
  async latestTenantEventId(tenantId: string): Promise<number> {
    const row = await this.#store.db.selectFrom('tenants').select('event_seq').where('id', '=', tenantId).executeTakeFirst();
    return Math.min(Number(row?.event_seq ?? 0), this.#store.eventHorizon(tenantId));
  }
}

/**
 * Keeps reads of run_events to what is on disk: events a commit wrote but whose sync has not
 * finished yet (see Store.eventHorizon) are left for the wake-up that follows the sync.
 */
export function belowHorizon(store: Store, tenantId: string) {
  const horizon = store.eventHorizon(tenantId);
  return <Q extends { where: (col: 'id', op: '<=', v: number) => Q }>(q: Q): Q => (Number.isFinite(horizon) ? q.where('id', '<=', horizon) : q);
}
