# Generated from agentd/_async by scripts/unasync.py. Do not edit.
"""Server-sent event streams that resume by themselves: after a dropped connection they reconnect
with `Last-Event-ID` (the last event delivered), so the caller sees no gap and no repeat. The
connection is closed when iteration ends, breaks early (`close()`, or the generator being
closed), or fails, so no pooled connection leaks."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Callable
from typing import Generic, TypeVar

import httpx
from httpx_sse import EventSource, SSEError
from pydantic import BaseModel

from agentd._sync._http import HTTP, Query
from agentd._errors import AgentdError, APIConnectionError, APIError, APITimeoutError
from agentd._retry import backoff_delay, is_retryable_status, retry_after_seconds

T = TypeVar("T", bound=BaseModel)


class EventStream(Generic[T]):
    def __init__(self, http: HTTP, path: str, model: type[T], *, query: Query | None = None, after: str | None = None,
                 is_last: Callable[[T], bool] | None = None, is_duplicate: Callable[[T, T | None], bool] | None = None,
                 max_reconnects: int | None = None, idle_timeout: float = 45.0, deadline: float | None = None) -> None:
        self._http = http
        self._path = path
        self._model = model
        self._query = query or {}
        self.last_event_id = after
        self._is_last = is_last
        self._is_duplicate = is_duplicate
        self._max_reconnects = max_reconnects
        self._idle_timeout = idle_timeout
        # A monotonic time after which the stream gives up with APITimeoutError (runs.wait uses it).
        self._deadline = deadline
        self._iterator: Iterator[T] | None = None
        self.reconnects = 0

    def __iter__(self) -> Iterator[T]:
        if self._iterator is None:
            self._iterator = self._iterate()
        return self._iterator

    def __enter__(self) -> EventStream[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the connection now (a loop that breaks early should call this, or use `with`)."""
        if self._iterator is not None:
            self._iterator.close()  # type: ignore[attr-defined]

    def _iterate(self) -> Iterator[T]:
        failures = 0
        server_retry: float | None = None
        previous: T | None = None
        first = True
        while True:
            delivered = False
            failure: Exception | None = None
            # The first connection names its start with ?after=; a resume says Last-Event-ID only.
            query = {**self._query, "after": self.last_event_id if first else None}
            headers = None if first or self.last_event_id is None else {"last-event-id": self.last_event_id}
            idle = self._idle_timeout
            if self._deadline is not None:
                idle = min(idle, self._deadline - time.monotonic())
                if idle <= 0:
                    raise APITimeoutError(f"the event stream {self._path} passed its deadline")
            try:
                with self._http.stream(self._path, query=query, headers=headers, idle_timeout=idle) as response:
                    for sse in EventSource(response).iter_sse():
                        if sse.retry is not None:
                            server_retry = sse.retry / 1000
                        if not sse.data:
                            continue
                        try:
                            event = self._model.model_validate(json.loads(sse.data))
                        except ValueError as err:
                            raise AgentdError(f"unreadable event on {self._path}: {sse.data[:200]!r}") from err
                        if self._is_duplicate is not None and self._is_duplicate(event, previous):
                            continue
                        previous = event
                        if sse.id:
                            self.last_event_id = sse.id
                        delivered = True
                        failures = 0
                        yield event
                        if self._is_last is not None and self._is_last(event):
                            return
            except APIError as err:
                if not is_retryable_status(err.status_code, err.code):
                    raise
                failure = err
            except (APIConnectionError, httpx.TransportError, SSEError) as err:
                failure = err
            first = False
            if not delivered:
                failures += 1
                if self._max_reconnects is not None and failures > self._max_reconnects:
                    if failure is not None:
                        raise failure
                    raise AgentdError(f"the event stream {self._path} closed {failures} times without an event")
            self.reconnects += 1
            delay = _reconnect_delay(failure, failures, server_retry)
            if self._deadline is not None and time.monotonic() + delay >= self._deadline:
                raise APITimeoutError(f"the event stream {self._path} passed its deadline")
            time.sleep(delay)


def _reconnect_delay(failure: Exception | None, failures: int, server_retry: float | None) -> float:
    after = retry_after_seconds(failure.headers) if isinstance(failure, APIError) else None
    if after is not None:
        return after
    if failures == 0 and server_retry is not None:
        return server_retry
    return max(server_retry or 0.0, backoff_delay(max(0, failures - 1)))
