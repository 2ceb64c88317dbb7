"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The models of the `sessions` area (first needed by its operations; see the script's rules).
"""

from __future__ import annotations

from typing import Any, Literal

from agentd.models._base import _Model


class SessionForkedFrom(_Model):
    "The session and message this one was forked at."

    session_id: str
    message_id: str
    seq: int


class Session(_Model):
    id: str
    agent: str
    endpoint: str
    "The endpoint every message of the session runs."
    status: Literal["active", "paused", "ended"]
    metadata: dict[str, Any]
    current_run_id: str | None
    message_count: int
    "Messages in the history (user messages and replies)."
    forked_from: SessionForkedFrom | None
    idle_ttl_ms: int
    "The session ends itself after this long with no message in flight and none sent."
    expires_at: str | None
    end_reason: str | None
    created_at: str
    updated_at: str
    ended_at: str | None


class SessionMessage(_Model):
    id: str
    session_id: str
    seq: int
    role: Literal["user", "assistant"]
    content: Any
    "A user message: what was sent (a worker agent's run input; an LLM agent's text). A reply: the run's output, or for a partial reply the text it streamed."
    run_id: str | None
    status: str
    "A user message: queued (enqueued behind another), in_flight, or how its run ended (succeeded, failed, cancelled, timed_out). A reply: complete, or partial (what an interrupted or failed run streamed)."
    reply_to: int | None
    created_at: str


class SessionMessageAccepted(_Model):
    session_id: str
    run_id: str
    "The message's run: its events are the reply's stream."
    message: SessionMessage
    status: Literal["in_flight", "queued"]
    interrupted_run_id: str | None


class SessionDeleted(_Model):
    id: str
    deleted: Literal[True]
    messages_deleted: int


class PostSessionsBody(_Model):
    agent: str
    endpoint: str | None = None
    "The endpoint every message runs; may be left out when the agent has exactly one."
    metadata: dict[str, Any] | None = None
    idle_ttl_ms: int | None = None
    "Idle time after which the session ends itself. Default: the server's (AGENTD_SESSION_IDLE_TTL, 24h)."


class PostSessionsByIdMessagesBody(_Model):
    content: Any
    "An LLM agent: the user's message (a string). A worker agent: the run's input, checked against the endpoint's input schema."
    multitask: Literal["reject", "enqueue", "interrupt"] | None = None
    metadata: dict[str, Any] | None = None


class PostSessionsByIdEndBody(_Model):
    reason: str | None = None


class PostSessionsByIdForkBody(_Model):
    message_id: str | None = None
    "The last message the fork keeps. Default: the newest."
    metadata: dict[str, Any] | None = None

__all__ = [
    "PostSessionsBody",
    "PostSessionsByIdEndBody",
    "PostSessionsByIdForkBody",
    "PostSessionsByIdMessagesBody",
    "Session",
    "SessionDeleted",
    "SessionForkedFrom",
    "SessionMessage",
    "SessionMessageAccepted",
]
