import type { FieldProblem, Page, Run, Schedule, ScheduleCreate, ScheduleFire, ScheduleUpdate } from '@agentd/protocol';
import { compileUserSchema, schemaProblems } from '@agentd/protocol/manifest';
import type { Clock } from '../core/index.ts';
import { newestFirstPage, type Store, type SchedulesTable, type WriteContext } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import type { AgentService } from '../agents/index.ts';
import type { CronCache } from './cron-spec.ts';
import { toSchedule, toScheduleFire } from './schedule-codec.ts';
import { definitionOf, differences, rowDefinition, type Definition } from './schedule-definition.ts';
import type { ScheduleFiring } from './schedule-firing.ts';

/** What a workflow target is checked with: its latest version's input schema (null: none). */
export interface ScheduleWorkflows {
  resolve(tenantId: string, name: string): Promise<{ workflow: { inputSchema: Record<string, unknown> | boolean | null } }>;
}

/** Called inside the write with the answer (an Idempotency-Key's record rides along). */
export type ScheduleAfterWrite<T> = (ctx: WriteContext, response: T) => Promise<void>;

export interface ScheduleServiceOptions {
  store: Store;
  agents: AgentService;
  /** Resolves a workflow target (WorkflowService; by type). */
  workflows: ScheduleWorkflows;
  firing: ScheduleFiring;
  crons: CronCache;
  clock: Clock;
  /** Told when a schedule may now be due sooner than the ticker thinks (create, update, resume). */
  onChange?: () => void;
}

/** Schedules of a tenant: create (idempotent by id), read, update, pause, resume, run now, delete, and their slots. */
export class ScheduleService {
  readonly #store: Store;
  readonly #agents: AgentService;
  readonly #workflows: ScheduleWorkflows;
  readonly #firing: ScheduleFiring;
  readonly #crons: CronCache;
  readonly #clock: Clock;
  readonly #onChange: () => void;

  constructor(opts: ScheduleServiceOptions) {
    this.#store = opts.store;
    this.#agents = opts.agents;
    this.#workflows = opts.workflows;
    this.#firing = opts.firing;
    this.#crons = opts.crons;
    this.#clock = opts.clock;
    this.#onChange = opts.onChange ?? (() => {});
  }

