# Generated from agentd/_async by scripts/unasync.py. Do not edit.
"""sessions: conversations with an agent whose messages are runs of one endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from agentd._sync._page import Page
from agentd._sync._resource import Resource, body_of
from agentd._sync._runs import RunsResource
from agentd._sync._stream import EventStream
from agentd._errors import AgentdError
from agentd._options import seg
from agentd._replies import ReplyTracker, SessionReply
from agentd.models import RunEvent, Session, SessionDeleted, SessionMessage, SessionMessageAccepted


class SessionMessageStream:
    """One sent message: iterate it for its reply's events (they resume by themselves after a drop,
    with no gap and no repeat; iteration ends with the run), then `final_reply()`; or call
    `final_reply()` alone. `accepted` is the server's answer to the message."""

    def __init__(self, accepted: SessionMessageAccepted, runs: RunsResource) -> None:
        self.accepted = accepted
        self.run_id = accepted.run_id
        self._runs = runs
        self._tracker = ReplyTracker(accepted.run_id)
        self._iterated = False
        self._stream: EventStream[RunEvent] | None = None

    def __iter__(self) -> Iterator[RunEvent]:
        if self._iterated:
            raise AgentdError("a message stream can be iterated once")
        self._iterated = True
        self._stream = self._runs.events(self.run_id)
        try:
            for event in self._stream:
                self._tracker.see(event)
                yield event
        finally:
            self._stream.close()

    def close(self) -> None:
        """Closes the reply's stream now (the message itself stays sent)."""
        if self._stream is not None:
            self._stream.close()

    def __enter__(self) -> SessionMessageStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def final_reply(self) -> SessionReply:
        """The reply once the message's run has ended (reading the rest of the stream if it was not iterated)."""
        if not self._iterated:
            for _event in self:
                pass
        if self._tracker.reply is None:
            raise AgentdError(f"the reply stream of run {self.run_id} ended before the run did")
        return self._tracker.reply


class SessionsResource(Resource):
    def __init__(self, http: Any, runs: RunsResource) -> None:
        super().__init__(http)
        self._runs = runs

    def create(self, *, agent: str, endpoint: str | None = None, metadata: dict[str, Any] | None = None,
                     idle_ttl_ms: int | None = None, idempotency_key: str | None = None) -> Session:
        """`endpoint` may be left out when the agent has one; `idle_ttl_ms` (default 24 h) ends an idle session."""
        body = body_of(agent=agent, endpoint=endpoint, metadata=metadata, idle_ttl_ms=idle_ttl_ms)
        return self._send(Session, "POST", "/v1/sessions", body, idempotency_key=idempotency_key)

    def retrieve(self, id: str) -> Session:
        return self._get(Session, f"/v1/sessions/{seg(id)}")

    def messages(self, id: str, *, limit: int | None = None, cursor: str | None = None) -> Page[SessionMessage]:
        """The history, oldest first."""
        return self._page(SessionMessage, f"/v1/sessions/{seg(id)}/messages", {"limit": limit, "cursor": cursor})

    def send_message(self, id: str, content: Any, *, multitask: str | None = None, metadata: dict[str, Any] | None = None,
                           idempotency_key: str | None = None) -> SessionMessageAccepted:
        """The message alone, without following its reply. While a message is in flight `multitask`
        decides: `reject` (default: ConflictError SESSION_BUSY), `enqueue` or `interrupt`."""
        body = body_of(multitask=multitask, metadata=metadata)
        body["content"] = content
        return self._send(SessionMessageAccepted, "POST", f"/v1/sessions/{seg(id)}/messages", body, idempotency_key=idempotency_key)

    def send(self, id: str, content: Any, *, multitask: str | None = None, metadata: dict[str, Any] | None = None,
                   idempotency_key: str | None = None) -> SessionMessageStream:
        """Sends a message (for a worker agent, the endpoint's input; for an LLM agent, the user's
        text) and returns its reply's stream: iterate it for the events, or `final_reply()`."""
        accepted = self.send_message(id, content, multitask=multitask, metadata=metadata, idempotency_key=idempotency_key)
        return SessionMessageStream(accepted, self._runs)

    def events(self, id: str, *, after: str | None = None) -> EventStream[RunEvent]:
        """Every event of the session's messages, live; resumes after drops with Last-Event-ID and
        never ends by itself (break, then `close()`, or use `with`)."""
        return EventStream(self._http, f"/v1/sessions/{seg(id)}/events", RunEvent, after=after,
                                is_duplicate=lambda e, prev: prev is not None and int(e.id) <= int(prev.id))

    def events_page(self, id: str, *, after: str | None = None, limit: int | None = None) -> Page[RunEvent]:
        """The JSON form of the session's events, page by page."""
        return self._page(RunEvent, f"/v1/sessions/{seg(id)}/events", {"after": after, "limit": limit}, "after")

    def pause(self, id: str) -> Session:
        """No new messages until resumed; the one in flight finishes."""
        return self._send(Session, "POST", f"/v1/sessions/{seg(id)}/pause")

    def resume(self, id: str) -> Session:
        return self._send(Session, "POST", f"/v1/sessions/{seg(id)}/resume")

    def end(self, id: str, *, reason: str | None = None) -> Session:
        """For good: later messages are a 410 SESSION_ENDED; live runs are cancelled."""
        return self._send(Session, "POST", f"/v1/sessions/{seg(id)}/end", body_of(reason=reason))

    def fork(self, id: str, *, message_id: str | None = None, metadata: dict[str, Any] | None = None,
                   idempotency_key: str | None = None) -> Session:
        """A new session with this one's history up to `message_id` (default: all of it)."""
        return self._send(Session, "POST", f"/v1/sessions/{seg(id)}/fork", body_of(message_id=message_id, metadata=metadata),
                                idempotency_key=idempotency_key)

    def delete(self, id: str) -> SessionDeleted:
        """With its history."""
        return self._send(SessionDeleted, "DELETE", f"/v1/sessions/{seg(id)}")

    # Last: in the class body below it, `list` would name this method, not the builtin.
    def list(self, *, agent: str | None = None, status: str | None = None, limit: int | None = None,
             cursor: str | None = None) -> Page[Session]:
        """Newest first."""
        return self._page(Session, "/v1/sessions", {"agent": agent, "status": status, "limit": limit, "cursor": cursor})
