import type { ScheduleMissedPolicy, ScheduleTarget } from '@agentd/protocol';
import type { Clock } from '../core/index.ts';
import { LeadershipLost, NO_FENCE, type LeaderFence, type Store, type SchedulesTable } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import type { CronCache } from './cron-spec.ts';
import { ScheduleChanged, SlotTaken, type AgentTarget, type ScheduleFiring, type SlotRef } from './schedule-firing.ts';
import { planSlots, type SlotPlan } from './schedule-plan.ts';
import { liveRuns, purgeSlots } from './schedule-scans.ts';

export interface ScheduleTickerOptions {
  store: Store;
  firing: ScheduleFiring;
  crons: CronCache;
  clock: Clock;
  /** Most due schedules (and most buffered slots) handled per tick; the rest wait for the next. Default 1,000. */
  passLimit?: number;
  /** See DEFAULT_LATE_TOLERANCE_MS (schedule-plan.ts). Default 60 s. */
  lateToleranceMs?: number;
  /** How long slot records are kept (the schedule's run list). Default 7 days. */
  slotRetentionMs?: number;
}

export interface TickResult {
  /** Runs started (on time, caught up, or from the buffer). */
  started: number;
  skipped: number;
  buffered: number;
  /** Slots whose run could not be created (the target is gone, disabled, or refuses the input). */
  failed: number;
  /** Missed slots dropped by the missed policy. */
  dropped: number;
  /** Slots another node (or pass) had already handled: the constraint held them to one run. */
  taken: number;
  /** Schedules left for the next tick: a write failed (logged), or the schedule changed meanwhile. */
  retried: number;
  /** The earliest next_fire_at of any schedule after this tick, for when to wake next. */
  nextDueAt: number | null;
}

const LIVE: ReadonlySet<string> = new Set(['queued', 'running', 'waiting']);
/** The loop's name in LoopHealth (readiness names it when it keeps failing). */
export const SCHEDULE_LOOP = 'schedule-ticker';
const PURGE_EVERY_MS = 60_000;
/** The sleep after a tick that left due work behind (a backlog past the pass limit), so it never spins. */
const MIN_TICK_GAP_MS = 20;
/** Runs started per operation by startMany: a few thousand bound parameters per statement, far below either dialect's limit. */
const START_CHUNK = 500;

/**
 * The scheduler: on the timer leader (Store.asLeader; every write fenced), each tick starts the
 * runs of the schedules whose slots have come, through the run service. It wakes at the earliest
 * due slot (or after `idleMs`, so a schedule made on another node or a leader that died is
 * noticed), and `nudge()` wakes it at once after a change on this node.
 */
export class ScheduleTicker {
  readonly #store: Store;
  readonly #firing: ScheduleFiring;
  readonly #crons: CronCache;
  readonly #clock: Clock;
  readonly #passLimit: number;
  readonly #lateToleranceMs: number | undefined;
  readonly #slotRetentionMs: number;
  #lastPurgeAt = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #idleMs = 1000;
  #started = false;
  #again = false;

  constructor(opts: ScheduleTickerOptions) {
    this.#store = opts.store;
    this.#firing = opts.firing;
    this.#crons = opts.crons;
    this.#clock = opts.clock;
    this.#passLimit = opts.passLimit ?? 1000;
    this.#lateToleranceMs = opts.lateToleranceMs;
    this.#slotRetentionMs = opts.slotRetentionMs ?? 7 * 24 * 3_600_000;
  }

