"""`ctx`, what a handler receives beside its input: the call envelope, events (log, progress,
emit), approvals, secrets, durable steps and signal waits, and cancellation."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, TypeVar

from agentd._async._client import AsyncAgentd
from agentd._errors import APIError
from agentd._options import TERMINAL_STATUSES
from agentd.models import Approval, Run, Task, TaskSession
from agentd.worker._errors import ChildRunFailed, LeaseLostError, SecretNotGrantedError

T = TypeVar("T")
# Long-poll length for approval and signal waits: the server answers at a decision or at this.
POLL_WAIT_MS = 20_000
_MISSING = object()


@dataclass(frozen=True)
class ApprovalDecision:
    approved: bool
    comment: str | None
    reason: str | None
    decided_by: str | None
    approval: Approval


class TaskSecrets:
    """The secrets granted to the run's agent, delivered with the lease (never fetched again)."""

    def __init__(self, task: Task) -> None:
        self._task = task
        self._values = dict(task.secrets or {})

    async def get(self, name: str) -> str:
        value = self._values.get(name)
        if value is None:
            withheld = self._task.secrets_withheld
            raise SecretNotGrantedError(name, self._task.agent, self._task.endpoint, withheld.message if withheld else None)
        return value

    def has(self, name: str) -> bool:
        return name in self._values

    def names(self) -> list[str]:
        return list(self._values)


def _lease_gone(err: Exception) -> bool:
    return isinstance(err, APIError) and err.code in ("LEASE_LOST", "LEASE_NOT_FOUND", "RUN_ALREADY_TERMINAL")


