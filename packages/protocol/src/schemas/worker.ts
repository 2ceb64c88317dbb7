/** Wire schemas of the worker protocol: leasing, heartbeats, events, completion single and batched. */
import Type, { type Static } from 'typebox';
import { Json, Nullable, Time } from './common.ts';
import { RunFailureInput } from './runs.ts';
import { TaskSession } from './sessions.ts';

/** Why a task carries no secrets: only a worker key that names the agent receives them. */
export const SecretsWithheld = Type.Object(
  { reason: Type.Union([Type.Literal('admin_key'), Type.Literal('all_agents_key')]), message: Type.String() },
  { description: 'Present when the lease was taken with a key that receives no secrets (an admin key, or a worker key for ["*"]); `secrets` is then empty.' },
);
export type SecretsWithheld = Static<typeof SecretsWithheld>;

/** One leased unit of work handed to a worker. */
export const Task = Type.Object({
  lease_id: Type.String(),
  run_id: Type.String(),
  agent: Type.String(),
  agent_version: Type.Integer(),
  endpoint: Type.String(),
  input: Type.Unknown(),
  metadata: Json,
  attempt: Type.Integer(),
  max_attempts: Type.Integer(),
  lease_expires_at: Time,
  deadline_at: Nullable(Time),
  /** When the attempt's own timeout ends it. */
  attempt_deadline_at: Time,
  heartbeat_interval_ms: Type.Integer(),
  /** The call envelope: the run that called this one (`ctx.call`, a workflow step), null for a root run. */
  parent_run_id: Nullable(Type.String()),
  /** The root of the run's tree: its own id for a root run. */
  root_run_id: Type.String(),
  /** The agent of the calling run (null for a root run). */
  caller_agent: Nullable(Type.String()),
  /** 0 for a root run, the parent's depth + 1 for a child. */
  depth: Type.Integer({ minimum: 0 }),
  /** Values of the secrets granted to this agent (and endpoint), by name: for this run only. */
  secrets: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'The values of the secrets granted to this agent and endpoint, for this run only (by name).' })),
  /**
   * Present when the lease was taken by a key that receives no secrets (an admin key, or a worker
   * key for `["*"]`): `secrets` is then empty whatever the grants say.
   */
  secrets_withheld: Type.Optional(SecretsWithheld),
  /** A run of a session: the session and its history before this message (ctx.session in the SDK). */
  session: Type.Optional(TaskSession),
});
export type Task = Static<typeof Task>;

export const LeaseRequest = Type.Object(
  {
    agent: Type.String({ minLength: 1, maxLength: 63 }),
    endpoints: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 63 }), { minItems: 1, maxItems: 100 })),
    max_tasks: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    wait_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 30_000 })),
    worker_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    lease_ttl_ms: Type.Optional(Type.Integer({ minimum: 1000, maximum: 600_000 })),
  },
  { additionalProperties: false },
);
export type LeaseRequest = Static<typeof LeaseRequest>;

export const LeaseResponse = Type.Object({ tasks: Type.Array(Task) });
export type LeaseResponse = Static<typeof LeaseResponse>;

/** `{lease_id}` in a path. */
export const LeaseParams = Type.Object({ lease_id: Type.String({ maxLength: 100 }) });
export type LeaseParams = Static<typeof LeaseParams>;

export const HeartbeatResult = Type.Object({
  lease_id: Type.String(),
  run_id: Type.String(),
  /** `active`: keep going. `cancelled`: the run was cancelled; stop and abandon it. */
  status: Type.Union([Type.Literal('active'), Type.Literal('cancelled')]),
  lease_expires_at: Time,
});
export type HeartbeatResult = Static<typeof HeartbeatResult>;

export const CompleteBody = Type.Object({ output: Type.Optional(Type.Unknown()) }, { additionalProperties: false });
export type CompleteBody = Static<typeof CompleteBody>;

export const FailBody = Type.Object({ error: RunFailureInput }, { additionalProperties: false });
export type FailBody = Static<typeof FailBody>;

export const WorkerEvent = Type.Object(
  { type: Type.String({ minLength: 1, maxLength: 120, pattern: '^[a-z0-9_.-]+$' }), data: Type.Optional(Json) },
  { additionalProperties: false },
);
export type WorkerEvent = Static<typeof WorkerEvent>;

export const AppendEventsBody = Type.Object({ events: Type.Array(WorkerEvent, { minItems: 1, maxItems: 100 }) }, { additionalProperties: false });
export type AppendEventsBody = Static<typeof AppendEventsBody>;
export const EventsAppended = Type.Object({ seqs: Type.Array(Type.Integer()) });
export type EventsAppended = Static<typeof EventsAppended>;

export const CompletionItem = Type.Union([
  Type.Object({ lease_id: Type.String({ minLength: 1 }), output: Type.Unknown() }, { additionalProperties: false, required: ['lease_id', 'output'] }),
  Type.Object({ lease_id: Type.String({ minLength: 1 }), error: RunFailureInput }, { additionalProperties: false }),
]);
export type CompletionItem = Static<typeof CompletionItem>;

export const CompletionResult = Type.Object({
  lease_id: Type.String(),
  ok: Type.Boolean(),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) })),
});
export type CompletionResult = Static<typeof CompletionResult>;

/** A lease riding on a completion call: the same fields, without waiting. */
export const CompleteLease = Type.Omit(LeaseRequest, ['wait_ms'], { additionalProperties: false });
export type CompleteLease = Static<typeof CompleteLease>;

export const BatchCompleteBody = Type.Object({ results: Type.Array(CompletionItem, { minItems: 1, maxItems: 500 }), lease: Type.Optional(CompleteLease) }, { additionalProperties: false });
export type BatchCompleteBody = Static<typeof BatchCompleteBody>;
export const BatchCompleteResult = Type.Object({ results: Type.Array(CompletionResult), tasks: Type.Optional(Type.Array(Task)) });
export type BatchCompleteResult = Static<typeof BatchCompleteResult>;
