import { EventType, type Approval, type ApprovalSpec, type Page } from '@agentd/protocol';
import { sql } from 'kysely';
import type { Store } from '../store/index.ts';
import type { ApprovalsTable } from '../store/index.ts';
import type { WriteContext } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import type { Clock } from '../core/index.ts';
import { approvedOf, toApproval } from './approval-codec.ts';
import { newestFirstPage } from '../store/index.ts';
import { admitRun, appendRunEvents, approvalRow, holdsLease, isParked, parkRun, rejectRun, requestedEventData, resumeRun, unparkRun, waitForApproval } from '../runs/index.ts';
import { staleLease } from '../leases/index.ts';

/** Who decides: an API key (id and name), or a signed link. */
export interface Decider {
  id: string;
  name: string | null;
}

export interface ApprovalListFilter {
  status?: string;
  agent?: string;
  run?: string;
  assignee?: string;
  limit: number;
  cursor?: string;
}

export interface WorkerApprovalRequest extends ApprovalSpec {
  key: string;
  payload: unknown;
  /**
   * Wait without the lease (the LLM loop): while the approval is pending the run is parked
   * (`waiting`, reason approval, no lease, the attempt ended), in the same commit that asks; the
   * decision puts it back in the queue. Otherwise the worker keeps its lease and heartbeats.
   */
  park?: boolean;
}

/** Lets a route record its idempotent response in the transaction of the decision. */
export type ApprovalRecorder = (ctx: WriteContext, approval: Approval) => Promise<void>;

/**
 * Human approvals. A decision is a compare-and-set on the pending row, so of two concurrent
 * deciders exactly one wins and the other gets 409 with the recorded decision. Runs move with
 * their approvals: a manifest approval releases the run to the queue (or fails it); a worker
 * approval resumes the waiting attempt, whose lease the worker kept alive meanwhile (or, for a
 * run parked while it waited, puts it back in the queue).
 */