  /** Starts ticking; `idleMs` is the longest it sleeps when nothing is due sooner. */
  start(idleMs: number): void {
    if (this.#started) return;
    this.#started = true;
    this.#idleMs = idleMs;
    this.#arm(0);
  }

  async stop(): Promise<void> {
    this.#started = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** A schedule changed on this node: tick now rather than at the next planned wake-up. */
  nudge(): void {
    if (!this.#started) return;
    if (this.#running) this.#again = true;
    else this.#arm(0);
  }

  #arm(delayMs: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#running = this.#tick().then(
        (delay) => {
          this.#running = null;
          if (this.#started) this.#arm(this.#again ? 0 : delay);
          this.#again = false;
        },
        () => {
          this.#running = null;
        },
      );
    }, delayMs);
    this.#timer.unref();
  }

  /** One tick on the leader; never throws. Resolves with how long to sleep before the next. */
  async #tick(): Promise<number> {
    const monitor = this.#store.loops.loop(SCHEDULE_LOOP);
    try {
      const result = await this.#store.asLeader((fence) => this.tickOnce(fence));
      monitor.succeeded();
      if (!result || result.nextDueAt === null) return this.#idleMs;
      // A schedule left for the next tick (its write failed) is still due: waiting the idle time
      // keeps a failing database from being asked again in a tight loop. A backlog past the pass
      // limit is due too, and is taken on after a short gap.
      if (result.retried > 0) return this.#idleMs;
      const wait = result.nextDueAt - this.#clock.now();
      return wait > 0 ? Math.min(this.#idleMs, wait) : MIN_TICK_GAP_MS;
    } catch (err) {
      if (err instanceof LeadershipLost) this.#store.loops.log.warn({ loop: SCHEDULE_LOOP, reason: err.message }, 'agentd: a schedule tick stopped: this node lost the leader lock');
      else monitor.failed(err, { what: 'schedule tick' });
      return this.#idleMs;
    }
  }

  /**
   * One pass: buffered slots whose live run has ended start, then every due schedule handles its
   * slots (planSlots, then the overlap policy per slot). `fence` is the leader's; without one
   * (tests, or two tickers racing on purpose) nothing is fenced and the slot rows' primary key
   * alone keeps each slot to one run. Throws only LeadershipLost.
   */
  async tickOnce(fence: LeaderFence = NO_FENCE): Promise<TickResult> {
    const now = this.#clock.now();
    const result: TickResult = { started: 0, skipped: 0, buffered: 0, failed: 0, dropped: 0, taken: 0, retried: 0, nextDueAt: null };
    await this.#releaseBuffered(fence, result);
    const due = await this.#store
      .allTenants(this.#store.db) // the scan covers every tenant's schedules; each write names its own
      .selectFrom('schedules')
      .selectAll()
      .where('next_fire_at', '<=', now)
      .orderBy('next_fire_at')
      .limit(this.#passLimit)
      .execute();
    const live = await liveRuns(this.#store, due.filter((s) => s.overlap_policy !== 'allow' && s.last_run_id !== null));
    const planned: Planned[] = [];
    for (const s of due) {
      const plan = planSlots({ spec: this.#crons.of(s.cron, s.timezone), cursor: Number(s.next_fire_at), now, missed: s.missed_policy as ScheduleMissedPolicy, lateToleranceMs: this.#lateToleranceMs });
      if (!plan) continue;
      result.dropped += plan.dropped;
      planned.push({ s, plan, live: live.has(`${s.tenant_id}\u0000${s.last_run_id}`) });
    }
    // The usual tick: one slot due, and it starts a run. Those start together, per tenant; the
    // rest, and whatever a batch refused, go one by one.
    const simple = (p: Planned) => p.plan.slots.length === 1 && (!p.live || p.s.overlap_policy === 'allow');
    const alone = [...planned.filter((p) => !simple(p)), ...(await this.#startTogether(planned.filter(simple), fence, result))];
    await Promise.all(alone.map((p) => this.#handle(p, fence, result)));
    if (now - this.#lastPurgeAt >= PURGE_EVERY_MS) {
      this.#lastPurgeAt = now;
      await purgeSlots(this.#store, fence, now - this.#slotRetentionMs);
    }
    const next = await this.#store.allTenants(this.#store.db).selectFrom('schedules').select((eb) => eb.fn.min('next_fire_at').as('at')).executeTakeFirst();
    result.nextDueAt = next?.at === null || next?.at === undefined ? null : Number(next.at);
    return result;
  }

  /** Buffered slots (buffer_one) whose schedule's last run has ended: each starts its run now. */
  async #releaseBuffered(fence: LeaderFence, result: TickResult): Promise<void> {
    const rows = await this.#store
      .allTenants(this.#store.db) // every tenant's buffered slots; each write names its own tenant
      .selectFrom('schedules as s')
      .leftJoin('runs as r', (j) => j.onRef('r.tenant_id', '=', 's.tenant_id').onRef('r.id', '=', 's.last_run_id'))
      .select(['s.tenant_id', 's.id', 's.revision', 's.buffered_slot_at', 's.target', 's.input', 'r.status'])
      .where('s.buffered_slot_at', 'is not', null)
      .where('s.paused_at', 'is', null)
      .orderBy('s.buffered_slot_at')
      .limit(this.#passLimit)
      .execute();
    await Promise.all(
      rows
        .filter((r) => r.status === null || !LIVE.has(r.status))
        .map(async (r) => {
          const ref: SlotRef = { tenantId: r.tenant_id, scheduleId: r.id, slotAt: Number(r.buffered_slot_at), kind: 'cron', cause: 'buffered', revision: Number(r.revision), fence };
          const outcome = await this.#attempt(ref, () => this.#firing.start({ ...ref, target: JSON.parse(r.target) as ScheduleTarget, input: JSON.parse(r.input), fromBuffer: true, change: { buffered: 'clear' } }));
          if (outcome === 'started') result.started++;
          else if (outcome === 'taken') {
            // Someone else started it (or the row is gone): clear the buffer so it is not retried forever.
            result.taken++;
            await this.#store.writer.write(async (ctx) => {
              await fence.check(ctx.trx);
              await ctx.trx.updateTable('schedules').set({ buffered_slot_at: null }).where('tenant_id', '=', r.tenant_id).where('id', '=', r.id).where('buffered_slot_at', '=', ref.slotAt).execute();
            });
          } else this.#count(outcome, result);
        }),
    );
  }

  /** Starts the simple plans' runs per tenant, in chunks (ScheduleFiring.startMany); answers the plans a chunk refused. */
  async #startTogether(plans: Planned[], fence: LeaderFence, result: TickResult): Promise<Planned[]> {
    const byTenant = new Map<string, Planned[]>();
    // Workflow targets go one by one (the workflow starter makes one run and its first steps at a time).
    const refused: Planned[] = [];
    for (const p of plans) {
      if ('workflow' in (JSON.parse(p.s.target) as ScheduleTarget)) refused.push(p);
      else byTenant.set(p.s.tenant_id, [...(byTenant.get(p.s.tenant_id) ?? []), p]);
    }
    const chunks: Planned[][] = [];
    for (const group of byTenant.values()) for (let i = 0; i < group.length; i += START_CHUNK) chunks.push(group.slice(i, i + START_CHUNK));
    await Promise.all(
      chunks.map(async (chunk) => {
        // One schedule alone gains nothing from the batch, and the one-by-one way records a refusal.
        if (chunk.length === 1) return refused.push(...chunk);
        const reqs = chunk.map(({ s, plan }) => ({
          tenantId: s.tenant_id,
          scheduleId: s.id,
          slotAt: plan.slots[0].at,
          kind: 'cron' as const,
          cause: plan.slots[0].cause,
          revision: Number(s.revision),
          target: JSON.parse(s.target) as AgentTarget,
          input: JSON.parse(s.input) as unknown,
          change: { nextFireAt: plan.nextCursor },
        }));
        try {
          await this.#firing.startMany(chunk[0].s.tenant_id, reqs, fence);
          result.started += chunk.length;
        } catch (err) {
          if (err instanceof LeadershipLost) throw err;
          refused.push(...chunk);
        }
      }),
    );
    return refused;
  }

  /** One due schedule: each slot of its plan by the overlap policy, oldest first. */
  async #handle({ s, plan, live: liveAtStart }: Planned, fence: LeaderFence, result: TickResult): Promise<void> {
    const now = this.#clock.now();
    const base = { tenantId: s.tenant_id, scheduleId: s.id, kind: 'cron' as const, revision: Number(s.revision), fence };
    let live = liveAtStart;
    let buffered = s.buffered_slot_at !== null;
    let cursorWritten = false;
    for (const [i, slot] of plan.slots.entries()) {
      const ref: SlotRef = { ...base, slotAt: slot.at, cause: slot.cause };
      // Each slot's write moves the cursor past it, the last one to the plan's end: a pass cut
      // short (a crash, a lost lock) resumes after the last slot it handled.
      const nextFireAt = i === plan.slots.length - 1 ? plan.nextCursor : plan.slots[i + 1].at;
      let outcome: Outcome;
      if (!live || s.overlap_policy === 'allow') {
        outcome = await this.#attempt(ref, () => this.#firing.start({ ...ref, target: JSON.parse(s.target) as ScheduleTarget, input: JSON.parse(s.input), change: { nextFireAt } }), (detail) => this.#firing.record(ref, 'failed', detail, { nextFireAt }));
        if (outcome === 'started') live = true;
      } else if (s.overlap_policy === 'buffer_one' && !buffered) {
        outcome = await this.#attempt(ref, () => this.#firing.record(ref, 'buffered', `waits for run ${s.last_run_id ?? 'of this tick'} to end`, { nextFireAt, buffered: 'set' }), undefined, 'buffered');
        if (outcome === 'buffered') buffered = true;
      } else {
        const why = s.overlap_policy === 'buffer_one' ? 'overlap: a slot is already buffered' : 'overlap: the previous run is still live';
        outcome = await this.#attempt(ref, () => this.#firing.record(ref, 'skipped', why, { nextFireAt }), undefined, 'skipped');
      }
      this.#count(outcome, result);
      if (outcome === 'changed' || outcome === 'error') return;
      cursorWritten = outcome !== 'taken';
    }
    // Nothing written moved the cursor (every slot dropped, or the last one taken elsewhere).
    if (!cursorWritten) {
      const moved = await this.#attempt({ ...base, slotAt: now, cause: 'cron' }, () => this.#firing.advance(base, plan.nextCursor), undefined, 'advanced');
      if (moved === 'changed' || moved === 'error') this.#count(moved, result);
    }
  }

  /**
   * Runs one slot write and says how it went. A DomainError other than a taken slot or a changed
   * schedule means the run could not be created (the target agent is gone, its endpoint disabled,
   * the input no longer fits): `onRefused` records that. Anything else (the database) is logged,
   * and the schedule is left for the next tick. LeadershipLost ends the tick.
   */
  async #attempt(ref: SlotRef, write: () => Promise<unknown>, onRefused?: (detail: string) => Promise<void>, success: Outcome = 'started'): Promise<Outcome> {
    try {
      const ok = await write();
      return ok === false ? 'changed' : success;
    } catch (err) {
      if (err instanceof LeadershipLost) throw err;
      if (err instanceof SlotTaken) return 'taken';
      if (err instanceof ScheduleChanged) return 'changed';
      if (err instanceof DomainError && onRefused) return this.#attempt(ref, () => onRefused(`${err.code}: ${err.message}`), undefined, 'failed');
      this.#store.loops.log.warn({ loop: SCHEDULE_LOOP, tenant_id: ref.tenantId, schedule_id: ref.scheduleId, slot: new Date(ref.slotAt).toISOString(), err }, 'agentd: a schedule slot could not be handled; the next tick tries again');
      return 'error';
    }
  }

  #count(outcome: Outcome, result: TickResult): void {
    if (outcome === 'started') result.started++;
    else if (outcome === 'skipped') result.skipped++;
    else if (outcome === 'buffered') result.buffered++;
    else if (outcome === 'failed') result.failed++;
    else if (outcome === 'taken') result.taken++;
    else if (outcome === 'changed' || outcome === 'error') result.retried++;
  }
}

/** A due schedule, what its tick handles, and whether its last run was live when the tick began. */
interface Planned {
  s: SchedulesTable;
  plan: SlotPlan;
  live: boolean;
}

type Outcome = 'started' | 'skipped' | 'buffered' | 'failed' | 'taken' | 'changed' | 'error' | 'advanced';
