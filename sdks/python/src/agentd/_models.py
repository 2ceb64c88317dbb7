"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

Every model allows extra fields, so a newer server's additions reach the caller instead of
failing validation; `.model_dump()` gives the wire JSON (aliases applied, nothing dropped).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, serialize_by_alias=True)


class ErrorDetail(_Model):
    code: str
    "One of VALIDATION_ERROR, INVALID_JSON, BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, AGENT_NOT_FOUND, ENDPOINT_NOT_FOUND, RUN_NOT_FOUND, KEY_NOT_FOUND, LEASE_NOT_FOUND, APPROVAL_NOT_FOUND, SECRET_NOT_FOUND, GRANT_NOT_FOUND, WORKFLOW_NOT_FOUND, SCHEDULE_NOT_FOUND, WEBHOOK_NOT_FOUND, SESSION_NOT_FOUND, SESSION_MESSAGE_NOT_FOUND, TRIGGER_NOT_FOUND, MCP_SERVER_NOT_FOUND, WEBHOOK_DELIVERY_NOT_FOUND, SECRET_NOT_GRANTED, HOOK_UNVERIFIED, APPROVAL_LINK_INVALID, APPROVAL_ALREADY_DECIDED, APPROVAL_EXPIRED, TRIGGER_NAME_TAKEN, SECRET_EXISTS, LEASE_LOST, RUN_ALREADY_TERMINAL, RUN_NOT_RETRYABLE, GENERATION_CONFLICT, ENDPOINT_DISABLED, SCHEDULE_CONFLICT, SCHEDULE_SLOT_TAKEN, SESSION_BUSY, SESSION_PAUSED, IDEMPOTENCY_IN_FLIGHT, MCP_SERVER_EXISTS, MCP_TOOLS_CHANGED, WEBHOOK_DELIVERY_PENDING, SESSION_ENDED, REQUEST_TIMEOUT, PAYLOAD_TOO_LARGE, URI_TOO_LONG, UNSUPPORTED_MEDIA_TYPE, KEY_INVALID, IDEMPOTENCY_KEY_REUSED, SCHEDULE_INVALID, MANIFEST_INVALID, WORKFLOW_INVALID, RUN_UPDATE_INVALID, EGRESS_REFUSED, TRIGGER_INVALID, TRIGGER_PAYLOAD_INVALID, MCP_SERVER_UNREACHABLE, INPUT_INVALID, OUTPUT_INVALID, MANAGED_BY_CONFIG, CONFIG_NOT_LOADED, CONFIG_INVALID, CALL_KEY_CONFLICT, CALL_DEADLINE_PASSED, CALL_DEPTH_EXCEEDED, CHILD_LIMIT_EXCEEDED, HEADERS_TOO_LARGE, RATE_LIMITED, SECRET_UNREADABLE, INTERNAL, UNAVAILABLE"
    message: str
    details: Any
    request_id: str


class ErrorBody(_Model):
    "The one error body every route answers with."

    error: ErrorDetail


class RunFailure(_Model):
    type: str
    message: str
    non_retryable: bool
    details: Any


class Run(_Model):
    id: str
    agent: str
    agent_version: int
    endpoint: str
    status: Literal["queued", "running", "waiting", "succeeded", "failed", "cancelled", "timed_out"]
    waiting_reason: Literal["approval", "child", "signal", "sleep", "session"] | None
    input: Any
    output: Any
    error: RunFailure | None
    metadata: dict[str, Any]
    priority: int
    attempts: int
    max_attempts: int
    timeout_ms: int
    deadline_at: str | None
    available_at: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    updated_at: str
    generation: int
    parent_run_id: str | None
    root_run_id: str
    depth: int
    caller_agent: str | None
    call_key: str | None
    step: str | None
    kind: Literal["agent", "workflow"]


class AgentEndpointsValueRetry(_Model):
    max_attempts: int
    initial_interval_ms: int
    backoff_coefficient: float
    max_interval_ms: int
    jitter: float
    "Fraction of the delay randomised either way, 0..1."
    non_retryable_types: list[str]


class AgentEndpointsValue(_Model):
    description: str | None = None
    input: dict[str, Any]
    output: dict[str, Any]
    timeout_ms: int
    retry: AgentEndpointsValueRetry
    enabled: bool


class AgentManifestMetadata(_Model):
    name: str
    description: str | None = None
    labels: dict[str, str] | None = None


class AgentManifestSpecContext(_Model):
    "runtime llm: which earlier turns of a session a run sends its model (the newest; oldest dropped). Default: the newest 200 messages."

    max_messages: int | None = None
    max_tokens: int | None = None


class AgentManifestSpec(_Model):
    runtime: Literal["worker", "llm"]
    endpoints: dict[str, Any] | None = None
    model: str | None = None
    "runtime llm: a model alias of the server config."
    instructions: str | None = None
    tools: list[Any] | None = None
    limits: Any | None = None
    output: Any | None = None
    "runtime llm: a JSON Schema of the final answer."
    context: AgentManifestSpecContext | None = None
    "runtime llm: which earlier turns of a session a run sends its model (the newest; oldest dropped). Default: the newest 200 messages."


class AgentManifest(_Model):
    apiVersion: str
    kind: Literal["Agent"]
    metadata: AgentManifestMetadata
    spec: AgentManifestSpec


class Agent(_Model):
    name: str
    description: str | None
    runtime: Literal["worker", "llm"]
    version: int
    endpoints: dict[str, AgentEndpointsValue]
    manifest: AgentManifest
    created_at: str
    updated_at: str


