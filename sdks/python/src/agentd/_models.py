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
    "One of VALIDATION_ERROR, INVALID_JSON, BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, AGENT_NOT_FOUND, ENDPOINT_NOT_FOUND, RUN_NOT_FOUND, KEY_NOT_FOUND, LEASE_NOT_FOUND, APPROVAL_NOT_FOUND, SECRET_NOT_FOUND, GRANT_NOT_FOUND, WORKFLOW_NOT_FOUND, SCHEDULE_NOT_FOUND, WEBHOOK_NOT_FOUND, WEBHOOK_DELIVERY_NOT_FOUND, SECRET_NOT_GRANTED, APPROVAL_LINK_INVALID, APPROVAL_ALREADY_DECIDED, APPROVAL_EXPIRED, SECRET_EXISTS, LEASE_LOST, RUN_ALREADY_TERMINAL, GENERATION_CONFLICT, ENDPOINT_DISABLED, SCHEDULE_CONFLICT, SCHEDULE_SLOT_TAKEN, IDEMPOTENCY_IN_FLIGHT, WEBHOOK_DELIVERY_PENDING, REQUEST_TIMEOUT, PAYLOAD_TOO_LARGE, URI_TOO_LONG, UNSUPPORTED_MEDIA_TYPE, KEY_INVALID, IDEMPOTENCY_KEY_REUSED, SCHEDULE_INVALID, MANIFEST_INVALID, WORKFLOW_NOT_SUPPORTED, WORKFLOW_INVALID, RUN_UPDATE_INVALID, EGRESS_REFUSED, INPUT_INVALID, OUTPUT_INVALID, CALL_KEY_CONFLICT, CALL_DEPTH_EXCEEDED, CHILD_LIMIT_EXCEEDED, HEADERS_TOO_LARGE, RATE_LIMITED, SECRET_UNREADABLE, INTERNAL, UNAVAILABLE"
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
    waiting_reason: Literal["approval", "child", "signal", "sleep"] | None
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


class AgentManifestSpec(_Model):
    runtime: Literal["worker"]
    endpoints: dict[str, Any]


class AgentManifest(_Model):
    apiVersion: str
    kind: Literal["Agent"]
    metadata: AgentManifestMetadata
    spec: AgentManifestSpec


class Agent(_Model):
    name: str
    description: str | None
    runtime: Literal["worker"]
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
    outcome: Literal["running", "succeeded", "failed", "released", "lease_expired", "cancelled", "timed_out"]
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
    secrets: dict[str, str] | None = None
    "The values of the secrets granted to this agent and endpoint, for this run only (by name)."
    secrets_withheld: TaskSecretsWithheld | None = None
    "Present when the lease was taken with a key that receives no secrets (an admin key, or a worker key for [\"*\"]); `secrets` is then empty."


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
    "An agent endpoint. Workflow targets (`{\"workflow\"}`) are refused with 422 SCHEDULE_INVALID until the workflow runtime exists."

    agent: str
    endpoint: str


class Schedule(_Model):
    id: str
    cron: str
    timezone: str
    target: ScheduleTarget
    "An agent endpoint. Workflow targets (`{\"workflow\"}`) are refused with 422 SCHEDULE_INVALID until the workflow runtime exists."
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


class GetHealthReadyResponse(_Model):
    status: Literal["ready"]


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


class GetApprovalLinksByTokenResponse(_Model):
    approval: Approval
    decision: str | None
    expires_at: str


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


class PostSchedulesBody(_Model):
    id: str
    cron: str
    "Cron fields (5: minute precision; 6: with seconds first; 7: with a year last) or a nickname (`@daily`), evaluated by croner in `timezone`."
    timezone: str | None = None
    "An IANA time zone (`Europe/Berlin`) or `UTC`. Default UTC."
    target: ScheduleTarget
    "An agent endpoint. Workflow targets (`{\"workflow\"}`) are refused with 422 SCHEDULE_INVALID until the workflow runtime exists."
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
    target: ScheduleTarget | None = None
    "An agent endpoint. Workflow targets (`{\"workflow\"}`) are refused with 422 SCHEDULE_INVALID until the workflow runtime exists."
    input: Any | None = None
    "The input of every run; checked against the endpoint's input schema."
    overlap_policy: Literal["skip", "allow", "buffer_one"] | None = None
    "When a slot comes while the previous run is live: skip (default), allow, buffer_one."
    missed_policy: Literal["skip", "run_once", "run_all"] | None = None
    "Slots missed while no node fired: skip (default), run_once, run_all (the latest 100 at most)."
    paused: bool | None = None


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


