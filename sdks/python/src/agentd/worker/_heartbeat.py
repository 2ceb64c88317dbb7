"""The heartbeats of every lease a worker holds, driven by one timer of the event loop: a lease
costs a dict entry (no task, no timer of its own), so a run shorter than the heartbeat interval
(most) costs no request and next to no work. A beat is due `interval` seconds after the lease was
taken or last extended; the timer checks every `tick` (at most a quarter of the shortest interval)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from agentd._async._client import AsyncAgentd
from agentd._errors import APIError

log = logging.getLogger("agentd.worker")
# The lease is gone: beating again cannot help, and the handler's work will not count.
GONE_CODES = ("LEASE_LOST", "LEASE_NOT_FOUND", "RUN_ALREADY_TERMINAL")
MAX_TICK = 1.0
MIN_TICK = 0.05


class _Lease:
    __slots__ = ("beating", "due", "interval", "on_gone")

    def __init__(self, due: float, interval: float, on_gone: Callable[[], None]) -> None:
        self.due = due
        self.interval = interval
        self.on_gone = on_gone
        self.beating: asyncio.Task[None] | None = None


class Heartbeats:
    """`add(lease_id, interval, on_gone)` when a lease is taken, `remove(lease_id)` when its outcome is
    reported. When the server answers a beat that the run was cancelled or the lease is gone, the
    lease is removed and `on_gone` called once."""

    def __init__(self, client: AsyncAgentd) -> None:
        self._client = client
        self._leases: dict[str, _Lease] = {}
        self._tick = MAX_TICK
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def add(self, lease_id: str, interval: float, on_gone: Callable[[], None]) -> None:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        self._leases[lease_id] = _Lease(self._loop.time() + interval, interval, on_gone)
        if interval / 4 < self._tick:
            self._tick = max(MIN_TICK, interval / 4)
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if self._timer is None:
            self._timer = self._loop.call_later(self._tick, self._check)

    def remove(self, lease_id: str) -> None:
        lease = self._leases.pop(lease_id, None)
        if lease is not None and lease.beating is not None:
            lease.beating.cancel()

    def close(self) -> None:
        for lease_id in list(self._leases):
            self.remove(lease_id)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _check(self) -> None:
        assert self._loop is not None
        self._timer = None
        now = self._loop.time()
        for lease_id, lease in self._leases.items():
            if lease.due <= now and lease.beating is None:
                lease.beating = self._loop.create_task(self._beat(lease_id, lease))
        if self._leases:
            self._timer = self._loop.call_later(self._tick, self._check)

    async def _beat(self, lease_id: str, lease: _Lease) -> None:
        try:
            beat = await self._client.leases.heartbeat(lease_id)
        except APIError as err:
            if err.code in GONE_CODES:
                self._gone(lease_id, lease)
                return
            log.warning("heartbeat of lease %s failed: %s", lease_id, err)
        except Exception as err:
            log.warning("heartbeat of lease %s failed: %s", lease_id, err)
        else:
            if beat.status == "cancelled":
                self._gone(lease_id, lease)
                return
        finally:
            lease.beating = None
        assert self._loop is not None
        lease.due = self._loop.time() + lease.interval

    def _gone(self, lease_id: str, lease: _Lease) -> None:
        if self._leases.get(lease_id) is lease:
            del self._leases[lease_id]
            lease.on_gone()
