"""Completions batched into one POST /v1/worker/complete: whatever finished while the previous
call was in flight goes in the next one, so many short runs cost few requests."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from agentd._async._client import AsyncAgentd

# The server accepts up to 100 results per call.
MAX_BATCH = 100
log = logging.getLogger("agentd.worker")


class CompletionBatcher:
    def __init__(self, client: AsyncAgentd) -> None:
        self._client = client
        self._pending: list[tuple[dict[str, Any], asyncio.Future[Any]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def submit(self, result: dict[str, Any]) -> asyncio.Future[Any]:
        """Resolves None once the server took this result, else its error ({code, message}), or False when the call failed."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((result, future))
        self._wake.set()
        if self._task is None or self._task.done():
            self._closing = False
            self._task = asyncio.create_task(self._loop())
        return future

    async def _loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                await self._send(batch)
            if self._closing:
                return

    async def _send(self, batch: list[tuple[dict[str, Any], asyncio.Future[Any]]]) -> None:
        try:
            answer = await self._client.worker.complete_batch([r for r, _ in batch])
        except Exception as err:  # the whole call failed after its retries: the leases will expire and be re-leased
            log.warning("completion batch failed: %s", err)
            for _, f in batch:
                if not f.done():
                    f.set_result(False)
            return
        by_lease = {r.lease_id: r for r in answer.results}
        for result, f in batch:
            item = by_lease.get(result["lease_id"])
            ok = item is not None and item.ok
            if not ok and item is not None and item.error is not None:
                log.warning("completion of lease %s refused: %s %s", result["lease_id"], item.error.code, item.error.message)
            if not f.done():
                f.set_result(None if ok else (item.error if item is not None else False))

    async def flush(self) -> None:
        """Sends what waits and returns once every submitted result has its answer."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
