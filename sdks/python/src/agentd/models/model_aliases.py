"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The models of the `model_aliases` area (first needed by its operations; see the script's rules).
"""

from __future__ import annotations

from typing import Literal

from agentd.models._base import _Model


class ModelInfoPrices(_Model):
    input: float | None
    output: float | None
    cached_input: float | None


class ModelInfo(_Model):
    alias: str
    provider: Literal["openai-compatible", "openai", "anthropic"]
    model: str
    base_url: str | None
    api_key_secret: str | None
    prices: ModelInfoPrices
    requests_per_minute: int | None
    tokens_per_minute: int | None
    fallback: str | None


class ModelList(_Model):
    data: list[ModelInfo]

__all__ = [
    "ModelInfo",
    "ModelInfoPrices",
    "ModelList",
]
