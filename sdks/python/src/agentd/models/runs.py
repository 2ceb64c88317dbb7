"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The models of the `runs` area (first needed by its operations; see the script's rules).
"""

from __future__ import annotations

from typing import Any, Literal

from agentd.models._base import _Model


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


class Signal(_Model):
    id: str
    run_id: str
    name: str
    payload: Any
    created_at: str
    consumed_at: str | None
    consumed_by: str | None


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


class GetRunsByIdSignalsResponse(_Model):
    data: list[Signal]

__all__ = [
    "GetRunsByIdSignalsResponse",
    "PatchRunsByIdBody",
    "PatchRunsByIdBodyRetry",
    "PostRunsBatchBody",
    "PostRunsBatchResponse",
    "PostRunsBody",
    "PostRunsByIdCancelBody",
    "Run",
    "RunAttempt",
    "RunAttemptDataItem",
    "RunFailure",
    "Signal",
]
