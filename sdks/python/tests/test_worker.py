"""The Python Worker against a real server: completions, ctx.log, failures, approval with a
granted secret, cancellation, and a plain (sync) handler on the thread pool."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from agentd import Agentd, AsyncAgentd
from agentd.worker import ChildRunFailed, Context, NonRetryableError, Worker
from tests.server import ServerProcess


@contextlib.asynccontextmanager
async def serving(worker: Worker) -> AsyncIterator[Worker]:
    task = asyncio.create_task(worker.serve())
    try:
        yield worker
    finally:
        worker.stop()
        await asyncio.wait_for(task, 30)


def hello_manifest(name: str) -> dict[str, Any]:
    return {"apiVersion": "agentd.dev/v1", "kind": "Agent", "metadata": {"name": name},
            "spec": {"runtime": "worker", "endpoints": {"greet": {"retry": {"max_attempts": 3, "initial_interval": "100ms"}},
                                                          "boom": {"retry": {"max_attempts": 3, "initial_interval": "100ms"}},
                                                          "slow": {}, "plain": {}}}}


async def test_worker_completes_logs_and_fails(aclient: AsyncAgentd) -> None:
    name = "py-" + uuid.uuid4().hex[:8]
    await aclient.agents.deploy(hello_manifest(name))
    worker = Worker(aclient, agent=name, concurrency=4, poll_wait_ms=500, handle_signals=False)

    @worker.endpoint("greet")
    async def greet(input: Any, ctx: Context) -> dict[str, str]:
        await ctx.log("hi")
        return {"greeting": f"Hello, {input['name']}!"}

    @worker.endpoint("boom")
    async def boom(input: Any, ctx: Context) -> None:
        raise NonRetryableError("no such customer", type="customer_not_found")

    @worker.endpoint("plain")
    def plain(input: Any, ctx: Context) -> dict[str, int]:
        return {"doubled": input["n"] * 2}

    async with serving(worker):
        runs = [await aclient.runs.create(agent=name, endpoint="greet", input={"name": f"n{i}"}) for i in range(10)]
        done = [await aclient.runs.wait(r.id, timeout=30) for r in runs]
        assert all(d.status == "succeeded" for d in done)
        assert sorted(d.model_dump()["output"]["greeting"] for d in done) == sorted(f"Hello, n{i}!" for i in range(10))
        events = [e async for e in aclient.runs.events(runs[0].id)]
        assert any(e.type == "run.log" and e.data.get("message") == "hi" for e in events)
        failed = await aclient.runs.create_and_wait(agent=name, endpoint="boom", input={}, timeout=30)
        assert failed.status == "failed" and failed.attempts == 1
        assert failed.error is not None and failed.error.type == "customer_not_found" and failed.error.non_retryable
        p = await aclient.runs.create_and_wait(agent=name, endpoint="plain", input={"n": 21}, timeout=30)
        assert p.model_dump()["output"] == {"doubled": 42}


async def test_worker_output_delta(aclient: AsyncAgentd) -> None:
    name = "py-" + uuid.uuid4().hex[:8]
    await aclient.agents.deploy(hello_manifest(name))
    worker = Worker(aclient, agent=name, poll_wait_ms=500, handle_signals=False)

    @worker.endpoint("greet")
    async def greet(input: Any, ctx: Context) -> dict[str, str]:
        for piece in ("Hel", "lo"):
            await ctx.output_delta(piece)
        return {"greeting": "Hello"}

    async with serving(worker):
        run = await aclient.runs.create_and_wait(agent=name, endpoint="greet", input={}, timeout=30)
    assert run.status == "succeeded"
    deltas = [e.data for e in [e async for e in aclient.runs.events(run.id)] if e.type == "run.output.delta"]
    assert deltas == [{"delta": "Hel"}, {"delta": "lo"}]


async def test_unserializable_output_and_handler_value_errors(aclient: AsyncAgentd) -> None:
    name = "py-" + uuid.uuid4().hex[:8]
    await aclient.agents.deploy(hello_manifest(name))
    worker = Worker(aclient, agent=name, concurrency=8, poll_wait_ms=500, handle_signals=False)

    @worker.endpoint("greet")
    async def greet(input: Any, ctx: Context) -> Any:
        if input.get("bad"):
            return {"not json": {1, 2}}  # a set: the batch it rides in cannot be serialized as is
        return {"n": input["n"]}

    @worker.endpoint("boom")
    async def boom(input: Any, ctx: Context) -> None:
        raise ValueError("a handler's own ValueError")  # an ordinary, retryable failure

    async with serving(worker):
        # Created together, so the bad output shares a completion batch with good ones.
        runs = await aclient.runs.create_batch([{"agent": name, "endpoint": "greet", "input": {"n": i, "bad": i == 3}} for i in range(6)])
        done = {r.id: await aclient.runs.wait(r.id, timeout=30) for r in runs.data}
        failed = await aclient.runs.create_and_wait(agent=name, endpoint="boom", input={}, timeout=60)
    bad = done[runs.data[3].id]
    assert bad.status == "failed" and bad.attempts == 1
    assert bad.error is not None and bad.error.type == "output_unserializable" and bad.error.non_retryable
    assert [d.model_dump()["output"] for i, d in enumerate(done.values()) if i != 3] == [{"n": i} for i in range(6) if i != 3]
    assert failed.status == "failed" and failed.attempts == 3
    assert failed.error is not None and failed.error.type == "ValueError" and not failed.error.non_retryable


async def test_heartbeats_keep_a_run_longer_than_its_lease(aclient: AsyncAgentd) -> None:
    name = "py-" + uuid.uuid4().hex[:8]
    await aclient.agents.deploy(hello_manifest(name))
    # A 1.5 s lease (heartbeat every 0.5 s) around a 4 s handler: without beats it would lapse and be leased again.
    worker = Worker(aclient, agent=name, poll_wait_ms=500, lease_ttl_ms=1500, handle_signals=False)
    calls: list[int] = []

    @worker.endpoint("slow")
    async def slow(input: Any, ctx: Context) -> dict[str, int]:
        calls.append(ctx.attempt)
        await asyncio.sleep(4)
        return {"attempt": ctx.attempt}

    async with serving(worker):
        run = await aclient.runs.create_and_wait(agent=name, endpoint="slow", input={}, timeout=60)
    assert run.status == "succeeded", run.error
    assert run.attempts == 1 and calls == [1] and run.model_dump()["output"] == {"attempt": 1}


async def test_worker_cancellation(aclient: AsyncAgentd) -> None:
    name = "py-" + uuid.uuid4().hex[:8]
    await aclient.agents.deploy(hello_manifest(name))
    # The handler learns of the cancel on its next heartbeat (a third of the lease TTL; 10 s by default).
    worker = Worker(aclient, agent=name, poll_wait_ms=500, lease_ttl_ms=6000, handle_signals=False)
    started, seen_cancel = asyncio.Event(), asyncio.Event()

    @worker.endpoint("slow")
    async def slow(input: Any, ctx: Context) -> None:
        started.set()
        try:
            await asyncio.sleep(120)
        except asyncio.CancelledError:
            seen_cancel.set()
            raise

    async with serving(worker):
        run = await aclient.runs.create(agent=name, endpoint="slow", input={})
        await asyncio.wait_for(started.wait(), 30)
        await aclient.runs.cancel(run.id)
        await asyncio.wait_for(seen_cancel.wait(), 30)
        assert (await aclient.runs.retrieve(run.id)).status == "cancelled"


async def test_ctx_call_runs_a_child_and_returns_its_output_or_raises(aclient: AsyncAgentd) -> None:
    name = "py-" + uuid.uuid4().hex[:8]
    endpoints: dict[str, Any] = {e: {} for e in ("parent", "child", "envelope", "broken", "catching", "uncaught")}
    await aclient.agents.deploy({"apiVersion": "agentd.dev/v1", "kind": "Agent", "metadata": {"name": name},
                                 "spec": {"runtime": "worker", "endpoints": endpoints}})
    worker = Worker(aclient, agent=name, concurrency=4, poll_wait_ms=500, handle_signals=False)

    @worker.endpoint("parent")
    async def parent(input: Any, ctx: Context) -> dict[str, Any]:
        first = await ctx.call(name, "child", {"n": input["n"]})
        second = await ctx.call(name, "child", {"n": first["doubled"]}, metadata={"hop": 2})
        return {"first": first, "second": second}

    @worker.endpoint("child")
    async def child(input: Any, ctx: Context) -> dict[str, Any]:
        return {"doubled": input["n"] * 2, "parent": ctx.parent_run_id}

    def envelope_of(ctx: Context) -> dict[str, Any]:
        return {"run": ctx.run_id, "parent": ctx.parent_run_id, "root": ctx.root_run_id, "caller": ctx.caller_agent, "depth": ctx.depth}

    @worker.endpoint("envelope")
    async def envelope(input: Any, ctx: Context) -> dict[str, Any]:
        # Calls itself down to `levels` deep; each level returns its own envelope and the one below.
        below = await ctx.call(name, "envelope", {"levels": input["levels"] - 1}) if input["levels"] > 0 else None
        return {"me": envelope_of(ctx), "below": below}

    @worker.endpoint("broken")
    async def broken(input: Any, ctx: Context) -> None:
        raise NonRetryableError("the child broke", type="child_broke")

    @worker.endpoint("catching")
    async def catching(input: Any, ctx: Context) -> dict[str, Any]:
        try:
            await ctx.call(name, "broken", {}, key="the-broken-one")
        except ChildRunFailed as err:
            return {"status": err.status, "child": err.child_run_id, "type": (err.failure or {}).get("type")}
        return {}

    @worker.endpoint("uncaught")
    async def uncaught(input: Any, ctx: Context) -> None:
        await ctx.call(name, "broken", {})

    async with serving(worker):
        run = await aclient.runs.create_and_wait(agent=name, endpoint="parent", input={"n": 3}, timeout=60)
        assert run.status == "succeeded", run.error
        out = run.model_dump()["output"]
        assert out["first"]["doubled"] == 6 and out["second"]["doubled"] == 12
        kids = [r async for r in aclient.runs.list(agent=name) if r.parent_run_id == run.id]
        assert len(kids) == 2 and all(k.status == "succeeded" for k in kids)
        assert {k.model_dump()["metadata"].get("hop") for k in kids} == {None, 2}
        assert out["first"]["parent"] == run.id and out["second"]["parent"] == run.id

        # The call envelope: a root run, its child and grandchild, each seeing its caller's ids.
        tree = await aclient.runs.create_and_wait(agent=name, endpoint="envelope", input={"levels": 2}, timeout=60)
        assert tree.status == "succeeded", tree.error
        top = tree.model_dump()["output"]
        mid, low = top["below"], top["below"]["below"]
        assert top["me"] == {"run": tree.id, "parent": None, "root": tree.id, "caller": None, "depth": 0}
        assert mid["me"]["parent"] == tree.id and mid["me"]["root"] == tree.id and mid["me"]["caller"] == name and mid["me"]["depth"] == 1
        assert low["me"] == {"run": low["me"]["run"], "parent": mid["me"]["run"], "root": tree.id, "caller": name, "depth": 2}
        assert low["below"] is None and len({tree.id, mid["me"]["run"], low["me"]["run"]}) == 3
        assert (await aclient.runs.retrieve(low["me"]["run"])).parent_run_id == mid["me"]["run"]

        caught = await aclient.runs.create_and_wait(agent=name, endpoint="catching", input={}, timeout=60)
        assert caught.status == "succeeded", caught.error
        got = caught.model_dump()["output"]
        assert got["status"] == "failed" and got["type"] == "child_broke"
        assert (await aclient.runs.retrieve(got["child"])).parent_run_id == caught.id

        # Not caught: the parent fails, non-retryable, carrying the child's failure.
        failed = await aclient.runs.create_and_wait(agent=name, endpoint="uncaught", input={}, timeout=60)
        assert failed.status == "failed" and failed.attempts == 1
        assert failed.error is not None and failed.error.type == "child_run_failed" and failed.error.non_retryable
        details = failed.error.model_dump()["details"]
        assert details["status"] == "failed" and details["failure"]["type"] == "child_broke"


def test_approval_and_secret_with_the_sync_client(client: Agentd, server: ServerProcess, approval_yaml: str) -> None:
    client.agents.deploy(approval_yaml)
    secret = "py_secret_" + uuid.uuid4().hex[:6]
    canary = "CANARY-" + uuid.uuid4().hex
    assert client.secrets.create(name=secret, value=canary).name == secret
    grant = client.grants.create(secret=secret, agent="refund")
    assert grant.agent == "refund" and grant.secret == secret
    key = client.keys.create(role="worker", agents=["refund"])
    seen: dict[str, Any] = {}
    assert key.key
    worker = Worker(Agentd(base_url=server.url, api_key=key.key), agent="refund", poll_wait_ms=500, handle_signals=False)

    @worker.endpoint("issue")
    async def issue(input: Any, ctx: Context) -> dict[str, Any]:
        decision = await ctx.approval(prompt="refund?")
        value = await ctx.secrets.get(secret)
        seen.update(approved=decision.approved, comment=decision.comment, by=decision.decided_by)
        return {"refunded": decision.approved, "token_used": value == canary}

    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        run = client.runs.create(agent="refund", endpoint="issue", input={"amount": 42})
        pending: list[Any] = []
        for _ in range(300):
            pending = [a for a in client.approvals.list(status="pending") if a.run_id == run.id]
            if pending:
                break
            time.sleep(0.1)
        assert pending and pending[0].prompt == "refund?"
        assert client.approvals.retrieve(pending[0].id).status == "pending"
        client.approvals.approve(pending[0].id, comment="ok")
        done = client.runs.wait(run.id, timeout=30)
        assert done.status == "succeeded", done.error
        out = done.model_dump()["output"]
    finally:
        worker.stop()
        thread.join(30)
    assert out == {"refunded": True, "token_used": True}
    assert seen["approved"] is True and seen["comment"] == "ok" and seen["by"]
    assert client.grants.revoke(grant.id).id == grant.id
    assert client.secrets.delete(secret)
    assert client.keys.revoke(key.id).id == key.id


@pytest.mark.parametrize("n", [1])
def test_records(client: Agentd, n: int) -> None:
    assert isinstance(list(client.findings.list(since="0")), list)
    assert isinstance(list(client.logs.list()), list)
    assert any(r.action for r in client.audit.list(limit=5))