  /** The cron and time zone: 422 SCHEDULE_INVALID naming each field. */
  #validateTiming(d: Definition, now: number): void {
    const parsed = this.#crons.parse(d.cron, d.timezone, now);
    if (!parsed.ok) throw new DomainError('SCHEDULE_INVALID', `the schedule cannot be used: ${parsed.problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, parsed.problems.map((p) => ({ ...p, path: `body.${p.path}` })));
  }

  /**
   * The target and input, as creating a run checks them: 404 AGENT_NOT_FOUND or
   * ENDPOINT_NOT_FOUND, 422 INPUT_INVALID, each with the field's path. A disabled endpoint is
   * accepted: its slots are recorded as failed until it is enabled again.
   */
  async #validateTarget(tenantId: string, d: Definition): Promise<void> {
    const t = d.target;
    if ('workflow' in t) {
      // Checked against the latest version now; each slot checks the version it starts.
      const wf = await this.#workflows.resolve(tenantId, t.workflow).catch((err: unknown) => {
        if (err instanceof DomainError && err.code === 'WORKFLOW_NOT_FOUND') throw new DomainError(err.code, `target: ${err.message}`, [{ path: 'body.target.workflow', message: err.message }]);
        throw err;
      });
      const schema = wf.workflow.inputSchema;
      const validate = schema === null ? null : compileUserSchema(schema);
      if (validate && !validate(d.input)) throw new DomainError('INPUT_INVALID', `input does not match the input schema of workflow ${t.workflow}`, schemaProblems('body.input', validate.errors));
      return;
    }
    const ep = await this.#agents.resolveLatest(tenantId, t.agent, t.endpoint).catch((err: unknown) => {
      if (err instanceof DomainError && (err.code === 'AGENT_NOT_FOUND' || err.code === 'ENDPOINT_NOT_FOUND')) {
        throw new DomainError(err.code, `target: ${err.message}`, [{ path: `body.target.${err.code === 'AGENT_NOT_FOUND' ? 'agent' : 'endpoint'}`, message: err.message }]);
      }
      throw err;
    });
    if (!ep.validateInput(d.input)) {
      const problems: FieldProblem[] = schemaProblems('body.input', ep.validateInput.errors);
      throw new DomainError('INPUT_INVALID', `input does not match the schema of ${t.agent}/${t.endpoint}`, problems);
    }
  }

  /**
   * Creates the schedule under its client-chosen id. The same id with the same definition is a
   * replay: the schedule as it is, `created` false. Another definition is 409 SCHEDULE_CONFLICT
   * naming the fields that differ. `paused` counts only when the body gives it.
   */
  async create(tenantId: string, body: ScheduleCreate, after: (ctx: WriteContext, schedule: Schedule, created: boolean) => Promise<void>): Promise<Schedule> {
    const d = definitionOf(body);
    this.#validateTiming(d, this.#clock.now());
    await this.#validateTarget(tenantId, d);
    const schedule = await this.#store.writer.write(async (ctx) => {
      const paused = body.paused === true;
      const row: SchedulesTable = {
        tenant_id: tenantId,
        id: body.id,
        cron: d.cron,
        timezone: d.timezone,
        target: JSON.stringify(d.target),
        input: JSON.stringify(d.input),
        overlap_policy: d.overlap_policy,
        missed_policy: d.missed_policy,
        paused_at: paused ? ctx.now : null,
        revision: 1,
        next_fire_at: paused ? null : this.#crons.of(d.cron, d.timezone).nextAfter(ctx.now),
        buffered_slot_at: null,
        last_run_id: null,
        created_at: ctx.now,
        updated_at: ctx.now,
      };
      // DO NOTHING, then read: two creates of one id racing on two nodes both end here, and the
      // one that lost compares against the winner's row instead of failing on the key.
      const inserted = await ctx.trx.insertInto('schedules').values(row).onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing()).returning('id').executeTakeFirst();
      if (inserted) {
        const created = toSchedule(row, this.#crons, ctx.now, this.#store.wire);
        await after(ctx, created, true);
        return created;
      }
      const existing = await this.#lockedRow(ctx, tenantId, body.id);
      const diff: string[] = differences(rowDefinition(existing), d);
      if (body.paused !== undefined && body.paused !== (existing.paused_at !== null)) diff.push('paused');
      if (diff.length > 0) throw new DomainError('SCHEDULE_CONFLICT', `schedule ${body.id} exists with another ${diff.join(', ')}`, { id: body.id, differs: diff });
      const same = toSchedule(existing, this.#crons, ctx.now, this.#store.wire);
      await after(ctx, same, false);
      return same;
    });
    this.#onChange();
    return schedule;
  }

  async #lockedRow(ctx: WriteContext, tenantId: string, id: string): Promise<SchedulesTable> {
    let q = ctx.trx.selectFrom('schedules').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id);
    if (ctx.rowLocks) q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (!row) throw new DomainError('SCHEDULE_NOT_FOUND', `no schedule ${JSON.stringify(id)}`);
    return row;
  }

  async #row(tenantId: string, id: string): Promise<SchedulesTable> {
    const row = await this.#store.db.selectFrom('schedules').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    if (!row) throw new DomainError('SCHEDULE_NOT_FOUND', `no schedule ${JSON.stringify(id)}`);
    return row;
  }

  async get(tenantId: string, id: string): Promise<Schedule> {
    return toSchedule(await this.#row(tenantId, id), this.#crons, this.#clock.now(), this.#store.wire);
  }

  async list(tenantId: string, opts: { limit: number; cursor?: string }): Promise<Page<Schedule>> {
    const q = this.#store.db.selectFrom('schedules').selectAll().where('tenant_id', '=', tenantId);
    const page = await newestFirstPage(q, { cursor: opts.cursor, limit: opts.limit, timeColumn: 'created_at', keyColumn: 'id', cursorOf: (r) => [r.created_at, r.id] });
    const now = this.#clock.now();
    return { data: page.rows.map((r) => toSchedule(r, this.#crons, now, this.#store.wire)), next_cursor: page.next_cursor };
  }

  /**
   * Changes the definition (and `paused`). A new cron or time zone starts from now: slots of the
   * old one not yet handled are dropped. A buffered slot is dropped when the overlap policy is no
   * longer buffer_one, or the schedule is paused.
   */
  async update(tenantId: string, id: string, patch: ScheduleUpdate): Promise<Schedule> {
    const current = await this.#row(tenantId, id);
    const before = rowDefinition(current);
    const d: Definition = {
      cron: patch.cron?.trim() ?? before.cron,
      timezone: patch.timezone ?? before.timezone,
      target: patch.target ?? before.target,
      input: patch.input === undefined ? before.input : patch.input,
      overlap_policy: patch.overlap_policy ?? before.overlap_policy,
      missed_policy: patch.missed_policy ?? before.missed_policy,
    };
    // Only what the patch names is checked: pausing a schedule whose agent is gone still works.
    if (patch.cron !== undefined || patch.timezone !== undefined) this.#validateTiming(d, this.#clock.now());
    if (patch.target !== undefined || patch.input !== undefined) await this.#validateTarget(tenantId, d);
    const schedule = await this.#store.writer.write(async (ctx) => {
      const row = await this.#lockedRow(ctx, tenantId, id);
      // The patch was applied to (and checked against) the row read before; another change since
      // would be overwritten with its old values.
      if (Number(row.revision) !== Number(current.revision)) throw new DomainError('SCHEDULE_CONFLICT', `schedule ${id} changed while this update was checked; send it again`, { id });
      const changed = differences(rowDefinition(row), d);
      const paused = patch.paused ?? row.paused_at !== null;
      const pauseChanged = paused !== (row.paused_at !== null);
      if (changed.length === 0 && !pauseChanged) return toSchedule(row, this.#crons, ctx.now, this.#store.wire);
      const timing = changed.includes('cron') || changed.includes('timezone') || pauseChanged;
      const keepBuffer = !paused && d.overlap_policy === 'buffer_one';
      if (!keepBuffer) await this.#dropBuffered(ctx, row, paused ? 'the schedule was paused' : 'the overlap policy is no longer buffer_one');
      const next: SchedulesTable = {
        ...row,
        cron: d.cron,
        timezone: d.timezone,
        target: JSON.stringify(d.target),
        input: JSON.stringify(d.input),
        overlap_policy: d.overlap_policy,
        missed_policy: d.missed_policy,
        paused_at: paused ? (row.paused_at ?? ctx.now) : null,
        revision: Number(row.revision) + 1,
        next_fire_at: paused ? null : timing ? this.#crons.of(d.cron, d.timezone).nextAfter(ctx.now) : row.next_fire_at,
        buffered_slot_at: keepBuffer ? row.buffered_slot_at : null,
        updated_at: ctx.now,
      };
      await ctx.trx.updateTable('schedules').set(next).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
      return toSchedule(next, this.#crons, ctx.now, this.#store.wire);
    });
    this.#onChange();
    return schedule;
  }

  /**
   * Pauses or resumes. Paused, no slot fires and none is buffered; resuming starts from the next
   * slot after now (the slots of the pause are not caught up). Pausing a paused schedule (or
   * resuming an active one) changes nothing and answers it as it is.
   */
  async setPaused(tenantId: string, id: string, paused: boolean, opts: { after?: ScheduleAfterWrite<Schedule> } = {}): Promise<Schedule> {
    const { after } = opts;
    const schedule = await this.#store.writer.write(async (ctx) => {
      const row = await this.#lockedRow(ctx, tenantId, id);
      let next = row;
      if (paused !== (row.paused_at !== null)) {
        if (paused) await this.#dropBuffered(ctx, row, 'the schedule was paused');
        next = {
          ...row,
          paused_at: paused ? ctx.now : null,
          next_fire_at: paused ? null : this.#crons.of(row.cron, row.timezone).nextAfter(ctx.now),
          buffered_slot_at: paused ? null : row.buffered_slot_at,
          revision: Number(row.revision) + 1,
          updated_at: ctx.now,
        };
        await ctx.trx
          .updateTable('schedules')
          .set({ paused_at: next.paused_at, next_fire_at: next.next_fire_at, buffered_slot_at: next.buffered_slot_at, revision: next.revision, updated_at: next.updated_at })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .execute();
      }
      const answer = toSchedule(next, this.#crons, ctx.now, this.#store.wire);
      if (after) await after(ctx, answer);
      return answer;
    });
    if (!paused) this.#onChange();
    return schedule;
  }

  /** A buffered slot that will never start: its row says why. */
  async #dropBuffered(ctx: WriteContext, row: SchedulesTable, why: string): Promise<void> {
    if (row.buffered_slot_at === null) return;
    await ctx.trx
      .updateTable('schedule_slots')
      .set({ outcome: 'skipped', detail: `dropped from the buffer: ${why}` })
      .where('tenant_id', '=', row.tenant_id)
      .where('schedule_id', '=', row.id)
      .where('slot_at', '=', row.buffered_slot_at)
      .where('kind', '=', 'cron')
      .where('outcome', '=', 'buffered')
      .execute();
  }

  /** Deletes the schedule and its slot records; the runs it made stay (their metadata names it). */
  async delete(tenantId: string, id: string): Promise<void> {
    await this.#store.writer.write(async (ctx) => {
      await this.#lockedRow(ctx, tenantId, id);
      await ctx.trx.deleteFrom('schedule_slots').where('tenant_id', '=', tenantId).where('schedule_id', '=', id).execute();
      await ctx.trx.deleteFrom('schedules').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    });
  }

  /**
   * Starts one run now, paused or not, whatever the overlap policy: it is asked for. Its slot is
   * the request's time in the `manual` key space (never a cron slot), and it becomes the
   * schedule's last run, so an overlap policy counts it.
   */
  async runNow(tenantId: string, id: string, opts: { after?: ScheduleAfterWrite<Run> } = {}): Promise<Run> {
    const { after } = opts;
    const row = await this.#row(tenantId, id);
    const d = rowDefinition(row);
    return this.#firing.start({
      tenantId,
      scheduleId: id,
      slotAt: this.#clock.now(),
      kind: 'manual',
      cause: 'manual',
      revision: null,
      target: d.target,
      input: d.input,
      change: {},
      after,
    });
  }

  /** The schedule's slots, newest first: each one's outcome and run (with the run's status now). */
  async fires(tenantId: string, id: string, opts: { limit: number; cursor?: string }): Promise<Page<ScheduleFire>> {
    await this.#row(tenantId, id);
    const q = this.#store.db
      .selectFrom('schedule_slots as s')
      .leftJoin('runs as r', (j) => j.onRef('r.tenant_id', '=', 's.tenant_id').onRef('r.id', '=', 's.run_id'))
      .selectAll('s')
      .select('r.status as run_status')
      .where('s.tenant_id', '=', tenantId)
      .where('s.schedule_id', '=', id);
    const page = await newestFirstPage(q, { cursor: opts.cursor, limit: opts.limit, timeColumn: 's.slot_at', keyColumn: 's.kind', cursorOf: (r) => [r.slot_at, r.kind] });
    return { data: page.rows.map((r) => toScheduleFire(r, this.#store.wire)), next_cursor: page.next_cursor };
  }
}
