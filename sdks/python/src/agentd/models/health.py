"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The models of the `health` area (first needed by its operations; see the script's rules).
"""

from __future__ import annotations

from typing import Literal

from agentd.models._base import _Model


class Health(_Model):
    status: Literal["ok"]


class Readiness(_Model):
    status: Literal["ready"]

__all__ = [
    "Health",
    "Readiness",
]
