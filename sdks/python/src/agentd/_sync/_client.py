# Generated from agentd/_async by scripts/unasync.py. Do not edit.
"""Agentd: the async client, one attribute per area of the API."""

from __future__ import annotations

from typing import Any

import httpx

from agentd._sync._access import ApprovalsResource, GrantsResource, KeysResource, SecretsResource
from agentd._sync._agents import AgentsResource, WorkflowsResource
from agentd._sync._http import HTTP
from agentd._sync._leases import LeasesResource, WorkerResource
from agentd._sync._mcp_servers import McpServersResource
from agentd._sync._records import AuditResource, EventsResource, FindingsResource, LogsResource
from agentd._sync._runs import RunsResource
from agentd._sync._schedules import SchedulesResource
from agentd._sync._sessions import SessionsResource
from agentd._sync._triggers import TriggersResource
from agentd._sync._usage import BudgetsResource, ModelsResource, UsageResource
from agentd._sync._webhooks import WebhooksResource
from agentd._options import ClientOptions, resolve_options
from agentd.models import Health, Readiness, ReloadResult


class Agentd:
    """Configured by arguments or AGENTD_URL / AGENTD_API_KEY. `timeout` is one total deadline per
    call, retries included; `max_retries` (default 2) retries connection errors, 408, 409
    IDEMPOTENCY_IN_FLIGHT, 429 and 5xx."""

    def __init__(self, *, base_url: str | None = None, api_key: str | None = None, timeout: float | None = None,
                 max_retries: int | None = None, default_headers: dict[str, str] | None = None,
                 http_client: httpx.Client | None = None) -> None:
        self.options: ClientOptions = resolve_options(base_url, api_key, timeout, max_retries, default_headers)
        self._http = HTTP(self.options, http_client)
        self.agents = AgentsResource(self._http)
        self.runs = RunsResource(self._http)
        self.keys = KeysResource(self._http)
        self.events = EventsResource(self._http)
        self.worker = WorkerResource(self._http)
        self.leases = LeasesResource(self._http)
        self.approvals = ApprovalsResource(self._http)
        self.secrets = SecretsResource(self._http)
        self.grants = GrantsResource(self._http)
        self.findings = FindingsResource(self._http)
        self.logs = LogsResource(self._http)
        self.audit = AuditResource(self._http)
        self.workflows = WorkflowsResource(self._http)
        self.schedules = SchedulesResource(self._http)
        self.webhooks = WebhooksResource(self._http)
        self.sessions = SessionsResource(self._http, self.runs)
        self.triggers = TriggersResource(self._http)
        self.usage = UsageResource(self._http)
        self.models = ModelsResource(self._http)
        self.budgets = BudgetsResource(self._http)
        self.mcp_servers = McpServersResource(self._http)

    @property
    def base_url(self) -> str:
        return self.options.base_url

    def reload(self) -> ReloadResult:
        """The server reads its config file (`agentd serve --config`) again and applies it,
        answering the diff and the `server:` settings that need a restart. An invalid file is an
        UnprocessableEntityError (CONFIG_INVALID, nothing changed); a server started without a file
        a ConflictError (CONFIG_NOT_LOADED). Admin keys of the default tenant only."""
        return ReloadResult.model_validate(self._http.request("POST", "/v1/reload", body={}))

    def health(self) -> Health:
        """Liveness: the process answers."""
        return Health.model_validate(self._http.request("GET", "/v1/health"))

    def ready(self) -> Readiness:
        """Readiness: the database answers (a 503 while it does not)."""
        return Readiness.model_validate(self._http.request("GET", "/v1/health/ready"))

    def request(self, method: str, path: str, *, query: dict[str, Any] | None = None, body: Any = None) -> Any:
        """Any route, as parsed JSON: for what the resources do not cover yet."""
        return self._http.request(method, path, query=query, body=body)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Agentd:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
