import type { Schedule, ScheduleFire, ScheduleFireOutcome, ScheduleMissedPolicy, ScheduleOverlapPolicy, ScheduleTarget, ScheduleTrigger } from '@agentd/protocol';
import type { WireFormat } from '../core/index.ts';
import type { ScheduleSlotsTable, SchedulesTable } from '../store/index.ts';
import type { CronCache } from './cron-spec.ts';

/** How many upcoming slots a schedule shows. */
export const NEXT_FIRE_TIMES = 5;

/** A schedule row as the API shows it; `next_fire_times` are the next five after `now`, none while paused. */
export function toSchedule(row: SchedulesTable, crons: CronCache, now: number, wire: WireFormat): Schedule {
  const paused = row.paused_at !== null;
  return {
    id: row.id,
    cron: row.cron,
    timezone: row.timezone,
    target: JSON.parse(row.target) as ScheduleTarget,
    input: JSON.parse(row.input) as unknown,
    overlap_policy: row.overlap_policy as ScheduleOverlapPolicy,
    missed_policy: row.missed_policy as ScheduleMissedPolicy,
    paused,
    paused_at: wire.isoOrNull(row.paused_at),
    next_fire_times: paused ? [] : crons.of(row.cron, row.timezone).nextTimes(NEXT_FIRE_TIMES, now).map((t) => new Date(t).toISOString()),
    buffered_slot: wire.isoOrNull(row.buffered_slot_at),
    last_run_id: row.last_run_id,
    revision: Number(row.revision),
    created_at: wire.iso(Number(row.created_at)),
    updated_at: wire.iso(Number(row.updated_at)),
  };
}

export function toScheduleFire(row: ScheduleSlotsTable & { run_status: string | null }, wire: WireFormat): ScheduleFire {
  return {
    schedule_id: row.schedule_id,
    slot: new Date(Number(row.slot_at)).toISOString(),
    trigger: row.cause as ScheduleTrigger,
    outcome: row.outcome as ScheduleFireOutcome,
    detail: row.detail,
    run_id: row.run_id,
    run_status: row.run_status,
    recorded_at: wire.iso(Number(row.recorded_at)),
  };
}
