"""The areas beside runs, through both clients against a real server: health, reload, models,
usage and budgets, MCP servers (against a small MCP server of the test's own), inbound triggers
(a delivery sent to the hook URL starts a run), a workflow run retried from its failed step with
its children, and an approval link's view."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from agentd import Agentd, AsyncAgentd, BadRequestError, ConflictError, NotFoundError, UnprocessableEntityError
from agentd.types import Task
from tests.mcp_server import McpTestServer
from tests.test_automation import greeter, workflow


@pytest.fixture
def mcp() -> Iterator[McpTestServer]:
    s = McpTestServer()
    try:
        yield s
    finally:
        s.close()


def lease_one(client: Agentd, agent: str) -> Task:
    for _ in range(60):
        tasks = client.worker.lease(agent=agent, max_tasks=1, wait_ms=500).tasks
        if tasks:
            return tasks[0]
    raise AssertionError(f"no task of {agent} to lease")


def test_health_reload_models_usage_and_budgets(client: Agentd) -> None:
    assert client.health().status == "ok" and client.ready().status == "ready"
    with pytest.raises(ConflictError) as no_file:  # the fixture's server runs without --config
        client.reload()
    assert no_file.value.code == "CONFIG_NOT_LOADED" and no_file.value.request_id
    assert isinstance(client.models.list(), list)

    agent = greeter(client)
    usage = client.usage.get(agent=agent, from_="2026-01-01", to="2026-01-31")
    assert (usage.from_, usage.to, usage.data, usage.totals.total_tokens) == ("2026-01-01", "2026-01-31", [], 0)
    with pytest.raises(BadRequestError) as backwards:
        client.usage.get(from_="2026-02-01", to="2026-01-01")
    assert backwards.value.code == "VALIDATION_ERROR"

    put = client.budgets.set(agent=agent, period="day", max_tokens=200_000, max_cost=5)
    assert put.removed is False and put.budget is not None and put.budget.max_tokens == 200_000
    assert [(b.agent, b.period, b.max_cost) for b in client.budgets.list(agent=agent)] == [(agent, "day", 5)]
    assert client.budgets.set(agent=agent, period="day").removed is True
    assert client.budgets.list(agent=agent) == []


def test_mcp_servers(client: Agentd, mcp: McpTestServer) -> None:
    name = "docs-" + uuid.uuid4().hex[:6]
    s = client.mcp_servers.create(name=name, url=mcp.url, description="test tools")
    assert s.status == "active" and [t.name for t in s.tools] == ["echo"] and len(s.tools_hash) == 64
    assert name in [x.name for x in client.mcp_servers.list()]
    assert client.mcp_servers.retrieve(name).tools_hash == s.tools_hash
    with pytest.raises(ConflictError) as exists:
        client.mcp_servers.create(name=name, url=mcp.url)
    assert exists.value.code == "MCP_SERVER_EXISTS"

    mcp.description = "Echoes its text, louder."
    with pytest.raises(ConflictError) as changed:  # what was reviewed is not what it lists now
        client.mcp_servers.approve(name, tools_hash=s.tools_hash)
    assert changed.value.code == "MCP_TOOLS_CHANGED"
    approved = client.mcp_servers.approve(name)
    assert approved.status == "active" and approved.tools[0].description == "Echoes its text, louder."
    assert approved.tools_hash != s.tools_hash

    with pytest.raises(UnprocessableEntityError) as unreachable:
        client.mcp_servers.create(name=name + "-x", url="http://127.0.0.1:9/mcp")
    assert unreachable.value.code == "MCP_SERVER_UNREACHABLE"
    assert client.mcp_servers.delete(name).deleted
    with pytest.raises(NotFoundError) as nf:
        client.mcp_servers.retrieve(name)
    assert nf.value.code == "MCP_SERVER_NOT_FOUND"


def test_triggers(client: Agentd) -> None:
    agent = greeter(client)
    token = "tok_" + uuid.uuid4().hex * 2
    t = client.triggers.create(target={"agent": agent, "endpoint": "greet"}, name="orders-" + uuid.uuid4().hex[:6], auth="bearer",
                               secret=token, mapping={"pointer": "/data"})
    assert t.secret == token and t.url.endswith(f"/v1/hooks/{t.id}") and t.secret_version == 1
    assert client.triggers.retrieve(t.id).auth == "bearer"
    assert t.id in [x.id for x in client.triggers.list()]

    # A sender's delivery (not the SDK's business: a plain POST) starts a run with the mapped input.
    sent = httpx.post(t.url, json={"data": {"name": "Ada"}}, headers={"authorization": f"Bearer {token}", "webhook-id": "msg_1"})
    assert sent.status_code in (200, 201, 202), sent.text
    deliveries = list(client.triggers.deliveries(t.id))
    assert [(d.outcome, d.message_id) for d in deliveries] == [("started", "msg_1")]
    run_id = deliveries[0].run_id
    assert run_id is not None and client.runs.retrieve(run_id).model_dump()["input"] == {"name": "Ada"}
    assert list(client.triggers.deliveries(t.id, outcome="rejected")) == []

    updated = client.triggers.update(t.id, description="orders from the shop", rate_limit={"count": 100, "period_seconds": 1})
    assert updated.description == "orders from the shop" and updated.rate_limit.count == 100
    rotated = client.triggers.rotate_secret(t.id, overlap_seconds=0)
    assert rotated.secret and rotated.secret != token and rotated.secret_version == 2
    refused = httpx.post(t.url, json={"data": {}}, headers={"authorization": f"Bearer {token}", "webhook-id": "msg_2"})
    assert refused.status_code == 401
    with pytest.raises(UnprocessableEntityError) as bad:
        client.triggers.create(target={"agent": agent, "endpoint": "greet"}, mapping={"template": "{% nope( %}"})
    assert bad.value.code == "TRIGGER_INVALID"
    assert client.triggers.delete(t.id).deleted
    with pytest.raises(NotFoundError):
        client.triggers.retrieve(t.id)


def test_workflow_retry_children_and_approval_link(client: Agentd) -> None:
    agent = greeter(client)
    name = "wf-" + uuid.uuid4().hex[:8]
    client.workflows.deploy(workflow(name, agent))
    run = client.workflows.start(name, input={"name": "Ada"})
    task = lease_one(client, agent)
    client.leases.fail(task.lease_id, {"type": "down", "message": "the greeter is down", "non_retryable": True})
    failed = client.runs.wait(run.id, timeout=30)
    assert failed.status == "failed"
    assert [c.id for c in client.runs.children(run.id)] == [task.run_id]

    again = client.runs.retry(run.id)
    assert again.id != run.id and again.kind == "workflow"
    task = lease_one(client, agent)  # only the failed step runs again
    link = client.approvals.create_link(
        client.leases.request_approval(task.lease_id, key="ok", prompt="Greet Ada?").id, decision="approve")
    view = client.approvals.retrieve_link(link.token)
    assert view.approval.prompt == "Greet Ada?" and view.decision == "approve" and view.expires_at == link.expires_at
    client.approvals.decide_with_link(link.token)
    client.leases.complete(task.lease_id, {"greeting": "Hello, Ada"})
    assert client.runs.wait(again.id, timeout=30).status == "succeeded"
    with pytest.raises(ConflictError) as not_retryable:
        client.runs.retry(again.id)
    assert not_retryable.value.code == "RUN_NOT_RETRYABLE"


async def test_platform_with_the_async_client(aclient: AsyncAgentd, mcp: McpTestServer) -> None:
    assert (await aclient.health()).status == "ok"
    name = "docs-" + uuid.uuid4().hex[:6]
    created = await aclient.mcp_servers.create(name=name, url=mcp.url)
    assert name in [s.name async for s in aclient.mcp_servers.list()]
    assert (await aclient.mcp_servers.approve(name, tools_hash=created.tools_hash)).status == "active"
    assert (await aclient.mcp_servers.delete(name)).deleted
    agent = "auto-" + uuid.uuid4().hex[:8]
    await aclient.agents.deploy({"apiVersion": "agentd.dev/v1", "kind": "Agent", "metadata": {"name": agent},
                                 "spec": {"runtime": "worker", "endpoints": {"greet": {}}}})
    t = await aclient.triggers.create(target={"agent": agent, "endpoint": "greet"})
    assert t.auth == "signature" and t.secret.startswith("whsec_")
    assert [x.id async for x in aclient.triggers.deliveries(t.id)] == []
    assert (await aclient.triggers.delete(t.id)).deleted
    assert (await aclient.budgets.set(period="month", max_tokens=10_000_000)).budget is not None
    assert [b.period for b in await aclient.budgets.list() if b.agent is None] == ["month"]
    assert (await aclient.budgets.set(period="month")).removed
    report = await aclient.usage.get(agent=agent)
    assert report.totals.total_tokens == 0
    assert isinstance(await aclient.models.list(), list)
    with pytest.raises(ConflictError):
        await aclient.reload()
