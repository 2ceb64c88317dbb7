/** Wire schemas of event reads: a run's events and the tenant's, as JSON pages (the SSE frames carry the same event). */
import Type, { type Static } from 'typebox';
import { Json, Nullable, Time } from './common.ts';

/** Every event: `seq` is per run, gap-free and starts at 1; `id` orders a tenant's stream. */
export const RunEvent = Type.Object({
  id: Type.String(),
  seq: Type.Integer(),
  type: Type.String(),
  run_id: Type.String(),
  agent: Type.String(),
  at: Time,
  data: Json,
});
export type RunEvent = Static<typeof RunEvent>;

/** The most events one JSON page holds. */
export const EVENT_PAGE_MAX = 1000;
/** Events in a JSON page when the query names no `limit` (the schema's default). */
export const EVENT_PAGE_DEFAULT = 100;
const EventLimit = Type.Optional(Type.Integer({ minimum: 1, maximum: EVENT_PAGE_MAX, default: EVENT_PAGE_DEFAULT }));

export const RunEventsParams = Type.Object({ id: Type.String() });
export type RunEventsParams = Static<typeof RunEventsParams>;

export const RunEventsQuery = Type.Object({ after: Type.Optional(Type.String()), limit: EventLimit }, { additionalProperties: false });
export type RunEventsQuery = Static<typeof RunEventsQuery>;

export const TenantEventsQuery = Type.Object(
  {
    after: Type.Optional(Type.String()),
    limit: EventLimit,
    agent: Type.Optional(Type.String()),
    run: Type.Optional(Type.String()),
    type: Type.Optional(Type.String({ maxLength: 120 })),
    root: Type.Optional(Type.String({ maxLength: 100, description: 'Only the events of the runs of this tree (the root run and its descendants)' })),
  },
  { additionalProperties: false },
);
export type TenantEventsQuery = Static<typeof TenantEventsQuery>;

export const EventPage = Type.Object({ data: Type.Array(RunEvent), next_cursor: Nullable(Type.String()) });
export type EventPage = Static<typeof EventPage>;
