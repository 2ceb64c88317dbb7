import type { RunFailure } from '@agentd/protocol';
import { schemaProblems } from '@agentd/protocol/manifest';
import { precompiled, type RunsTable } from '../store/index.ts';
import type { WriteContext } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import type { AgentService } from '../agents/index.ts';
import { canTransition, completeRuns } from '../runs/index.ts';
import { completeOp, failOp } from './lease-completion.ts';

export type CompletionItem = { lease_id: string; output: unknown } | { lease_id: string; error: RunFailure };
export type CompletionResult = { lease_id: string; ok: true } | { lease_id: string; ok: false; error: { code: string; message: string; details: unknown } };

type LiveRun = Pick<RunsTable, 'id' | 'tenant_id' | 'agent' | 'agent_version' | 'endpoint' | 'status' | 'lease_id'>;

/** The runs a batched completion names by lease id; only what it needs, not the input, output or metadata of a hundred runs. */
const LIVE_RUNS = precompiled(
  (db, p: { tenantId: string; leaseIds: string[]; lock: boolean }, queries) => {
    const q = db
      .selectFrom('runs')
      .select(['id', 'tenant_id', 'agent', 'agent_version', 'endpoint', 'status', 'lease_id'])
      .where('tenant_id', '=', p.tenantId)
      .where(queries.anyOf('lease_id', p.leaseIds));
    return p.lock ? q.forUpdate() : q;
  },
);

/**
 * One chunk of a batched completion, in one write operation. Successes of live leases are
 * written set-wise (completeRuns: one UPDATE of the approvals, one statement for the runs and
 * their attempts on PostgreSQL, two on SQLite); anything else — failures,
 * replays, stale leases — takes the single-item path inside the same transaction, so every item
 * gets exactly the answer it would get alone.
 */
export async function completeChunk(ctx: WriteContext, deps: { agents: AgentService; random: () => number }, tenantId: string, items: CompletionItem[]): Promise<CompletionResult[]> {
  const asResult = (leaseId: string, err: unknown): CompletionResult => {
    if (err instanceof DomainError) return { lease_id: leaseId, ok: false, error: { code: err.code, message: err.message, details: err.details ?? null } };
    throw err;
  };
  const read = await ctx.queries.statements.rows(ctx.trx, LIVE_RUNS, { tenantId, leaseIds: items.map((it) => it.lease_id), lock: ctx.rowLocks });
  const live = new Map(read.filter((r) => canTransition('complete', r.status)).map((r) => [r.lease_id!, r]));
  const results = new Map<number, CompletionResult>();
  const fast: { index: number; run: LiveRun; output: unknown }[] = [];
  const seen = new Set<string>();
  for (const [index, it] of items.entries()) {
    const run = live.get(it.lease_id);
    if (!('output' in it) || !run || seen.has(it.lease_id)) continue;
    seen.add(it.lease_id);
    const value = it.output === undefined ? null : it.output;
    const ep = await deps.agents.resolve({ tenantId, agent: run.agent, version: run.agent_version, endpoint: run.endpoint, db: ctx.trx });
    if (!ep.validateOutput(value)) {
      results.set(index, asResult(it.lease_id, new DomainError('OUTPUT_INVALID', `output does not match the schema of ${run.agent}/${run.endpoint}`, schemaProblems('output', ep.validateOutput.errors))));
      continue;
    }
    fast.push({ index, run, output: value });
  }
  // The state machine's set-wise `complete`; a run it leaves out takes the single path below.
  const completed = await completeRuns(ctx, tenantId, fast);
  for (const f of fast) if (completed.has(f.run.id)) results.set(f.index, { lease_id: f.run.lease_id!, ok: true });
  // Everything else, one by one, with the single-item semantics (replays, stale leases, failures).
  for (const [index, it] of items.entries()) {
    if (results.has(index)) continue;
    try {
      if ('error' in it) await failOp(ctx, deps.random, tenantId, it.lease_id, it.error);
      else await completeOp(ctx, deps.agents, tenantId, it.lease_id, it.output);
      results.set(index, { lease_id: it.lease_id, ok: true });
    } catch (err) {
      results.set(index, asResult(it.lease_id, err));
    }
  }
  return items.map((_, i) => results.get(i)!);
}
