"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The models of the `audit` area (first needed by its operations; see the script's rules).
"""

from __future__ import annotations

from typing import Any, Literal

from agentd.models._base import _Model


class AuditRecord(_Model):
    id: str
    at: str
    actor: str | None
    actor_role: str | None
    action: str
    "`METHOD /route/{pattern}`, or a named action such as `secret.delivered`."
    target_type: str | None
    target_id: str | None
    outcome: Literal["ok", "denied", "error"]
    status_code: int | None
    request_id: str | None
    details: dict[str, Any]

__all__ = [
    "AuditRecord",
]
