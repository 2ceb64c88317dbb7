import type { Engine } from '../engine.ts';
import type { CompletionItem } from './lease-service.ts';
import { noScrubbing } from '../secrets/index.ts';

/**
 * What a worker reports through a lease (output, failure, events), with every value of a secret
 * granted to the run replaced by `[redacted:<name>]`, before the engine stores any of it.
 */
export async function scrubForLease<T>(engine: Engine, tenantId: string, leaseId: string, value: T): Promise<T> {
  return (await engine.secretDelivery.scrubberFor(tenantId, leaseId))(value);
}

/** The items of a batched completion, each scrubbed for its own lease (two queries for the whole batch). */
export async function scrubCompletions(engine: Engine, tenantId: string, items: CompletionItem[]): Promise<CompletionItem[]> {
  const scrubbers = await engine.secretDelivery.scrubbersFor(
    tenantId,
    items.map((it) => it.lease_id),
  );
  return items.map((it): CompletionItem => {
    const scrub = scrubbers.get(it.lease_id) ?? noScrubbing;
    return 'error' in it ? { ...it, error: scrub(it.error) } : { ...it, output: scrub(it.output) };
  });
}