class AgentVersion(_Model):
    agent: str
    version: int
    manifest: AgentManifest
    created_at: str


class AgentDeleted(_Model):
    name: str
    deleted: bool


class ApiKey(_Model):
    id: str
    name: str | None
    role: Literal["admin", "developer", "operator", "approver", "viewer", "worker"]
    agents: list[str] | None
    prefix: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    last_used_at: str | None


class CreatedApiKey(_Model):
    id: str
    name: str | None
    role: Literal["admin", "developer", "operator", "approver", "viewer", "worker"]
    agents: list[str] | None
    prefix: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    last_used_at: str | None
    key: str
    "Shown once; only its hash is stored."


class RunAttemptDataItem(_Model):
    attempt: int
    lease_id: str
    worker_id: str | None
    started_at: str
    ended_at: str | None
    outcome: Literal["running", "succeeded", "failed", "released", "parked", "lease_expired", "cancelled", "timed_out"]
    error: RunFailure | None


class RunAttempt(_Model):
    data: list[RunAttemptDataItem]


class RunEvent(_Model):
    id: str
    seq: int
    type: str
    run_id: str
    agent: str
    at: str
    data: dict[str, Any]


class TaskSecretsWithheld(_Model):
    "Present when the lease was taken with a key that receives no secrets (an admin key, or a worker key for [\"*\"]); `secrets` is then empty."

    reason: Literal["admin_key", "all_agents_key"]
    message: str


class TaskSessionMessagesItem(_Model):
    role: Literal["user", "assistant"]
    content: Any
    seq: int
    status: str


class TaskSession(_Model):
    id: str
    messages: list[TaskSessionMessagesItem]


class Task(_Model):
    lease_id: str
    run_id: str
    agent: str
    agent_version: int
    endpoint: str
    input: Any
    metadata: dict[str, Any]
    attempt: int
    max_attempts: int
    lease_expires_at: str
    deadline_at: str | None
    attempt_deadline_at: str
    heartbeat_interval_ms: int
    parent_run_id: str | None
    root_run_id: str
    caller_agent: str | None
    depth: int
    secrets: dict[str, str] | None = None
    "The values of the secrets granted to this agent and endpoint, for this run only (by name)."
    secrets_withheld: TaskSecretsWithheld | None = None
    "Present when the lease was taken with a key that receives no secrets (an admin key, or a worker key for [\"*\"]); `secrets` is then empty."
    session: TaskSession | None = None


class LeaseResponse(_Model):
    tasks: list[Task]


class HeartbeatResult(_Model):
    lease_id: str
    run_id: str
    status: Literal["active", "cancelled"]
    lease_expires_at: str


class AppendEventsResponse(_Model):
    seqs: list[int]


class CompleteBatchResponseResultsItemError(_Model):
    code: str
    message: str
    details: Any | None = None


class CompleteBatchResponseResultsItem(_Model):
    lease_id: str
    ok: bool
    error: CompleteBatchResponseResultsItemError | None = None


class CompleteBatchResponse(_Model):
    results: list[CompleteBatchResponseResultsItem]
    tasks: list[Task] | None = None


class ApprovalVotesItem(_Model):
    voter: str
    voter_name: str | None
    decision: Literal["approve", "reject"]
    comment: str | None
    at: str


class Approval(_Model):
    id: str
    run_id: str
    agent: str
    key: str
    source: Literal["manifest", "worker", "workflow"]
    status: Literal["pending", "approved", "rejected", "expired", "cancelled"]
    approved: bool | None
    prompt: str
    payload: Any
    assignees: list[str]
    required_approvals: int
    votes: list[ApprovalVotesItem]
    on_timeout: Literal["reject", "approve", "fail_run"]
    expires_at: str | None
    decided_by: str | None
    comment: str | None
    reason: str | None
    created_at: str
    decided_at: str | None


class ApprovalLink(_Model):
    token: str
    path: str
    decision: str | None
    expires_at: str


class Signal(_Model):
    id: str
    run_id: str
    name: str
    payload: Any
    created_at: str
    consumed_at: str | None
    consumed_by: str | None


class SignalWaitResult(_Model):
    signal: Signal | None


class StepRecordedStep(_Model):
    key: str
    output: Any
    seq: int
    at: str


class StepRecorded(_Model):
    recorded: bool
    step: StepRecordedStep


class RecordedSteps(_Model):
    data: list[StepRecordedStep]


class Secret(_Model):
    name: str
    description: str | None
    version: int
    "The current version: what the next lease delivers."
    kek_id: str
    "Fingerprint of the master key wrapping the current version's data key (never the key)."
    created_at: str
    updated_at: str


class SecretDetailVersionsItem(_Model):
    version: int
    kek_id: str
    created_at: str


class SecretDetail(_Model):
    name: str
    description: str | None
    version: int
    "The current version: what the next lease delivers."
    kek_id: str
    "Fingerprint of the master key wrapping the current version's data key (never the key)."
    created_at: str
    updated_at: str
    versions: list[SecretDetailVersionsItem]


class SecretDeleted(_Model):
    name: str
    deleted: Literal[True]
    grants_revoked: int


class SecretRewrapResultFailedItem(_Model):
    name: str
    version: int
    kek_id: str
    reason: str


class SecretRewrapResult(_Model):
    kek_id: str
    "The current master key id: every moved version now names it."
    rewrapped: int
    failed: list[SecretRewrapResultFailedItem]


