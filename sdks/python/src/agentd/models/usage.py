"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The models of the `usage` area (first needed by its operations; see the script's rules).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agentd.models._base import _Model


class UsageRow(_Model):
    day: str
    "A UTC day, YYYY-MM-DD."
    agent: str
    model: str
    input_tokens: int
    "Prompt tokens, cached ones included."
    output_tokens: int
    cached_input_tokens: int
    "The part of input_tokens read from the provider\u2019s prompt cache."
    total_tokens: int
    "input_tokens + output_tokens."
    cost_micros: int
    "Cost in micro-dollars (1 USD = 1,000,000), from the alias prices."
    cost_usd: float
    "cost_micros / 1,000,000."
    steps: int
    "Model calls recorded."
    usage_missing_steps: int
    "Model calls whose response carried no usage: their tokens are unknown, not zero."


class UsageTotals(_Model):
    input_tokens: int
    "Prompt tokens, cached ones included."
    output_tokens: int
    cached_input_tokens: int
    "The part of input_tokens read from the provider\u2019s prompt cache."
    total_tokens: int
    "input_tokens + output_tokens."
    cost_micros: int
    "Cost in micro-dollars (1 USD = 1,000,000), from the alias prices."
    cost_usd: float
    "cost_micros / 1,000,000."
    steps: int
    "Model calls recorded."
    usage_missing_steps: int
    "Model calls whose response carried no usage: their tokens are unknown, not zero."


class UsageReport(_Model):
    from_: str = Field(alias="from")
    "A UTC day, YYYY-MM-DD."
    to: str
    "A UTC day, YYYY-MM-DD."
    data: list[UsageRow]
    "Newest day first, then agent and model by name."
    totals: UsageTotals


class Budget(_Model):
    agent: str | None
    period: Literal["day", "month"]
    max_tokens: int | None
    max_cost: float | None
    updated_at: str


class BudgetList(_Model):
    data: list[Budget]


class BudgetPutResult(_Model):
    budget: Budget | None
    removed: bool


class PutBudgetsBody(_Model):
    agent: str | None = None
    period: Literal["day", "month"]
    max_tokens: int | None = None
    max_cost: float | None = None
    "USD."

__all__ = [
    "Budget",
    "BudgetList",
    "BudgetPutResult",
    "PutBudgetsBody",
    "UsageReport",
    "UsageRow",
    "UsageTotals",
]
