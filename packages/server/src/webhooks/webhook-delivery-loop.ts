import type { AuditService } from '../audit/index.ts';
import { errorContext, type Clock, type LoopMonitor } from '../core/index.ts';
import type { EgressClient } from '../egress/index.ts';
import { EgressRefusedError } from '../egress/index.ts';
import { toEvent } from '../runs/index.ts';
import type { SecretService } from '../secrets/index.ts';
import type { Store } from '../store/index.ts';
import { claimDue, type ClaimedDelivery } from './delivery-claims.ts';
import { settleAttempt, type AttemptOutcome, type Settled } from './delivery-outcomes.ts';
import { parseRetryAfter } from './retry-schedule.ts';
import { signatureHeaders } from './webhook-signing.ts';

export interface WebhookDeliveryOptions {
  store: Store;
  secrets: SecretService;
  audit: AuditService;
  clock: Clock;
  egress: EgressClient;
  /** Waits between attempts (see retry-schedule.ts). */
  retrySchedule: readonly number[];
  /** One attempt, redirects included, must end within this, ms. Default 10 s. */
  timeoutMs?: number;
  /** How often due deliveries are looked for when nothing woke the loop, ms. Default 1 s. */
  pollIntervalMs?: number;
  /** Attempts in flight at once on this node. Default 16. */
  concurrency?: number;
  random?: () => number;
}

export const WEBHOOK_LOOP = 'webhook-delivery';
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
export const DEFAULT_WEBHOOK_POLL_MS = 1_000;
const DEFAULT_CONCURRENCY = 16;
/**
 * A lease outlives the attempt it covers by this much (loading the event, signing, recording
 * the outcome). The attempt's own timeout ends it first, so a lease never runs out under a
 * request still in flight: two nodes never send one delivery at the same time.
 */
const LEASE_MARGIN_MS = 30_000;
/** Redirects an attempt follows, each re-checked by the egress policy. */
const MAX_REDIRECTS = 3;
/** What is kept of a receiver's answer: nothing is stored but its status. */
const MAX_RESPONSE_BYTES = 4096;

/**
 * Sends queued deliveries. Every node runs one; a delivery is claimed with a lease before it is
 * sent (delivery-claims.ts), so nodes share the queue and never send one delivery at once. At
 * least once: a node that dies mid-attempt leaves a lease that runs out, and the delivery is sent
 * again; receivers deduplicate on `webhook-id`. Woken after a local commit queued deliveries, and
 * every `pollIntervalMs` for retries that came due and deliveries other nodes queued.
 */
export class WebhookDeliveryLoop {
  readonly #o: Required<WebhookDeliveryOptions>;
  readonly #inFlight = new Set<Promise<void>>();
  #claiming: Promise<void> | null = null;
  #again = false;
  #queued = false;
  #timer: NodeJS.Timeout | null = null;
  #unsubscribe: (() => void) | null = null;
  #running = false;

