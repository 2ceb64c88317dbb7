import type { Engine } from '../engine/engine.ts';
import type { CompletionItem } from '../engine/lease-service.ts';

/**
 * What a worker reports through a lease (output, failure, events), with every value of a secret
 * granted to the run replaced by `[redacted:<name>]`, before the engine stores any of it.
 */
export async function scrubForLease<T>(engine: Engine, tenantId: string, leaseId: string, value: T): Promise<T> {
  return (await engine.secretDelivery.scrubberFor(tenantId, leaseId))(value);
}

/** The items of a batched completion, each scrubbed for its own lease. */
export function scrubCompletions(engine: Engine, tenantId: string, items: CompletionItem[]): Promise<CompletionItem[]> {
  return Promise.all(
    items.map(async (it): Promise<CompletionItem> =>
      'error' in it ? { ...it, error: await scrubForLease(engine, tenantId, it.lease_id, it.error) } : { ...it, output: await scrubForLease(engine, tenantId, it.lease_id, it.output) },
    ),
  );
}
