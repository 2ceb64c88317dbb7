import { timingSafeEqual } from 'node:crypto';
import type { Page, Webhook, WebhookCreateParams, WebhookDeleted, WebhookDelivery, WebhookDeliveryStatus, WebhookUpdateParams, WebhookWithSecret } from '@agentd/protocol';
import { EgressRefusedError, type EgressClient } from '../egress/index.ts';
import type { SecretService } from '../secrets/index.ts';
import { newestFirstPage, type Store, type WebhooksTable, type WriteContext } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import { toDelivery, toWebhook } from './webhook-codec.ts';
import type { WebhookEnqueuer } from './webhook-enqueue.ts';
import { newSigningSecret } from './webhook-signing.ts';

/** Hands the caller's idempotency recorder the transaction of the change. */
export type WebhookRecorder<T> = ((ctx: WriteContext, response: T) => Promise<void>) | undefined;

/** How long a rotated-out secret keeps signing beside the new one, unless the caller says. */
export const DEFAULT_ROTATION_OVERLAP_S = 86_400;

const notFound = (id: string) => new DomainError('WEBHOOK_NOT_FOUND', `no webhook subscription ${JSON.stringify(id)}`);

/**
 * Webhook subscriptions: their URL (checked by the egress policy here, and again on every
 * connection), event filter and signing secrets (sealed by the vault; the plaintext is in the
 * create and rotate answers only), and their delivery log. Every change bumps the tenant's
 * `event_hooks_version` in its own transaction, so every node's enqueue hook sees it from the
 * next commit on.
 */
export class WebhookService {
  readonly #store: Store;
  readonly #secrets: SecretService;
  readonly #egress: EgressClient;
  readonly #enqueuer: WebhookEnqueuer;
  readonly #onRedeliver: () => void;

  constructor(opts: { store: Store; secrets: SecretService; egress: EgressClient; enqueuer: WebhookEnqueuer; onRedeliver: () => void }) {
    this.#store = opts.store;
    this.#secrets = opts.secrets;
    this.#egress = opts.egress;
    this.#enqueuer = opts.enqueuer;
    this.#onRedeliver = opts.onRedeliver;
  }

  /** `secret`: a signing secret the caller chose (the config file's, by reference); default a new random one. */
  async create(input: WebhookCreateParams & { tenantId: string; secret?: string }, record?: WebhookRecorder<WebhookWithSecret>): Promise<WebhookWithSecret> {
    await this.checkUrl(input.url);
    const secret = input.secret ?? newSigningSecret();
    return this.#store.writer.write(async (ctx) => {
      const { trx, now } = ctx;
      const row: WebhooksTable = {
        tenant_id: input.tenantId,
        id: this.#store.ids.next('whk', now),
        url: input.url,
        events: JSON.stringify(input.events),
        agents: input.agents ? JSON.stringify(input.agents) : null,
        description: input.description ?? null,
        status: 'active',
        secret_version: 1,
        failing_since: null,
        created_at: now,
        updated_at: now,
      };
      await trx.insertInto('webhooks').values(row).execute();
      await this.#insertSecret(ctx, row, secret);
      this.#hooksChanged(ctx, input.tenantId);
      const answer = { ...toWebhook(row, this.#store.wire), secret };
      if (record) await record(ctx, answer);
      return answer;
    });
  }

