"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The models of the `workflows` area (first needed by its operations; see the script's rules).
"""

from __future__ import annotations

from typing import Any, Literal

from agentd.models._base import _Model
from agentd.models.agents import AgentDeleted


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


class PostWorkflowsByNameRunsBody(_Model):
    input: Any | None = None
    "The workflow's input, checked against its spec.input schema."
    metadata: dict[str, Any] | None = None
    deadline: str | None = None


class PostRunsByIdRetryBody(_Model):
    deadline: str | None = None
    "The new run's deadline; none when not given (the failed run's may have passed)."


WorkflowDeleted = AgentDeleted

__all__ = [
    "PostRunsByIdRetryBody",
    "PostWorkflowsByNameRunsBody",
    "Workflow",
    "WorkflowDeleted",
    "WorkflowStepsItem",
    "WorkflowVersion",
]
