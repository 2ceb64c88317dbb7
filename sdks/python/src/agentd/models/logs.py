"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The models of the `logs` area (first needed by its operations; see the script's rules).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from agentd.models._base import _Model


class LogLine(_Model):
    id: str
    "The tenant-wide event id (the cursor of GET /v1/logs)."
    seq: int
    "The run's event seq (the cursor of GET /v1/runs/{id}/logs)."
    run_id: str
    agent: str
    at: str
    level: str
    message: str
    fields_: dict[str, Any] | None = Field(alias="fields")

__all__ = [
    "LogLine",
]
