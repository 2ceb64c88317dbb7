/** Route schema of the audit trail. */
import { Type } from '../http/index.ts';

const Nullable = <T extends Type.TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Time = Type.String({ format: 'date-time' });

export const AuditRecord = Type.Object({
  id: Type.String(),
  at: Time,
  actor: Nullable(Type.String({ description: 'The API key id; null for the system.' })),
  actor_role: Nullable(Type.String()),
  action: Type.String({ description: '`METHOD /route/{pattern}`, or a named action such as `secret.delivered`.' }),
  target_type: Nullable(Type.String()),
  target_id: Nullable(Type.String()),
  outcome: Type.Union([Type.Literal('ok'), Type.Literal('denied'), Type.Literal('error')]),
  status_code: Nullable(Type.Integer()),
  request_id: Nullable(Type.String()),
  details: Type.Record(Type.String(), Type.Unknown()),
});
