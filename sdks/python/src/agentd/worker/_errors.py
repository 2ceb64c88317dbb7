"""Failures a handler raises, and how any exception becomes the run's failure record."""

from __future__ import annotations

from typing import Any

from agentd.models import Run


class NonRetryableError(Exception):
    """A failure that must not be retried: the run fails at once, whatever attempts are left."""

    non_retryable = True

    def __init__(self, message: str, *, type: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.type = type
        self.details = details


class SecretNotGrantedError(Exception):
    """The run's agent has no grant for this secret (or this worker's key receives none)."""

    type = "secret_not_granted"

    def __init__(self, secret: str, agent: str, endpoint: str, withheld: str | None) -> None:
        super().__init__(
            f"secret {secret!r} was not delivered: {withheld}" if withheld else
            f"secret {secret!r} is not granted to agent {agent!r} (endpoint {endpoint}); "
            f"grant it with: agentd grants add {secret} {agent} --endpoint {endpoint}"
        )
        self.details = {"secret": secret, "agent": agent, "endpoint": endpoint}


class LeaseLostError(Exception):
    """The lease expired or was replaced: the run is no longer this worker's to finish."""


class ChildRunFailed(Exception):
    """`ctx.call(...)` raises this when the child run ended other than `succeeded`. Retrying the
    parent would find the same child ended the same way, so the failure it makes is non-retryable;
    catch it to handle the child's failure yourself."""

    type = "child_run_failed"
    non_retryable = True

    def __init__(self, child: Run) -> None:
        failure = child.error.model_dump() if child.error is not None else None
        super().__init__(f"child run {child.id} ({child.agent}/{child.endpoint}) ended {child.status}"
                         + (f": {child.error.message}" if child.error is not None else ""))
        self.child_run_id = child.id
        self.status = child.status
        self.failure = failure
        self.details = {"child_run_id": child.id, "agent": child.agent, "endpoint": child.endpoint, "status": child.status, "failure": failure}


def failure_of(err: BaseException) -> dict[str, Any]:
    """Retryability is data (`non_retryable` on the exception), as in the TypeScript SDK."""
    kind = getattr(err, "type", None)
    return {
        "type": kind if isinstance(kind, str) and kind else type(err).__name__,
        "message": str(err)[:10_000],
        "non_retryable": getattr(err, "non_retryable", False) is True,
        "details": getattr(err, "details", None),
    }
