/** Wire schemas of findings and log lines: lists read oldest first and followed with `since`. */
import Type, { type Static, type TSchema } from 'typebox';
import { FINDING_SEVERITIES } from '../events.ts';
import { Json, Nullable, OneOf, Time } from './common.ts';

const Severity = OneOf(FINDING_SEVERITIES);

/** A cursor from `next_cursor`: a non-negative integer, sent as a string. */
export const Cursor = Type.String({ pattern: '^[0-9]{1,15}$', description: 'A `next_cursor` from an earlier page; only items after it.' });

/** A page read oldest first: `next_cursor` is the last item's cursor, null when nothing new was there. */
export const followPage = <T extends TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), next_cursor: Nullable(Type.String({ description: 'Pass back as `since`; null: caught up, ask again later with the same `since`.' })) });

/** Comma-separated values, each matching `pattern`. */
const csv = (pattern: string, description: string) => Type.String({ pattern: `^${pattern}(,${pattern})*$`, maxLength: 200, description });

export const FindingInput = Type.Object(
  {
    severity: Severity,
    source: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'What found it: a tool, a check, a model.' })),
    file: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'Where: a path, optionally with `:line`.' })),
    summary: Type.String({ minLength: 1, maxLength: 2000 }),
    details: Type.Optional(Type.Unknown({ description: 'Any JSON.' })),
  },
  { additionalProperties: false },
);
export type FindingInput = Static<typeof FindingInput>;

/** A structured result a run posted through its lease. `id` is tenant-wide and commit-ordered. */
export const Finding = Type.Object({
  id: Type.String({ description: 'Tenant-wide, in commit order: the cursor of `since`.' }),
  run_id: Type.String(),
  agent: Type.String(),
  severity: Severity,
  source: Nullable(Type.String()),
  file: Nullable(Type.String()),
  summary: Type.String(),
  details: Type.Unknown(),
  created_at: Time,
});
export type Finding = Static<typeof Finding>;

export const FindingsPostBody = Type.Object({ findings: Type.Array(FindingInput, { minItems: 1, maxItems: 100 }) }, { additionalProperties: false });
export type FindingsPostBody = Static<typeof FindingsPostBody>;
export const FindingsPosted = Type.Object({ data: Type.Array(Finding) });
export type FindingsPosted = Static<typeof FindingsPosted>;

/** Findings in a page when the query names no `limit` (the schema's default). */
export const FINDING_PAGE_DEFAULT = 100;
const FindingLimit = Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: FINDING_PAGE_DEFAULT }));
const Severities = Type.Optional(csv('(critical|warning|info)', 'One severity or several separated by commas.'));

export const FindingsQuery = Type.Object(
  { since: Type.Optional(Cursor), severity: Severities, agent: Type.Optional(Type.String({ maxLength: 63 })), run: Type.Optional(Type.String({ maxLength: 100 })), limit: FindingLimit },
  { additionalProperties: false },
);
export type FindingsQuery = Static<typeof FindingsQuery>;
export const RunFindingsQuery = Type.Object({ since: Type.Optional(Cursor), severity: Severities, limit: FindingLimit }, { additionalProperties: false });
export type RunFindingsQuery = Static<typeof RunFindingsQuery>;
export const FindingPage = followPage(Finding);
export type FindingPage = Static<typeof FindingPage>;

/** A `run.log` event seen as a log line. `id` is the tenant-wide event id, `seq` the run's. */
export const LogLine = Type.Object({
  id: Type.String({ description: 'The tenant-wide event id (the cursor of GET /v1/logs).' }),
  seq: Type.Integer({ description: "The run's event seq (the cursor of GET /v1/runs/{id}/logs)." }),
  run_id: Type.String(),
  agent: Type.String(),
  at: Time,
  level: Type.String(),
  message: Type.String(),
  fields: Nullable(Json),
});
export type LogLine = Static<typeof LogLine>;

/** Log lines in a page when the query names no `limit` (the schema's default). */
export const LOG_PAGE_DEFAULT = 100;
const LogLimit = Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: LOG_PAGE_DEFAULT }));
const Levels = Type.Optional(csv('[a-z]{1,20}', 'One level or several separated by commas (`warn,error`).'));

export const RunLogsQuery = Type.Object({ since: Type.Optional(Cursor), level: Levels, limit: LogLimit }, { additionalProperties: false });
export type RunLogsQuery = Static<typeof RunLogsQuery>;
export const TenantLogsQuery = Type.Object(
  { since: Type.Optional(Cursor), level: Levels, agent: Type.Optional(Type.String({ maxLength: 63 })), run: Type.Optional(Type.String({ maxLength: 100 })), limit: LogLimit },
  { additionalProperties: false },
);
export type TenantLogsQuery = Static<typeof TenantLogsQuery>;
export const LogPage = followPage(LogLine);
export type LogPage = Static<typeof LogPage>;
