/** Wire schemas of approvals: reading and deciding them, decision links, and the worker's ask-and-wait. */
import Type, { type Static } from 'typebox';
import { ApprovalTimeoutPolicy } from './agents.ts';
import { ListQueryFields, Nullable, OneOf, Time } from './common.ts';

export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'expired', 'cancelled'] as const;
export const ApprovalStatus = OneOf(APPROVAL_STATUSES);
export type ApprovalStatus = Static<typeof ApprovalStatus>;

const Decision = Type.Union([Type.Literal('approve'), Type.Literal('reject')]);

export const ApprovalVote = Type.Object({
  voter: Type.String(),
  voter_name: Nullable(Type.String()),
  decision: Decision,
  comment: Nullable(Type.String()),
  at: Time,
});
export type ApprovalVote = Static<typeof ApprovalVote>;

export const Approval = Type.Object({
  id: Type.String(),
  run_id: Type.String(),
  agent: Type.String(),
  key: Type.String(),
  /** `manifest` (declared on the endpoint) or `worker` (asked by worker code). */
  source: Type.Union([Type.Literal('manifest'), Type.Literal('worker'), Type.Literal('workflow')]),
  status: ApprovalStatus,
  /** The outcome once settled: true = go ahead. null while pending. */
  approved: Nullable(Type.Boolean()),
  prompt: Type.String(),
  payload: Type.Unknown(),
  assignees: Type.Array(Type.String()),
  required_approvals: Type.Integer(),
  votes: Type.Array(ApprovalVote),
  on_timeout: ApprovalTimeoutPolicy,
  expires_at: Nullable(Time),
  decided_by: Nullable(Type.String()),
  comment: Nullable(Type.String()),
  reason: Nullable(Type.String()),
  created_at: Time,
  decided_at: Nullable(Time),
});
export type Approval = Static<typeof Approval>;

export const ApprovalListQuery = Type.Object(
  {
    ...ListQueryFields,
    status: Type.Optional(Type.String({ description: 'pending, approved, rejected, expired, cancelled; several separated by commas' })),
    agent: Type.Optional(Type.String()),
    run: Type.Optional(Type.String()),
    assignee: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type ApprovalListQuery = Static<typeof ApprovalListQuery>;

export const ApproveBody = Type.Optional(Type.Union([Type.Object({ comment: Type.Optional(Type.String({ maxLength: 10_000 })) }, { additionalProperties: false }), Type.Null()]));
export type ApproveBody = Static<typeof ApproveBody>;
export const RejectBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 10_000 }) }, { additionalProperties: false });
export type RejectBody = Static<typeof RejectBody>;

export const LinkBody = Type.Optional(
  Type.Union([
    Type.Object(
      {
        decision: Type.Optional(Decision),
        expires_in_ms: Type.Optional(Type.Integer({ minimum: 60_000, maximum: 30 * 86_400_000 })),
        for: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
      },
      { additionalProperties: false },
    ),
    Type.Null(),
  ]),
);
export type LinkBody = Static<typeof LinkBody>;

/** A signed decision link: `path` decides without an API key, once, until `expires_at`. */
export const ApprovalLink = Type.Object({ token: Type.String(), path: Type.String(), decision: Type.Union([Type.String(), Type.Null()]), expires_at: Type.String() });
export type ApprovalLink = Static<typeof ApprovalLink>;

export const LinkTokenParams = Type.Object({ token: Type.String({ maxLength: 2000 }) });
export type LinkTokenParams = Static<typeof LinkTokenParams>;

/** What a decision link decides. */
export const ApprovalLinkView = Type.Object({ approval: Approval, decision: Type.Union([Type.String(), Type.Null()]), expires_at: Type.String() });
export type ApprovalLinkView = Static<typeof ApprovalLinkView>;

export const LinkDecisionBody = Type.Optional(
  Type.Union([
    Type.Object(
      {
        decision: Type.Optional(Decision),
        comment: Type.Optional(Type.String({ maxLength: 10_000 })),
        reason: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000 })),
      },
      { additionalProperties: false },
    ),
    Type.Null(),
  ]),
);
export type LinkDecisionBody = Static<typeof LinkDecisionBody>;

export const WorkerApprovalBody = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 200 }),
    prompt: Type.String({ minLength: 1, maxLength: 10_000 }),
    payload: Type.Optional(Type.Unknown()),
    timeout_ms: Type.Optional(Type.Union([Type.Integer({ minimum: 1000, maximum: 90 * 86_400_000 }), Type.Null()])),
    on_timeout: Type.Optional(ApprovalTimeoutPolicy),
    assignees: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100 })),
    required_approvals: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
  },
  { additionalProperties: false },
);
export type WorkerApprovalBody = Static<typeof WorkerApprovalBody>;

export const LeaseApprovalParams = Type.Object({ lease_id: Type.String({ maxLength: 100 }), id: Type.String({ maxLength: 100 }) });
export type LeaseApprovalParams = Static<typeof LeaseApprovalParams>;

/** How long a worker's approval poll waits when it names no `wait_ms` (the schema's default). */
export const APPROVAL_WAIT_DEFAULT_MS = 20_000;
export const ApprovalWaitQuery = Type.Object({ wait_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 30_000, default: APPROVAL_WAIT_DEFAULT_MS })) }, { additionalProperties: false });
export type ApprovalWaitQuery = Static<typeof ApprovalWaitQuery>;