Finding = FindingCreateResponseDataItem
WorkflowDeleted = AgentDeleted
ErrorCode = Literal["VALIDATION_ERROR", "INVALID_JSON", "BAD_REQUEST", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "AGENT_NOT_FOUND", "ENDPOINT_NOT_FOUND", "RUN_NOT_FOUND", "KEY_NOT_FOUND", "LEASE_NOT_FOUND", "APPROVAL_NOT_FOUND", "SECRET_NOT_FOUND", "GRANT_NOT_FOUND", "WORKFLOW_NOT_FOUND", "SCHEDULE_NOT_FOUND", "WEBHOOK_NOT_FOUND", "WEBHOOK_DELIVERY_NOT_FOUND", "SECRET_NOT_GRANTED", "APPROVAL_LINK_INVALID", "APPROVAL_ALREADY_DECIDED", "APPROVAL_EXPIRED", "SECRET_EXISTS", "LEASE_LOST", "RUN_ALREADY_TERMINAL", "GENERATION_CONFLICT", "ENDPOINT_DISABLED", "SCHEDULE_CONFLICT", "SCHEDULE_SLOT_TAKEN", "IDEMPOTENCY_IN_FLIGHT", "WEBHOOK_DELIVERY_PENDING", "REQUEST_TIMEOUT", "PAYLOAD_TOO_LARGE", "URI_TOO_LONG", "UNSUPPORTED_MEDIA_TYPE", "KEY_INVALID", "IDEMPOTENCY_KEY_REUSED", "SCHEDULE_INVALID", "MANIFEST_INVALID", "WORKFLOW_NOT_SUPPORTED", "WORKFLOW_INVALID", "RUN_UPDATE_INVALID", "EGRESS_REFUSED", "INPUT_INVALID", "OUTPUT_INVALID", "CALL_KEY_CONFLICT", "CALL_DEPTH_EXCEEDED", "CHILD_LIMIT_EXCEEDED", "HEADERS_TOO_LARGE", "RATE_LIMITED", "SECRET_UNREADABLE", "INTERNAL", "UNAVAILABLE"]

__all__ = [
    "Agent",
    "AgentDeleted",
    "AgentEndpointsValue",
    "AgentEndpointsValueRetry",
    "AgentManifest",
    "AgentManifestMetadata",
    "AgentManifestSpec",
    "AgentVersion",
    "ApiKey",
    "AppendEventsResponse",
    "Approval",
    "ApprovalLink",
    "ApprovalVotesItem",
    "AuditRecord",
    "CompleteBatchResponse",
    "CompleteBatchResponseResultsItem",
    "CompleteBatchResponseResultsItemError",
    "CreatedApiKey",
    "ErrorBody",
    "ErrorDetail",
    "Finding",
    "FindingCreateResponse",
    "FindingCreateResponseDataItem",
    "GetApprovalLinksByTokenResponse",
    "GetHealthReadyResponse",
    "GetRunsByIdSignalsResponse",
    "Grant",
    "Health",
    "HeartbeatResult",
    "LeaseResponse",
    "LogLine",
    "PatchRunsByIdBody",
    "PatchRunsByIdBodyRetry",
    "PatchSchedulesByIdBody",
    "PatchWebhooksByIdBody",
    "PostApprovalLinksByTokenBody",
    "PostApprovalsByIdApproveBody",
    "PostApprovalsByIdLinkBody",
    "PostApprovalsByIdRejectBody",
    "PostGrantsBody",
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
    "PostRunsBatchBody",
    "PostRunsBatchResponse",
    "PostRunsBody",
    "PostRunsByIdCancelBody",
    "PostSchedulesBody",
    "PostSecretsBody",
    "PostSecretsByNameRotateBody",
    "PostWebhooksBody",
    "PostWebhooksByIdRotateSecretBody",
    "PostWorkerCompleteBody",
    "PostWorkerCompleteBodyLease",
    "PostWorkerCompleteBodyResultsItem",
    "PostWorkerCompleteBodyResultsItem1",
    "PostWorkerLeaseBody",
    "PostWorkflowsByNameRunsBody",
    "RecordedSteps",
    "Run",
    "RunAttempt",
    "RunAttemptDataItem",
    "RunEvent",
    "RunFailure",
    "Schedule",
    "ScheduleDeleted",
    "ScheduleFire",
    "ScheduleTarget",
    "Secret",
    "SecretDeleted",
    "SecretDetail",
    "SecretDetailVersionsItem",
    "SecretRewrapResult",
    "SecretRewrapResultFailedItem",
    "Signal",
    "SignalWaitResult",
    "StepRecorded",
    "StepRecordedStep",
    "Task",
    "TaskSecretsWithheld",
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
