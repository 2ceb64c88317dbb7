import { Type } from '../http/index.ts';

const Nullable = <T extends Type.TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Time = Type.String({ format: 'date-time' });

export const ApprovalVote = Type.Object({
  voter: Type.String(),
  voter_name: Nullable(Type.String()),
  decision: Type.String(),
  comment: Nullable(Type.String()),
  at: Time,
});

export const Approval = Type.Object({
  id: Type.String(),
  run_id: Type.String(),
  agent: Type.String(),
  key: Type.String(),
  source: Type.String(),
  status: Type.Union(['pending', 'approved', 'rejected', 'expired', 'cancelled'].map((s) => Type.Literal(s))),
  approved: Nullable(Type.Boolean()),
  prompt: Type.String(),
  payload: Type.Unknown(),
  assignees: Type.Array(Type.String()),
  required_approvals: Type.Integer(),
  votes: Type.Array(ApprovalVote),
  on_timeout: Type.String(),
  expires_at: Nullable(Time),
  decided_by: Nullable(Type.String()),
  comment: Nullable(Type.String()),
  reason: Nullable(Type.String()),
  created_at: Time,
  decided_at: Nullable(Time),
});

export const ApproveBody = Type.Optional(Type.Union([Type.Object({ comment: Type.Optional(Type.String({ maxLength: 10_000 })) }, { additionalProperties: false }), Type.Null()]));
export const RejectBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 10_000 }) }, { additionalProperties: false });

export const WorkerApprovalBody = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 200 }),
    prompt: Type.String({ minLength: 1, maxLength: 10_000 }),
    payload: Type.Optional(Type.Unknown()),
    timeout_ms: Type.Optional(Type.Union([Type.Integer({ minimum: 1000, maximum: 90 * 86_400_000 }), Type.Null()])),
    on_timeout: Type.Optional(Type.Union([Type.Literal('reject'), Type.Literal('approve'), Type.Literal('fail_run')])),
    assignees: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100 })),
    required_approvals: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
  },
  { additionalProperties: false },
);

export const LinkBody = Type.Optional(
  Type.Union([
    Type.Object(
      {
        decision: Type.Optional(Type.Union([Type.Literal('approve'), Type.Literal('reject')])),
        expires_in_ms: Type.Optional(Type.Integer({ minimum: 60_000, maximum: 30 * 86_400_000 })),
        for: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
      },
      { additionalProperties: false },
    ),
    Type.Null(),
  ]),
);

export const LinkDecisionBody = Type.Optional(
  Type.Union([
    Type.Object(
      {
        decision: Type.Optional(Type.Union([Type.Literal('approve'), Type.Literal('reject')])),
        comment: Type.Optional(Type.String({ maxLength: 10_000 })),
        reason: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000 })),
      },
      { additionalProperties: false },
    ),
    Type.Null(),
  ]),
);
