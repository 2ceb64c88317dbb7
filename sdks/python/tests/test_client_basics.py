"""The sync and async clients against a real server: agents, runs, pages, errors, idempotency."""

from __future__ import annotations

import uuid

import pytest

from agentd import (
    Agentd,
    AsyncAgentd,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    UnprocessableEntityError,
)
from tests.server import ServerProcess


def test_agents(client: Agentd, hello_yaml: str) -> None:
    agent = client.agents.deploy(hello_yaml)
    assert agent.name == "hello"
    assert "hello" in [a.name for a in client.agents.list()]
    assert client.agents.retrieve("hello").name == "hello"
    versions = list(client.agents.versions("hello"))
    assert versions and client.agents.retrieve_version("hello", versions[0].version).version == versions[0].version
    disabled = client.agents.disable_endpoint("hello", "greet")
    assert disabled.model_dump()["endpoints"]["greet"]["enabled"] is False
    with pytest.raises(ConflictError) as e:
        client.runs.create(agent="hello", endpoint="greet", input={"name": "x"})
    assert e.value.code == "ENDPOINT_DISABLED"
    client.agents.enable_endpoint("hello", "greet")
    dict_deploy = client.agents.deploy({"apiVersion": "agentd.dev/v1", "kind": "Agent", "metadata": {"name": "tmp-agent"},
                                        "spec": {"runtime": "worker", "endpoints": {"go": {}}}})
    assert dict_deploy.name == "tmp-agent"
    assert client.agents.delete("tmp-agent").model_dump()
    with pytest.raises(NotFoundError):
        client.agents.retrieve("tmp-agent")


def test_runs_pages_and_controls(client: Agentd, hello_yaml: str) -> None:
    client.agents.deploy(hello_yaml)
    tag = uuid.uuid4().hex[:8]
    made = {client.runs.create(agent="hello", endpoint="greet", input={"name": f"{tag}-{i}"}).id for i in range(7)}
    listed = [r.id for r in client.runs.list(agent="hello", status="queued", limit=2)]
    assert made <= set(listed) and len(listed) == len(set(listed))
    first = client.runs.list(agent="hello", limit=2).first_page()
    assert len(first.data) == 2 and first.next_cursor
    rid = sorted(made)[0]
    run = client.runs.retrieve(rid)
    assert run.id == rid and run.status == "queued" and run.model_dump()["input"]["name"].startswith(tag)
    updated = client.runs.update(rid, priority=5, generation=run.generation)
    assert updated.priority == 5
    sig = client.runs.signal(rid, "go", {"n": 1})
    assert sig.model_dump()["payload"] == {"n": 1}
    assert [s.name for s in client.runs.signals(rid).data] == ["go"]
    assert list(client.runs.attempts(rid)) == []
    assert client.runs.cancel(rid).status == "cancelled"
    types = [e.type for e in client.runs.events_page(rid)]
    assert types[0] == "run.queued" and types[-1] == "run.cancelled"
    assert [e.type for e in client.runs.events(rid)][-1] == "run.cancelled"
    assert any(e.run_id == rid for e in client.events.list(run=rid))
    batch = client.runs.create_batch([{"agent": "hello", "endpoint": "greet", "input": {"name": "b1"}},
                                      {"agent": "hello", "endpoint": "greet", "input": {"name": "b2"}}])
    assert len(batch.data) == 2


def test_errors_carry_status_code_request_id_and_details(client: Agentd, server: ServerProcess, hello_yaml: str) -> None:
    client.agents.deploy(hello_yaml)
    with pytest.raises(NotFoundError) as nf:
        client.runs.retrieve("run_does_not_exist")
    assert nf.value.status_code == 404 and nf.value.code == "RUN_NOT_FOUND" and nf.value.request_id
    with pytest.raises(UnprocessableEntityError) as ue:
        client.runs.create(agent="hello", endpoint="greet", input={})
    assert ue.value.status_code == 422 and ue.value.code == "INPUT_INVALID" and ue.value.request_id
    assert any("name" in str(d.get("path", "")) + str(d.get("message", "")) for d in ue.value.details)
    with pytest.raises(UnprocessableEntityError) as bad_manifest:
        client.agents.deploy("apiVersion: agentd.dev/v1\nkind: Agent\nmetadata: {name: x}\nspec: {runtime: nope}\n")
    assert bad_manifest.value.code == "MANIFEST_INVALID" and bad_manifest.value.details
    with Agentd(base_url=server.url, api_key="agd_" + "x" * 40) as wrong, pytest.raises(AuthenticationError) as ae:
        wrong.agents.list().first_page()
    assert ae.value.status_code == 401 and ae.value.request_id


def test_idempotency_key_replays_the_same_run(client: Agentd, hello_yaml: str) -> None:
    client.agents.deploy(hello_yaml)
    key = "py-" + uuid.uuid4().hex
    a = client.runs.create(agent="hello", endpoint="greet", input={"name": "I"}, idempotency_key=key)
    b = client.runs.create(agent="hello", endpoint="greet", input={"name": "I"}, idempotency_key=key)
    assert a.id == b.id
    with pytest.raises(UnprocessableEntityError) as e:
        client.runs.create(agent="hello", endpoint="greet", input={"name": "other"}, idempotency_key=key)
    assert e.value.code == "IDEMPOTENCY_KEY_REUSED"


async def test_async_client(aclient: AsyncAgentd, hello_yaml: str) -> None:
    await aclient.agents.deploy(hello_yaml)
    made = {(await aclient.runs.create(agent="hello", endpoint="greet", input={"name": f"a{i}"})).id for i in range(5)}
    got = await aclient.runs.retrieve(sorted(made)[0])
    assert got.agent == "hello"
    ids = [r.id async for r in aclient.runs.list(agent="hello", limit=2)]
    assert made <= set(ids) and len(ids) == len(set(ids))
    page = await aclient.runs.list(agent="hello", limit=2)
    assert len(page.data) == 2
    with pytest.raises(NotFoundError):
        await aclient.runs.retrieve("run_nope")