class Grant(_Model):
    id: str
    secret: str
    agent: str
    endpoint: str | None
    created_by: str | None
    created_at: str
    revoked_at: str | None


class FindingCreateResponseDataItem(_Model):
    id: str
    "Tenant-wide, in commit order: the cursor of `since`."
    run_id: str
    agent: str
    severity: Literal["critical", "warning", "info"]
    source: str | None
    file: str | None
    summary: str
    details: Any
    created_at: str


class FindingCreateResponse(_Model):
    data: list[FindingCreateResponseDataItem]


class LogLine(_Model):
    id: str
    "The tenant-wide event id (the cursor of GET /v1/logs)."
    seq: int
    "The run's event seq (the cursor of GET /v1/runs/{id}/logs)."
    run_id: str
    agent: str
    at: str
    level: str
    message: str
    fields_: dict[str, Any] | None = Field(alias="fields")


class AuditRecord(_Model):
    id: str
    at: str
    actor: str | None
    actor_role: str | None
    action: str
    "`METHOD /route/{pattern}`, or a named action such as `secret.delivered`."
    target_type: str | None
    target_id: str | None
    outcome: Literal["ok", "denied", "error"]
    status_code: int | None
    request_id: str | None
    details: dict[str, Any]


class WorkflowStepsItem(_Model):
    id: str
    type: Literal["agent", "approval", "wait"]
    needs: list[str]
    agent: str | None
    endpoint: str | None


class Workflow(_Model):
    "A workflow at its latest version."

    name: str
    description: str | None
    version: int
    steps: list[WorkflowStepsItem]
    definition: dict[str, Any]
    created_at: str
    updated_at: str


class WorkflowVersion(_Model):
    workflow: str
    version: int
    definition: dict[str, Any]
    created_at: str


class ScheduleTarget(_Model):
    agent: str
    endpoint: str


class ScheduleTarget1(_Model):
    workflow: str


class Schedule(_Model):
    id: str
    cron: str
    timezone: str
    target: ScheduleTarget | ScheduleTarget1
    "An agent endpoint (`{agent, endpoint}`) or a workflow (`{workflow}`, its latest version when the slot fires)."
    input: Any
    overlap_policy: Literal["skip", "allow", "buffer_one"]
    missed_policy: Literal["skip", "run_once", "run_all"]
    paused: bool
    paused_at: str | None
    next_fire_times: list[str]
    "The next five slots after now (UTC), or none while paused."
    buffered_slot: str | None
    last_run_id: str | None
    revision: int
    "Grows with every change of the definition or of paused."
    created_at: str
    updated_at: str


class ScheduleDeleted(_Model):
    id: str
    deleted: bool


class ScheduleFire(_Model):
    schedule_id: str
    slot: str
    trigger: Literal["cron", "catch_up", "buffered", "manual"]
    outcome: Literal["started", "skipped", "buffered", "failed"]
    detail: str | None
    run_id: str | None
    run_status: str | None
    recorded_at: str


class Webhook(_Model):
    id: str
    url: str
    events: list[str]
    agents: list[str] | None
    description: str | None
    status: Literal["active", "failing"]
    "`failing`: a delivery was given up after its last retry; the next successful delivery makes it `active` again."
    failing_since: str | None
    secret_version: int
    "Bumped by each rotation. The secret itself is never shown again."
    created_at: str
    updated_at: str


class WebhookWithSecret(_Model):
    id: str
    url: str
    events: list[str]
    agents: list[str] | None
    description: str | None
    status: Literal["active", "failing"]
    "`failing`: a delivery was given up after its last retry; the next successful delivery makes it `active` again."
    failing_since: str | None
    secret_version: int
    "Bumped by each rotation. The secret itself is never shown again."
    created_at: str
    updated_at: str
    secret: str
    "The signing secret (`whsec_` + base64), shown once: in this answer only."


class WebhookDeleted(_Model):
    id: str
    deleted: Literal[True]


class WebhookDelivery(_Model):
    id: str
    "Also the `webhook-id` header, the same on every attempt: receivers deduplicate on it."
    webhook_id: str
    event_id: str
    event_type: str
    run_id: str
    seq: int
    status: Literal["pending", "succeeded", "failed"]
    "`failed`: given up after the last retry (or a manual redelivery that failed)."
    attempts: int
    next_attempt_at: str | None
    last_attempt_at: str | None
    last_status_code: int | None
    last_error: str | None
    created_at: str
    delivered_at: str | None


class Health(_Model):
    status: Literal["ok"]


class SessionForkedFrom(_Model):
    "The session and message this one was forked at."

    session_id: str
    message_id: str
    seq: int


class Session(_Model):
    id: str
    agent: str
    endpoint: str
    "The endpoint every message of the session runs."
    status: Literal["active", "paused", "ended"]
    metadata: dict[str, Any]
    current_run_id: str | None
    message_count: int
    "Messages in the history (user messages and replies)."
    forked_from: SessionForkedFrom | None
    idle_ttl_ms: int
    "The session ends itself after this long with no message in flight and none sent."
    expires_at: str | None
    end_reason: str | None
    created_at: str
    updated_at: str
    ended_at: str | None


class SessionMessage(_Model):
    id: str
    session_id: str
    seq: int
    role: Literal["user", "assistant"]
    content: Any
    "A user message: what was sent (a worker agent's run input; an LLM agent's text). A reply: the run's output, or for a partial reply the text it streamed."
    run_id: str | None
    status: str
    "A user message: queued (enqueued behind another), in_flight, or how its run ended (succeeded, failed, cancelled, timed_out). A reply: complete, or partial (what an interrupted or failed run streamed)."
    reply_to: int | None
    created_at: str


