"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The models of the `agents` area (first needed by its operations; see the script's rules).
"""

from __future__ import annotations

from typing import Any, Literal

from agentd.models._base import _Model


class AgentEndpointsValueRetry(_Model):
    max_attempts: int
    initial_interval_ms: int
    backoff_coefficient: float
    max_interval_ms: int
    jitter: float
    "Fraction of the delay randomised either way, 0..1."
    non_retryable_types: list[str]


class AgentEndpointsValue(_Model):
    description: str | None = None
    input: dict[str, Any]
    output: dict[str, Any]
    timeout_ms: int
    retry: AgentEndpointsValueRetry
    enabled: bool


class AgentManifestMetadata(_Model):
    name: str
    description: str | None = None
    labels: dict[str, str] | None = None


class AgentManifestSpecContext(_Model):
    "runtime llm: which earlier turns of a session a run sends its model (the newest; oldest dropped). Default: the newest 200 messages."

    max_messages: int | None = None
    max_tokens: int | None = None


class AgentManifestSpec(_Model):
    runtime: Literal["worker", "llm"]
    endpoints: dict[str, Any] | None = None
    model: str | None = None
    "runtime llm: a model alias of the server config."
    instructions: str | None = None
    tools: list[Any] | None = None
    limits: Any | None = None
    output: Any | None = None
    "runtime llm: a JSON Schema of the final answer."
    context: AgentManifestSpecContext | None = None
    "runtime llm: which earlier turns of a session a run sends its model (the newest; oldest dropped). Default: the newest 200 messages."


class AgentManifest(_Model):
    apiVersion: str
    kind: Literal["Agent"]
    metadata: AgentManifestMetadata
    spec: AgentManifestSpec


class Agent(_Model):
    name: str
    description: str | None
    runtime: Literal["worker", "llm"]
    version: int
    endpoints: dict[str, AgentEndpointsValue]
    manifest: AgentManifest
    created_at: str
    updated_at: str


class AgentVersion(_Model):
    agent: str
    version: int
    manifest: AgentManifest
    created_at: str


class AgentDeleted(_Model):
    name: str
    deleted: bool

__all__ = [
    "Agent",
    "AgentDeleted",
    "AgentEndpointsValue",
    "AgentEndpointsValueRetry",
    "AgentManifest",
    "AgentManifestMetadata",
    "AgentManifestSpec",
    "AgentManifestSpecContext",
    "AgentVersion",
]
