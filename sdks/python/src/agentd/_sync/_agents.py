# Generated from agentd/_async by scripts/unasync.py. Do not edit.
"""agents and workflows: deploy (a dict, or YAML text sent as YAML), list, retrieve, versions, delete; workflows start."""

from __future__ import annotations

from typing import Any

from agentd._sync._page import Page
from agentd._sync._resource import Resource, body_of, text_or_json
from agentd._options import seg
from agentd.models import Agent, AgentDeleted, AgentVersion, Run, Workflow, WorkflowDeleted, WorkflowVersion


class AgentsResource(Resource):
    def deploy(self, manifest: dict[str, Any] | str, *, idempotency_key: str | None = None) -> Agent:
        return self._send(Agent, "POST", "/v1/agents", idempotency_key=idempotency_key, **text_or_json(manifest))

    def list(self, *, limit: int | None = None, cursor: str | None = None) -> Page[Agent]:
        return self._page(Agent, "/v1/agents", {"limit": limit, "cursor": cursor})

    def retrieve(self, name: str) -> Agent:
        return self._get(Agent, f"/v1/agents/{seg(name)}")

    def versions(self, name: str, *, limit: int | None = None, cursor: str | None = None) -> Page[AgentVersion]:
        return self._page(AgentVersion, f"/v1/agents/{seg(name)}/versions", {"limit": limit, "cursor": cursor})

    def retrieve_version(self, name: str, version: int) -> AgentVersion:
        return self._get(AgentVersion, f"/v1/agents/{seg(name)}/versions/{seg(version)}")

    def delete(self, name: str) -> AgentDeleted:
        return self._send(AgentDeleted, "DELETE", f"/v1/agents/{seg(name)}")

    def disable_endpoint(self, name: str, endpoint: str) -> Agent:
        return self._send(Agent, "POST", f"/v1/agents/{seg(name)}/endpoints/{seg(endpoint)}/disable", {})

    def enable_endpoint(self, name: str, endpoint: str) -> Agent:
        return self._send(Agent, "POST", f"/v1/agents/{seg(name)}/endpoints/{seg(endpoint)}/enable", {})


class WorkflowsResource(Resource):
    def deploy(self, definition: dict[str, Any] | str, *, idempotency_key: str | None = None) -> Workflow:
        return self._send(Workflow, "POST", "/v1/workflows", idempotency_key=idempotency_key, **text_or_json(definition))

    def list(self, *, limit: int | None = None, cursor: str | None = None) -> Page[Workflow]:
        return self._page(Workflow, "/v1/workflows", {"limit": limit, "cursor": cursor})

    def retrieve(self, name: str) -> Workflow:
        return self._get(Workflow, f"/v1/workflows/{seg(name)}")

    def versions(self, name: str, *, limit: int | None = None, cursor: str | None = None) -> Page[WorkflowVersion]:
        return self._page(WorkflowVersion, f"/v1/workflows/{seg(name)}/versions", {"limit": limit, "cursor": cursor})

    def retrieve_version(self, name: str, version: int) -> WorkflowVersion:
        return self._get(WorkflowVersion, f"/v1/workflows/{seg(name)}/versions/{seg(version)}")

    def start(self, name: str, *, input: Any = None, metadata: dict[str, Any] | None = None, deadline: str | None = None,
                    idempotency_key: str | None = None) -> Run:
        """Starts the workflow's latest version: its run (kind `workflow`), which the server drives;
        follow it like any run (`client.runs.wait(run.id)`)."""
        body = body_of(input=input, metadata=metadata, deadline=deadline)
        return self._send(Run, "POST", f"/v1/workflows/{seg(name)}/runs", body, idempotency_key=idempotency_key)

    def delete(self, name: str) -> WorkflowDeleted:
        return self._send(WorkflowDeleted, "DELETE", f"/v1/workflows/{seg(name)}")
