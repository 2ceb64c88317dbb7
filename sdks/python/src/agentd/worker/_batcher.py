"""Completions batched into POST /v1/worker/complete calls. The worker's lease loop takes what waits
and leases more in the same call (`send_with_lease`): a busy worker reports and refills in one round
trip. What the lease loop does not take goes on its own shortly after it arrived."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from agentd._async._client import AsyncAgentd
from agentd._errors import APIError
from agentd.models import Task

# The server accepts up to 500 results per call.
MAX_RESULTS_PER_CALL = 500
# A full batch when the worker gives no size (it gives the tasks it can hold: one call per refill).
DEFAULT_BATCH = 100
# Outcomes the lease loop does not take go this long after the first arrived: short enough to add
# no visible latency, long enough for the lease loop (woken by the same freed slot) to take them first.
FLUSH_DELAY = 0.005
# Completion is worth more retries than a read: each item is idempotent per lease, so a replay is
# harmless, while giving up means the run is redone after its lease lapses.
COMPLETION_RETRIES = 5
log = logging.getLogger("agentd.worker")

Pending = tuple[dict[str, Any], "asyncio.Future[Any]"]


class CompletionBatcher:
    def __init__(self, client: AsyncAgentd, *, alone: Callable[[], bool] | None = None, batch_size: int = DEFAULT_BATCH) -> None:
        self._client = client
        self._batch_size = max(1, min(batch_size, MAX_RESULTS_PER_CALL))
        # Whether nothing could join a batch now (the lease loop is parked in a long-poll and no
        # handler runs): then an outcome goes on the next turn instead of after FLUSH_DELAY.
        self._alone = alone or (lambda: False)
        self._pending: list[Pending] = []
        self._timer: asyncio.TimerHandle | asyncio.Handle | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        # The server refused a lease riding on a completion (an older server): stop asking.
        self._lease_ride_refused = False

    def submit(self, result: dict[str, Any]) -> asyncio.Future[Any]:
        """Resolves None once the server took this result, else its error ({code, message}), or False when the call failed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((result, future))
        if self._timer is None:
            # A batch goes on a later turn, not at once: the lease loop may take it first.
            if len(self._pending) >= self._batch_size or self._alone():
                self._timer = loop.call_soon(self._send_pending)
            else:
                self._timer = loop.call_later(FLUSH_DELAY, self._send_pending)
        elif len(self._pending) >= self._batch_size:
            self._timer.cancel()
            self._timer = loop.call_soon(self._send_pending)
        return future

    @property
    def pending_count(self) -> int:
        """Completions waiting to be sent (0 once the server refused leases riding on them)."""
        return 0 if self._lease_ride_refused else len(self._pending)

    def _take(self) -> list[Pending]:
        batch, self._pending = self._pending[:MAX_RESULTS_PER_CALL], self._pending[MAX_RESULTS_PER_CALL:]
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pending:
            self._timer = asyncio.get_running_loop().call_soon(self._send_pending)
        return batch

    def _track(self, batch: list[Pending]) -> None:
        task = asyncio.ensure_future(self._send(batch))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    def _send_pending(self) -> None:
        self._timer = None
        batch = self._take()
        if batch:
            self._track(batch)

    async def send_with_lease(self, lease: dict[str, Any]) -> list[Task]:
        """Sends what waits with a lease for more riding on the same call; returns the tasks leased.
        The call is not retried (a retry would lease again): if it fails, the results go again
        alone, with the usual retries, and no task is returned."""
        batch = self._take()
        if not batch:
            return []
        try:
            answer = await self._complete(batch, lease, 0)
        except Exception as err:
            # An older server refuses the unknown `lease` field (details name `body.lease`); a 400
            # about the results themselves is answered again, item by item, below.
            if isinstance(err, APIError) and err.status_code == 400 and '"body.lease' in json.dumps(err.details, default=str):
                self._lease_ride_refused = True
            await self._send(batch)
            return []
        self._settle(batch, answer.results)
        return list(answer.tasks or [])

    async def _send(self, batch: list[Pending]) -> None:
        try:
            answer = await self._complete(batch, None, COMPLETION_RETRIES)
        except Exception as err:  # the whole call failed after its retries: the leases will expire and be re-leased
            log.warning("completion batch failed: %s", err)
            for _, f in batch:
                if not f.done():
                    f.set_result(False)
            return
        self._settle(batch, answer.results)

    async def _complete(self, batch: list[Pending], lease: dict[str, Any] | None, retries: int) -> Any:
        """The call, its body serialized once (outputs are not checked one by one beforehand): when
        it cannot be, the outputs that are not JSON become non-retryable failures of their runs
        (`output_unserializable`) and the call is made with the rest as they were."""
        try:
            return await self._client.worker.complete_batch([r for r, _ in batch], lease=lease, max_retries=retries)
        except (TypeError, ValueError):
            if not replace_unserializable(batch):
                raise
        return await self._client.worker.complete_batch([r for r, _ in batch], lease=lease, max_retries=retries)

    def _settle(self, batch: list[Pending], results: list[Any]) -> None:
        by_lease = {r.lease_id: r for r in results}
        for result, f in batch:
            item = by_lease.get(result["lease_id"])
            ok = item is not None and item.ok
            if not ok and item is not None and item.error is not None:
                log.warning("completion of lease %s refused: %s %s", result["lease_id"], item.error.code, item.error.message)
            if not f.done():
                f.set_result(None if ok else (item.error if item is not None else False))

    async def flush(self) -> None:
        """Sends what waits and returns once every submitted result has its answer."""
        while self._pending or self._in_flight:
            self._send_pending()
            await asyncio.gather(*self._in_flight, return_exceptions=True)


def replace_unserializable(batch: list[Pending]) -> bool:
    """Replaces each result whose output is not JSON with its run's failure; whether any was."""
    replaced = False
    for i, (result, future) in enumerate(batch):
        if "output" not in result:
            continue
        try:
            json.dumps(result["output"])
        except (TypeError, ValueError) as err:
            failure = {"type": "output_unserializable", "message": str(err), "non_retryable": True}
            batch[i] = ({"lease_id": result["lease_id"], "error": failure}, future)
            replaced = True
    return replaced