class SessionMessageAccepted(_Model):
    session_id: str
    run_id: str
    "The message's run: its events are the reply's stream."
    message: SessionMessage
    status: Literal["in_flight", "queued"]
    interrupted_run_id: str | None


class SessionDeleted(_Model):
    id: str
    deleted: Literal[True]
    messages_deleted: int


class Readiness(_Model):
    status: Literal["ready"]


class ApprovalLinkView(_Model):
    approval: Approval
    decision: str | None
    expires_at: str


class TriggerMapping(_Model):
    pointer: str
    "A JSON pointer (RFC 6901) into the body: `/data/order`; `\"\"` is the whole body."


class TriggerMapping1(_Model):
    template: Any
    "A JSON value whose strings may hold workflow expressions (JSONata): `\"{% body.order.id %}\"` is the value, `\"order {% body.order.id %}\"` interpolates. Expressions read `body` (the parsed JSON) and `headers` (lower-cased; never authorization or webhook-signature)."


class TriggerRateLimit(_Model):
    "Per trigger, shared by every node. Default 600 per 60 s. Verified deliveries beyond it are answered 429 with Retry-After."

    count: int
    "Deliveries allowed per period (also the largest burst)."
    period_seconds: int


class Trigger(_Model):
    id: str
    name: str | None
    description: str | None
    url: str
    "Where senders POST deliveries: `/v1/hooks/{id}` on this server (the scheme and host of the request that asked)."
    target: ScheduleTarget | ScheduleTarget1
    "What a delivery starts: a run of an agent endpoint (`{agent, endpoint}`) or of a workflow (`{workflow}`)."
    auth: Literal["signature", "bearer"]
    mapping: TriggerMapping | TriggerMapping1 | None
    rate_limit: TriggerRateLimit
    "Per trigger, shared by every node. Default 600 per 60 s. Verified deliveries beyond it are answered 429 with Retry-After."
    secret_version: int
    "Bumped by each rotation. The secret itself is never shown again."
    created_at: str
    updated_at: str


class TriggerWithSecret(_Model):
    id: str
    name: str | None
    description: str | None
    url: str
    "Where senders POST deliveries: `/v1/hooks/{id}` on this server (the scheme and host of the request that asked)."
    target: ScheduleTarget | ScheduleTarget1
    "What a delivery starts: a run of an agent endpoint (`{agent, endpoint}`) or of a workflow (`{workflow}`)."
    auth: Literal["signature", "bearer"]
    mapping: TriggerMapping | TriggerMapping1 | None
    rate_limit: TriggerRateLimit
    "Per trigger, shared by every node. Default 600 per 60 s. Verified deliveries beyond it are answered 429 with Retry-After."
    secret_version: int
    "Bumped by each rotation. The secret itself is never shown again."
    created_at: str
    updated_at: str
    secret: str
    "The secret (signature mode: `whsec_` + base64; bearer mode: the token), shown once: in this answer only."


class TriggerDeliveryError(_Model):
    code: str
    message: str


class TriggerDelivery(_Model):
    id: str
    trigger_id: str
    message_id: str | None
    outcome: Literal["started", "duplicate", "rejected"]
    "`started` a run; `duplicate`: a message id seen before (the original run, nothing started); `rejected`: the payload did not map or failed the target's input schema."
    status_code: int
    run_id: str | None
    error: TriggerDeliveryError | None
    received_at: str


class ReloadResultDiff(_Model):
    "Resources and model aliases of the file, by what the reload did to each: `section/name`."

    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: list[str]


class ReloadResult(_Model):
    file: str
    "The config file that was read (its absolute path on the server)."
    diff: ReloadResultDiff
    "Resources and model aliases of the file, by what the reload did to each: `section/name`."
    restart_required: list[str]
    "`server:` settings of the file that differ from the ones this process started with (`server.port`): they take effect at the next start."


class ModelInfoPrices(_Model):
    input: float | None
    output: float | None
    cached_input: float | None


class ModelInfo(_Model):
    alias: str
    provider: Literal["openai-compatible", "openai", "anthropic"]
    model: str
    base_url: str | None
    api_key_secret: str | None
    prices: ModelInfoPrices
    requests_per_minute: int | None
    tokens_per_minute: int | None
    fallback: str | None


class ModelList(_Model):
    data: list[ModelInfo]


class UsageRow(_Model):
    day: str
    "A UTC day, YYYY-MM-DD."
    agent: str
    model: str
    input_tokens: int
    "Prompt tokens, cached ones included."
    output_tokens: int
    cached_input_tokens: int
    "The part of input_tokens read from the provider\u2019s prompt cache."
    total_tokens: int
    "input_tokens + output_tokens."
    cost_micros: int
    "Cost in micro-dollars (1 USD = 1,000,000), from the alias prices."
    cost_usd: float
    "cost_micros / 1,000,000."
    steps: int
    "Model calls recorded."
    usage_missing_steps: int
    "Model calls whose response carried no usage: their tokens are unknown, not zero."


class UsageTotals(_Model):
    input_tokens: int
    "Prompt tokens, cached ones included."
    output_tokens: int
    cached_input_tokens: int
    "The part of input_tokens read from the provider\u2019s prompt cache."
    total_tokens: int
    "input_tokens + output_tokens."
    cost_micros: int
    "Cost in micro-dollars (1 USD = 1,000,000), from the alias prices."
    cost_usd: float
    "cost_micros / 1,000,000."
    steps: int
    "Model calls recorded."
    usage_missing_steps: int
    "Model calls whose response carried no usage: their tokens are unknown, not zero."


