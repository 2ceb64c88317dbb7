/**
 * What a schedule does when a slot comes while its previous run is still live (overlap), and
 * with the slots that passed while no node was firing (missed). The README's "Schedules"
 * section states the rules; the server's schedules/ folder makes them true.
 */
export const ScheduleOverlapPolicy = {
  /** The slot creates nothing and is recorded as skipped. */
  skip: 'skip',
  /** Every slot starts a run, whatever is still running. */
  allow: 'allow',
  /** The slot waits, at most one at a time, and starts when the live run ends; more are skipped. */
  buffer_one: 'buffer_one',
} as const;
export type ScheduleOverlapPolicy = (typeof ScheduleOverlapPolicy)[keyof typeof ScheduleOverlapPolicy];
export const SCHEDULE_OVERLAP_POLICIES = Object.values(ScheduleOverlapPolicy) as ScheduleOverlapPolicy[];

export const ScheduleMissedPolicy = {
  /** Missed slots are dropped. */
  skip: 'skip',
  /** The missed slots together get one run: the latest of them. */
  run_once: 'run_once',
  /** Each missed slot gets a run, the latest 100 at most (older ones are dropped). */
  run_all: 'run_all',
} as const;
export type ScheduleMissedPolicy = (typeof ScheduleMissedPolicy)[keyof typeof ScheduleMissedPolicy];
export const SCHEDULE_MISSED_POLICIES = Object.values(ScheduleMissedPolicy) as ScheduleMissedPolicy[];

/** How a slot was handled: a run started, skipped (overlap), buffered (buffer_one), or failed to start. */
export const ScheduleFireOutcome = { started: 'started', skipped: 'skipped', buffered: 'buffered', failed: 'failed' } as const;
export type ScheduleFireOutcome = (typeof ScheduleFireOutcome)[keyof typeof ScheduleFireOutcome];
export const SCHEDULE_FIRE_OUTCOMES = Object.values(ScheduleFireOutcome) as ScheduleFireOutcome[];

/** Why a run was made: its cron slot on time, a missed slot caught up, a buffered slot, or run now. */
export const ScheduleTrigger = { cron: 'cron', catch_up: 'catch_up', buffered: 'buffered', manual: 'manual' } as const;
export type ScheduleTrigger = (typeof ScheduleTrigger)[keyof typeof ScheduleTrigger];
export const SCHEDULE_TRIGGERS = Object.values(ScheduleTrigger) as ScheduleTrigger[];
