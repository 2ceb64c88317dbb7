"""Schedules and workflows through the clients against a real server: a schedule's whole life
(create, update, pause, resume, run_now and its fire log, delete), and a workflow deployed,
versioned and started, its step run by a leased task, its output the run's."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from agentd import Agentd, AsyncAgentd, NotFoundError, UnprocessableEntityError


def greeter(client: Agentd) -> str:
    name = "auto-" + uuid.uuid4().hex[:8]
    client.agents.deploy({"apiVersion": "agentd.dev/v1", "kind": "Agent", "metadata": {"name": name},
                          "spec": {"runtime": "worker", "endpoints": {"greet": {}}}})
    return name


def test_schedule_life(client: Agentd) -> None:
    agent = greeter(client)
    sid = "py-" + uuid.uuid4().hex[:8]
    s = client.schedules.create(id=sid, cron="0 3 * * *", timezone="Europe/Paris", target={"agent": agent, "endpoint": "greet"},
                                input={"name": "cron"}, overlap_policy="skip")
    assert s.id == sid and s.timezone == "Europe/Paris" and s.target.agent == agent and not s.paused
    assert len(s.next_fire_times) == 5 and s.revision >= 1
    assert client.schedules.retrieve(sid).cron == "0 3 * * *"
    assert sid in [x.id for x in client.schedules.list()]
    updated = client.schedules.update(sid, cron="30 4 * * 1", missed_policy="run_once")
    assert updated.cron == "30 4 * * 1" and updated.missed_policy == "run_once" and updated.revision > s.revision
    paused = client.schedules.pause(sid)
    assert paused.paused and paused.paused_at and paused.next_fire_times == []
    assert not client.schedules.resume(sid).paused

    run = client.schedules.run_now(sid)
    assert run.agent == agent and run.endpoint == "greet" and run.model_dump()["input"] == {"name": "cron"}
    fires = list(client.schedules.runs(sid))
    assert [(f.trigger, f.outcome, f.run_id) for f in fires] == [("manual", "started", run.id)]

    with pytest.raises(UnprocessableEntityError) as bad:
        client.schedules.create(id="py-bad-" + uuid.uuid4().hex[:6], cron="61 * * * *", target={"agent": agent, "endpoint": "greet"})
    assert bad.value.code == "SCHEDULE_INVALID" and bad.value.details
    assert client.schedules.delete(sid).deleted is True
    with pytest.raises(NotFoundError) as nf:
        client.schedules.retrieve(sid)
    assert nf.value.code == "SCHEDULE_NOT_FOUND"


def workflow(name: str, agent: str, greeting: str = "{% steps.greet.output.greeting %}") -> dict[str, Any]:
    return {"apiVersion": "agentd.dev/v1", "kind": "Workflow", "metadata": {"name": name},
            "spec": {"input": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
                     "output": {"said": greeting},
                     "steps": [{"id": "greet", "agent": agent, "endpoint": "greet", "input": {"name": "{% input.name %}"}}]}}


def test_workflow_deploy_versions_start_and_finish(client: Agentd) -> None:
    agent = greeter(client)
    name = "wf-" + uuid.uuid4().hex[:8]
    w = client.workflows.deploy(workflow(name, agent))
    assert w.name == name
    client.workflows.deploy(workflow(name, agent, greeting="{% steps.greet.output.greeting %}!"))
    versions = sorted(v.version for v in client.workflows.versions(name))
    assert versions == [1, 2]
    assert client.workflows.retrieve_version(name, 1).version == 1
    assert name in [x.name for x in client.workflows.list()]
    assert client.workflows.retrieve(name).name == name

    run = client.workflows.start(name, input={"name": "Ada"})
    assert run.kind == "workflow"
    task = None
    for _ in range(60):  # the server starts the step's run as it drives the workflow
        tasks = client.worker.lease(agent=agent, max_tasks=1, wait_ms=500).tasks
        if tasks:
            task = tasks[0]
            break
    assert task is not None and task.input == {"name": "Ada"}
    assert client.runs.retrieve(task.run_id).parent_run_id == run.id
    client.leases.complete(task.lease_id, {"greeting": "Hello, Ada"})
    done = client.runs.wait(run.id, timeout=30)
    assert done.status == "succeeded" and done.model_dump()["output"] == {"said": "Hello, Ada!"}

    with pytest.raises(UnprocessableEntityError) as bad_input:
        client.workflows.start(name, input={})
    assert bad_input.value.details
    with pytest.raises(UnprocessableEntityError) as invalid:
        client.workflows.deploy({"apiVersion": "agentd.dev/v1", "kind": "Workflow", "metadata": {"name": name},
                                 "spec": {"steps": [{"id": "a", "agent": agent, "endpoint": "greet", "needs": ["missing"]}]}})
    assert invalid.value.code == "WORKFLOW_INVALID"
    assert client.workflows.delete(name).model_dump()
    with pytest.raises(NotFoundError):
        client.workflows.retrieve(name)


async def test_schedules_and_workflows_with_the_async_client(aclient: AsyncAgentd) -> None:
    name = "auto-" + uuid.uuid4().hex[:8]
    await aclient.agents.deploy({"apiVersion": "agentd.dev/v1", "kind": "Agent", "metadata": {"name": name},
                                 "spec": {"runtime": "worker", "endpoints": {"greet": {}}}})
    sid = "py-" + uuid.uuid4().hex[:8]
    await aclient.schedules.create(id=sid, cron="*/5 * * * *", target={"agent": name, "endpoint": "greet"}, paused=True)
    assert (await aclient.schedules.retrieve(sid)).paused
    assert sid in [s.id async for s in aclient.schedules.list()]
    assert (await aclient.schedules.delete(sid)).deleted
    wf = "wf-" + uuid.uuid4().hex[:8]
    await aclient.workflows.deploy(workflow(wf, name))
    assert [v.version async for v in aclient.workflows.versions(wf)] == [1]
    run = await aclient.workflows.start(wf, input={"name": "B"})
    assert (await aclient.runs.retrieve(run.id)).kind == "workflow"
    await aclient.runs.cancel(run.id)
    await aclient.workflows.delete(wf)
