"""The worker's completion batcher with a scripted client: outcomes that wait go with a lease for
more in one call; a failed lease-riding call sends the outcomes again alone (with retries) and
leases nothing; an older server that refuses `lease` is not asked again; outcomes the lease loop
does not take go on their own."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

from agentd import AsyncAgentd
from agentd._errors import APIError
from agentd.worker._batcher import COMPLETION_RETRIES, CompletionBatcher


class ScriptedWorker:
    def __init__(self, failures: list[Exception]) -> None:
        self.calls: list[dict[str, Any]] = []
        self.failures = failures

    async def complete_batch(self, results: list[dict[str, Any]], *, lease: dict[str, Any] | None = None,
                             max_retries: int | None = None) -> Any:
        self.calls.append({"leases": [r["lease_id"] for r in results], "lease": lease, "max_retries": max_retries})
        if self.failures:
            raise self.failures.pop(0)
        tasks = [SimpleNamespace(lease_id=f"new-{i}") for i in range(lease["max_tasks"])] if lease else None
        return SimpleNamespace(results=[SimpleNamespace(lease_id=r["lease_id"], ok=True, error=None) for r in results], tasks=tasks)


def batcher_with(failures: list[Exception]) -> tuple[CompletionBatcher, ScriptedWorker]:
    worker = ScriptedWorker(failures)
    return CompletionBatcher(cast(AsyncAgentd, SimpleNamespace(worker=worker))), worker


LEASE = {"agent": "a", "endpoints": ["e"], "max_tasks": 2, "worker_id": "w"}


async def test_outcomes_ride_with_a_lease_in_one_call() -> None:
    batcher, worker = batcher_with([])
    futures = [batcher.submit({"lease_id": f"l{i}", "output": {}}) for i in range(3)]
    assert batcher.pending_count == 3
    tasks = await batcher.send_with_lease(LEASE)
    assert [t.lease_id for t in tasks] == ["new-0", "new-1"]
    assert worker.calls == [{"leases": ["l0", "l1", "l2"], "lease": LEASE, "max_retries": 0}]
    assert [f.result() for f in futures] == [None, None, None]
    await batcher.flush()
    assert len(worker.calls) == 1  # nothing was left to send on its own


async def test_a_failed_lease_riding_call_sends_the_outcomes_again_alone() -> None:
    batcher, worker = batcher_with([OSError("connection reset")])
    future = batcher.submit({"lease_id": "l0", "output": {}})
    assert await batcher.send_with_lease(LEASE) == []
    assert worker.calls[1] == {"leases": ["l0"], "lease": None, "max_retries": COMPLETION_RETRIES}
    assert future.result() is None
    assert batcher.pending_count == 0
    batcher.submit({"lease_id": "l1", "output": {}})
    assert batcher.pending_count == 1  # a transient failure does not stop the riding
    await batcher.flush()


async def test_a_server_refusing_lease_is_not_asked_again() -> None:
    refused = APIError("body.lease is not allowed", status_code=400, code="VALIDATION_FAILED",
                       details=[{"path": "body.lease", "message": "unknown property"}], request_id=None)
    batcher, worker = batcher_with([refused])
    future = batcher.submit({"lease_id": "l0", "output": {}})
    assert await batcher.send_with_lease(LEASE) == []
    assert future.result() is None
    assert [c["lease"] for c in worker.calls] == [LEASE, None]
    later = batcher.submit({"lease_id": "l1", "output": {}})
    assert batcher.pending_count == 0  # the lease loop long-polls instead; the outcome goes alone
    assert await asyncio.wait_for(later, 5) is None
    assert worker.calls[-1]["leases"] == ["l1"] and worker.calls[-1]["lease"] is None


async def test_outcomes_not_taken_go_on_their_own() -> None:
    batcher, worker = batcher_with([])
    futures = [batcher.submit({"lease_id": f"l{i}", "output": {}}) for i in range(2)]
    assert await asyncio.wait_for(asyncio.gather(*futures), 5) == [None, None]
    assert worker.calls == [{"leases": ["l0", "l1"], "lease": None, "max_retries": COMPLETION_RETRIES}]


async def test_a_full_batch_is_the_size_the_worker_gives_and_no_call_passes_the_servers_500() -> None:
    worker = ScriptedWorker([])
    batcher = CompletionBatcher(cast(AsyncAgentd, SimpleNamespace(worker=worker)), batch_size=3)
    futures = [batcher.submit({"lease_id": f"l{i}", "output": {}}) for i in range(3)]
    await asyncio.sleep(0)  # a full batch goes on the next turn, not after the delay
    await asyncio.sleep(0)
    assert [c["leases"] for c in worker.calls] == [["l0", "l1", "l2"]]
    await asyncio.gather(*futures)

    wide = CompletionBatcher(cast(AsyncAgentd, SimpleNamespace(worker=worker)), batch_size=10_000)
    worker.calls.clear()
    burst = [wide.submit({"lease_id": f"b{i}", "output": {}}) for i in range(1_100)]
    await asyncio.gather(*burst)
    assert [len(c["leases"]) for c in worker.calls] == [500, 500, 100]
