"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The models of the `grants` area (first needed by its operations; see the script's rules).
"""

from __future__ import annotations

from agentd.models._base import _Model


class Grant(_Model):
    id: str
    secret: str
    agent: str
    endpoint: str | None
    created_by: str | None
    created_at: str
    revoked_at: str | None


class PostGrantsBody(_Model):
    secret: str
    "Lower-case letters, digits and _, starting with a letter."
    agent: str
    endpoint: str | None = None

__all__ = [
    "Grant",
    "PostGrantsBody",
]
