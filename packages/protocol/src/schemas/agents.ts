/**
 * Wire schemas of agents: the manifest as deployed, the agent and its versions as the server
 * answers, and the normalised endpoint the manifest parser makes (`@agentd/protocol/manifest`).
 */
import Type, { type Static } from 'typebox';
import { Json, Nullable, OneOf, Time } from './common.ts';

export const RetryPolicy = Type.Object({
  max_attempts: Type.Integer(),
  initial_interval_ms: Type.Integer(),
  backoff_coefficient: Type.Number(),
  max_interval_ms: Type.Integer(),
  jitter: Type.Number({ description: 'Fraction of the delay randomised either way, 0..1.' }),
  non_retryable_types: Type.Array(Type.String()),
});
export type RetryPolicy = Static<typeof RetryPolicy>;

export const APPROVAL_TIMEOUT_POLICIES = ['reject', 'approve', 'fail_run'] as const;
/** What happens to an approval nobody decided in time. */
export const ApprovalTimeoutPolicy = OneOf(APPROVAL_TIMEOUT_POLICIES);
export type ApprovalTimeoutPolicy = Static<typeof ApprovalTimeoutPolicy>;

/** A human decision declared on an endpoint: runs wait for it before any worker may lease them. */
export const ApprovalSpec = Type.Object({
  prompt: Type.String(),
  timeout_ms: Nullable(Type.Integer()),
  on_timeout: ApprovalTimeoutPolicy,
  assignees: Type.Array(Type.String()),
  required_approvals: Type.Integer(),
});
export type ApprovalSpec = Static<typeof ApprovalSpec>;

const endpointFields = {
  description: Type.Optional(Type.String()),
  input: Json,
  output: Json,
  timeout_ms: Type.Integer(),
  retry: RetryPolicy,
};

/** An endpoint as the manifest parser normalises it (durations in ms, defaults filled in). */
export const EndpointSpec = Type.Object({
  ...endpointFields,
  /** A decision every run of this endpoint waits for before it is leased. */
  approval: Type.Optional(ApprovalSpec),
});
export type EndpointSpec = Static<typeof EndpointSpec>;

/** An endpoint as `GET /v1/agents/{name}` shows it: a declared `approval` appears only in the `manifest` (this schema has no place for it). */
export const AgentEndpoint = Type.Object({ ...endpointFields, enabled: Type.Boolean() });
export type AgentEndpoint = Static<typeof AgentEndpoint>;

export const AGENT_RUNTIMES = ['worker', 'llm'] as const;
/** `worker`: runs are leased by workers; `llm`: the server runs a model loop with tools. */
export const AgentRuntime = OneOf(AGENT_RUNTIMES);
export type AgentRuntime = Static<typeof AgentRuntime>;

/** A manifest as deployed (the parser refuses any other field). */
export const AgentManifest = Type.Object({
  apiVersion: Type.String(),
  kind: Type.Literal('Agent'),
  metadata: Type.Object({ name: Type.String(), description: Type.Optional(Type.String()), labels: Type.Optional(Type.Record(Type.String(), Type.String())) }),
  spec: Type.Object({
    runtime: AgentRuntime,
    /** Absent on an LLM agent that takes the default `chat` endpoint. */
    endpoints: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    // runtime: llm (see the README's "LLM agents")
    model: Type.Optional(Type.String({ description: 'runtime llm: a model alias of the server config.' })),
    instructions: Type.Optional(Type.String()),
    tools: Type.Optional(Type.Array(Type.Unknown())),
    limits: Type.Optional(Type.Unknown()),
    output: Type.Optional(Type.Unknown({ description: 'runtime llm: a JSON Schema of the final answer.' })),
    context: Type.Optional(
      Type.Object(
        { max_messages: Type.Optional(Type.Integer({ minimum: 1 })), max_tokens: Type.Optional(Type.Integer({ minimum: 1 })) },
        { description: 'runtime llm: which earlier turns of a session a run sends its model (the newest; oldest dropped). Default: the newest 200 messages.' },
      ),
    ),
  }),
});
export type AgentManifest = Static<typeof AgentManifest>;

export const Agent = Type.Object({
  name: Type.String(),
  description: Nullable(Type.String()),
  runtime: AgentRuntime,
  version: Type.Integer(),
  endpoints: Type.Record(Type.String(), AgentEndpoint),
  manifest: AgentManifest,
  created_at: Time,
  updated_at: Time,
});
export type Agent = Static<typeof Agent>;

export const AgentVersion = Type.Object({ agent: Type.String(), version: Type.Integer(), manifest: AgentManifest, created_at: Time });
export type AgentVersion = Static<typeof AgentVersion>;

/** The deploy body: a manifest object (JSON), or its text (YAML), parsed and validated by the route. */
export const AgentDeployBody = Type.Unknown({ description: 'An agent manifest; see the README for the format.' });

export const AgentNameParams = Type.Object({ name: Type.String({ maxLength: 63 }) });
export type AgentNameParams = Static<typeof AgentNameParams>;
export const AgentVersionParams = Type.Object({ name: Type.String(), version: Type.Integer({ minimum: 1 }) });
export type AgentVersionParams = Static<typeof AgentVersionParams>;
export const AgentEndpointParams = Type.Object({ name: Type.String(), endpoint: Type.String() });
export type AgentEndpointParams = Static<typeof AgentEndpointParams>;

export const AgentDeleted = Type.Object({ name: Type.String(), deleted: Type.Boolean() });
export type AgentDeleted = Static<typeof AgentDeleted>;
