"""AsyncAgentd: the async client, one attribute per area of the API."""

from __future__ import annotations

from typing import Any

import httpx

from agentd._async._access import AsyncApprovalsResource, AsyncGrantsResource, AsyncKeysResource, AsyncSecretsResource
from agentd._async._agents import AsyncAgentsResource, AsyncWorkflowsResource
from agentd._async._http import AsyncHTTP
from agentd._async._leases import AsyncLeasesResource, AsyncWorkerResource
from agentd._async._mcp_servers import AsyncMcpServersResource
from agentd._async._records import AsyncAuditResource, AsyncEventsResource, AsyncFindingsResource, AsyncLogsResource
from agentd._async._runs import AsyncRunsResource
from agentd._async._schedules import AsyncSchedulesResource
from agentd._async._sessions import AsyncSessionsResource
from agentd._async._triggers import AsyncTriggersResource
from agentd._async._usage import AsyncBudgetsResource, AsyncModelsResource, AsyncUsageResource
from agentd._async._webhooks import AsyncWebhooksResource
from agentd._options import ClientOptions, resolve_options
from agentd.models import Health, Readiness, ReloadResult


class AsyncAgentd:
    """Configured by arguments or AGENTD_URL / AGENTD_API_KEY. `timeout` is one total deadline per
    call, retries included; `max_retries` (default 2) retries connection errors, 408, 409
    IDEMPOTENCY_IN_FLIGHT, 429 and 5xx."""

    def __init__(self, *, base_url: str | None = None, api_key: str | None = None, timeout: float | None = None,
                 max_retries: int | None = None, default_headers: dict[str, str] | None = None,
                 http_client: httpx.AsyncClient | None = None) -> None:
        self.options: ClientOptions = resolve_options(base_url, api_key, timeout, max_retries, default_headers)
        self._http = AsyncHTTP(self.options, http_client)
        self.agents = AsyncAgentsResource(self._http)
        self.runs = AsyncRunsResource(self._http)
        self.keys = AsyncKeysResource(self._http)
        self.events = AsyncEventsResource(self._http)
        self.worker = AsyncWorkerResource(self._http)
        self.leases = AsyncLeasesResource(self._http)
        self.approvals = AsyncApprovalsResource(self._http)
        self.secrets = AsyncSecretsResource(self._http)
        self.grants = AsyncGrantsResource(self._http)
        self.findings = AsyncFindingsResource(self._http)
        self.logs = AsyncLogsResource(self._http)
        self.audit = AsyncAuditResource(self._http)
        self.workflows = AsyncWorkflowsResource(self._http)
        self.schedules = AsyncSchedulesResource(self._http)
        self.webhooks = AsyncWebhooksResource(self._http)
        self.sessions = AsyncSessionsResource(self._http, self.runs)
        self.triggers = AsyncTriggersResource(self._http)
        self.usage = AsyncUsageResource(self._http)
        self.models = AsyncModelsResource(self._http)
        self.budgets = AsyncBudgetsResource(self._http)
        self.mcp_servers = AsyncMcpServersResource(self._http)

    @property
    def base_url(self) -> str:
        return self.options.base_url

    async def reload(self) -> ReloadResult:
        """The server reads its config file (`agentd serve --config`) again and applies it,
        answering the diff and the `server:` settings that need a restart. An invalid file is an
        UnprocessableEntityError (CONFIG_INVALID, nothing changed); a server started without a file
        a ConflictError (CONFIG_NOT_LOADED). Admin keys of the default tenant only."""
        return ReloadResult.model_validate(await self._http.request("POST", "/v1/reload", body={}))

    async def health(self) -> Health:
        """Liveness: the process answers."""
        return Health.model_validate(await self._http.request("GET", "/v1/health"))

    async def ready(self) -> Readiness:
        """Readiness: the database answers (a 503 while it does not)."""
        return Readiness.model_validate(await self._http.request("GET", "/v1/health/ready"))

    async def request(self, method: str, path: str, *, query: dict[str, Any] | None = None, body: Any = None) -> Any:
        """Any route, as parsed JSON: for what the resources do not cover yet."""
        return await self._http.request(method, path, query=query, body=body)

    async def close(self) -> None:
        await self._http.close()

    async def __aenter__(self) -> AsyncAgentd:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
