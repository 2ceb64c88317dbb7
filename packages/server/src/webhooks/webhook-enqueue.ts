import type { Transaction } from 'kysely';
import { LRUCache } from 'lru-cache';
import { type CommittedEvent, type Database, type EventHook, type Store, type WebhookDeliveriesTable } from '../store/index.ts';
import { eventMatcher } from './event-patterns.ts';

/** What the hook needs of one subscription to route an event. */
interface Route {
  id: string;
  matches: (type: string) => boolean;
  /** null: every agent. */
  agents: ReadonlySet<string> | null;
}

/** A tenant's subscriptions as of `version` (tenants.event_hooks_version). */
interface TenantRoutes {
  version: number;
  routes: Route[];
}

/** Tenants whose routes are kept; a tenant past it costs one query on its next commit. */
const CACHED_TENANTS = 10_000;

const DELIVERY_COLUMNS = ['tenant_id', 'id', 'webhook_id', 'event_id', 'run_id', 'seq', 'event_type', 'status', 'attempts', 'max_attempts', 'next_attempt_at', 'created_at', 'updated_at'] as const;

/**
 * The write queue's event hook for webhooks: in the transaction that inserts a commit's events,
 * it queues one delivery per (matching subscription, event), so an event is committed if and only
 * if its deliveries are, and none is lost to a crash between the two. On the run hot path it
 * costs a map lookup per tenant per commit: each tenant's subscriptions are cached with the
 * version they were read at, and the commit carries the tenant's current version (read under the
 * tenant row's lock by the event insert), so the cache is re-read exactly when a subscription of
 * the tenant changed, on this node or another.
 */
export class WebhookEnqueuer {
  readonly #store: Store;
  readonly #maxAttempts: () => number;
  readonly #onQueued: () => void;
  readonly #cache = new LRUCache<string, TenantRoutes>({ max: CACHED_TENANTS });

  /** `onQueued`: a commit queued deliveries (the delivery loop wakes once it is durable). */
  constructor(opts: { store: Store; maxAttempts: () => number; onQueued: () => void }) {
    this.#store = opts.store;
    this.#maxAttempts = opts.maxAttempts;
    this.#onQueued = opts.onQueued;
  }

  readonly hook: EventHook = async (trx, events, hookVersions) => {
    let rows: WebhookDeliveriesTable[] | null = null;
    let tenant: string | null = null;
    let routes: Route[] = [];
    // A commit's events come grouped by tenant (store/event-insert.ts): one look-up per group.
    for (const e of events) {
      if (e.tenant_id !== tenant) {
        tenant = e.tenant_id;
        const version = hookVersions.get(tenant) ?? 0;
        const cached = this.#cache.get(tenant);
        routes = cached && cached.version === version ? cached.routes : await this.#load(trx, tenant, version);
      }
      for (const r of routes) {
        if (!r.matches(e.type) || (r.agents && !r.agents.has(e.agent))) continue;
        (rows ??= []).push(this.#delivery(e, r.id));
      }
    }
    if (!rows) return;
    await this.#store.queries.insertRows(trx, 'webhook_deliveries', DELIVERY_COLUMNS, rows);
    this.#onQueued();
  };

  /** Forgets a tenant's routes (its subscriptions changed here; other nodes see the version move). */
  forget(tenantId: string): void {
    this.#cache.delete(tenantId);
  }

  async #load(trx: Transaction<Database>, tenantId: string, version: number): Promise<Route[]> {
    const rows = await trx.selectFrom('webhooks').select(['id', 'events', 'agents']).where('tenant_id', '=', tenantId).execute();
    const routes = rows.map((r) => {
      const agents = r.agents === null ? null : (JSON.parse(r.agents) as string[]);
      return { id: r.id, matches: eventMatcher(JSON.parse(r.events) as string[]), agents: agents ? new Set(agents) : null };
    });
    // Versions only grow: a slower transaction that read an older version must not replace a newer entry.
    const cached = this.#cache.get(tenantId);
    if (!cached || cached.version <= version) this.#cache.set(tenantId, { version, routes });
    return routes;
  }

  #delivery(e: CommittedEvent, webhookId: string): WebhookDeliveriesTable {
    return {
      tenant_id: e.tenant_id,
      id: this.#store.ids.next('msg', e.at),
      webhook_id: webhookId,
      event_id: e.id,
      run_id: e.run_id,
      seq: e.seq,
      event_type: e.type,
      status: 'pending',
      attempts: 0,
      max_attempts: this.#maxAttempts(),
      next_attempt_at: e.at,
      lease_id: null,
      last_attempt_at: null,
      last_status_code: null,
      last_error: null,
      created_at: e.at,
      updated_at: e.at,
      delivered_at: null,
    };
  }
}
