# Generated from agentd/_async by scripts/unasync.py. Do not edit.
"""runs: create, retrieve, list, children, cancel, retry, update, signals, attempts, events, wait."""

from __future__ import annotations

import json
import time
from typing import Any

from agentd._sync._page import Page
from agentd._sync._resource import Resource, body_of
from agentd._sync._stream import EventStream
from agentd._errors import AgentdError, APITimeoutError, RunWaitTimeoutError
from agentd._options import TERMINAL_EVENT_TYPES, TERMINAL_STATUSES, seg
from agentd._retry import backoff_delay
from agentd.models import GetRunsByIdSignalsResponse, PostRunsBatchResponse, Run, RunAttempt, RunEvent, Signal

# A few failed reconnects are enough to decide the stream does not work here; polling then.
STREAM_RECONNECTS_BEFORE_POLLING = 3
MAX_POLL_INTERVAL = 5.0


class RunsResource(Resource):
    def create(self, *, agent: str, endpoint: str, input: Any = None, metadata: dict[str, Any] | None = None,
                     priority: int | None = None, timeout_ms: int | None = None, deadline: str | None = None,
                     idempotency_key: str | None = None, timeout: float | None = None) -> Run:
        body = body_of(agent=agent, endpoint=endpoint, metadata=metadata, priority=priority, timeout_ms=timeout_ms, deadline=deadline)
        body["input"] = input
        return self._send(Run, "POST", "/v1/runs", body, idempotency_key=idempotency_key, timeout=timeout)

    def create_batch(self, runs: list[dict[str, Any]], *, idempotency_key: str | None = None,
                           timeout: float | None = None) -> PostRunsBatchResponse:
        return self._send(PostRunsBatchResponse, "POST", "/v1/runs/batch", {"runs": runs}, idempotency_key=idempotency_key,
                                timeout=timeout)

    def retrieve(self, id: str, *, timeout: float | None = None) -> Run:
        return self._get(Run, f"/v1/runs/{seg(id)}", timeout=timeout)

    def list(self, *, agent: str | None = None, status: str | list[str] | None = None, created_after: str | None = None,
             created_before: str | None = None, limit: int | None = None, cursor: str | None = None) -> Page[Run]:
        query = {"agent": agent, "status": status, "created_after": created_after, "created_before": created_before,
                 "limit": limit, "cursor": cursor}
        return self._page(Run, "/v1/runs", query)

    def children(self, id: str, *, limit: int | None = None, cursor: str | None = None) -> Page[Run]:
        """The run's child runs (agent-to-agent calls, workflow steps), newest first."""
        return self._page(Run, f"/v1/runs/{seg(id)}/children", {"limit": limit, "cursor": cursor})

    def retry(self, id: str, *, deadline: str | None = None, idempotency_key: str | None = None) -> Run:
        """Retries a workflow run that failed (or was cancelled, or timed out) from its failed steps:
        a **new** workflow run that keeps the succeeded steps' outputs and runs only the rest. Any
        other run is a ConflictError (RUN_NOT_RETRYABLE). The Idempotency-Key makes one retry."""
        return self._send(Run, "POST", f"/v1/runs/{seg(id)}/retry", body_of(deadline=deadline), idempotency_key=idempotency_key)

    def cancel(self, id: str, *, reason: str | None = None, idempotency_key: str | None = None) -> Run:
        return self._send(Run, "POST", f"/v1/runs/{seg(id)}/cancel", body_of(reason=reason), idempotency_key=idempotency_key)

    def update(self, id: str, *, generation: int | None = None, max_attempts: int | None = None,
                     retry: dict[str, Any] | None = None, deadline: str | None = None, priority: int | None = None) -> Run:
        body = body_of(generation=generation, max_attempts=max_attempts, retry=retry, deadline=deadline, priority=priority)
        return self._send(Run, "PATCH", f"/v1/runs/{seg(id)}", body)

    def signal(self, id: str, name: str, payload: Any = None, *, idempotency_key: str | None = None) -> Signal:
        # The body is the payload itself, JSON null included.
        return self._send(Signal, "POST", f"/v1/runs/{seg(id)}/signals/{seg(name)}", idempotency_key=idempotency_key,
                                raw_body=(json.dumps(payload), "application/json"))

    def signals(self, id: str) -> GetRunsByIdSignalsResponse:
        return self._get(GetRunsByIdSignalsResponse, f"/v1/runs/{seg(id)}/signals")

    def attempts(self, id: str) -> Page[RunAttempt]:
        return self._page(RunAttempt, f"/v1/runs/{seg(id)}/attempts", {})

    def events(self, id: str, *, after: int | None = None, max_reconnects: int | None = None) -> EventStream[RunEvent]:
        """The run's events over SSE, live; iteration ends after the terminal event. A dropped
        connection resumes after the last seq delivered, with no gap and no repeat."""
        return EventStream(
            self._http, f"/v1/runs/{seg(id)}/events", RunEvent, after=None if after is None else str(after),
            is_last=lambda e: e.type in TERMINAL_EVENT_TYPES,
            is_duplicate=lambda e, prev: prev is not None and e.seq <= prev.seq,
            max_reconnects=max_reconnects,
        )

    def events_page(self, id: str, *, after: int | None = None, limit: int | None = None) -> Page[RunEvent]:
        """The JSON form of the run's events, page by page (`next_cursor` is the next `after`)."""
        return self._page(RunEvent, f"/v1/runs/{seg(id)}/events", {"after": after, "limit": limit}, "after")

    def wait(self, id: str, *, timeout: float | None = None) -> Run:
        """The run once it has ended (any terminal status). Follows the event stream (one total
        deadline: `timeout` seconds), polling when the stream does not work."""
        deadline = None if timeout is None else time.monotonic() + timeout
        run = self.retrieve(id)
        if run.status in TERMINAL_STATUSES:
            return run
        stream = EventStream(
            self._http, f"/v1/runs/{seg(id)}/events", RunEvent, is_last=lambda e: e.type in TERMINAL_EVENT_TYPES,
            max_reconnects=STREAM_RECONNECTS_BEFORE_POLLING, deadline=deadline,
        )
        try:
            for _event in stream:
                pass  # only the end matters: the stream closes itself after the terminal event
        except APITimeoutError as err:
            raise RunWaitTimeoutError(id, timeout or 0) from err
        except AgentdError:
            pass  # a stream that does not work is not fatal: polling below finds the end too
        finally:
            stream.close()
        attempt = 0
        while True:
            run = self.retrieve(id)
            if run.status in TERMINAL_STATUSES:
                return run
            delay = backoff_delay(attempt, maximum=MAX_POLL_INTERVAL)
            if deadline is not None and time.monotonic() + delay > deadline:
                raise RunWaitTimeoutError(id, timeout or 0)
            time.sleep(delay)
            attempt += 1

    def create_and_wait(self, *, agent: str, endpoint: str, input: Any = None, metadata: dict[str, Any] | None = None,
                              priority: int | None = None, timeout_ms: int | None = None, idempotency_key: str | None = None,
                              timeout: float | None = None) -> Run:
        run = self.create(agent=agent, endpoint=endpoint, input=input, metadata=metadata, priority=priority,
                                timeout_ms=timeout_ms, idempotency_key=idempotency_key)
        return self.wait(run.id, timeout=timeout)
