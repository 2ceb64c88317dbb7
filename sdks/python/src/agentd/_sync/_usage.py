# Generated from agentd/_async by scripts/unasync.py. Do not edit.
"""usage, models and budgets: what model calls cost, the server's model aliases, and the limits."""

from __future__ import annotations

from typing import Any

from agentd._sync._resource import Resource, body_of
from agentd.models import Budget, BudgetList, BudgetPutResult, ModelInfo, ModelList, UsageReport


class UsageResource(Resource):
    def get(self, *, agent: str | None = None, model: str | None = None, from_: str | None = None,
                  to: str | None = None) -> UsageReport:
        """Tokens and cost of model calls per (UTC day, agent, model alias) and their totals, costs in
        micro-dollars (`cost_micros`) and USD. `from_` and `to` are `YYYY-MM-DD`, both included
        (default: the 30 days up to today)."""
        return self._get(UsageReport, "/v1/usage", {"agent": agent, "model": model, "from": from_, "to": to})


class ModelsResource(Resource):
    def list(self) -> list[ModelInfo]:
        """The server's model aliases (never a key)."""
        return (self._get(ModelList, "/v1/models")).data


class BudgetsResource(Resource):
    def set(self, *, period: str, agent: str | None = None, max_tokens: int | None = None,
                  max_cost: float | None = None) -> BudgetPutResult:
        """Sets the tenant's (no `agent`) or an agent's budget for a `day` or a `month`, replacing
        its limits; with neither limit it is removed."""
        body: dict[str, Any] = body_of(period=period, agent=agent, max_tokens=max_tokens, max_cost=max_cost)
        return self._send(BudgetPutResult, "PUT", "/v1/budgets", body)

    # Last: in the class body below it, `list` would name this method, not the builtin.
    def list(self, *, agent: str | None = None) -> list[Budget]:
        return (self._get(BudgetList, "/v1/budgets", {"agent": agent})).data
