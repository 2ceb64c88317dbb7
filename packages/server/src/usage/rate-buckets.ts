import type { WriteContext } from '../store/index.ts';

/** One bucket an acquire takes from: `need` of `capacity`, refilled by `capacity` per minute. */
export interface BucketNeed {
  kind: 'requests' | 'tokens';
  capacity: number;
  need: number;
}

const MINUTE_MS = 60_000;

/**
 * Takes every need from the alias's shared buckets in one write transaction, all or none:
 * 0 when taken, else how long until all of them would be there, ms. The rows are locked
 * (`FOR UPDATE` on PostgreSQL; SQLite has one writer) so two nodes never both take the last
 * tokens. Refill runs on the writing node's clock; `updated_at` never goes back, so a node with
 * a clock behind the others refills nothing rather than refilling twice.
 */
export async function takeFromBuckets(ctx: WriteContext, alias: string, needs: readonly BucketNeed[]): Promise<number> {
  await ctx.trx
    .insertInto('model_rate_buckets')
    .values(needs.map((n) => ({ alias, kind: n.kind, tokens: n.capacity, updated_at: ctx.now })))
    .onConflict((oc) => oc.columns(['alias', 'kind']).doNothing())
    .execute();
  // Always in kind order, so two transactions lock an alias's rows in the same order.
  let q = ctx.trx.selectFrom('model_rate_buckets').selectAll().where('alias', '=', alias).orderBy('kind');
  if (ctx.rowLocks) q = q.forUpdate();
  const rows = new Map((await q.execute()).map((r) => [r.kind, r]));
  let waitMs = 0;
  const after: { kind: string; tokens: number; at: number }[] = [];
  for (const n of needs) {
    const row = rows.get(n.kind);
    const perMs = n.capacity / MINUTE_MS;
    const at = Math.max(row?.updated_at ?? ctx.now, ctx.now);
    const have = Math.min(n.capacity, Number(row?.tokens ?? n.capacity) + Math.max(0, ctx.now - Number(row?.updated_at ?? ctx.now)) * perMs);
    if (have < n.need) waitMs = Math.max(waitMs, Math.ceil((n.need - have) / perMs));
    after.push({ kind: n.kind, tokens: have - n.need, at });
  }
  if (waitMs > 0) return waitMs;
  for (const a of after) {
    await ctx.trx.updateTable('model_rate_buckets').set({ tokens: a.tokens, updated_at: a.at }).where('alias', '=', alias).where('kind', '=', a.kind).execute();
  }
  return 0;
}

/**
 * After a call: takes `delta` more tokens from the alias's tokens bucket (a negative delta gives
 * back what the estimate over-reserved). The bucket may go below zero: the next acquire waits
 * for it to refill, so a call that used more than estimated still counts in full.
 */
export async function settleTokens(ctx: WriteContext, alias: string, delta: number): Promise<void> {
  if (delta === 0) return;
  await ctx.trx
    .updateTable('model_rate_buckets')
    .set((eb) => ({ tokens: eb('tokens', '-', delta) }))
    .where('alias', '=', alias)
    .where('kind', '=', 'tokens')
    .execute();
}