class UsageReport(_Model):
    from_: str = Field(alias="from")
    "A UTC day, YYYY-MM-DD."
    to: str
    "A UTC day, YYYY-MM-DD."
    data: list[UsageRow]
    "Newest day first, then agent and model by name."
    totals: UsageTotals


class Budget(_Model):
    agent: str | None
    period: Literal["day", "month"]
    max_tokens: int | None
    max_cost: float | None
    updated_at: str


class BudgetList(_Model):
    data: list[Budget]


class BudgetPutResult(_Model):
    budget: Budget | None
    removed: bool


class McpServerToolsItem(_Model):
    name: str
    description: str
    input_schema: dict[str, Any]
    "The JSON Schema of its arguments, as the server listed it."


class McpServer(_Model):
    name: str
    url: str
    auth_secret: str | None
    auth_header: str | None
    description: str | None
    status: Literal["active", "disabled"]
    "`disabled`: the server listed tools other than the approved ones (a changed name, description or schema); its tools are refused until an admin approves again."
    tools: list[McpServerToolsItem]
    "The approved tools: what models see, pinned by `tools_hash`."
    tools_hash: str
    "SHA-256 of the approved tools (names, descriptions, input schemas), hex."
    pending_tools: list[McpServerToolsItem] | None
    "What the server listed when it was disabled: what a re-approval would pin (it is listed again at approval)."
    pending_tools_hash: str | None
    disabled_reason: str | None
    disabled_at: str | None
    approved_at: str
    created_at: str
    updated_at: str


class McpServerDeleted(_Model):
    name: str
    deleted: Literal[True]


class PostKeysBody(_Model):
    role: Literal["admin", "developer", "operator", "approver", "viewer", "worker"]
    name: str | None = None
    agents: list[str] | None = None
    "Required for a `worker` key, refused for the others: the agent names it may serve, or `[\"*\"]` for every agent (then it gets no secrets)."
    expires_at: str | None = None
    "When the key stops working (RFC 3339); it must be in the future."


class PostRunsBody(_Model):
    agent: str
    endpoint: str
    input: Any | None = None
    metadata: dict[str, Any] | None = None
    priority: int | None = None
    timeout_ms: int | None = None
    deadline: str | None = None


class PostRunsBatchResponse(_Model):
    data: list[Run]


class PostRunsBatchBody(_Model):
    runs: list[PostRunsBody]


class PatchRunsByIdBodyRetry(_Model):
    initial_interval_ms: int | None = None
    backoff_coefficient: float | None = None
    max_interval_ms: int | None = None
    jitter: float | None = None
    non_retryable_types: list[str] | None = None


class PatchRunsByIdBody(_Model):
    generation: int | None = None
    "The generation this change is based on; or send it as `If-Match: \"<generation>\"`."
    max_attempts: int | None = None
    retry: PatchRunsByIdBodyRetry | None = None
    deadline: str | None = None
    priority: int | None = None


class PostRunsByIdCancelBody(_Model):
    reason: str | None = None


class PostWorkerLeaseBody(_Model):
    agent: str
    endpoints: list[str] | None = None
    max_tasks: int | None = None
    wait_ms: int | None = None
    worker_id: str | None = None
    lease_ttl_ms: int | None = None


class PostLeasesByLeaseIdCompleteBody(_Model):
    output: Any | None = None


class PostLeasesByLeaseIdFailBodyError(_Model):
    type: str
    message: str
    non_retryable: bool | None = None
    details: Any | None = None


class PostLeasesByLeaseIdFailBody(_Model):
    error: PostLeasesByLeaseIdFailBodyError


class PostLeasesByLeaseIdEventsBodyEventsItem(_Model):
    type: str
    data: dict[str, Any] | None = None


class PostLeasesByLeaseIdEventsBody(_Model):
    events: list[PostLeasesByLeaseIdEventsBodyEventsItem]


class PostWorkerCompleteBodyResultsItem(_Model):
    lease_id: str
    output: Any


class PostWorkerCompleteBodyResultsItem1(_Model):
    lease_id: str
    error: PostLeasesByLeaseIdFailBodyError


class PostWorkerCompleteBodyLease(_Model):
    agent: str
    endpoints: list[str] | None = None
    max_tasks: int | None = None
    worker_id: str | None = None
    lease_ttl_ms: int | None = None


class PostWorkerCompleteBody(_Model):
    results: list[PostWorkerCompleteBodyResultsItem | PostWorkerCompleteBodyResultsItem1]
    lease: PostWorkerCompleteBodyLease | None = None


class PostLeasesByLeaseIdCallsBody(_Model):
    agent: str
    endpoint: str
    input: Any | None = None
    key: str | None = None
    "Names the child within the parent run; default: the child's own id (a new child on every call)"
    metadata: dict[str, Any] | None = None
    deadline: str | None = None
    "Never later than the parent's deadline: the earlier one wins"


class PostApprovalsByIdApproveBody(_Model):
    comment: str | None = None


class PostApprovalsByIdRejectBody(_Model):
    reason: str


class PostApprovalsByIdLinkBody(_Model):
    decision: Literal["approve", "reject"] | None = None
    expires_in_ms: int | None = None
    for_: str | None = Field(default=None, alias="for")