class Context:
    def __init__(self, client: AsyncAgentd, task: Task) -> None:
        self._client = client
        self._task = task
        self.run_id: str = task.run_id
        self.lease_id: str = task.lease_id
        self.agent: str = task.agent
        self.endpoint: str = task.endpoint
        # 1 for the first attempt.
        self.attempt: int = task.attempt
        self.max_attempts: int = task.max_attempts
        # The run's deadline (ISO 8601), or None when it has none.
        self.deadline: str | None = task.deadline_at
        self.metadata: dict[str, Any] = task.metadata
        # The call envelope: the run that called this one (`ctx.call`, a workflow step) and its
        # agent, None for a root run; the root of the run's tree (this run's own id for a root
        # run); and the depth, 0 for a root run, the parent's depth + 1 for a child.
        self.parent_run_id: str | None = task.parent_run_id
        self.root_run_id: str = task.root_run_id
        self.caller_agent: str | None = task.caller_agent
        self.depth: int = task.depth
        # A run of a session's message: the session's id and its earlier messages and replies,
        # oldest first (each user message followed by its reply). None outside a session.
        self.session: TaskSession | None = task.session
        # Made when first asked for (most runs never do): `secrets`, `cancelled`.
        self._secrets: TaskSecrets | None = None
        self._cancelled: asyncio.Event | None = None
        self._approvals = 0
        self._calls = 0
        self._steps: dict[str, Any] | None = None

    @property
    def secrets(self) -> TaskSecrets:
        """The secrets granted to the run's agent (`await ctx.secrets.get(name)`)."""
        if self._secrets is None:
            self._secrets = TaskSecrets(self._task)
        return self._secrets

    @property
    def cancelled(self) -> asyncio.Event:
        """Set when the run is cancelled or the lease is lost (the handler's task is cancelled too)."""
        if self._cancelled is None:
            self._cancelled = asyncio.Event()
        return self._cancelled

    @property
    def was_cancelled(self) -> bool:
        return self._cancelled is not None and self._cancelled.is_set()

    async def _call(self, coro: Any) -> Any:
        try:
            return await coro
        except APIError as err:
            if _lease_gone(err):
                raise LeaseLostError(f"the lease of run {self.run_id} is gone ({err.code})") from err
            raise

    async def emit(self, type: str, data: dict[str, Any] | None = None) -> None:
        """Appends an event to the run (`run.log`, `run.progress`, `run.output.delta`, or your own)."""
        await self._call(self._client.leases.append_events(self.lease_id, [{"type": type, "data": data or {}}]))

    async def log(self, message: str, *, level: str = "info", fields: dict[str, Any] | None = None) -> None:
        data: dict[str, Any] = {"level": level, "message": message}
        if fields is not None:
            data["fields"] = fields
        await self.emit("run.log", data)

    async def output_delta(self, delta: Any) -> None:
        """Streams a piece of the output (`run.output.delta` `{delta}`), as the TypeScript worker's
        `outputDelta`; readers of the run's events (`agentd run --follow`) see it as it comes."""
        await self.emit("run.output.delta", {"delta": delta})

    async def progress(self, progress: float | None = None, message: str | None = None) -> None:
        await self.emit("run.progress", {k: v for k, v in {"progress": progress, "message": message}.items() if v is not None})

    async def approval(self, *, prompt: str, payload: Any = None, timeout_ms: int | None = None, on_timeout: str | None = None,
                       assignees: list[str] | None = None, required_approvals: int | None = None,
                       key: str | None = None) -> ApprovalDecision:
        """Asks for a human decision and waits for it. The key (default: one per call, in order)
        makes a retried attempt find the same approval instead of asking twice."""
        self._approvals += 1
        approval: Approval = await self._call(self._client.leases.request_approval(
            self.lease_id, key=key or f"approval-{self._approvals}", prompt=prompt, payload=payload, timeout_ms=timeout_ms,
            on_timeout=on_timeout, assignees=assignees, required_approvals=required_approvals))
        while approval.status == "pending":
            approval = await self._call(self._client.leases.wait_approval(self.lease_id, approval.id, wait_ms=POLL_WAIT_MS))
        return ApprovalDecision(approved=approval.approved is True, comment=approval.comment, reason=approval.reason,
                                decided_by=approval.decided_by, approval=approval)

    async def call(self, agent: str, endpoint: str, input: Any = None, *, key: str | None = None, metadata: dict[str, Any] | None = None,
                   deadline: str | None = None) -> Any:
        """Calls another agent's endpoint as a child run and waits for it (the run is `waiting`, the
        lease kept alive); returns the child's output, or raises ChildRunFailed. The key (default:
        one per call, in order) makes a retried attempt get the child its earlier attempt started."""
        self._calls += 1
        call_key = key or f"call-{self._calls}"
        child: Run = await self._call(self._client.leases.call(self.lease_id, agent=agent, endpoint=endpoint, input=input, key=call_key,
                                                              metadata=metadata, deadline=deadline))
        while child.status not in TERMINAL_STATUSES:
            child = await self._call(self._client.leases.wait_call(self.lease_id, call_key, wait_ms=POLL_WAIT_MS))
        if child.status == "succeeded":
            return child.output
        raise ChildRunFailed(child)

    async def step(self, key: str, fn: Any) -> Any:
        """Runs `fn` (sync or async, no arguments) once per run: a later attempt gets the recorded output."""
        if self._steps is None:
            recorded = await self._call(self._client.leases.steps(self.lease_id))
            self._steps = {s.key: s.output for s in recorded.data}
        if key in self._steps:
            return self._steps[key]
        out = fn()
        if asyncio.iscoroutine(out):
            out = await out
        json.dumps(out)  # a step's output must be JSON: fail here, not on replay
        await self._call(self._client.leases.record_step(self.lease_id, key=key, output=out))
        self._steps[key] = out
        return out

    async def wait_for_signal(self, name: str, *, key: str | None = None, last: bool | None = None) -> Any:
        """Waits for a signal sent with `runs.signal(run_id, name, payload)` and returns its payload."""
        wait_key = key or f"signal-{name}"
        while True:
            result = await self._call(self._client.leases.wait_signal(self.lease_id, name, key=wait_key, wait_ms=POLL_WAIT_MS, last=last))
            signal = getattr(result, "signal", None)
            if signal is not None:
                return getattr(signal, "payload", None)
