/** Wire schemas of the audit trail. */
import Type, { type Static } from 'typebox';
import { Json, ListQueryFields, Nullable, Time } from './common.ts';

const Outcome = Type.Union([Type.Literal('ok'), Type.Literal('denied'), Type.Literal('error')]);

/** One row of the append-only audit trail. */
export const AuditRecord = Type.Object({
  id: Type.String(),
  at: Time,
  actor: Nullable(Type.String({ description: 'The API key id; null for the system.' })),
  actor_role: Nullable(Type.String()),
  action: Type.String({ description: '`METHOD /route/{pattern}`, or a named action such as `secret.delivered`.' }),
  target_type: Nullable(Type.String()),
  target_id: Nullable(Type.String()),
  outcome: Outcome,
  status_code: Nullable(Type.Integer()),
  request_id: Nullable(Type.String()),
  details: Json,
});
export type AuditRecord = Static<typeof AuditRecord>;

export const AuditQuery = Type.Object(
  {
    ...ListQueryFields,
    actor: Type.Optional(Type.String({ maxLength: 100, description: 'An API key id.' })),
    action: Type.Optional(Type.String({ maxLength: 300, description: 'Exact, e.g. `POST /v1/runs/{id}/cancel`.' })),
    target_type: Type.Optional(Type.String({ maxLength: 100 })),
    target_id: Type.Optional(Type.String({ maxLength: 300 })),
    outcome: Type.Optional(Outcome),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'At or after this time.' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'Before this time.' })),
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuery>;
