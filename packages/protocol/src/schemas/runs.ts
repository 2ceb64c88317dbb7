/** Wire schemas of runs: the run, its attempts, creating, listing and cancelling. */
import Type, { type Static } from 'typebox';
import { RUN_KINDS, RUN_STATUSES, WaitingReason as WaitingReasons } from '../states.ts';
import { Json, ListQueryFields, Nullable, OneOf, Time } from './common.ts';

/** How a run attempt failed. Retryability is data, not a class. */
export const RunFailure = Type.Object({
  type: Type.String({ minLength: 1, maxLength: 200 }),
  message: Type.String({ maxLength: 10_000 }),
  non_retryable: Type.Boolean(),
  details: Type.Unknown(),
});
export type RunFailure = Static<typeof RunFailure>;

/** A failure as a worker reports it: `non_retryable` and `details` may be left out. */
export const RunFailureInput = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 200 }),
    message: Type.String({ maxLength: 10_000 }),
    non_retryable: Type.Optional(Type.Boolean()),
    details: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);
export type RunFailureInput = Static<typeof RunFailureInput>;

const WaitingReason = OneOf(Object.values(WaitingReasons));

export const Run = Type.Object({
  id: Type.String(),
  agent: Type.String(),
  agent_version: Type.Integer(),
  endpoint: Type.String(),
  status: OneOf(RUN_STATUSES),
  waiting_reason: Nullable(WaitingReason),
  input: Type.Unknown(),
  output: Type.Unknown(),
  error: Nullable(RunFailure),
  metadata: Json,
  priority: Type.Integer(),
  attempts: Type.Integer(),
  max_attempts: Type.Integer(),
  timeout_ms: Type.Integer(),
  deadline_at: Nullable(Time),
  available_at: Time,
  created_at: Time,
  started_at: Nullable(Time),
  finished_at: Nullable(Time),
  updated_at: Time,
  /** The live-control guard: 1 at creation, +1 on every `PATCH /v1/runs/{id}`; also sent as the `ETag`. */
  generation: Type.Integer({ minimum: 1 }),
  // The call envelope (child runs): a root has no parent, depth 0 and its own id as root_run_id.
  parent_run_id: Nullable(Type.String()),
  root_run_id: Type.String(),
  depth: Type.Integer({ minimum: 0 }),
  caller_agent: Nullable(Type.String()),
  call_key: Nullable(Type.String()),
  step: Nullable(Type.String({ description: 'The workflow step this child run belongs to' })),
  kind: OneOf(RUN_KINDS),
});
export type Run = Static<typeof Run>;

export const RunCreate = Type.Object(
  {
    agent: Type.String({ minLength: 1, maxLength: 63 }),
    endpoint: Type.String({ minLength: 1, maxLength: 63 }),
    input: Type.Optional(Type.Unknown()),
    metadata: Type.Optional(Json),
    priority: Type.Optional(Type.Integer({ minimum: -100, maximum: 100 })),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 3_600_000 })),
    deadline: Type.Optional(Time),
  },
  { additionalProperties: false },
);
export type RunCreate = Static<typeof RunCreate>;

export const RunBatchCreate = Type.Object({ runs: Type.Array(RunCreate, { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false });
export type RunBatchCreate = Static<typeof RunBatchCreate>;
export const RunBatchCreated = Type.Object({ data: Type.Array(Run) });
export type RunBatchCreated = Static<typeof RunBatchCreated>;

export const RunListQuery = Type.Object(
  {
    ...ListQueryFields,
    agent: Type.Optional(Type.String()),
    status: Type.Optional(Type.String({ description: 'One status or several separated by commas' })),
    created_after: Type.Optional(Type.String({ format: 'date-time' })),
    created_before: Type.Optional(Type.String({ format: 'date-time' })),
    root: Type.Optional(Type.String({ maxLength: 100, description: 'Only the runs of this tree: the root run and all its descendants' })),
  },
  { additionalProperties: false },
);
export type RunListQuery = Static<typeof RunListQuery>;

export const RunCancelBody = Type.Optional(Type.Union([Type.Object({ reason: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false }), Type.Null()]));
export type RunCancelBody = Static<typeof RunCancelBody>;

/** How an attempt ended (`running` while it has not). */
export const RUN_ATTEMPT_OUTCOMES = ['running', 'succeeded', 'failed', 'released', 'parked', 'lease_expired', 'cancelled', 'timed_out'] as const;

export const RunAttempt = Type.Object({
  attempt: Type.Integer(),
  lease_id: Type.String(),
  worker_id: Nullable(Type.String()),
  started_at: Time,
  ended_at: Nullable(Time),
  outcome: OneOf(RUN_ATTEMPT_OUTCOMES),
  error: Nullable(RunFailure),
});
export type RunAttempt = Static<typeof RunAttempt>;
export const RunAttemptList = Type.Object({ data: Type.Array(RunAttempt) });
export type RunAttemptList = Static<typeof RunAttemptList>;
