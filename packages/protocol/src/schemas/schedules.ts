/**
 * Wire schemas of schedules (`/v1/schedules`), each with the TypeScript type of the same name
 * (`Static`). The server validates, serialises and documents its schedule routes with them.
 * Self-contained on purpose: the building blocks below are the same as the shared ones of the
 * other wire schemas (Nullable, OneOf, Time), kept here so this file stands alone.
 */
import Type, { type Static } from 'typebox';
import { SCHEDULE_FIRE_OUTCOMES, SCHEDULE_MISSED_POLICIES, SCHEDULE_OVERLAP_POLICIES, SCHEDULE_TRIGGERS } from '../schedule-policies.ts';
import { Nullable, Time } from './common.ts';

const OneOf = <const T extends string>(values: readonly T[], options: { description?: string } = {}) => Type.Unsafe<T>(Type.Union(values.map((v) => Type.Literal(v)), options));

/** A client-chosen id: letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export const ScheduleId = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' });

/** What a slot starts: a run of this agent endpoint, or of this workflow, with the schedule's input. */
export const ScheduleTarget = Type.Union(
  [
    Type.Object(
      {
        agent: Type.String({ minLength: 1, maxLength: 63 }),
        endpoint: Type.String({ minLength: 1, maxLength: 63 }),
      },
      { additionalProperties: false },
    ),
    Type.Object({ workflow: Type.String({ minLength: 1, maxLength: 63 }) }, { additionalProperties: false }),
  ],
  { description: 'An agent endpoint (`{agent, endpoint}`) or a workflow (`{workflow}`, its latest version when the slot fires).' },
);
export type ScheduleTarget = Static<typeof ScheduleTarget>;

const Cron = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'Cron fields (5: minute precision; 6: with seconds first; 7: with a year last) or a nickname (`@daily`), evaluated by croner in `timezone`.',
});
const TimeZone = Type.String({ minLength: 1, maxLength: 64, description: 'An IANA time zone (`Europe/Berlin`) or `UTC`. Default UTC.' });
const OverlapPolicy = OneOf(SCHEDULE_OVERLAP_POLICIES);
const MissedPolicy = OneOf(SCHEDULE_MISSED_POLICIES);

const definition = {
  cron: Cron,
  timezone: Type.Optional(TimeZone),
  target: ScheduleTarget,
  input: Type.Optional(Type.Unknown({ description: "The input of every run; checked against the endpoint's input schema." })),
  overlap_policy: Type.Optional(OneOf(SCHEDULE_OVERLAP_POLICIES, { description: 'When a slot comes while the previous run is live: skip (default), allow, buffer_one.' })),
  missed_policy: Type.Optional(OneOf(SCHEDULE_MISSED_POLICIES, { description: 'Slots missed while no node fired: skip (default), run_once, run_all (the latest 100 at most).' })),
  paused: Type.Optional(Type.Boolean({ description: 'Create it paused. Default false.' })),
};

export const ScheduleCreate = Type.Object({ id: ScheduleId, ...definition }, { additionalProperties: false });
export type ScheduleCreate = Static<typeof ScheduleCreate>;

export const ScheduleUpdate = Type.Object(
  {
    cron: Type.Optional(Cron),
    timezone: Type.Optional(TimeZone),
    target: Type.Optional(ScheduleTarget),
    input: definition.input,
    overlap_policy: definition.overlap_policy,
    missed_policy: definition.missed_policy,
    paused: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ScheduleUpdate = Static<typeof ScheduleUpdate>;

export const Schedule = Type.Object({
  id: Type.String(),
  cron: Type.String(),
  timezone: Type.String(),
  target: ScheduleTarget,
  input: Type.Unknown(),
  overlap_policy: OverlapPolicy,
  missed_policy: MissedPolicy,
  paused: Type.Boolean(),
  paused_at: Nullable(Time),
  next_fire_times: Type.Array(Time, { description: 'The next five slots after now (UTC), or none while paused.' }),
  buffered_slot: Nullable(Time),
  last_run_id: Nullable(Type.String()),
  revision: Type.Integer({ description: 'Grows with every change of the definition or of paused.' }),
  created_at: Time,
  updated_at: Time,
});
export type Schedule = Static<typeof Schedule>;

/** One slot of a schedule and what came of it. */
export const ScheduleFire = Type.Object({
  schedule_id: Type.String(),
  slot: Time,
  trigger: OneOf(SCHEDULE_TRIGGERS),
  outcome: OneOf(SCHEDULE_FIRE_OUTCOMES),
  detail: Nullable(Type.String()),
  run_id: Nullable(Type.String()),
  run_status: Nullable(Type.String()),
  recorded_at: Time,
});
export type ScheduleFire = Static<typeof ScheduleFire>;

export const ScheduleParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
export type ScheduleParams = Static<typeof ScheduleParams>;

export const ScheduleDeleted = Type.Object({ id: Type.String(), deleted: Type.Boolean() });
export type ScheduleDeleted = Static<typeof ScheduleDeleted>;
