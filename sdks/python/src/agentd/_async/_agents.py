"""agents and workflows: deploy (a dict, or YAML text sent as YAML), list, retrieve, versions, delete; workflows start."""

from __future__ import annotations

from typing import Any

from agentd._async._page import AsyncPage
from agentd._async._resource import AsyncResource, body_of, text_or_json
from agentd._options import seg
from agentd.models import Agent, AgentDeleted, AgentVersion, Run, Workflow, WorkflowDeleted, WorkflowVersion


class AsyncAgentsResource(AsyncResource):
    async def deploy(self, manifest: dict[str, Any] | str, *, idempotency_key: str | None = None) -> Agent:
        return await self._send(Agent, "POST", "/v1/agents", idempotency_key=idempotency_key, **text_or_json(manifest))

    def list(self, *, limit: int | None = None, cursor: str | None = None) -> AsyncPage[Agent]:
        return self._page(Agent, "/v1/agents", {"limit": limit, "cursor": cursor})

    async def retrieve(self, name: str) -> Agent:
        return await self._get(Agent, f"/v1/agents/{seg(name)}")

    def versions(self, name: str, *, limit: int | None = None, cursor: str | None = None) -> AsyncPage[AgentVersion]:
        return self._page(AgentVersion, f"/v1/agents/{seg(name)}/versions", {"limit": limit, "cursor": cursor})

    async def retrieve_version(self, name: str, version: int) -> AgentVersion:
        return await self._get(AgentVersion, f"/v1/agents/{seg(name)}/versions/{seg(version)}")

    async def delete(self, name: str) -> AgentDeleted:
        return await self._send(AgentDeleted, "DELETE", f"/v1/agents/{seg(name)}")

    async def disable_endpoint(self, name: str, endpoint: str) -> Agent:
        return await self._send(Agent, "POST", f"/v1/agents/{seg(name)}/endpoints/{seg(endpoint)}/disable", {})

    async def enable_endpoint(self, name: str, endpoint: str) -> Agent:
        return await self._send(Agent, "POST", f"/v1/agents/{seg(name)}/endpoints/{seg(endpoint)}/enable", {})


class AsyncWorkflowsResource(AsyncResource):
    async def deploy(self, definition: dict[str, Any] | str, *, idempotency_key: str | None = None) -> Workflow:
        return await self._send(Workflow, "POST", "/v1/workflows", idempotency_key=idempotency_key, **text_or_json(definition))

    def list(self, *, limit: int | None = None, cursor: str | None = None) -> AsyncPage[Workflow]:
        return self._page(Workflow, "/v1/workflows", {"limit": limit, "cursor": cursor})

    async def retrieve(self, name: str) -> Workflow:
        return await self._get(Workflow, f"/v1/workflows/{seg(name)}")

    def versions(self, name: str, *, limit: int | None = None, cursor: str | None = None) -> AsyncPage[WorkflowVersion]:
        return self._page(WorkflowVersion, f"/v1/workflows/{seg(name)}/versions", {"limit": limit, "cursor": cursor})

    async def retrieve_version(self, name: str, version: int) -> WorkflowVersion:
        return await self._get(WorkflowVersion, f"/v1/workflows/{seg(name)}/versions/{seg(version)}")

    async def start(self, name: str, *, input: Any = None, metadata: dict[str, Any] | None = None, deadline: str | None = None,
                    idempotency_key: str | None = None) -> Run:
        """Starts the workflow's latest version: its run (kind `workflow`), which the server drives;
        follow it like any run (`client.runs.wait(run.id)`)."""
        body = body_of(input=input, metadata=metadata, deadline=deadline)
        return await self._send(Run, "POST", f"/v1/workflows/{seg(name)}/runs", body, idempotency_key=idempotency_key)

    async def delete(self, name: str) -> WorkflowDeleted:
        return await self._send(WorkflowDeleted, "DELETE", f"/v1/workflows/{seg(name)}")
