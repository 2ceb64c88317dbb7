import type { Run, ScheduleFireOutcome, ScheduleTarget, ScheduleTrigger } from '@agentd/protocol';
import { sql } from 'kysely';
import { NO_FENCE, type LeaderFence, type Store, type WriteContext } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import type { RunService } from '../runs/index.ts';

/** An agent endpoint target: what startMany batches (a workflow target goes one by one, through start). */
export type AgentTarget = Extract<ScheduleTarget, { agent: string }>;

/** What starts a workflow run (WorkflowStarter; by type, so schedules/ does not import workflows/ at runtime). */
export interface WorkflowRunStarter {
  start(tenantId: string, name: string, body: { input?: unknown; metadata?: Record<string, unknown> }, opts?: { record?: (ctx: WriteContext, run: Run) => Promise<void> }): Promise<Run>;
}

/** `cron` slots and `manual` ones (run now) are two key spaces: a run now never takes a cron slot. */
export type SlotKind = 'cron' | 'manual';

/** What a slot write changes on its schedule row, besides the slot row itself. */
export interface ScheduleChange {
  /** The schedule's next_fire_at after this slot (undefined: left as it is). */
  nextFireAt?: number | null;
  /** The schedule's buffered slot: set to this slot, cleared, or left (undefined). */
  buffered?: 'set' | 'clear';
}

export interface SlotRef {
  tenantId: string;
  scheduleId: string;
  slotAt: number;
  kind: SlotKind;
  cause: ScheduleTrigger;
  /**
   * The revision the caller read: the write applies only while the schedule still has it and is
   * not paused, so a slot handled by a tick that read the schedule before a pause, an update or
   * a delete writes nothing. Null (run now): only that the schedule still exists.
   */
  revision: number | null;
  /** Leader fence of the tick (NO_FENCE for run now: a request, not a timer). */
  fence?: LeaderFence;
}

export interface StartRequest extends SlotRef {
  target: ScheduleTarget;
  input: unknown;
  change: ScheduleChange;
  /** The slot row exists as `buffered` and becomes `started` (its run starts now). */
  fromBuffer?: boolean;
  /** Recorded in the run's transaction (an Idempotency-Key's record). */
  after?: (ctx: WriteContext, run: Run) => Promise<void>;
}

/** The slot already has its row: another node (or an earlier pass) handled it. */
export class SlotTaken extends DomainError {
  constructor(ref: SlotRef) {
    super('SCHEDULE_SLOT_TAKEN', `slot ${new Date(ref.slotAt).toISOString()} of schedule ${ref.scheduleId} already has its ${ref.kind === 'manual' ? 'run now' : 'run'}`);
    this.name = 'SlotTaken';
  }
}

/** The schedule changed (updated, paused, deleted) since the caller read it: nothing was written. */
export class ScheduleChanged extends DomainError {
  constructor(ref: SlotRef) {
    super(ref.revision === null ? 'SCHEDULE_NOT_FOUND' : 'SCHEDULE_CONFLICT', ref.revision === null ? `no schedule ${JSON.stringify(ref.scheduleId)}` : `schedule ${ref.scheduleId} changed while its slot was being handled`);
    this.name = 'ScheduleChanged';
  }
}

/** The metadata a schedule's run carries, so it can be told apart and listed: `metadata.schedule`. */
export function runMetadata(ref: SlotRef): Record<string, unknown> {
  return { schedule: { id: ref.scheduleId, slot: new Date(ref.slotAt).toISOString(), trigger: ref.cause } };
}

/**
 * The writes of one slot. A slot that starts a run is one write operation with the run: the run
 * is created by the run service (its validation, events and hand-off), and inside its
 * transaction the slot's row is inserted. The row's primary key (tenant, schedule, slot, kind)
 * is what makes a slot start at most one run: a second node's insert finds the row (on
 * PostgreSQL it waits for the first transaction, then finds it) and its run rolls back with it.
 */
