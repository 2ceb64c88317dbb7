"""runs: create, retrieve, list, children, cancel, retry, update, signals, attempts, events, wait."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from agentd._async._page import AsyncPage
from agentd._async._resource import AsyncResource, body_of
from agentd._async._stream import AsyncEventStream
from agentd._errors import AgentdError, APITimeoutError, RunWaitTimeoutError
from agentd._options import TERMINAL_EVENT_TYPES, TERMINAL_STATUSES, seg
from agentd._retry import backoff_delay
from agentd.models import GetRunsByIdSignalsResponse, PostRunsBatchResponse, Run, RunAttempt, RunEvent, Signal

# A few failed reconnects are enough to decide the stream does not work here; polling then.
STREAM_RECONNECTS_BEFORE_POLLING = 3
MAX_POLL_INTERVAL = 5.0


class AsyncRunsResource(AsyncResource):
    async def create(self, *, agent: str, endpoint: str, input: Any = None, metadata: dict[str, Any] | None = None,
                     priority: int | None = None, timeout_ms: int | None = None, deadline: str | None = None,
                     idempotency_key: str | None = None, timeout: float | None = None) -> Run:
        body = body_of(agent=agent, endpoint=endpoint, metadata=metadata, priority=priority, timeout_ms=timeout_ms, deadline=deadline)
        body["input"] = input
        return await self._send(Run, "POST", "/v1/runs", body, idempotency_key=idempotency_key, timeout=timeout)

    async def create_batch(self, runs: list[dict[str, Any]], *, idempotency_key: str | None = None,
                           timeout: float | None = None) -> PostRunsBatchResponse:
        return await self._send(PostRunsBatchResponse, "POST", "/v1/runs/batch", {"runs": runs}, idempotency_key=idempotency_key,
                                timeout=timeout)

    async def retrieve(self, id: str, *, timeout: float | None = None) -> Run:
        return await self._get(Run, f"/v1/runs/{seg(id)}", timeout=timeout)

    def list(self, *, agent: str | None = None, status: str | list[str] | None = None, created_after: str | None = None,
             created_before: str | None = None, limit: int | None = None, cursor: str | None = None) -> AsyncPage[Run]:
        query = {"agent": agent, "status": status, "created_after": created_after, "created_before": created_before,
                 "limit": limit, "cursor": cursor}
        return self._page(Run, "/v1/runs", query)

    def children(self, id: str, *, limit: int | None = None, cursor: str | None = None) -> AsyncPage[Run]:
        """The run's child runs (agent-to-agent calls, workflow steps), newest first."""
        return self._page(Run, f"/v1/runs/{seg(id)}/children", {"limit": limit, "cursor": cursor})

    async def retry(self, id: str, *, deadline: str | None = None, idempotency_key: str | None = None) -> Run:
        """Retries a workflow run that failed (or was cancelled, or timed out) from its failed steps:
        a **new** workflow run that keeps the succeeded steps' outputs and runs only the rest. Any
        other run is a ConflictError (RUN_NOT_RETRYABLE). The Idempotency-Key makes one retry."""
        return await self._send(Run, "POST", f"/v1/runs/{seg(id)}/retry", body_of(deadline=deadline), idempotency_key=idempotency_key)

    async def cancel(self, id: str, *, reason: str | None = None, idempotency_key: str | None = None) -> Run:
        return await self._send(Run, "POST", f"/v1/runs/{seg(id)}/cancel", body_of(reason=reason), idempotency_key=idempotency_key)

    async def update(self, id: str, *, generation: int | None = None, max_attempts: int | None = None,
                     retry: dict[str, Any] | None = None, deadline: str | None = None, priority: int | None = None) -> Run:
        body = body_of(generation=generation, max_attempts=max_attempts, retry=retry, deadline=deadline, priority=priority)
        return await self._send(Run, "PATCH", f"/v1/runs/{seg(id)}", body)

    async def signal(self, id: str, name: str, payload: Any = None, *, idempotency_key: str | None = None) -> Signal:
        # The body is the payload itself, JSON null included.
        return await self._send(Signal, "POST", f"/v1/runs/{seg(id)}/signals/{seg(name)}", idempotency_key=idempotency_key,
                                raw_body=(json.dumps(payload), "application/json"))

    async def signals(self, id: str) -> GetRunsByIdSignalsResponse:
        return await self._get(GetRunsByIdSignalsResponse, f"/v1/runs/{seg(id)}/signals")

    def attempts(self, id: str) -> AsyncPage[RunAttempt]:
        return self._page(RunAttempt, f"/v1/runs/{seg(id)}/attempts", {})

    def events(self, id: str, *, after: int | None = None, max_reconnects: int | None = None) -> AsyncEventStream[RunEvent]:
        """The run's events over SSE, live; iteration ends after the terminal event. A dropped
        connection resumes after the last seq delivered, with no gap and no repeat."""
        return AsyncEventStream(
            self._http, f"/v1/runs/{seg(id)}/events", RunEvent, after=None if after is None else str(after),
            is_last=lambda e: e.type in TERMINAL_EVENT_TYPES,
            is_duplicate=lambda e, prev: prev is not None and e.seq <= prev.seq,
            max_reconnects=max_reconnects,
        )

    def events_page(self, id: str, *, after: int | None = None, limit: int | None = None) -> AsyncPage[RunEvent]:
        """The JSON form of the run's events, page by page (`next_cursor` is the next `after`)."""
        return self._page(RunEvent, f"/v1/runs/{seg(id)}/events", {"after": after, "limit": limit}, "after")

    async def wait(self, id: str, *, timeout: float | None = None) -> Run:
        """The run once it has ended (any terminal status). Follows the event stream (one total
        deadline: `timeout` seconds), polling when the stream does not work."""
        deadline = None if timeout is None else time.monotonic() + timeout
        run = await self.retrieve(id)
        if run.status in TERMINAL_STATUSES:
            return run
        stream = AsyncEventStream(
            self._http, f"/v1/runs/{seg(id)}/events", RunEvent, is_last=lambda e: e.type in TERMINAL_EVENT_TYPES,
            max_reconnects=STREAM_RECONNECTS_BEFORE_POLLING, deadline=deadline,
        )
        try:
            async for _event in stream:
                pass  # only the end matters: the stream closes itself after the terminal event
        except APITimeoutError as err:
            raise RunWaitTimeoutError(id, timeout or 0) from err
        except AgentdError:
            pass  # a stream that does not work is not fatal: polling below finds the end too
        finally:
            await stream.close()
        attempt = 0
        while True:
            run = await self.retrieve(id)
            if run.status in TERMINAL_STATUSES:
                return run
            delay = backoff_delay(attempt, maximum=MAX_POLL_INTERVAL)
            if deadline is not None and time.monotonic() + delay > deadline:
                raise RunWaitTimeoutError(id, timeout or 0)
            await asyncio.sleep(delay)
            attempt += 1

    async def create_and_wait(self, *, agent: str, endpoint: str, input: Any = None, metadata: dict[str, Any] | None = None,
                              priority: int | None = None, timeout_ms: int | None = None, idempotency_key: str | None = None,
                              timeout: float | None = None) -> Run:
        run = await self.create(agent=agent, endpoint=endpoint, input=input, metadata=metadata, priority=priority,
                                timeout_ms=timeout_ms, idempotency_key=idempotency_key)
        return await self.wait(run.id, timeout=timeout)
