import { EventType } from '@agentd/protocol';
import type { AuditService } from '../audit/index.ts';
import type { WriteContext } from '../store/index.ts';
import type { ClaimedDelivery } from './delivery-claims.ts';
import { retryDelay } from './retry-schedule.ts';

/** How one attempt ended. */
export interface AttemptOutcome {
  ok: boolean;
  statusCode: number | null;
  /** Why it failed (never a header or a secret); null when it succeeded. */
  error: string | null;
  /**
   * The receiver's Retry-After, ms: the next attempt waits at least this long (the schedule's own
   * wait when that is longer). It never adds attempts, and a spent schedule still gives up.
   */
  retryAfterMs?: number | null;
  /** Retrying cannot help (the event is gone): give up now. */
  final?: boolean;
  /**
   * The subscription was deleted after this delivery was queued (a commit that raced the delete):
   * the delivery goes with it, as the delete took the others.
   */
  drop?: boolean;
}

export type Settled = 'succeeded' | 'retrying' | 'failed' | 'dropped' | 'lease_lost';

/** Longest error text kept on a delivery. */
const MAX_ERROR_LENGTH = 500;

/**
 * Records an attempt's outcome on its delivery, fenced by the lease: a sender whose lease ran out
 * (the row was claimed again) changes nothing. A failure is retried after the schedule's next
 * wait, or, with the schedule spent, given up: the delivery is `failed`, the run's next delivery
 * may go, and the subscription turns `failing` with a tenant event and an audit record (both
 * `webhook.failing`). A success turns a failing subscription `active` again (`webhook.recovered`).
 */
export async function settleAttempt(ctx: WriteContext, d: ClaimedDelivery, outcome: AttemptOutcome, opts: { schedule: readonly number[]; random: () => number; audit: AuditService }): Promise<Settled> {
  const { trx, now } = ctx;
  if (outcome.drop) {
    const gone = await trx.deleteFrom('webhook_deliveries').where('tenant_id', '=', d.tenant_id).where('id', '=', d.id).where('lease_id', '=', d.lease_id).executeTakeFirst();
    return Number(gone.numDeletedRows) > 0 ? 'dropped' : 'lease_lost';
  }
  const attempts = d.attempts + 1;
  const scheduled = outcome.ok || outcome.final || attempts >= d.max_attempts ? null : retryDelay(opts.schedule, attempts, opts.random);
  const delay = scheduled === null ? null : Math.max(scheduled, outcome.retryAfterMs ?? 0);
  const status = outcome.ok ? 'succeeded' : delay === null ? 'failed' : 'pending';
  const r = await trx
    .updateTable('webhook_deliveries')
    .set({
      status,
      attempts,
      next_attempt_at: status === 'pending' ? now + (delay ?? 0) : null,
      lease_id: null,
      last_attempt_at: now,
      last_status_code: outcome.statusCode,
      last_error: outcome.error === null ? null : outcome.error.slice(0, MAX_ERROR_LENGTH),
      updated_at: now,
      delivered_at: outcome.ok ? now : null,
    })
    .where('tenant_id', '=', d.tenant_id)
    .where('id', '=', d.id)
    .where('lease_id', '=', d.lease_id)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) return 'lease_lost';
  if (status === 'pending') return 'retrying';
  const turned = await trx
    .updateTable('webhooks')
    .set(outcome.ok ? { status: 'active', failing_since: null, updated_at: now } : { status: 'failing', failing_since: now, updated_at: now })
    .where('tenant_id', '=', d.tenant_id)
    .where('id', '=', d.webhook_id)
    .where('status', '=', outcome.ok ? 'failing' : 'active')
    .executeTakeFirst();
  if (Number(turned.numUpdatedRows) > 0) {
    // The tenant's event: run_events is keyed by run, so the subscription's own id is its
    // stream (seq counted per subscription). Its turn above is taken once (the status guard), so
    // this never races another writer for the same seq.
    const hook = await trx.selectFrom('webhooks').select('url').where('tenant_id', '=', d.tenant_id).where('id', '=', d.webhook_id).executeTakeFirst();
    const last = await trx.selectFrom('run_events').select((eb) => eb.fn.max('seq').as('seq')).where('tenant_id', '=', d.tenant_id).where('run_id', '=', d.webhook_id).executeTakeFirst();
    ctx.events.push({
      tenant_id: d.tenant_id,
      run_id: d.webhook_id,
      agent: '',
      seq: Number(last?.seq ?? 0) + 1,
      type: outcome.ok ? EventType.webhookRecovered : EventType.webhookFailing,
      at: now,
      data: {
        webhook_id: d.webhook_id,
        url: hook?.url ?? null,
        delivery_id: d.id,
        event_type: d.event_type,
        event_run_id: d.run_id,
        attempts,
        status_code: outcome.statusCode,
        ...(outcome.error ? { last_error: outcome.error.slice(0, MAX_ERROR_LENGTH) } : {}),
      },
    });
    await opts.audit.recordIn(ctx, [
      {
        tenantId: d.tenant_id,
        actor: null,
        actorRole: null,
        action: outcome.ok ? 'webhook.recovered' : 'webhook.failing',
        targetType: 'webhook',
        targetId: d.webhook_id,
        outcome: outcome.ok ? 'ok' : 'error',
        statusCode: outcome.statusCode,
        requestId: null,
        details: { delivery_id: d.id, event_type: d.event_type, run_id: d.run_id, seq: d.seq, attempts, ...(outcome.error ? { last_error: outcome.error.slice(0, MAX_ERROR_LENGTH) } : {}) },
      },
    ]);
  }
  return outcome.ok ? 'succeeded' : 'failed';
}