export class ScheduleFiring {
  readonly #store: Store;
  readonly #runs: RunService;
  readonly #workflowRuns: WorkflowRunStarter;
  /** Write contexts whose transaction already passed the fence (creates joined into one operation share one). */
  readonly #fenced = new WeakSet<WriteContext>();

  constructor(store: Store, runs: RunService, workflowRuns: WorkflowRunStarter) {
    this.#store = store;
    this.#runs = runs;
    this.#workflowRuns = workflowRuns;
  }

  /**
   * Starts the slot's run: of the agent endpoint (the run service), or of the workflow (the
   * workflow starter, its latest version), the slot's writes in the run's transaction either way.
   * Throws SlotTaken or ScheduleChanged (nothing written), or the starter's error.
   */
  start(req: StartRequest): Promise<Run> {
    const after = async (ctx: WriteContext, run: Run) => {
      await this.#fence(ctx, req.fence);
      if (req.fromBuffer) await this.#claimBuffered(ctx, req, run.id);
      else await this.#insertSlot(ctx, req, 'started', null, run.id);
      await this.#changeSchedule(ctx, req, { ...req.change, lastRunId: run.id });
      if (req.after) await req.after(ctx, run);
    };
    const t = req.target;
    if ('workflow' in t) return this.#workflowRuns.start(req.tenantId, t.workflow, { input: req.input, metadata: runMetadata(req) }, { record: after });
    return this.#runs.create(req.tenantId, { agent: t.agent, endpoint: t.endpoint, input: req.input, metadata: runMetadata(req) }, { after });
  }

