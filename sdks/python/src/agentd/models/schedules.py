"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The models of the `schedules` area (first needed by its operations; see the script's rules).
"""

from __future__ import annotations

from typing import Any, Literal

from agentd.models._base import _Model


class ScheduleTarget(_Model):
    agent: str
    endpoint: str


class ScheduleTarget1(_Model):
    workflow: str


class Schedule(_Model):
    id: str
    cron: str
    timezone: str
    target: ScheduleTarget | ScheduleTarget1
    "An agent endpoint (`{agent, endpoint}`) or a workflow (`{workflow}`, its latest version when the slot fires)."
    input: Any
    overlap_policy: Literal["skip", "allow", "buffer_one"]
    missed_policy: Literal["skip", "run_once", "run_all"]
    paused: bool
    paused_at: str | None
    next_fire_times: list[str]
    "The next five slots after now (UTC), or none while paused."
    buffered_slot: str | None
    last_run_id: str | None
    revision: int
    "Grows with every change of the definition or of paused."
    created_at: str
    updated_at: str


class ScheduleDeleted(_Model):
    id: str
    deleted: bool


class ScheduleFire(_Model):
    schedule_id: str
    slot: str
    trigger: Literal["cron", "catch_up", "buffered", "manual"]
    outcome: Literal["started", "skipped", "buffered", "failed"]
    detail: str | None
    run_id: str | None
    run_status: str | None
    recorded_at: str


class PostSchedulesBody(_Model):
    id: str
    cron: str
    "Cron fields (5: minute precision; 6: with seconds first; 7: with a year last) or a nickname (`@daily`), evaluated by croner in `timezone`."
    timezone: str | None = None
    "An IANA time zone (`Europe/Berlin`) or `UTC`. Default UTC."
    target: ScheduleTarget | ScheduleTarget1
    "An agent endpoint (`{agent, endpoint}`) or a workflow (`{workflow}`, its latest version when the slot fires)."
    input: Any | None = None
    "The input of every run; checked against the endpoint's input schema."
    overlap_policy: Literal["skip", "allow", "buffer_one"] | None = None
    "When a slot comes while the previous run is live: skip (default), allow, buffer_one."
    missed_policy: Literal["skip", "run_once", "run_all"] | None = None
    "Slots missed while no node fired: skip (default), run_once, run_all (the latest 100 at most)."
    paused: bool | None = None
    "Create it paused. Default false."


class PatchSchedulesByIdBody(_Model):
    cron: str | None = None
    "Cron fields (5: minute precision; 6: with seconds first; 7: with a year last) or a nickname (`@daily`), evaluated by croner in `timezone`."
    timezone: str | None = None
    "An IANA time zone (`Europe/Berlin`) or `UTC`. Default UTC."
    target: ScheduleTarget | ScheduleTarget1 | None = None
    "An agent endpoint (`{agent, endpoint}`) or a workflow (`{workflow}`, its latest version when the slot fires)."
    input: Any | None = None
    "The input of every run; checked against the endpoint's input schema."
    overlap_policy: Literal["skip", "allow", "buffer_one"] | None = None
    "When a slot comes while the previous run is live: skip (default), allow, buffer_one."
    missed_policy: Literal["skip", "run_once", "run_all"] | None = None
    "Slots missed while no node fired: skip (default), run_once, run_all (the latest 100 at most)."
    paused: bool | None = None

__all__ = [
    "PatchSchedulesByIdBody",
    "PostSchedulesBody",
    "Schedule",
    "ScheduleDeleted",
    "ScheduleFire",
    "ScheduleTarget",
    "ScheduleTarget1",
]
