import type { LoopMonitor } from '../core/index.ts';
import { LeadershipLost, isStoreUnavailable, type LeaderFence, type Store, type WriteContext } from '../store/index.ts';

/** Handles the rows of one batch inside its transaction; returns how many it changed. */
export type RowOp<R> = (ctx: WriteContext, rows: R[]) => Promise<number>;

/** An error inside a batch that must roll back the whole transaction, whatever it was thrown as. */
class BatchAborted extends Error {
  override readonly cause: unknown;
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'BatchAborted';
    this.cause = cause;
  }
}

/**
 * Writes `rows` in batches: one write operation (so one transaction, shared at most with the
 * requests group-committed alongside) per `batchSize` rows, each fenced by the leader lock. A
 * batch that fails is retried one row per transaction, so a row that cannot be handled fails
 * alone (logged with its context on `monitor`) and the others go through. Any error, even a
 * DomainError, is rethrown as a plain error so the batch's writes roll back: the operation's
 * savepoint undoes exactly them, and the requests sharing the transaction commit. `LeadershipLost`
 * and an unavailable database end the pass at once. Returns how many rows changed and how many
 * failed.
 */
export async function writeInBatches<R>(opts: {
  store: Store;
  fence: LeaderFence;
  monitor: LoopMonitor;
  rows: R[];
  batchSize: number;
  describe: (row: R) => Record<string, unknown>;
  op: RowOp<R>;
}): Promise<{ changed: number; failed: number }> {
  const { store, fence, rows } = opts;
  const run = (batch: R[]) =>
    store.writer.write(async (ctx) => {
      await fence.check(ctx.trx);
      try {
        return await opts.op(ctx, batch);
      } catch (err) {
        throw new BatchAborted(err);
      }
    });
  let changed = 0;
  let failed = 0;
  for (let i = 0; i < rows.length; i += opts.batchSize) {
    const batch = rows.slice(i, i + opts.batchSize);
    try {
      changed += await run(batch);
      continue;
    } catch (err) {
      // The database is gone, not one bad row: trying each row alone would only log the outage
      // once per row. The pass ends; the loop reports the failure and the next tick tries again.
      if (err instanceof LeadershipLost || isStoreUnavailable(unwrap(err))) throw err;
      if (batch.length === 1) {
        failed++;
        opts.monitor.itemFailed(unwrap(err), opts.describe(batch[0]));
        continue;
      }
    }
    for (const row of batch) {
      try {
        changed += await run([row]);
      } catch (err) {
        if (err instanceof LeadershipLost || isStoreUnavailable(unwrap(err))) throw err;
        failed++;
        opts.monitor.itemFailed(unwrap(err), opts.describe(row));
      }
    }
  }
  return { changed, failed };
}

const unwrap = (err: unknown): unknown => (err instanceof BatchAborted ? err.cause : err);
