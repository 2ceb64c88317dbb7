"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The models of the `worker` area (first needed by its operations; see the script's rules).
"""

from __future__ import annotations

from typing import Any, Literal

from agentd.models._base import _Model
from agentd.models.runs import Signal


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


class PostLeasesByLeaseIdApprovalsBody(_Model):
    key: str
    prompt: str
    payload: Any | None = None
    timeout_ms: int | None = None
    on_timeout: Literal["reject", "approve", "fail_run"] | None = None
    assignees: list[str] | None = None
    required_approvals: int | None = None


class PostLeasesByLeaseIdSignalsByNameWaitBody(_Model):
    key: str
    wait_ms: int | None = None
    last: bool | None = None


class PostLeasesByLeaseIdStepsBody(_Model):
    key: str
    output: Any | None = None


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


Finding = FindingCreateResponseDataItem

__all__ = [
    "AppendEventsResponse",
    "CompleteBatchResponse",
    "CompleteBatchResponseResultsItem",
    "CompleteBatchResponseResultsItemError",
    "Finding",
    "FindingCreateResponse",
    "FindingCreateResponseDataItem",
    "HeartbeatResult",
    "LeaseResponse",
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
    "PostWorkerCompleteBody",
    "PostWorkerCompleteBodyLease",
    "PostWorkerCompleteBodyResultsItem",
    "PostWorkerCompleteBodyResultsItem1",
    "PostWorkerLeaseBody",
    "RecordedSteps",
    "SignalWaitResult",
    "StepRecorded",
    "StepRecordedStep",
    "Task",
    "TaskSecretsWithheld",
    "TaskSession",
    "TaskSessionMessagesItem",
]
