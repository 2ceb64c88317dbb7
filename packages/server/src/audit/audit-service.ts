import type { AuditRecord, Page } from '@agentd/protocol';
import type { Store } from '../store/index.ts';
import type { AuditLogTable } from '../store/index.ts';
import type { WriteContext } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import type { Clock } from '../core/index.ts';
import type { WireFormat } from '../core/index.ts';
import { newestFirstPage } from '../store/index.ts';

/** One audit record: who did what to which target, when, with what outcome. */
export interface AuditEntry {
  tenantId: string;
  /** The API key id, or null for a system action (sweeper, signed link). */
  actor: string | null;
  actorRole: string | null;
  /** `POST /v1/runs`, `secret.delivered`, … */
  action: string;
  targetType: string | null;
  targetId: string | null;
  /** `ok`, `denied`, `error`. */
  outcome: string;
  statusCode: number | null;
  requestId: string | null;
  /** Never secret values or keys. */
  details?: Record<string, unknown>;
}


export interface AuditFilter {
  actor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  outcome?: string;
  since?: number;
  until?: number;
  limit: number;
  cursor?: string;
}

function toRecord(r: AuditLogTable, wire: WireFormat): AuditRecord {
  return {
    id: r.id,
    at: wire.iso(r.at),
    actor: r.actor,
    actor_role: r.actor_role,
    action: r.action,
    target_type: r.target_type,
    target_id: r.target_id,
    outcome: r.outcome as AuditRecord['outcome'],
    status_code: r.status_code,
    request_id: r.request_id,
    details: JSON.parse(r.details) as Record<string, unknown>,
  };
}

/** Rows per INSERT (12 parameters each): well under both dialects' parameter limits. */
const AUDIT_INSERT_CHUNK = 500;
/** Longest an audit record waits for a commit to ride on before it commits by itself. */
const AUDIT_MAX_DELAY_MS = 20;

/** The append-only audit trail (the table refuses UPDATE and DELETE by trigger). */
const AUDIT_COLUMNS = ['tenant_id', 'id', 'at', 'actor', 'actor_role', 'action', 'target_type', 'target_id', 'outcome', 'status_code', 'request_id', 'details'] as const;

export class AuditService {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #background = new Set<Promise<void>>();
  #pending: AuditEntry[] = [];
  #flush: Promise<void> | null = null;

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  #row(e: AuditEntry, at: number): AuditLogTable {
    return {
      tenant_id: e.tenantId,
      id: this.#store.ids.next('aud', at),
      at,
      actor: e.actor,
      actor_role: e.actorRole,
      action: e.action,
      target_type: e.targetType,
      target_id: e.targetId,
      outcome: e.outcome,
      status_code: e.statusCode,
      request_id: e.requestId,
      details: JSON.stringify(e.details ?? {}),
    };
  }

  /** Records inside an operation's transaction: the record and the change commit together. */
  async recordIn(ctx: WriteContext, entries: AuditEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += AUDIT_INSERT_CHUNK) {
      await ctx.queries.insertRows(ctx.trx, 'audit_log', AUDIT_COLUMNS, entries.slice(i, i + AUDIT_INSERT_CHUNK).map((e) => this.#row(e, ctx.now)));
    }
  }

  /** Records on its own (after a response, for a denied request…), group-committed. */
  async record(entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#store.writer.write((ctx) => this.recordIn(ctx, entries));
  }

  /**
   * Records without anyone waiting (the API's after-response hook): `entry` may still be
   * resolving (a lookup of the actor); null records nothing. A failure goes to `onError`, never
   * to a caller. `settled()` waits for every one started so far.
   */
  recordInBackground(entry: Promise<AuditEntry | null>, onError: (err: unknown) => void): void {
    const done: Promise<void> = entry
      .then((e) => (e ? this.#enqueue(e) : undefined))
      .catch(onError)
      .finally(() => this.#background.delete(done));
    this.#background.add(done);
  }

  /**
   * Background records that arrive together are written by one operation, as one multi-row
   * INSERT: an audit row per request must not cost a statement per request.
   */
  #enqueue(entry: AuditEntry): Promise<void> {
    this.#pending.push(entry);
    this.#flush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const batch = this.#pending.splice(0);
      this.#flush = null;
      // Lazy: the rows ride on the next commit instead of adding an fsync of their own.
      return this.#store.writer.writeLazy((ctx) => this.recordIn(ctx, batch), AUDIT_MAX_DELAY_MS);
    });
    return this.#flush;
  }

  /** Resolves when every background record started so far has been written (or has failed). */
  async settled(): Promise<void> {
    while (this.#background.size > 0) await Promise.all([...this.#background]);
  }

  /** The tenant, id and role of a key by its hash, revoked or not: who a refused revoked key was. */
  /** The tenant of a key that was refused (revoked, or expired: `expired` says which). */
  async keyOwner(hash: string): Promise<{ tenantId: string; keyId: string; role: string; expired: boolean } | null> {
    // A refused key is looked up by its hash: no tenant is known yet (it is what this finds).
    const row = await this.#store.allTenants(this.#store.db).selectFrom('api_keys').select(['tenant_id', 'id', 'role', 'revoked_at', 'expires_at']).where('hash', '=', hash).executeTakeFirst();
    return row ? { tenantId: row.tenant_id, keyId: row.id, role: row.role, expired: row.revoked_at === null && row.expires_at !== null } : null;
  }

  async list(tenantId: string, f: AuditFilter): Promise<Page<AuditRecord>> {
    let q = this.#store.db.selectFrom('audit_log').selectAll().where('tenant_id', '=', tenantId);
    if (f.actor) q = q.where('actor', '=', f.actor);
    if (f.action) q = q.where('action', '=', f.action);
    if (f.targetType) q = q.where('target_type', '=', f.targetType);
    if (f.targetId) q = q.where('target_id', '=', f.targetId);
    if (f.outcome) q = q.where('outcome', '=', f.outcome);
    if (f.since !== undefined) q = q.where('at', '>=', f.since);
    if (f.until !== undefined) q = q.where('at', '<', f.until);
    const page = await newestFirstPage(q, { cursor: f.cursor, limit: f.limit, timeColumn: 'at', keyColumn: 'id', cursorOf: (r) => [r.at, r.id] });
    return { data: page.rows.map((r) => toRecord(r, this.#store.wire)), next_cursor: page.next_cursor };
  }

  now(): number {
    return this.#clock.now();
  }
}