class PostApprovalLinksByTokenBody(_Model):
    decision: Literal["approve", "reject"] | None = None
    comment: str | None = None
    reason: str | None = None


class PostLeasesByLeaseIdApprovalsBody(_Model):
    key: str
    prompt: str
    payload: Any | None = None
    timeout_ms: int | None = None
    on_timeout: Literal["reject", "approve", "fail_run"] | None = None
    assignees: list[str] | None = None
    required_approvals: int | None = None


class GetRunsByIdSignalsResponse(_Model):
    data: list[Signal]


class PostLeasesByLeaseIdSignalsByNameWaitBody(_Model):
    key: str
    wait_ms: int | None = None
    last: bool | None = None


class PostLeasesByLeaseIdStepsBody(_Model):
    key: str
    output: Any | None = None


class PostSecretsBody(_Model):
    name: str
    "Lower-case letters, digits and _, starting with a letter."
    value: str
    "Write-only: stored encrypted, never returned, logged or put in an event."
    description: str | None = None


class PostSecretsByNameRotateBody(_Model):
    "Adds a version; `description`, when given, replaces the old one."

    value: str
    "Write-only: stored encrypted, never returned, logged or put in an event."
    description: str | None = None


class PostGrantsBody(_Model):
    secret: str
    "Lower-case letters, digits and _, starting with a letter."
    agent: str
    endpoint: str | None = None


class PostLeasesByLeaseIdFindingsBodyFindingsItem(_Model):
    severity: Literal["critical", "warning", "info"]
    source: str | None = None
    "What found it: a tool, a check, a model."
    file: str | None = None
    "Where: a path, optionally with `:line`."
    summary: str
    details: Any | None = None
    "Any JSON."


class PostLeasesByLeaseIdFindingsBody(_Model):
    findings: list[PostLeasesByLeaseIdFindingsBodyFindingsItem]


class PostWorkflowsByNameRunsBody(_Model):
    input: Any | None = None
    "The workflow's input, checked against its spec.input schema."
    metadata: dict[str, Any] | None = None
    deadline: str | None = None


class PostRunsByIdRetryBody(_Model):
    deadline: str | None = None
    "The new run's deadline; none when not given (the failed run's may have passed)."


class PostSchedulesBody(_Model):
    id: str
    cron: str
    "Cron fields (5: minute precision; 6: with seconds first; 7: with a year last) or a nickname (`@daily`), evaluated by croner in `timezone`."
    timezone: str | None = None
    "An IANA time zone (`Europe/Berlin`) or `UTC`. Default UTC."
    target: ScheduleTarget | ScheduleTarget1
    "An agent endpoint (`{agent, endpoint}`) or a workflow (`{workflow}`, its latest version when the slot fires)."
    input: Any | None = None
    "The input of every run; checked against the endpoint's input schema."
    overlap_policy: Literal["skip", "allow", "buffer_one"] | None = None
    "When a slot comes while the previous run is live: skip (default), allow, buffer_one."
    missed_policy: Literal["skip", "run_once", "run_all"] | None = None
    "Slots missed while no node fired: skip (default), run_once, run_all (the latest 100 at most)."
    paused: bool | None = None
    "Create it paused. Default false."


class PatchSchedulesByIdBody(_Model):
    cron: str | None = None
    "Cron fields (5: minute precision; 6: with seconds first; 7: with a year last) or a nickname (`@daily`), evaluated by croner in `timezone`."
    timezone: str | None = None
    "An IANA time zone (`Europe/Berlin`) or `UTC`. Default UTC."
    target: ScheduleTarget | ScheduleTarget1 | None = None
    "An agent endpoint (`{agent, endpoint}`) or a workflow (`{workflow}`, its latest version when the slot fires)."
    input: Any | None = None
    "The input of every run; checked against the endpoint's input schema."
    overlap_policy: Literal["skip", "allow", "buffer_one"] | None = None
    "When a slot comes while the previous run is live: skip (default), allow, buffer_one."
    missed_policy: Literal["skip", "run_once", "run_all"] | None = None
    "Slots missed while no node fired: skip (default), run_once, run_all (the latest 100 at most)."
    paused: bool | None = None


class PostSessionsBody(_Model):
    agent: str
    endpoint: str | None = None
    "The endpoint every message runs; may be left out when the agent has exactly one."
    metadata: dict[str, Any] | None = None
    idle_ttl_ms: int | None = None
    "Idle time after which the session ends itself. Default: the server's (AGENTD_SESSION_IDLE_TTL, 24h)."


class PostSessionsByIdMessagesBody(_Model):
    content: Any
    "An LLM agent: the user's message (a string). A worker agent: the run's input, checked against the endpoint's input schema."
    multitask: Literal["reject", "enqueue", "interrupt"] | None = None
    metadata: dict[str, Any] | None = None


class PostSessionsByIdEndBody(_Model):
    reason: str | None = None


class PostSessionsByIdForkBody(_Model):
    message_id: str | None = None
    "The last message the fork keeps. Default: the newest."
    metadata: dict[str, Any] | None = None


class PostWebhooksBody(_Model):
    url: str
    "http or https; checked against the egress policy now and on every connection."
    events: list[str]
    "Event types (`run.succeeded`), prefix patterns (`run.*`) or `*`."
    agents: list[str] | None = None
    description: str | None = None


class PatchWebhooksByIdBody(_Model):
    "Fields given replace the old ones; events already queued keep going to the subscription."

    url: str | None = None
    "http or https; checked against the egress policy now and on every connection."
    events: list[str] | None = None
    "Event types (`run.succeeded`), prefix patterns (`run.*`) or `*`."
    agents: list[str] | None = None
    description: str | None = None


