/** Route schemas of findings, log lines and the audit trail (see schemas.ts for the shared ones). */
import { FINDING_SEVERITIES } from '@agentd/protocol';
import { Type } from '../http/index.ts';

const Nullable = <T extends Type.TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Time = Type.String({ format: 'date-time' });
const Severity = Type.Union(FINDING_SEVERITIES.map((s) => Type.Literal(s)));

/** A cursor from `next_cursor`: a non-negative integer, sent as a string. */
export const Cursor = Type.String({ pattern: '^[0-9]{1,15}$', description: 'A `next_cursor` from an earlier page; only items after it.' });

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

export const LogLine = Type.Object({
  id: Type.String({ description: 'The tenant-wide event id (the cursor of GET /v1/logs).' }),
  seq: Type.Integer({ description: "The run's event seq (the cursor of GET /v1/runs/{id}/logs)." }),
  run_id: Type.String(),
  agent: Type.String(),
  at: Time,
  level: Type.String(),
  message: Type.String(),
  fields: Nullable(Type.Record(Type.String(), Type.Unknown())),
});

/** A page read oldest first: `next_cursor` is the last item's cursor, null when nothing new was there. */
export const followPage = <T extends Type.TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), next_cursor: Nullable(Type.String({ description: 'Pass back as `since`; null: caught up, ask again later with the same `since`.' })) });

/** Comma-separated values, each matching `pattern`. */
export const csv = (pattern: string, description: string) => Type.String({ pattern: `^${pattern}(,${pattern})*$`, maxLength: 200, description });
