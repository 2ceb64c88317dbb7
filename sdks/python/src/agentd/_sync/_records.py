# Generated from agentd/_async by scripts/unasync.py. Do not edit.
"""events, findings, logs and audit: records read page by page (and the global event stream)."""

from __future__ import annotations

from collections import OrderedDict

from agentd._sync._page import Page
from agentd._sync._resource import Resource
from agentd._sync._stream import EventStream
from agentd._options import seg
from agentd.models import AuditRecord, Finding, LogLine, RunEvent

# Events of many runs have no single order to deduplicate by; the last ids seen do it.
RECENT_IDS = 10_000


class EventsResource(Resource):
    def stream(self, *, agent: str | None = None, run: str | None = None, type: str | None = None,
               after: str | None = None) -> EventStream[RunEvent]:
        """Every matching event, live; resumes by itself with Last-Event-ID."""
        recent: OrderedDict[str, None] = OrderedDict()

        def duplicate(event: RunEvent, _previous: RunEvent | None) -> bool:
            if event.id in recent:
                return True
            recent[event.id] = None
            if len(recent) > RECENT_IDS:
                recent.popitem(last=False)
            return False

        return EventStream(self._http, "/v1/events", RunEvent, query={"agent": agent, "run": run, "type": type}, after=after,
                                is_duplicate=duplicate)

    def list(self, *, agent: str | None = None, run: str | None = None, type: str | None = None, after: str | None = None,
             limit: int | None = None) -> Page[RunEvent]:
        return self._page(RunEvent, "/v1/events", {"agent": agent, "run": run, "type": type, "after": after, "limit": limit}, "after")


class FindingsResource(Resource):
    def list(self, *, since: str | None = None, severity: str | None = None, agent: str | None = None, run: str | None = None,
             limit: int | None = None) -> Page[Finding]:
        query = {"since": since, "severity": severity, "agent": agent, "run": run, "limit": limit}
        return self._page(Finding, "/v1/findings", query, "since")

    def list_for_run(self, run_id: str, *, since: str | None = None, severity: str | None = None,
                     limit: int | None = None) -> Page[Finding]:
        return self._page(Finding, f"/v1/runs/{seg(run_id)}/findings", {"since": since, "severity": severity, "limit": limit}, "since")


class LogsResource(Resource):
    def list(self, *, since: str | None = None, level: str | None = None, agent: str | None = None, run: str | None = None,
             limit: int | None = None) -> Page[LogLine]:
        return self._page(LogLine, "/v1/logs", {"since": since, "level": level, "agent": agent, "run": run, "limit": limit}, "since")

    def list_for_run(self, run_id: str, *, since: str | None = None, level: str | None = None,
                     limit: int | None = None) -> Page[LogLine]:
        return self._page(LogLine, f"/v1/runs/{seg(run_id)}/logs", {"since": since, "level": level, "limit": limit}, "since")


class AuditResource(Resource):
    def list(self, *, actor: str | None = None, action: str | None = None, target_type: str | None = None,
             target_id: str | None = None, outcome: str | None = None, since: str | None = None, until: str | None = None,
             limit: int | None = None, cursor: str | None = None) -> Page[AuditRecord]:
        query = {"actor": actor, "action": action, "target_type": target_type, "target_id": target_id, "outcome": outcome,
                 "since": since, "until": until, "limit": limit, "cursor": cursor}
        return self._page(AuditRecord, "/v1/audit", query)
