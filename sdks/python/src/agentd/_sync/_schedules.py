# Generated from agentd/_async by scripts/unasync.py. Do not edit.
"""schedules: cron schedules that start runs."""

from __future__ import annotations

from typing import Any

from agentd._sync._page import Page
from agentd._sync._resource import Resource, body_of
from agentd._options import seg
from agentd.models import Run, Schedule, ScheduleDeleted, ScheduleFire


class SchedulesResource(Resource):
    def create(self, *, id: str, cron: str, target: dict[str, Any], timezone: str | None = None, input: Any = None,
                     overlap_policy: str | None = None, missed_policy: str | None = None, paused: bool | None = None,
                     idempotency_key: str | None = None) -> Schedule:
        body = body_of(id=id, cron=cron, target=target, timezone=timezone, input=input, overlap_policy=overlap_policy,
                       missed_policy=missed_policy, paused=paused)
        return self._send(Schedule, "POST", "/v1/schedules", body, idempotency_key=idempotency_key)

    def list(self, *, limit: int | None = None, cursor: str | None = None) -> Page[Schedule]:
        return self._page(Schedule, "/v1/schedules", {"limit": limit, "cursor": cursor})

    def retrieve(self, id: str) -> Schedule:
        return self._get(Schedule, f"/v1/schedules/{seg(id)}")

    def update(self, id: str, *, cron: str | None = None, timezone: str | None = None, target: dict[str, Any] | None = None,
                     input: Any = None, overlap_policy: str | None = None, missed_policy: str | None = None) -> Schedule:
        body = body_of(cron=cron, timezone=timezone, target=target, input=input, overlap_policy=overlap_policy, missed_policy=missed_policy)
        return self._send(Schedule, "PATCH", f"/v1/schedules/{seg(id)}", body)

    def delete(self, id: str) -> ScheduleDeleted:
        return self._send(ScheduleDeleted, "DELETE", f"/v1/schedules/{seg(id)}")

    def pause(self, id: str) -> Schedule:
        return self._send(Schedule, "POST", f"/v1/schedules/{seg(id)}/pause", {})

    def resume(self, id: str) -> Schedule:
        return self._send(Schedule, "POST", f"/v1/schedules/{seg(id)}/resume", {})

    def run_now(self, id: str, *, idempotency_key: str | None = None) -> Run:
        return self._send(Run, "POST", f"/v1/schedules/{seg(id)}/run", {}, idempotency_key=idempotency_key)

    def runs(self, id: str, *, limit: int | None = None, cursor: str | None = None) -> Page[ScheduleFire]:
        return self._page(ScheduleFire, f"/v1/schedules/{seg(id)}/runs", {"limit": limit, "cursor": cursor})