class PostWebhooksByIdRotateSecretBody(_Model):
    overlap_seconds: int | None = None
    "How long deliveries carry a signature by the old secret beside the new one. Default 86400 (24 h); 0 drops it at once."


class PostTriggersBody(_Model):
    name: str | None = None
    description: str | None = None
    target: ScheduleTarget | ScheduleTarget1
    "What a delivery starts: a run of an agent endpoint (`{agent, endpoint}`) or of a workflow (`{workflow}`)."
    auth: Literal["signature", "bearer"] | None = None
    "`signature` (default): Standard Webhooks signatures. `bearer`: `Authorization: Bearer <secret>`, for senders that cannot sign."
    secret: str | None = None
    "The sender's secret, when it issues one: `signature` mode takes `whsec_` + base64 of 24 to 64 bytes (as Standard Webhooks senders give it); `bearer` mode any 24 to 200 printable characters. Absent: agentd makes one."
    mapping: TriggerMapping | TriggerMapping1 | None = None
    rate_limit: TriggerRateLimit | None = None
    "Per trigger, shared by every node. Default 600 per 60 s. Verified deliveries beyond it are answered 429 with Retry-After."


class PatchTriggersByIdBody(_Model):
    "Fields given replace the old ones. The auth mode and secret change only by rotation."

    name: str | None = None
    description: str | None = None
    target: ScheduleTarget | ScheduleTarget1 | None = None
    "What a delivery starts: a run of an agent endpoint (`{agent, endpoint}`) or of a workflow (`{workflow}`)."
    mapping: TriggerMapping | TriggerMapping1 | None = None
    rate_limit: TriggerRateLimit | None = None
    "Per trigger, shared by every node. Default 600 per 60 s. Verified deliveries beyond it are answered 429 with Retry-After."


class PostTriggersByIdRotateSecretBody(_Model):
    overlap_seconds: int | None = None
    "How long the old secret still verifies beside the new one. Default 86400 (24 h); 0 retires it at once."
    secret: str | None = None
    "The sender's secret, when it issues one: `signature` mode takes `whsec_` + base64 of 24 to 64 bytes (as Standard Webhooks senders give it); `bearer` mode any 24 to 200 printable characters. Absent: agentd makes one."


class PutBudgetsBody(_Model):
    agent: str | None = None
    period: Literal["day", "month"]
    max_tokens: int | None = None
    max_cost: float | None = None
    "USD."


class PostMcpServersBody(_Model):
    name: str
    "Lower case letters, digits, `-` and `_`; at most 40 characters."
    url: str
    "The Streamable HTTP endpoint (http or https); checked against the egress policy now and on every connection."
    auth_secret: str | None = None
    auth_header: str | None = None
    description: str | None = None


class PostMcpServersByNameApproveBody(_Model):
    tools_hash: str | None = None
    "The `pending_tools_hash` the approver reviewed: refused with 409 MCP_TOOLS_CHANGED when the server now lists something else. Absent: whatever it lists now."


class PostHooksByIdResponse(_Model):
    delivery_id: str
    trigger_id: str
    run_id: str
    duplicate: bool
    "true: this message id was seen before; the run is the original one and nothing started."
    run: Run


Finding = FindingCreateResponseDataItem
WorkflowDeleted = AgentDeleted
TriggerDeleted = WebhookDeleted
ErrorCode = Literal["VALIDATION_ERROR", "INVALID_JSON", "BAD_REQUEST", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "AGENT_NOT_FOUND", "ENDPOINT_NOT_FOUND", "RUN_NOT_FOUND", "KEY_NOT_FOUND", "LEASE_NOT_FOUND", "APPROVAL_NOT_FOUND", "SECRET_NOT_FOUND", "GRANT_NOT_FOUND", "WORKFLOW_NOT_FOUND", "SCHEDULE_NOT_FOUND", "WEBHOOK_NOT_FOUND", "SESSION_NOT_FOUND", "SESSION_MESSAGE_NOT_FOUND", "TRIGGER_NOT_FOUND", "MCP_SERVER_NOT_FOUND", "WEBHOOK_DELIVERY_NOT_FOUND", "SECRET_NOT_GRANTED", "HOOK_UNVERIFIED", "APPROVAL_LINK_INVALID", "APPROVAL_ALREADY_DECIDED", "APPROVAL_EXPIRED", "TRIGGER_NAME_TAKEN", "SECRET_EXISTS", "LEASE_LOST", "RUN_ALREADY_TERMINAL", "RUN_NOT_RETRYABLE", "GENERATION_CONFLICT", "ENDPOINT_DISABLED", "SCHEDULE_CONFLICT", "SCHEDULE_SLOT_TAKEN", "SESSION_BUSY", "SESSION_PAUSED", "IDEMPOTENCY_IN_FLIGHT", "MCP_SERVER_EXISTS", "MCP_TOOLS_CHANGED", "WEBHOOK_DELIVERY_PENDING", "SESSION_ENDED", "REQUEST_TIMEOUT", "PAYLOAD_TOO_LARGE", "URI_TOO_LONG", "UNSUPPORTED_MEDIA_TYPE", "KEY_INVALID", "IDEMPOTENCY_KEY_REUSED", "SCHEDULE_INVALID", "MANIFEST_INVALID", "WORKFLOW_INVALID", "RUN_UPDATE_INVALID", "EGRESS_REFUSED", "TRIGGER_INVALID", "TRIGGER_PAYLOAD_INVALID", "MCP_SERVER_UNREACHABLE", "INPUT_INVALID", "OUTPUT_INVALID", "MANAGED_BY_CONFIG", "CONFIG_NOT_LOADED", "CONFIG_INVALID", "CALL_KEY_CONFLICT", "CALL_DEADLINE_PASSED", "CALL_DEPTH_EXCEEDED", "CHILD_LIMIT_EXCEEDED", "HEADERS_TOO_LARGE", "RATE_LIMITED", "SECRET_UNREADABLE", "INTERNAL", "UNAVAILABLE"]

