import type { Webhook, WebhookDelivery, WebhookStatus, WebhookDeliveryStatus } from '@agentd/protocol';
import type { WireFormat } from '../core/index.ts';
import type { WebhookDeliveriesTable, WebhooksTable } from '../store/index.ts';

/** A subscription as the API shows it: never its secret. */
export function toWebhook(r: WebhooksTable, wire: WireFormat): Webhook {
  return {
    id: r.id,
    url: r.url,
    events: JSON.parse(r.events) as string[],
    agents: r.agents === null ? null : (JSON.parse(r.agents) as string[]),
    description: r.description,
    status: r.status as WebhookStatus,
    failing_since: wire.isoOrNull(r.failing_since),
    secret_version: Number(r.secret_version),
    created_at: wire.iso(Number(r.created_at)),
    updated_at: wire.iso(Number(r.updated_at)),
  };
}

export function toDelivery(r: WebhookDeliveriesTable, wire: WireFormat): WebhookDelivery {
  return {
    id: r.id,
    webhook_id: r.webhook_id,
    event_id: String(r.event_id),
    event_type: r.event_type,
    run_id: r.run_id,
    seq: Number(r.seq),
    status: r.status as WebhookDeliveryStatus,
    attempts: Number(r.attempts),
    // While a lease is held, next_attempt_at is when it runs out: still the next attempt at the latest.
    next_attempt_at: r.status === 'pending' ? wire.isoOrNull(r.next_attempt_at === null ? null : Number(r.next_attempt_at)) : null,
    last_attempt_at: wire.isoOrNull(r.last_attempt_at === null ? null : Number(r.last_attempt_at)),
    last_status_code: r.last_status_code === null ? null : Number(r.last_status_code),
    last_error: r.last_error,
    created_at: wire.iso(Number(r.created_at)),
    delivered_at: wire.isoOrNull(r.delivered_at === null ? null : Number(r.delivered_at)),
  };
}
