"""The Worker: leases runs of one agent, runs them with your handlers (async, or plain functions on
a bounded thread pool so they never block the event loop), heartbeats each lease, batches the
completions, and on SIGTERM stops leasing and finishes, or releases, what it holds."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import signal
import socket
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from agentd._async._client import AsyncAgentd
from agentd._errors import APIError
from agentd._retry import backoff_delay, retry_after_seconds
from agentd._sync._client import Agentd
from agentd.models import Task
from agentd.worker._batcher import CompletionBatcher
from agentd.worker._context import Context
from agentd.worker._errors import LeaseLostError, failure_of
from agentd.worker._heartbeat import Heartbeats

Handler = Callable[[Any, Context], Any]
F = TypeVar("F", bound=Handler)
log = logging.getLogger("agentd.worker")

MAX_TASKS_PER_LEASE = 500
MAX_LEASE_BACKOFF = 15.0


class Worker:
    def __init__(self, client: Agentd | AsyncAgentd, *, agent: str, concurrency: int = 10, threads: int | None = None,
                 poll_wait_ms: int = 20_000, lease_ttl_ms: int | None = None, shutdown_grace: float = 30.0,
                 worker_id: str | None = None, handle_signals: bool = True) -> None:
        self._client_options = client.options
        self.agent = agent
        self.concurrency = concurrency
        self.poll_wait_ms = poll_wait_ms
        self.lease_ttl_ms = lease_ttl_ms
        self.shutdown_grace = shutdown_grace
        self.handle_signals = handle_signals
        self.id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._threads = threads or min(32, concurrency)
        self._endpoints: dict[str, Handler] = {}
        self._is_async: dict[str, bool] = {}
        # Every task held, from lease until its outcome is reported; `_busy`: those whose handler runs.
        self._active: dict[str, asyncio.Task[None]] = {}
        self._busy: set[str] = set()
        self._long_polling = False
        self._stop: asyncio.Event | None = None
        self._heartbeats: Heartbeats | None = None
        self._slot_freed: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def endpoint(self, name: str) -> Callable[[F], F]:
        """Registers `fn(input, ctx)` (async def or def) as the handler of endpoint `name`."""

        def register(fn: F) -> F:
            self._endpoints[name] = fn
            self._is_async[name] = inspect.iscoroutinefunction(fn)
            return fn

        return register

    @property
    def active_tasks(self) -> int:
        return len(self._active)

    def run(self) -> None:
        """Runs until SIGTERM/SIGINT or `stop()`, in its own event loop (use `serve()` inside one)."""
        asyncio.run(self.serve())

    def stop(self) -> None:
        """Stops leasing; running handlers get `shutdown_grace` seconds, then are cancelled and released.
        Safe to call from any thread (a worker run in a thread is stopped from another)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake_for_stop()
        else:
            loop.call_soon_threadsafe(self._wake_for_stop)

    def _wake_for_stop(self) -> None:
        if self._stop is not None:
            self._stop.set()
        if self._slot_freed is not None:
            self._slot_freed.set()

    async def serve(self) -> None:
        if not self._endpoints:
            raise ValueError("the worker has no endpoints: register one with @worker.endpoint(name)")
        self._stop, self._slot_freed = asyncio.Event(), asyncio.Event()
        self._loop = loop = asyncio.get_running_loop()
        if self.handle_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.stop)
        o = self._client_options
        async with AsyncAgentd(base_url=o.base_url, api_key=o.api_key, timeout=o.timeout, max_retries=o.max_retries,
                               default_headers=o.default_headers) as client:
            pool = ThreadPoolExecutor(max_workers=self._threads, thread_name_prefix="agentd-handler")
            # A full batch is as many outcomes as the worker holds tasks (it leases up to twice its slots).
            batcher = CompletionBatcher(client, alone=lambda: self._long_polling and not self._busy, batch_size=2 * self.concurrency)
            self._heartbeats = Heartbeats(client)
            log.info("worker %s started for agent %s (%s)", self.id, self.agent, ", ".join(self._endpoints))
            try:
                await self._lease_loop(client, batcher, pool)
                await self._drain(client)
                await batcher.flush()
            finally:
                if self.handle_signals:
                    for sig in (signal.SIGTERM, signal.SIGINT):
                        loop.remove_signal_handler(sig)
                pool.shutdown(wait=False, cancel_futures=True)
                self._heartbeats.close()
                log.info("worker %s stopped", self.id)

    async def _lease_loop(self, client: AsyncAgentd, batcher: CompletionBatcher, pool: ThreadPoolExecutor) -> None:
        assert self._stop is not None and self._slot_freed is not None
        failures = 0
        endpoints = list(self._endpoints)
        while not self._stop.is_set():
            # One turn first: handlers that end together hand in their outcomes, so they go in one
            # call with the next lease instead of splitting the slots into cohorts of their own.
            await asyncio.sleep(0)
            if self._stop.is_set():
                break
            # Running handlers hold a slot; outcomes still being reported hold none, but their number is bounded too.
            free = min(self.concurrency - len(self._busy), 2 * self.concurrency - len(self._active))
            if free <= 0:
                self._slot_freed.clear()
                await self._slot_freed.wait()
                continue
            max_tasks = min(free, MAX_TASKS_PER_LEASE)
            if batcher.pending_count > 0:
                # Outcomes wait to be reported: report them and lease what is ready in one call.
                # None ready: the next turn long-polls. Tasks answered after stop() get the grace of the rest.
                request = {"agent": self.agent, "endpoints": endpoints, "max_tasks": max_tasks, "worker_id": self.id}
                if self.lease_ttl_ms is not None:
                    request["lease_ttl_ms"] = self.lease_ttl_ms
                for task in await batcher.send_with_lease(request):
                    self._start(client, batcher, pool, task)
                continue
            lease = asyncio.ensure_future(client.worker.lease(
                agent=self.agent, endpoints=endpoints, max_tasks=max_tasks, wait_ms=self.poll_wait_ms,
                worker_id=self.id, lease_ttl_ms=self.lease_ttl_ms, max_retries=0))
            stopped = asyncio.ensure_future(self._stop.wait())
            self._long_polling = True
            try:
                await asyncio.wait({lease, stopped}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                self._long_polling = False
            stopped.cancel()
            if not lease.done():
                # Stopping during a long-poll: a lease answered after this would be lost until it expires.
                lease.cancel()
                break
            try:
                tasks = lease.result().tasks
                failures = 0
            except Exception as err:
                after = retry_after_seconds(err.headers) if isinstance(err, APIError) else None
                delay = after or backoff_delay(failures, maximum=MAX_LEASE_BACKOFF)
                failures += 1
                log.warning("lease request failed (%s); retrying in %.1f s", err, delay)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                continue
            for task in tasks:
                self._start(client, batcher, pool, task)

    def _start(self, client: AsyncAgentd, batcher: CompletionBatcher, pool: ThreadPoolExecutor, task: Task) -> None:
        self._busy.add(task.lease_id)
        self._active[task.lease_id] = asyncio.create_task(self._execute(client, batcher, pool, task))

    def _lease_gone(self, lease_id: str, ctx: Context) -> None:
        """The run was cancelled or the lease lost: the handler, if it still runs, is cancelled."""
        ctx.cancelled.set()
        running = self._active.get(lease_id)
        if running is not None and lease_id in self._busy:
            running.cancel()

    async def _execute(self, client: AsyncAgentd, batcher: CompletionBatcher, pool: ThreadPoolExecutor, task: Task) -> None:
        # One asyncio task per run: the handler is awaited here (not in a task of its own) and the
        # heartbeat is an entry in the worker's Heartbeats, so a short run costs one task and one future.
        lease_id = task.lease_id
        ctx = Context(client, task)
        assert self._heartbeats is not None and self._slot_freed is not None
        heartbeats = self._heartbeats
        heartbeats.add(lease_id, task.heartbeat_interval_ms / 1000, lambda: self._lease_gone(lease_id, ctx))
        try:
            try:
                # An output that is not JSON fails the run when the batch is serialized (see the batcher).
                result: dict[str, Any] = {"lease_id": lease_id, "output": await self._call(task, ctx, pool)}
            except asyncio.CancelledError:
                if ctx.was_cancelled or (self._stop is not None and self._stop.is_set()):
                    return  # cancelled on the server, lease lost, or released at shutdown: nothing to report
                raise
            except LeaseLostError:
                return
            except Exception as err:
                result = {"lease_id": lease_id, "error": failure_of(err)}
            self._free_slot(lease_id)
            refused = await batcher.submit(result)
            if getattr(refused, "code", None) == "OUTPUT_INVALID":
                # The output broke the endpoint's schema: the run fails, and retrying would fail the same way.
                message = getattr(refused, "message", "output invalid")
                await batcher.submit({"lease_id": lease_id, "error": {"type": "output_invalid", "message": message,
                                                                      "non_retryable": True, "details": getattr(refused, "details", None)}})
        finally:
            heartbeats.remove(lease_id)
            self._active.pop(lease_id, None)
            self._busy.discard(lease_id)
            self._slot_freed.set()

    def _free_slot(self, lease_id: str) -> None:
        self._busy.discard(lease_id)
        if self._slot_freed is not None:
            self._slot_freed.set()

    async def _call(self, task: Task, ctx: Context, pool: ThreadPoolExecutor) -> Any:
        handler = self._endpoints.get(task.endpoint)
        if handler is None:
            raise LookupError(f"this worker has no handler for endpoint {task.endpoint}")
        if self._is_async[task.endpoint]:
            return await handler(task.input, ctx)
        loop = asyncio.get_running_loop()
        out = await loop.run_in_executor(pool, handler, task.input, ctx)
        if inspect.isawaitable(out):
            return await out
        return out

    async def _drain(self, client: AsyncAgentd) -> None:
        """After stop: waits `shutdown_grace` for running handlers, then cancels and releases the rest."""
        if not self._active:
            return
        log.info("waiting up to %.0f s for %d running tasks", self.shutdown_grace, len(self._active))
        _done, pending = await asyncio.wait(list(self._active.values()), timeout=self.shutdown_grace)
        if not pending:
            return
        leases = [lease for lease, t in self._active.items() if t in pending]
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        log.warning("grace period over; releasing %d unfinished tasks", len(leases))
        for lease_id in leases:
            try:
                await client.leases.release(lease_id)
            except APIError as err:
                log.warning("release of lease %s failed: %s", lease_id, err)
