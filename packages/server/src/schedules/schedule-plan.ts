import type { ScheduleMissedPolicy } from '@agentd/protocol';
import type { CronSpec } from './cron-spec.ts';

/**
 * The most missed slots `run_all` runs after one downtime: the latest ones; older missed slots
 * are dropped. A per-second schedule down for a day would otherwise start 86,400 runs at once.
 */
export const MISSED_RUN_ALL_LIMIT = 100;

/**
 * How late the newest due slot may be and still fire as on time, whatever the missed policy: a
 * tick that ran late (a busy database, a leader taking over, a restart of a few seconds) is not
 * downtime. Past it, the slot counts as missed. Default 60 s.
 */
export const DEFAULT_LATE_TOLERANCE_MS = 60_000;

export interface PlannedSlot {
  /** The slot's instant (epoch ms, a whole second). */
  at: number;
  /** `cron`: on time; `catch_up`: a missed slot run by the missed policy. */
  cause: 'cron' | 'catch_up';
}

export interface SlotPlan {
  /** The slots to handle now, oldest first (the overlap policy decides what each one starts). */
  slots: PlannedSlot[];
  /** Missed slots dropped by the policy (a lower bound when more than the limit were missed). */
  dropped: number;
  /** The earliest slot after this plan; null when the cron has no later time. */
  nextCursor: number | null;
}

export interface PlanInput {
  spec: CronSpec;
  /** The schedule's earliest slot not yet handled (its next_fire_at). */
  cursor: number;
  now: number;
  missed: ScheduleMissedPolicy;
  lateToleranceMs?: number;
}

/**
 * The slots due at `now`, from the cursor on. The newest due slot fires on time unless it is
 * later than the tolerance; every other due slot was missed (no node fired it when it came), and
 * the missed policy says which of those run: none (`skip`), the latest (`run_once`), or each of
 * the latest `MISSED_RUN_ALL_LIMIT` (`run_all`). Null when nothing is due yet.
 */
export function planSlots(input: PlanInput): SlotPlan | null {
  const { spec, cursor, now, missed } = input;
  if (cursor > now) return null;
  const tolerance = input.lateToleranceMs ?? DEFAULT_LATE_TOLERANCE_MS;
  const following = spec.nextAfter(cursor);
  let due: number[];
  let nextCursor: number | null;
  let truncated = false;
  if (following === null || following > now) {
    // The usual tick: the cursor's slot alone is due.
    due = [cursor];
    nextCursor = following;
  } else {
    // Several slots passed: only as many of the latest as the policy can use are listed, so a
    // long downtime of a per-second schedule costs no walk over every second of it.
    const want = missed === 'skip' ? 1 : missed === 'run_once' ? 2 : MISSED_RUN_ALL_LIMIT + 1;
    const latest = spec.latestAtOrBefore(want, now);
    due = latest.filter((t) => t >= cursor);
    truncated = due.length === latest.length && latest[0] > cursor;
    nextCursor = spec.nextAfter(now);
  }
  const newest = due[due.length - 1];
  const onTime = now - newest <= tolerance;
  const late = onTime ? due.slice(0, -1) : due;
  const run = missed === 'skip' ? [] : missed === 'run_once' ? late.slice(-1) : late.slice(-MISSED_RUN_ALL_LIMIT);
  const slots: PlannedSlot[] = [...run.map((at) => ({ at, cause: 'catch_up' as const })), ...(onTime ? [{ at: newest, cause: 'cron' as const }] : [])];
  // When the list was cut, at least one more slot was missed before the first listed.
  return { slots, dropped: late.length - run.length + (truncated ? 1 : 0), nextCursor };
}