export class ApprovalService {
  readonly #store: Store;
  readonly #clock: Clock;

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  async #votes(tenantId: string, ids: string[]) {
    if (ids.length === 0) return [];
    return this.#store.db.selectFrom('approval_votes').selectAll().where('tenant_id', '=', tenantId).where('approval_id', 'in', ids).orderBy('at').execute();
  }

  async #withVotes(tenantId: string, rows: ApprovalsTable[]): Promise<Approval[]> {
    const votes = await this.#votes(tenantId, rows.map((r) => r.id));
    return rows.map((r) => toApproval(r, votes.filter((v) => v.approval_id === r.id), this.#store.wire));
  }

  async #row(tenantId: string, id: string, trx: WriteContext['trx'] | null = null): Promise<ApprovalsTable> {
    const row = await (trx ?? this.#store.db).selectFrom('approvals').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    if (!row) throw new DomainError('APPROVAL_NOT_FOUND', `no approval ${JSON.stringify(id)}`);
    return row;
  }

  async get(tenantId: string, id: string): Promise<Approval> {
    const [a] = await this.#withVotes(tenantId, [await this.#row(tenantId, id)]);
    return a;
  }

  async list(tenantId: string, f: ApprovalListFilter): Promise<Page<Approval>> {
    let q = this.#store.db.selectFrom('approvals').selectAll().where('tenant_id', '=', tenantId);
    if (f.status) q = q.where('status', 'in', f.status.split(','));
    if (f.agent) q = q.where('agent', '=', f.agent);
    if (f.run) q = q.where('run_id', '=', f.run);
    // Assignees are a JSON list of strings; the quoted form matches one element exactly. LIKE's
    // wildcards in a name (`a_b`, `50%`) are escaped, so they match themselves and nothing else.
    if (f.assignee) q = q.where(sql<boolean>`${sql.ref('assignees')} like ${`%${escapeLike(JSON.stringify(f.assignee))}%`} escape '\\'`);
    const page = await newestFirstPage(q, { cursor: f.cursor, limit: f.limit, timeColumn: 'created_at', keyColumn: 'id', cursorOf: (r) => [r.created_at, r.id] });
    return { data: await this.#withVotes(tenantId, page.rows), next_cursor: page.next_cursor };
  }

  /**
   * A worker asks for a decision. The same (run, key) always names the same approval: after a
   * retry or a crash the worker gets the existing one, already decided if it was.
   */
  async requestForLease(tenantId: string, leaseId: string, req: WorkerApprovalRequest): Promise<Approval> {
    const row = await this.#store.writer.write(async (ctx) => {
      // Locked to the commit: a run cancelled meanwhile must not gain a pending approval.
      let q = ctx.trx.selectFrom('runs').selectAll().where('tenant_id', '=', tenantId).where('lease_id', '=', leaseId);
      if (ctx.rowLocks) q = q.forUpdate();
      const run = await q.executeTakeFirst();
      if (!run || !holdsLease(run.status)) throw await staleLease(ctx.trx, { tenantId, leaseId });
      const existing = await ctx.trx.selectFrom('approvals').selectAll().where('tenant_id', '=', run.tenant_id).where('run_id', '=', run.id).where('approval_key', '=', req.key).executeTakeFirst();
      if (existing) {
        if (existing.status === 'pending') await (req.park ? parkRun(ctx, run, leaseId, 'approval', { approval_id: existing.id }) : waitForApproval(ctx, run, leaseId, existing.id));
        return existing;
      }
      const created = approvalRow({ id: this.#store.ids.next('apr', ctx.now), run, source: 'worker', key: req.key, spec: req, payload: req.payload, now: ctx.now, leaseId });
      await ctx.trx.insertInto('approvals').values(created).execute();
      await appendRunEvents(ctx, run, [{ type: EventType.approvalRequested, data: requestedEventData(created) }]);
      // running → waiting; a run already waiting (on another approval) stays as it is.
      const after = { ...run, last_seq: run.last_seq + 1 };
      await (req.park ? parkRun(ctx, after, leaseId, 'approval', { approval_id: created.id }) : waitForApproval(ctx, after, leaseId, created.id));
      return created;
    });
    return this.get(tenantId, row.id);
  }

  /**
   * Approve or reject as `decider`. Quorum: `required_approvals` distinct approvers; one rejection
   * decides. `link`: decided through a signed link (single use by its `jti`). `record`: the
   * route's idempotency record, written in the decision's transaction with the answer.
   */
  async decide(
    tenantId: string,
    id: string,
    decider: Decider,
    decision: 'approve' | 'reject',
    text: { comment?: string | null; reason?: string | null },
    opts: { link?: { jti: string }; record?: ApprovalRecorder } = {},
  ): Promise<Approval> {
    const { link, record } = opts;
    const before = await this.#row(tenantId, id);
    const assignees = JSON.parse(before.assignees) as string[];
    if (!link && assignees.length > 0 && !assignees.includes(decider.id) && !(decider.name && assignees.includes(decider.name))) {
      throw new DomainError('FORBIDDEN', 'this approval is assigned to others', { assignees });
    }
    return this.#store.writer.write(async (ctx) => {
      await this.#lockRun(ctx, tenantId, before.run_id);
      if (link) {
        const used = await ctx.trx.selectFrom('approval_links_used').select('jti').where('tenant_id', '=', tenantId).where('jti', '=', link.jti).executeTakeFirst();
        if (used) throw new DomainError('APPROVAL_LINK_INVALID', 'this decision link was already used');
      }
      // The compare-and-set that makes one decision win: a no-op update that only a pending row passes.
      const row = await ctx.trx.updateTable('approvals').set((eb) => ({ status: eb.ref('status') })).where('tenant_id', '=', tenantId).where('id', '=', id).where('status', '=', 'pending').returningAll().executeTakeFirst();
      if (!row) throw await this.#settledError(ctx, tenantId, id);
      if (row.expires_at !== null && row.expires_at <= ctx.now) throw new DomainError('APPROVAL_EXPIRED', 'the approval expired before this decision', { status: 'expired', on_timeout: row.on_timeout });
      const voted = await ctx.trx.selectFrom('approval_votes').select('decision').where('tenant_id', '=', tenantId).where('approval_id', '=', id).where('voter', '=', decider.id).executeTakeFirst();
      if (voted) throw new DomainError('APPROVAL_ALREADY_DECIDED', 'you already voted on this approval', { your_vote: voted.decision });
      if (link) await ctx.trx.insertInto('approval_links_used').values({ jti: link.jti, tenant_id: tenantId, approval_id: id, used_at: ctx.now }).execute();
      const note = decision === 'approve' ? (text.comment ?? null) : (text.reason ?? null);
      await ctx.trx.insertInto('approval_votes').values({ approval_id: id, tenant_id: tenantId, voter: decider.id, voter_name: decider.name, decision, comment: note, at: ctx.now }).execute();
      if (decision === 'reject') await this.#settle(ctx, row, 'rejected', decider, text);
      else {
        const approvals = await ctx.trx.selectFrom('approval_votes').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', tenantId).where('approval_id', '=', id).where('decision', '=', 'approve').executeTakeFirstOrThrow();
        if (Number(approvals.n) >= row.required_approvals) await this.#settle(ctx, row, 'approved', decider, text);
        // else: a vote toward the quorum; still pending
      }
      // The answer as this transaction leaves it, so the idempotency record commits with the decision.
      const after = toApproval(await this.#row(tenantId, id, ctx.trx), await ctx.trx.selectFrom('approval_votes').selectAll().where('tenant_id', '=', tenantId).where('approval_id', '=', id).orderBy('at').execute(), this.#store.wire);
      if (record) await record(ctx, after);
      return after;
    });
  }

  /**
   * Locks the approval's run before the approval itself. Every writer that touches both (cancel,
   * completion, failure) takes the run first, so two of them can never wait on each other.
   */
  async #lockRun(ctx: WriteContext, tenantId: string, runId: string): Promise<void> {
    if (ctx.rowLocks) await ctx.trx.selectFrom('runs').select('id').where('tenant_id', '=', tenantId).where('id', '=', runId).forUpdate().execute();
  }

  async #settledError(ctx: WriteContext, tenantId: string, id: string): Promise<DomainError> {
    const row = await this.#row(tenantId, id, ctx.trx);
    const votes = await ctx.trx.selectFrom('approval_votes').selectAll().where('tenant_id', '=', tenantId).where('approval_id', '=', id).execute();
    const recorded = toApproval(row, votes, this.#store.wire);
    if (row.status === 'expired') return new DomainError('APPROVAL_EXPIRED', 'the approval expired before this decision', recorded);
    return new DomainError('APPROVAL_ALREADY_DECIDED', `the approval was already ${row.status}`, recorded);
  }

  /** Records the outcome and moves the run. */
  async #settle(ctx: WriteContext, row: ApprovalsTable, status: 'approved' | 'rejected' | 'expired', decider: Decider | null, text: { comment?: string | null; reason?: string | null }): Promise<void> {
    const decidedBy = decider ? decider.id : 'system:timeout';
    const settled = { ...row, status, decided_by: decidedBy, comment: text.comment ?? null, reason: text.reason ?? null, decided_at: ctx.now };
    await ctx.trx
      .updateTable('approvals')
      .set({ status, decided_by: decidedBy, comment: settled.comment, reason: settled.reason, decided_at: ctx.now })
      .where('tenant_id', '=', row.tenant_id)
      .where('id', '=', row.id)
      .execute();
    const approved = approvedOf(settled) === true;
    // Locked: which way the run moves is decided on its status as of this transaction.
    let runQuery = ctx.trx.selectFrom('runs').selectAll().where('tenant_id', '=', row.tenant_id).where('id', '=', row.run_id);
    if (ctx.rowLocks) runQuery = runQuery.forUpdate();
    let run = await runQuery.executeTakeFirstOrThrow();
    const eventType = status === 'expired' ? EventType.approvalExpired : EventType.approvalDecided;
    await appendRunEvents(ctx, run, [{ type: eventType, data: { approval_id: row.id, status, approved, decided_by: decidedBy, comment: settled.comment, reason: settled.reason, on_timeout: row.on_timeout } }]);
    run = { ...run, last_seq: run.last_seq + 1 };
    if (status === 'expired' && row.on_timeout === 'fail_run') {
      await rejectRun(ctx, run, { type: 'approval_timeout', message: `approval ${row.id} was not decided in time`, non_retryable: true, details: { approval_id: row.id } });
      return;
    }
    if (row.source === 'workflow') {
      // A workflow's approval gate: the workflow driver advances the workflow in this transaction.
      for (const hook of ctx.runHooks.approvalSettled) await hook(ctx, settled, approved, run);
      return;
    }
    if (row.source === 'manifest') {
      if (run.status !== 'waiting') return;
      if (approved) await admitRun(ctx, run, row.id);
      else {
        const type = status === 'expired' ? 'approval_expired' : 'approval_rejected';
        await rejectRun(ctx, run, { type, message: settled.reason ?? `approval ${row.id} was ${status}`, non_retryable: true, details: { approval_id: row.id } });
      }
      return;
    }
    // A worker approval: resume the waiting attempt once nothing else it asked for is pending
    // (a parked run, which holds no lease, goes back to the queue instead).
    if (run.status !== 'waiting') return;
    const others = await ctx.trx.selectFrom('approvals').select('id').where('tenant_id', '=', run.tenant_id).where('run_id', '=', run.id).where('status', '=', 'pending').where('source', '=', 'worker').executeTakeFirst();
    if (others) return;
    if (isParked(run)) await unparkRun(ctx, run, { reason: 'approval', approval_id: row.id });
    else await resumeRun(ctx, run, row.id);
  }

  /** The sweeper's candidates: pending approvals past `expires_at`, oldest first. */
  async dueForExpiry(now: number, limit: number): Promise<{ id: string; tenant_id: string; run_id: string }[]> {
    // The status is a literal, not a parameter, so the partial index on pending approvals applies.
    // The expiry timer scans every tenant's approvals (expireIn writes each within its tenant).
    return this.#store.allTenants(this.#store.db).selectFrom('approvals').select(['id', 'tenant_id', 'run_id']).where(sql<boolean>`status = 'pending'`).where('expires_at', '<', now).orderBy('expires_at').limit(limit).execute();
  }

  /**
   * Inside the sweeper's batch transaction: each approval still pending and past its time settles
   * by its timeout policy (a compare-and-set, as a decision is). Returns how many expired.
   */
  async expireIn(ctx: WriteContext, due: { id: string; tenant_id: string; run_id: string }[]): Promise<number> {
    let n = 0;
    for (const { id, tenant_id, run_id } of due) {
      // Run before approval, as every writer locks them (see #lockRun).
      await this.#lockRun(ctx, tenant_id, run_id);
      const row = await ctx.trx.updateTable('approvals').set((eb) => ({ status: eb.ref('status') })).where('tenant_id', '=', tenant_id).where('id', '=', id).where('status', '=', 'pending').where('expires_at', '<', ctx.now).returningAll().executeTakeFirst();
      if (!row) continue;
      await this.#settle(ctx, row, 'expired', null, { reason: 'timed out' });
      n++;
    }
    return n;
  }

  /**
   * Long-poll for a worker waiting on its approval: answers as soon as it is settled, or with
   * the pending approval after `waitMs`. Fenced by the lease like every worker call.
   */
  async waitForLease(req: { tenantId: string; leaseId: string; approvalId: string; waitMs: number; signal?: AbortSignal }): Promise<Approval> {
    const { tenantId, leaseId, approvalId: id, waitMs, signal } = req;
    const until = Date.now() + waitMs;
    const row = await this.#row(tenantId, id);
    for (;;) {
      const run = await this.#store.db.selectFrom('runs').select(['status', 'lease_id']).where('tenant_id', '=', tenantId).where('id', '=', row.run_id).executeTakeFirstOrThrow();
      if (run.lease_id !== leaseId || !['running', 'waiting', 'cancelled'].includes(run.status)) throw await staleLease(this.#store.db, { tenantId, leaseId, runId: row.run_id });
      const current = await this.get(tenantId, id);
      const remaining = until - Date.now();
      if (current.status !== 'pending' || remaining <= 0 || signal?.aborted || run.status === 'cancelled') return current;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          off();
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(remaining, 1000));
        const off = this.#store.notifier.on(`run:${row.run_id}`, done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }
}

/** A LIKE pattern matching `text` literally (with `ESCAPE '\\'`, on SQLite and PostgreSQL alike). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