  async list(input: { tenantId: string; limit: number; cursor?: string }): Promise<Page<Webhook>> {
    const q = this.#store.db.selectFrom('webhooks').selectAll().where('tenant_id', '=', input.tenantId);
    const page = await newestFirstPage(q, { cursor: input.cursor, limit: input.limit, timeColumn: 'created_at', keyColumn: 'id', cursorOf: (r) => [Number(r.created_at), r.id] });
    return { data: page.rows.map((r) => toWebhook(r, this.#store.wire)), next_cursor: page.next_cursor };
  }

  async retrieve(input: { tenantId: string; id: string }): Promise<Webhook> {
    const row = await this.#store.db.selectFrom('webhooks').selectAll().where('tenant_id', '=', input.tenantId).where('id', '=', input.id).executeTakeFirst();
    if (!row) throw notFound(input.id);
    return toWebhook(row, this.#store.wire);
  }

  async update(input: WebhookUpdateParams & { tenantId: string; id: string }): Promise<Webhook> {
    if (input.url !== undefined) await this.checkUrl(input.url);
    return this.#store.writer.write(async (ctx) => {
      const { trx, now } = ctx;
      const row = await trx
        .updateTable('webhooks')
        .set({
          updated_at: now,
          ...(input.url !== undefined ? { url: input.url } : {}),
          ...(input.events !== undefined ? { events: JSON.stringify(input.events) } : {}),
          ...(input.agents !== undefined ? { agents: input.agents === null ? null : JSON.stringify(input.agents) } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
        })
        .where('tenant_id', '=', input.tenantId)
        .where('id', '=', input.id)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw notFound(input.id);
      this.#hooksChanged(ctx, input.tenantId);
      return toWebhook(row, this.#store.wire);
    });
  }

  /** Deletes the subscription, its secrets and its delivery log; attempts in flight record nothing. */
  async delete(input: { tenantId: string; id: string }): Promise<WebhookDeleted> {
    return this.#store.writer.write(async (ctx) => {
      const { trx } = ctx;
      const r = await trx.deleteFrom('webhooks').where('tenant_id', '=', input.tenantId).where('id', '=', input.id).executeTakeFirst();
      if (Number(r.numDeletedRows) === 0) throw notFound(input.id);
      await trx.deleteFrom('webhook_secrets').where('tenant_id', '=', input.tenantId).where('webhook_id', '=', input.id).execute();
      await trx.deleteFrom('webhook_deliveries').where('tenant_id', '=', input.tenantId).where('webhook_id', '=', input.id).execute();
      this.#hooksChanged(ctx, input.tenantId);
      return { id: input.id, deleted: true as const };
    });
  }

  /**
   * A new signing secret. The old one keeps signing beside it (a second `v1,` signature) for
   * `overlapSeconds`, so receivers can switch without missing a delivery; older ones stop now.
   */
  async rotateSecret(input: { tenantId: string; id: string; overlapSeconds?: number; secret?: string }, record?: WebhookRecorder<WebhookWithSecret>): Promise<WebhookWithSecret> {
    const secret = input.secret ?? newSigningSecret();
    const overlapMs = (input.overlapSeconds ?? DEFAULT_ROTATION_OVERLAP_S) * 1000;
    return this.#store.writer.write(async (ctx) => {
      const { trx, now } = ctx;
      const row = await trx
        .updateTable('webhooks')
        .set((eb) => ({ secret_version: eb('secret_version', '+', 1), updated_at: now }))
        .where('tenant_id', '=', input.tenantId)
        .where('id', '=', input.id)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw notFound(input.id);
      const previous = Number(row.secret_version) - 1;
      // Versions before the previous one stop signing now; the previous one after the overlap.
      await trx.updateTable('webhook_secrets').set({ signs_until: now }).where('tenant_id', '=', input.tenantId).where('webhook_id', '=', input.id).where('version', '<', previous).where((eb) => eb.or([eb('signs_until', 'is', null), eb('signs_until', '>', now)])).execute();
      await trx.updateTable('webhook_secrets').set({ signs_until: now + overlapMs }).where('tenant_id', '=', input.tenantId).where('webhook_id', '=', input.id).where('version', '=', previous).execute();
      await this.#insertSecret(ctx, row, secret);
      const answer = { ...toWebhook(row, this.#store.wire), secret };
      if (record) await record(ctx, answer);
      return answer;
    });
  }

  async deliveries(input: { tenantId: string; webhookId: string; limit: number; cursor?: string; status?: WebhookDeliveryStatus }): Promise<Page<WebhookDelivery>> {
    await this.retrieve({ tenantId: input.tenantId, id: input.webhookId });
    let q = this.#store.db.selectFrom('webhook_deliveries').selectAll().where('tenant_id', '=', input.tenantId).where('webhook_id', '=', input.webhookId);
    if (input.status) q = q.where('status', '=', input.status);
    const page = await newestFirstPage(q, { cursor: input.cursor, limit: input.limit, timeColumn: 'created_at', keyColumn: 'id', cursorOf: (r) => [Number(r.created_at), r.id] });
    return { data: page.rows.map((r) => toDelivery(r, this.#store.wire)), next_cursor: page.next_cursor };
  }

  async delivery(input: { tenantId: string; webhookId: string; deliveryId: string }): Promise<WebhookDelivery> {
    const row = await this.#store.db.selectFrom('webhook_deliveries').selectAll().where('tenant_id', '=', input.tenantId).where('webhook_id', '=', input.webhookId).where('id', '=', input.deliveryId).executeTakeFirst();
    if (!row) throw this.#deliveryNotFound(input);
    return toDelivery(row, this.#store.wire);
  }

  /**
   * Sends a finished delivery (succeeded or given up) once more, now, with the same `webhook-id`:
   * one attempt, not a new retry schedule. It waits its turn behind the run's pending deliveries
   * to the subscription, like any other. A pending one is already going to be sent: 409.
   */
  async redeliver(input: { tenantId: string; webhookId: string; deliveryId: string }, record?: WebhookRecorder<WebhookDelivery>): Promise<WebhookDelivery> {
    const answer = await this.#store.writer.write(async (ctx) => {
      const { trx, now } = ctx;
      const row = await trx
        .updateTable('webhook_deliveries')
        .set((eb) => ({ status: 'pending', max_attempts: eb('attempts', '+', 1), next_attempt_at: now, lease_id: null, delivered_at: null, updated_at: now }))
        .where('tenant_id', '=', input.tenantId)
        .where('webhook_id', '=', input.webhookId)
        .where('id', '=', input.deliveryId)
        .where('status', '!=', 'pending')
        .returningAll()
        .executeTakeFirst();
      if (row) {
        const delivery = toDelivery(row, this.#store.wire);
        if (record) await record(ctx, delivery);
        return delivery;
      }
      const exists = await trx.selectFrom('webhook_deliveries').select('id').where('tenant_id', '=', input.tenantId).where('webhook_id', '=', input.webhookId).where('id', '=', input.deliveryId).executeTakeFirst();
      if (!exists) throw this.#deliveryNotFound(input);
      throw new DomainError('WEBHOOK_DELIVERY_PENDING', `delivery ${input.deliveryId} is still pending; it will be sent`, { delivery_id: input.deliveryId });
    });
    this.#onRedeliver();
    return answer;
  }

  #deliveryNotFound(input: { webhookId: string; deliveryId: string }): DomainError {
    return new DomainError('WEBHOOK_DELIVERY_NOT_FOUND', `webhook subscription ${JSON.stringify(input.webhookId)} has no delivery ${JSON.stringify(input.deliveryId)}`);
  }

  /**
   * The egress policy's word on a subscription URL before anything is written (create, update,
   * and the config file's reload checking every webhook before it applies any section): 422
   * EGRESS_REFUSED with the reason.
   */
  async checkUrl(url: string): Promise<void> {
    try {
      await this.#egress.check(url);
    } catch (err) {
      if (err instanceof EgressRefusedError) throw new DomainError('EGRESS_REFUSED', err.message, { url, reason: err.reason });
      throw err;
    }
  }

  /** Whether `secret` is the subscription's current signing secret (the config file's reload asks before rotating). */
  async currentSecretIs(input: { tenantId: string; id: string }, secret: string): Promise<boolean> {
    const row = await this.#store.db
      .selectFrom('webhook_secrets')
      .selectAll()
      .where('tenant_id', '=', input.tenantId)
      .where('webhook_id', '=', input.id)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!row) return false;
    const current = Buffer.from(this.#secrets.openWebhookSecret({ tenantId: input.tenantId, webhookId: input.id, version: Number(row.version) }, row));
    const given = Buffer.from(secret);
    return current.length === given.length && timingSafeEqual(current, given);
  }

  async #insertSecret(ctx: WriteContext, row: WebhooksTable, secret: string): Promise<void> {
    const version = Number(row.secret_version);
    const sealed = this.#secrets.sealWebhookSecret({ tenantId: row.tenant_id, webhookId: row.id, version }, secret);
    await ctx.trx.insertInto('webhook_secrets').values({ tenant_id: row.tenant_id, webhook_id: row.id, version, ...sealed, created_at: ctx.now, signs_until: null }).execute();
  }

  /**
   * The tenant's subscriptions changed: its event_hooks_version moves in this transaction, as a
   * deferred step (it locks the tenant row, which must come last; see WriteContext.deferred).
   */
  #hooksChanged(ctx: WriteContext, tenantId: string): void {
    ctx.deferred.push(async (trx) => {
      await trx.updateTable('tenants').set((eb) => ({ event_hooks_version: eb('event_hooks_version', '+', 1) })).where('id', '=', tenantId).execute();
    });
    ctx.afterCommit.push(() => this.#enqueuer.forget(tenantId));
  }
}
