import { EventType, type RecordedStep, type StepRecorded } from '@agentd/protocol';
import type { Store } from '../store/index.ts';
import { appendRunEvents, LEASED_STATUSES } from '../runs/index.ts';
import { runByLease, staleLease } from '../leases/index.ts';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/index.ts';

/**
 * Durable steps (`ctx.step` in the worker): a step's result is a `run.step` event, recorded
 * through the lease before the worker uses it, so a later attempt of the run reads it back
 * instead of running the step again. The first record of a key stays: recording it again (a
 * retried request, or a later attempt that ran the step anyway) answers the first.
 */
export class StepService {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /** Records step `key`'s output (already scrubbed by the caller) unless the run recorded that key before. */
  async record(tenantId: string, leaseId: string, step: { key: string; output: unknown }): Promise<StepRecorded> {
    return this.#store.writer.write(async (ctx) => {
      // The run row is locked to the commit: two records of one key are taken one after the other.
      const run = await runByLease(ctx, tenantId, leaseId, LEASED_STATUSES);
      const first = (await this.#steps(ctx.trx, tenantId, run.id)).find((s) => s.key === step.key);
      if (first) return { recorded: false, step: first };
      const output = step.output === undefined ? null : step.output;
      const [seq] = await appendRunEvents(ctx, run, [{ type: EventType.runStep, data: { key: step.key, output } }]);
      return { recorded: true, step: { key: step.key, output, seq, at: ctx.wire.iso(ctx.now) } };
    });
  }

  /** The steps the run recorded (any attempt), in order; for the lease's worker only. */
  async list(tenantId: string, leaseId: string): Promise<RecordedStep[]> {
    const db = this.#store.db;
    const run = await db.selectFrom('runs').select(['id', 'status']).where('tenant_id', '=', tenantId).where('lease_id', '=', leaseId).executeTakeFirst();
    if (!run || !(LEASED_STATUSES as readonly string[]).includes(run.status)) throw await staleLease(db, { tenantId, leaseId });
    return this.#steps(db, tenantId, run.id);
  }

  /** Read by (run_id, seq), the run's own events: a run's steps are read once per attempt at most. */
  async #steps(db: Kysely<Database> | Transaction<Database>, tenantId: string, runId: string): Promise<RecordedStep[]> {
    const rows = await db.selectFrom('run_events').select(['seq', 'at', 'data']).where('tenant_id', '=', tenantId).where('run_id', '=', runId).where('type', '=', EventType.runStep).orderBy('seq').execute();
    const seen = new Set<string>();
    const steps: RecordedStep[] = [];
    for (const r of rows) {
      const data = (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as { key: string; output: unknown };
      if (seen.has(data.key)) continue;
      seen.add(data.key);
      steps.push({ key: data.key, output: data.output ?? null, seq: r.seq, at: this.#store.wire.iso(r.at) });
    }
    return steps;
  }
}
