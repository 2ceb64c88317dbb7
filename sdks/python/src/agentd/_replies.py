"""What both clients share about a session message's reply."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from agentd.models import RunEvent, RunFailure

ReplyStatus = Literal["succeeded", "failed", "cancelled", "timed_out"]
TERMINAL: dict[str, ReplyStatus] = {"run.succeeded": "succeeded", "run.failed": "failed", "run.cancelled": "cancelled",
                                    "run.timed_out": "timed_out"}


@dataclass(frozen=True)
class SessionReply:
    """How a message's run ended: `output` is the reply (None unless it succeeded), `streamed` the
    text the run streamed (`run.output.delta`), a partial reply too."""

    run_id: str
    status: ReplyStatus
    output: Any
    streamed: str
    error: RunFailure | None


class ReplyTracker:
    """Folds a message's run events into its reply."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.streamed = ""
        self.reply: SessionReply | None = None

    def see(self, event: RunEvent) -> None:
        if event.type == "run.output.delta":
            delta = event.data.get("delta")
            self.streamed += delta if isinstance(delta, str) else json.dumps(delta)
        status = TERMINAL.get(event.type)
        if status is not None:
            error = event.data.get("error")
            self.reply = SessionReply(run_id=self.run_id, status=status, output=event.data.get("output") if status == "succeeded" else None,
                                      streamed=self.streamed, error=RunFailure.model_validate(error) if error else None)