  /**
   * Starts the runs of several schedules of one tenant, one on-time cron slot each, as one
   * operation: one batch of runs (the run service's), one multi-row insert of their slot rows,
   * one UPDATE of their schedules. All or nothing: a slot already taken, a schedule changed, an
   * input refused fails the whole call, and the caller handles those schedules one by one
   * (`start`), which says which. A thousand schedules due at once then cost a handful of
   * statements instead of a few thousand round trips in one transaction.
   */
  startMany(tenantId: string, reqs: (StartRequest & { target: AgentTarget; revision: number; change: { nextFireAt: number | null } })[], fence: LeaderFence): Promise<Run[]> {
    const items = reqs.map((r) => ({ agent: r.target.agent, endpoint: r.target.endpoint, input: r.input, metadata: runMetadata(r) }));
    return this.#runs.createBatch(tenantId, items, { after: async (ctx, runs) => {
      await this.#fence(ctx, fence);
      const rows = reqs.map((r, i) => ({ tenant_id: tenantId, schedule_id: r.scheduleId, kind: r.kind, slot_at: r.slotAt, cause: r.cause, outcome: 'started', detail: null, run_id: runs[i].id, recorded_at: ctx.now }));
      const inserted = await ctx.trx.insertInto('schedule_slots').values(rows).onConflict((oc) => oc.columns(['tenant_id', 'schedule_id', 'slot_at', 'kind']).doNothing()).returning('schedule_id').execute();
      if (inserted.length < rows.length) throw new SlotTaken(reqs[0]);
      // CAST: PostgreSQL types a bare parameter in a THEN as text; BIGINT reads as INTEGER in SQLite.
      const nextFireAt = sql<number | null>`CASE id ${sql.join(reqs.map((r) => sql`WHEN ${r.scheduleId} THEN CAST(${r.change.nextFireAt} AS BIGINT)`), sql` `)} END`;
      const lastRunId = sql<string>`CASE id ${sql.join(reqs.map((r, i) => sql`WHEN ${r.scheduleId} THEN ${runs[i].id}`), sql` `)} END`;
      const updated = await ctx.trx
        .updateTable('schedules')
        .set({ next_fire_at: nextFireAt, last_run_id: lastRunId })
        .where('tenant_id', '=', tenantId)
        .where('paused_at', 'is', null)
        .where(({ eb, refTuple, tuple }) => eb(refTuple('id', 'revision'), 'in', reqs.map((r) => tuple(r.scheduleId, r.revision))))
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) < reqs.length) throw new ScheduleChanged(reqs[0]);
    } });
  }

  /** Records a slot that starts nothing now (skipped, buffered, or failed to start) with its schedule change. */
  record(ref: SlotRef, outcome: Exclude<ScheduleFireOutcome, 'started'>, detail: string, change: ScheduleChange): Promise<void> {
    return this.#store.writer.write(async (ctx) => {
      await this.#fence(ctx, ref.fence);
      await this.#insertSlot(ctx, ref, outcome, detail, null);
      await this.#changeSchedule(ctx, ref, change);
    });
  }

  /** Moves the schedule's next_fire_at alone (slots dropped by the missed policy, or handled elsewhere). */
  advance(ref: Omit<SlotRef, 'slotAt' | 'kind' | 'cause'>, nextFireAt: number | null): Promise<boolean> {
    return this.#store.writer.write(async (ctx) => {
      await this.#fence(ctx, ref.fence);
      const r = await ctx.trx
        .updateTable('schedules')
        .set({ next_fire_at: nextFireAt })
        .where('tenant_id', '=', ref.tenantId)
        .where('id', '=', ref.scheduleId)
        .where('revision', '=', ref.revision!)
        .where('paused_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    });
  }

  async #fence(ctx: WriteContext, fence: LeaderFence = NO_FENCE): Promise<void> {
    if (fence === NO_FENCE || this.#fenced.has(ctx)) return;
    await fence.check(ctx.trx);
    this.#fenced.add(ctx);
  }

  async #insertSlot(ctx: WriteContext, ref: SlotRef, outcome: ScheduleFireOutcome, detail: string | null, runId: string | null): Promise<void> {
    const inserted = await ctx.trx
      .insertInto('schedule_slots')
      .values({ tenant_id: ref.tenantId, schedule_id: ref.scheduleId, kind: ref.kind, slot_at: ref.slotAt, cause: ref.cause, outcome, detail, run_id: runId, recorded_at: ctx.now })
      .onConflict((oc) => oc.columns(['tenant_id', 'schedule_id', 'slot_at', 'kind']).doNothing())
      .returning('slot_at')
      .executeTakeFirst();
    if (!inserted) throw new SlotTaken(ref);
  }

  /** A buffered slot's row becomes started; only once (compare-and-set on its outcome). */
  async #claimBuffered(ctx: WriteContext, ref: SlotRef, runId: string): Promise<void> {
    const r = await ctx.trx
      .updateTable('schedule_slots')
      .set({ outcome: 'started', cause: 'buffered', run_id: runId, detail: null })
      .where('tenant_id', '=', ref.tenantId)
      .where('schedule_id', '=', ref.scheduleId)
      .where('slot_at', '=', ref.slotAt)
      .where('kind', '=', ref.kind)
      .where('outcome', '=', 'buffered')
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new SlotTaken(ref);
  }

  async #changeSchedule(ctx: WriteContext, ref: SlotRef, change: ScheduleChange & { lastRunId?: string }): Promise<void> {
    let q = ctx.trx.updateTable('schedules').where('tenant_id', '=', ref.tenantId).where('id', '=', ref.scheduleId);
    if (ref.revision !== null) q = q.where('revision', '=', ref.revision).where('paused_at', 'is', null);
    if (change.buffered === 'set') q = q.where('buffered_slot_at', 'is', null);
    if (change.buffered === 'clear') q = q.where('buffered_slot_at', '=', ref.slotAt);
    const r = await q
      .set({
        // A no-op assignment keeps the statement valid (and the row locked) when nothing else changes.
        tenant_id: ref.tenantId,
        ...(change.nextFireAt !== undefined ? { next_fire_at: change.nextFireAt } : {}),
        ...(change.buffered === 'set' ? { buffered_slot_at: ref.slotAt } : change.buffered === 'clear' ? { buffered_slot_at: null } : {}),
        ...(change.lastRunId !== undefined ? { last_run_id: change.lastRunId } : {}),
      })
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new ScheduleChanged(ref);
  }
}
