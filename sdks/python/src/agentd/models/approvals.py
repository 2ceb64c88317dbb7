"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The models of the `approvals` area (first needed by its operations; see the script's rules).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from agentd.models._base import _Model


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


class ApprovalLinkView(_Model):
    approval: Approval
    decision: str | None
    expires_at: str


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

__all__ = [
    "Approval",
    "ApprovalLink",
    "ApprovalLinkView",
    "ApprovalVotesItem",
    "PostApprovalLinksByTokenBody",
    "PostApprovalsByIdApproveBody",
    "PostApprovalsByIdLinkBody",
    "PostApprovalsByIdRejectBody",
]