__all__ = [
    "Agent",
    "AgentDeleted",
    "AgentEndpointsValue",
    "AgentEndpointsValueRetry",
    "AgentManifest",
    "AgentManifestMetadata",
    "AgentManifestSpec",
    "AgentManifestSpecContext",
    "AgentVersion",
    "ApiKey",
    "AppendEventsResponse",
    "Approval",
    "ApprovalLink",
    "ApprovalLinkView",
    "ApprovalVotesItem",
    "AuditRecord",
    "Budget",
    "BudgetList",
    "BudgetPutResult",
    "CompleteBatchResponse",
    "CompleteBatchResponseResultsItem",
    "CompleteBatchResponseResultsItemError",
    "CreatedApiKey",
    "ErrorBody",
    "ErrorDetail",
    "Finding",
    "FindingCreateResponse",
    "FindingCreateResponseDataItem",
    "GetRunsByIdSignalsResponse",
    "Grant",
    "Health",
    "HeartbeatResult",
    "LeaseResponse",
    "LogLine",
    "McpServer",
    "McpServerDeleted",
    "McpServerToolsItem",
    "ModelInfo",
    "ModelInfoPrices",
    "ModelList",
    "PatchRunsByIdBody",
    "PatchRunsByIdBodyRetry",
    "PatchSchedulesByIdBody",
    "PatchTriggersByIdBody",
    "PatchWebhooksByIdBody",
    "PostApprovalLinksByTokenBody",
    "PostApprovalsByIdApproveBody",
    "PostApprovalsByIdLinkBody",
    "PostApprovalsByIdRejectBody",
    "PostGrantsBody",
    "PostHooksByIdResponse",
    "PostKeysBody",
    "PostLeasesByLeaseIdApprovalsBody",
    "PostLeasesByLeaseIdCallsBody",
    "PostLeasesByLeaseIdCompleteBody",
    "PostLeasesByLeaseIdEventsBody",
    "PostLeasesByLeaseIdEventsBodyEventsItem",
    "PostLeasesByLeaseIdFailBody",
    "PostLeasesByLeaseIdFailBodyError",
    "PostLeasesByLeaseIdFindingsBody",
    "PostLeasesByLeaseIdFindingsBodyFindingsItem",
    "PostLeasesByLeaseIdSignalsByNameWaitBody",
    "PostLeasesByLeaseIdStepsBody",
    "PostMcpServersBody",
    "PostMcpServersByNameApproveBody",
    "PostRunsBatchBody",
    "PostRunsBatchResponse",
    "PostRunsBody",
    "PostRunsByIdCancelBody",
    "PostRunsByIdRetryBody",
    "PostSchedulesBody",
    "PostSecretsBody",
    "PostSecretsByNameRotateBody",
    "PostSessionsBody",
    "PostSessionsByIdEndBody",
    "PostSessionsByIdForkBody",
    "PostSessionsByIdMessagesBody",
    "PostTriggersBody",
    "PostTriggersByIdRotateSecretBody",
    "PostWebhooksBody",
    "PostWebhooksByIdRotateSecretBody",
    "PostWorkerCompleteBody",
    "PostWorkerCompleteBodyLease",
    "PostWorkerCompleteBodyResultsItem",
    "PostWorkerCompleteBodyResultsItem1",
    "PostWorkerLeaseBody",
    "PostWorkflowsByNameRunsBody",
    "PutBudgetsBody",
    "Readiness",
    "RecordedSteps",
    "ReloadResult",
    "ReloadResultDiff",
    "Run",
    "RunAttempt",
    "RunAttemptDataItem",
    "RunEvent",
    "RunFailure",
    "Schedule",
    "ScheduleDeleted",
    "ScheduleFire",
    "ScheduleTarget",
    "ScheduleTarget1",
    "Secret",
    "SecretDeleted",
    "SecretDetail",
    "SecretDetailVersionsItem",
    "SecretRewrapResult",
    "SecretRewrapResultFailedItem",
    "Session",
    "SessionDeleted",
    "SessionForkedFrom",
    "SessionMessage",
    "SessionMessageAccepted",
    "Signal",
    "SignalWaitResult",
    "StepRecorded",
    "StepRecordedStep",
    "Task",
    "TaskSecretsWithheld",
    "TaskSession",
    "TaskSessionMessagesItem",
    "Trigger",
    "TriggerDeleted",
    "TriggerDelivery",
    "TriggerDeliveryError",
    "TriggerMapping",
    "TriggerMapping1",
    "TriggerRateLimit",
    "TriggerWithSecret",
    "UsageReport",
    "UsageRow",
    "UsageTotals",
    "Webhook",
    "WebhookDeleted",
    "WebhookDelivery",
    "WebhookWithSecret",
    "Workflow",
    "WorkflowDeleted",
    "WorkflowStepsItem",
    "WorkflowVersion",
    "ErrorCode",
]
