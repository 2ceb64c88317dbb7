# Generated from agentd/_async by scripts/unasync.py. Do not edit.
"""worker and leases: the routes a worker uses (the Worker runtime drives them for you)."""

from __future__ import annotations

from typing import Any

from agentd._sync._resource import Resource, body_of
from agentd._options import seg
from agentd.models import (
    AppendEventsResponse,
    Approval,
    CompleteBatchResponse,
    FindingCreateResponse,
    HeartbeatResult,
    LeaseResponse,
    RecordedSteps,
    Run,
    SignalWaitResult,
    StepRecorded,
)

# A long-poll may legitimately take its wait; this margin covers the round trip.
LONG_POLL_MARGIN = 15.0


class WorkerResource(Resource):
    def lease(self, *, agent: str, endpoints: list[str] | None = None, max_tasks: int | None = None, wait_ms: int | None = None,
                    worker_id: str | None = None, lease_ttl_ms: int | None = None, max_retries: int | None = None) -> LeaseResponse:
        body = body_of(agent=agent, endpoints=endpoints, max_tasks=max_tasks, wait_ms=wait_ms, worker_id=worker_id, lease_ttl_ms=lease_ttl_ms)
        return self._http.request_model(LeaseResponse, "POST", "/v1/worker/lease", body=body,
                                              timeout=(wait_ms or 0) / 1000 + LONG_POLL_MARGIN, max_retries=max_retries)

    def complete_batch(
        self, results: list[dict[str, Any]], *, lease: dict[str, Any] | None = None, max_retries: int | None = None,
    ) -> CompleteBatchResponse:
        """Completes (`output`) or fails (`error`) many leases in one call; with `lease`, leases more in the same call
        (then pass `max_retries=0`: a retry would lease again)."""
        return self._http.request_model(CompleteBatchResponse, "POST", "/v1/worker/complete", body=body_of(results=results, lease=lease),
                                              max_retries=max_retries)


class LeasesResource(Resource):
    def heartbeat(self, id: str) -> HeartbeatResult:
        return self._send(HeartbeatResult, "POST", f"/v1/leases/{seg(id)}/heartbeat", {})

    def complete(self, id: str, output: Any) -> Run:
        return self._send(Run, "POST", f"/v1/leases/{seg(id)}/complete", {"output": output})

    def fail(self, id: str, error: dict[str, Any]) -> Run:
        return self._send(Run, "POST", f"/v1/leases/{seg(id)}/fail", {"error": error})

    def release(self, id: str) -> Run:
        return self._send(Run, "POST", f"/v1/leases/{seg(id)}/release", {})

    def append_events(self, id: str, events: list[dict[str, Any]]) -> AppendEventsResponse:
        return self._send(AppendEventsResponse, "POST", f"/v1/leases/{seg(id)}/events", {"events": events})

    def request_approval(self, id: str, *, key: str, prompt: str, payload: Any = None, timeout_ms: int | None = None,
                               on_timeout: str | None = None, assignees: list[str] | None = None,
                               required_approvals: int | None = None) -> Approval:
        body = body_of(key=key, prompt=prompt, timeout_ms=timeout_ms, on_timeout=on_timeout, assignees=assignees,
                       required_approvals=required_approvals)
        body["payload"] = payload
        return self._send(Approval, "POST", f"/v1/leases/{seg(id)}/approvals", body)

    def wait_approval(self, id: str, approval_id: str, *, wait_ms: int = 20_000) -> Approval:
        answer = self._http.request("GET", f"/v1/leases/{seg(id)}/approvals/{seg(approval_id)}", query={"wait_ms": wait_ms},
                                          timeout=wait_ms / 1000 + LONG_POLL_MARGIN)
        return Approval.model_validate(answer)

    def wait_signal(self, id: str, name: str, *, key: str, wait_ms: int = 20_000, last: bool | None = None) -> SignalWaitResult:
        answer = self._http.request("POST", f"/v1/leases/{seg(id)}/signals/{seg(name)}/wait",
                                          body=body_of(key=key, wait_ms=wait_ms, last=last), timeout=wait_ms / 1000 + LONG_POLL_MARGIN)
        return SignalWaitResult.model_validate(answer)

    def call(self, id: str, *, agent: str, endpoint: str, input: Any = None, key: str | None = None,
                   metadata: dict[str, Any] | None = None, deadline: str | None = None) -> Run:
        """Starts a child run of the leased run, or finds the one `key` names (a retried attempt gets the same child)."""
        body = body_of(agent=agent, endpoint=endpoint, key=key, metadata=metadata, deadline=deadline)
        body["input"] = input
        return self._send(Run, "POST", f"/v1/leases/{seg(id)}/calls", body)

    def wait_call(self, id: str, key: str, *, wait_ms: int = 20_000) -> Run:
        """The child run `key` names, once it has ended or `wait_ms` has passed."""
        answer = self._http.request("GET", f"/v1/leases/{seg(id)}/calls/{seg(key)}", query={"wait_ms": wait_ms},
                                          timeout=wait_ms / 1000 + LONG_POLL_MARGIN)
        return Run.model_validate(answer)

    def record_step(self, id: str, *, key: str, output: Any) -> StepRecorded:
        return self._send(StepRecorded, "POST", f"/v1/leases/{seg(id)}/steps", {"key": key, "output": output})

    def steps(self, id: str) -> RecordedSteps:
        return self._get(RecordedSteps, f"/v1/leases/{seg(id)}/steps")

    def create_findings(self, id: str, findings: list[dict[str, Any]]) -> FindingCreateResponse:
        return self._send(FindingCreateResponse, "POST", f"/v1/leases/{seg(id)}/findings", {"findings": findings})
