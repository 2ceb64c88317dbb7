import type { ScheduleCreate, ScheduleMissedPolicy, ScheduleOverlapPolicy, ScheduleTarget } from '@agentd/protocol';
import type { SchedulesTable } from '../store/index.ts';
import { canonicalJson } from '../core/index.ts';

/** What a schedule is, defaults applied: two creates of one id are the same when these are. */
export interface Definition {
  cron: string;
  timezone: string;
  target: ScheduleTarget;
  input: unknown;
  overlap_policy: ScheduleOverlapPolicy;
  missed_policy: ScheduleMissedPolicy;
}

export const DEFAULT_TIMEZONE = 'UTC';

export function definitionOf(body: Omit<ScheduleCreate, 'id' | 'paused'>): Definition {
  return {
    cron: body.cron.trim(),
    timezone: body.timezone ?? DEFAULT_TIMEZONE,
    target: 'workflow' in body.target ? { workflow: body.target.workflow } : { agent: body.target.agent, endpoint: body.target.endpoint },
    input: body.input === undefined ? null : body.input,
    overlap_policy: body.overlap_policy ?? 'skip',
    missed_policy: body.missed_policy ?? 'skip',
  };
}

export function rowDefinition(row: SchedulesTable): Definition {
  return {
    cron: row.cron,
    timezone: row.timezone,
    target: JSON.parse(row.target) as ScheduleTarget,
    input: JSON.parse(row.input) as unknown,
    overlap_policy: row.overlap_policy as ScheduleOverlapPolicy,
    missed_policy: row.missed_policy as ScheduleMissedPolicy,
  };
}

/** The fields whose values differ, in the order of the definition. */
export function differences(a: Definition, b: Definition): (keyof Definition)[] {
  return (Object.keys(a) as (keyof Definition)[]).filter((k) => canonicalJson(a[k]) !== canonicalJson(b[k]));
}
