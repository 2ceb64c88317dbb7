"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The models of the `keys` area (first needed by its operations; see the script's rules).
"""

from __future__ import annotations

from typing import Literal

from agentd.models._base import _Model


class ApiKey(_Model):
    id: str
    name: str | None
    role: Literal["admin", "developer", "operator", "approver", "viewer", "worker"]
    agents: list[str] | None
    prefix: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    last_used_at: str | None


class CreatedApiKey(_Model):
    id: str
    name: str | None
    role: Literal["admin", "developer", "operator", "approver", "viewer", "worker"]
    agents: list[str] | None
    prefix: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    last_used_at: str | None
    key: str
    "Shown once; only its hash is stored."


class PostKeysBody(_Model):
    role: Literal["admin", "developer", "operator", "approver", "viewer", "worker"]
    name: str | None = None
    agents: list[str] | None = None
    "Required for a `worker` key, refused for the others: the agent names it may serve, or `[\"*\"]` for every agent (then it gets no secrets)."
    expires_at: str | None = None
    "When the key stops working (RFC 3339); it must be in the future."

__all__ = [
    "ApiKey",
    "CreatedApiKey",
    "PostKeysBody",
]
