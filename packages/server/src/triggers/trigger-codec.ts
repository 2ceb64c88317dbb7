import type { Trigger, TriggerAuthMode, TriggerDelivery, TriggerDeliveryOutcome, TriggerMapping, TriggerTarget } from '@agentd/protocol';
import type { WireFormat } from '../core/index.ts';
import type { TriggerDeliveriesTable, TriggersTable } from '../store/index.ts';

/** The public path deliveries go to; `base` (scheme and host) makes it absolute. */
export const hookPath = (id: string): string => `/v1/hooks/${encodeURIComponent(id)}`;

/** A trigger as the API shows it: never its secret. */
export function toTrigger(r: TriggersTable, wire: WireFormat, base = ''): Trigger {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    url: `${base}${hookPath(r.id)}`,
    target: JSON.parse(r.target) as TriggerTarget,
    auth: r.auth as TriggerAuthMode,
    mapping: r.mapping === null ? null : (JSON.parse(r.mapping) as TriggerMapping),
    rate_limit: { count: Number(r.rate_count), period_seconds: Math.round(Number(r.rate_period_ms) / 1000) },
    secret_version: Number(r.secret_version),
    created_at: wire.iso(Number(r.created_at)),
    updated_at: wire.iso(Number(r.updated_at)),
  };
}

export function toTriggerDelivery(r: TriggerDeliveriesTable, wire: WireFormat): TriggerDelivery {
  return {
    id: r.id,
    trigger_id: r.trigger_id,
    message_id: r.message_id,
    outcome: r.outcome as TriggerDeliveryOutcome,
    status_code: Number(r.status_code),
    run_id: r.run_id,
    error: r.error_code === null ? null : { code: r.error_code, message: r.error_message ?? '' },
    received_at: wire.iso(Number(r.received_at)),
  };
}