  constructor(opts: WebhookDeliveryOptions) {
    this.#o = {
      ...opts,
      timeoutMs: opts.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS,
      pollIntervalMs: opts.pollIntervalMs ?? DEFAULT_WEBHOOK_POLL_MS,
      concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY,
      random: opts.random ?? Math.random,
    };
  }

  /** Looked up when used: an engine built without a store (the OpenAPI generator) never runs the loop. */
  get #monitor(): LoopMonitor {
    return this.#o.store.loops.loop(WEBHOOK_LOOP);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#timer = setInterval(() => this.#pump(), this.#o.pollIntervalMs);
    this.#timer.unref();
    // Deliveries are claimed once the commit that queued them is durable (the notifier's `commit`).
    this.#unsubscribe = this.#o.store.notifier.on('commit', () => {
      if (!this.#queued) return;
      this.#queued = false;
      this.#pump();
    });
    this.#pump();
  }

  /** A commit is queuing deliveries (called inside its transaction); the loop claims them after it. */
  queued(): void {
    this.#queued = true;
  }

  /** Something became due now (a redelivery): look at once rather than at the next poll. */
  wake(): void {
    this.#pump();
  }

  /** Stops claiming and waits for the attempts in flight to be recorded. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    await this.#claiming;
    await Promise.all([...this.#inFlight]);
  }

  #pump(): void {
    if (!this.#running) return;
    if (this.#claiming) {
      this.#again = true;
      return;
    }
    const free = this.#o.concurrency - this.#inFlight.size;
    if (free <= 0) return; // a finishing attempt pumps again
    this.#claiming = this.#claim(free).then(
      (claimed) => {
        this.#monitor.succeeded();
        for (const d of claimed) {
          const p: Promise<void> = this.#attempt(d).then(
            () => undefined,
            () => undefined,
          );
          this.#inFlight.add(p);
          void p.finally(() => {
            this.#inFlight.delete(p);
            // Its outcome may have made the run's next delivery due.
            this.#pump();
          });
        }
        if (claimed.length === free) this.#again = true;
      },
      (err: unknown) => {
        this.#monitor.failed(err, { what: 'claiming due webhook deliveries' });
        // The next poll tries again: wake-ups meanwhile must not turn a failing database into a busy loop.
        this.#again = false;
      },
    ).finally(() => {
      this.#claiming = null;
      if (this.#again) {
        this.#again = false;
        this.#pump();
      }
    });
  }

  #claim(limit: number): Promise<ClaimedDelivery[]> {
    const leaseId = this.#o.store.ids.next('wls', this.#o.clock.now());
    return this.#o.store.writer.write((ctx) => claimDue(this.#o.store, ctx.trx, { now: ctx.now, leaseId, leaseUntil: ctx.now + this.#o.timeoutMs + LEASE_MARGIN_MS, limit }));
  }

  /** One attempt: send, then record the outcome (a failure to record leaves the lease to run out: sent again later). */
  async #attempt(d: ClaimedDelivery): Promise<Settled> {
    const outcome = await this.#send(d);
    try {
      return await this.#o.store.writer.write((ctx) => settleAttempt(ctx, d, outcome, { schedule: this.#o.retrySchedule, random: this.#o.random, audit: this.#o.audit }));
    } catch (err) {
      this.#monitor.itemFailed(err, { what: 'recording a webhook delivery attempt', tenant_id: d.tenant_id, delivery_id: d.id });
      throw err;
    }
  }

  async #send(d: ClaimedDelivery): Promise<AttemptOutcome> {
    try {
      const target = await this.#target(d);
      if (target === 'subscription gone') return { ok: false, statusCode: null, error: 'the subscription was deleted', final: true, drop: true };
      if (target === 'event gone') return { ok: false, statusCode: null, error: 'the event no longer exists', final: true };
      const headers = { 'content-type': 'application/json', ...signatureHeaders({ id: d.id, at: new Date(this.#o.clock.now()), body: target.body, secrets: target.secrets }) };
      const res = await this.#o.egress.request({ url: target.url, method: 'POST', headers, body: target.body, timeoutMs: this.#o.timeoutMs, maxRedirects: MAX_REDIRECTS, maxResponseBytes: MAX_RESPONSE_BYTES });
      if (res.status >= 200 && res.status < 300) return { ok: true, statusCode: res.status, error: null };
      // A receiver that says when to come back (429, 503) is not asked again sooner.
      const retryAfterMs = parseRetryAfter(res.headers['retry-after'], this.#o.clock.now());
      return { ok: false, statusCode: res.status, error: `the receiver answered ${res.status}${retryAfterMs === null ? '' : ` (Retry-After: ${Math.ceil(retryAfterMs / 1000)} s)`}`, retryAfterMs };
    } catch (err) {
      return { ok: false, statusCode: null, error: describe(err) };
    }
  }

  /** The subscription's URL, the secrets that sign now, and the body: the event as streams give it. */
  async #target(d: ClaimedDelivery): Promise<{ url: string; secrets: string[]; body: string } | 'subscription gone' | 'event gone'> {
    const { db } = this.#o.store;
    const now = this.#o.clock.now();
    const sub = await db.selectFrom('webhooks').select(['url']).where('tenant_id', '=', d.tenant_id).where('id', '=', d.webhook_id).executeTakeFirst();
    const event = await db.selectFrom('run_events').select(['id', 'seq', 'type', 'run_id', 'agent', 'at', 'data']).where('tenant_id', '=', d.tenant_id).where('id', '=', d.event_id).executeTakeFirst();
    if (!sub) return 'subscription gone';
    if (!event) return 'event gone';
    const sealed = await db
      .selectFrom('webhook_secrets')
      .selectAll()
      .where('tenant_id', '=', d.tenant_id)
      .where('webhook_id', '=', d.webhook_id)
      .where((eb) => eb.or([eb('signs_until', 'is', null), eb('signs_until', '>', now)]))
      .orderBy('version', 'desc')
      .execute();
    const secrets = sealed.map((s) => this.#o.secrets.openWebhookSecret({ tenantId: d.tenant_id, webhookId: d.webhook_id, version: Number(s.version) }, s));
    return { url: sub.url, secrets, body: JSON.stringify(toEvent(event, this.#o.store.wire)) };
  }
}

/** An attempt's error for the delivery log: what went wrong, never a header or a body. */
function describe(err: unknown): string {
  if (err instanceof EgressRefusedError) return err.message;
  const e = errorContext(err);
  return e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message;
}
