/**
 * Route schemas: the single source of request validation, response serialisation and the
 * OpenAPI document. Request objects reject unknown fields (`additionalProperties: false`), so a
 * client cannot smuggle `tenant_id`, `status` or `attempts` into a create.
 */
import Type from 'typebox';
import { ERROR_CODE_LIST, ROLES, RUN_STATUSES } from '@agentd/protocol';

const Nullable = <T extends Type.TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Any = Type.Unknown();
const Json = Type.Record(Type.String(), Type.Unknown());
const Time = Type.String({ format: 'date-time' });

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: `One of ${ERROR_CODE_LIST.join(', ')}` }),
      message: Type.String(),
      details: Any,
      request_id: Type.String(),
    }),
  },
  { $id: 'ErrorBody', description: 'The one error body every route answers with.' },
);

export const RunFailure = Type.Object({
  type: Type.String({ minLength: 1, maxLength: 200 }),
  message: Type.String({ maxLength: 10_000 }),
  non_retryable: Type.Boolean(),
  details: Any,
});

export const RunFailureInput = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 200 }),
    message: Type.String({ maxLength: 10_000 }),
    non_retryable: Type.Optional(Type.Boolean()),
    details: Type.Optional(Any),
  },
  { additionalProperties: false },
);

export const Run = Type.Object({
  id: Type.String(),
  agent: Type.String(),
  agent_version: Type.Integer(),
  endpoint: Type.String(),
  status: Type.Union(RUN_STATUSES.map((s) => Type.Literal(s))),
  waiting_reason: Nullable(Type.String()),
  input: Any,
  output: Any,
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
});

export const RunCreate = Type.Object(
  {
    agent: Type.String({ minLength: 1, maxLength: 63 }),
    endpoint: Type.String({ minLength: 1, maxLength: 63 }),
    input: Type.Optional(Any),
    metadata: Type.Optional(Json),
    priority: Type.Optional(Type.Integer({ minimum: -100, maximum: 100 })),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 3_600_000 })),
    deadline: Type.Optional(Time),
  },
  { additionalProperties: false },
);

export const RunAttempt = Type.Object({
  attempt: Type.Integer(),
  lease_id: Type.String(),
  worker_id: Nullable(Type.String()),
  started_at: Time,
  ended_at: Nullable(Time),
  outcome: Type.String(),
  error: Nullable(RunFailure),
});

export const RunEvent = Type.Object({
  id: Type.String(),
  seq: Type.Integer(),
  type: Type.String(),
  run_id: Type.String(),
  agent: Type.String(),
  at: Time,
  data: Json,
});

export const EndpointSpec = Type.Object({
  description: Type.Optional(Type.String()),
  input: Json,
  output: Json,
  timeout_ms: Type.Integer(),
  retry: Json,
  enabled: Type.Boolean(),
});

export const Agent = Type.Object({
  name: Type.String(),
  description: Nullable(Type.String()),
  runtime: Type.String(),
  version: Type.Integer(),
  endpoints: Type.Record(Type.String(), EndpointSpec),
  manifest: Json,
  created_at: Time,
  updated_at: Time,
});

export const AgentVersion = Type.Object({ agent: Type.String(), version: Type.Integer(), manifest: Json, created_at: Time });

export const ApiKey = Type.Object({
  id: Type.String(),
  name: Nullable(Type.String()),
  role: Type.String(),
  agents: Nullable(Type.Array(Type.String(), { description: 'A worker key\'s agents (`["*"]`: every agent); null for other roles.' })),
  prefix: Type.String(),
  created_at: Time,
  expires_at: Nullable(Time),
  revoked_at: Nullable(Time),
  last_used_at: Nullable(Time),
});

export const CreatedApiKey = Type.Intersect([ApiKey, Type.Object({ key: Type.String({ description: 'Shown once; only its hash is stored.' }) })]);

export const KeyCreate = Type.Object(
  {
    role: Type.Union(ROLES.map((r) => Type.Literal(r))),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    agents: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 63 }), {
        maxItems: 1000,
        description: 'Required for a `worker` key, refused for the others: the agent names it may serve, or `["*"]` for every agent (then it gets no secrets).',
      }),
    ),
    expires_at: Type.Optional(Type.String({ format: 'date-time', description: 'When the key stops working (RFC 3339); it must be in the future.' })),
  },
  { additionalProperties: false },
);

export const Task = Type.Object({
  lease_id: Type.String(),
  run_id: Type.String(),
  agent: Type.String(),
  agent_version: Type.Integer(),
  endpoint: Type.String(),
  input: Any,
  metadata: Json,
  attempt: Type.Integer(),
  max_attempts: Type.Integer(),
  lease_expires_at: Time,
  deadline_at: Nullable(Time),
  attempt_deadline_at: Time,
  heartbeat_interval_ms: Type.Integer(),
  secrets: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'The values of the secrets granted to this agent and endpoint, for this run only (by name).' })),
  secrets_withheld: Type.Optional(
    Type.Object(
      { reason: Type.Union([Type.Literal('admin_key'), Type.Literal('all_agents_key')]), message: Type.String() },
      { description: 'Present when the lease was taken with a key that receives no secrets (an admin key, or a worker key for ["*"]); `secrets` is then empty.' },
    ),
  ),
});

export const LeaseRequest = Type.Object(
  {
    agent: Type.String({ minLength: 1, maxLength: 63 }),
    endpoints: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 63 }), { minItems: 1, maxItems: 100 })),
    max_tasks: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    wait_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 30_000 })),
    worker_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    lease_ttl_ms: Type.Optional(Type.Integer({ minimum: 1000, maximum: 600_000 })),
  },
  { additionalProperties: false },
);

/** A lease riding on a completion call: the same fields, without waiting. */
export const CompleteLease = Type.Omit(LeaseRequest, ['wait_ms'], { additionalProperties: false });

export const HeartbeatResult = Type.Object({
  lease_id: Type.String(),
  run_id: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('cancelled')]),
  lease_expires_at: Time,
});

export const WorkerEvent = Type.Object(
  { type: Type.String({ minLength: 1, maxLength: 120, pattern: '^[a-z0-9_.-]+$' }), data: Type.Optional(Json) },
  { additionalProperties: false },
);

export const CompletionItem = Type.Union([
  Type.Object({ lease_id: Type.String({ minLength: 1 }), output: Any }, { additionalProperties: false, required: ['lease_id', 'output'] }),
  Type.Object({ lease_id: Type.String({ minLength: 1 }), error: RunFailureInput }, { additionalProperties: false }),
]);

export const CompletionResult = Type.Object({
  lease_id: Type.String(),
  ok: Type.Boolean(),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) })),
});

export const page = <T extends Type.TSchema>(item: T) => Type.Object({ data: Type.Array(item), next_cursor: Nullable(Type.String()) });

export const ListQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
};

/** Standard error responses, for the OpenAPI document. */
/** Error responses by status. A route that takes a key (401) can also be rate limited (429). */
export const errors = (...statuses: number[]) =>
  Object.fromEntries((statuses.includes(401) && !statuses.includes(429) ? [...statuses, 429] : statuses).map((s) => [s, Type.Ref('ErrorBody')]));

export type { Static } from 'typebox';
export { Type };
