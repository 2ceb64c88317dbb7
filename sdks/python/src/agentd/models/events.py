"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The models of the `events` area (first needed by its operations; see the script's rules).
"""

from __future__ import annotations

from typing import Any

from agentd.models._base import _Model


class RunEvent(_Model):
    id: str
    seq: int
    type: str
    run_id: str
    agent: str
    at: str
    data: dict[str, Any]

__all__ = [
    "RunEvent",
]
