"""The Python worker as a real process: kill -9 mid-run (the run is leased again once its lease
expires, and finishes once), and SIGTERM (leasing stops; in-flight runs finish within the grace
period, or are released when it is over and finish on another worker)."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentd import Agentd
from tests.procs import WorkerProcess
from tests.server import ServerProcess


@pytest.fixture
def processes() -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for p in started:
        p.close()


def deploy(client: Agentd) -> str:
    name = "pyproc-" + uuid.uuid4().hex[:8]
    client.agents.deploy({"apiVersion": "agentd.dev/v1", "kind": "Agent", "metadata": {"name": name},
                          "spec": {"runtime": "worker", "endpoints": {
                              "work": {"retry": {"max_attempts": 3, "initial_interval": "100ms"}}}}})
    return name


def start(processes: list[WorkerProcess], server: ServerProcess, name: str, mode: str, **env: str) -> WorkerProcess:
    p = WorkerProcess(["-m", "tests.proc_worker", name, mode], url=server.url, api_key=server.admin_key, env=env)
    processes.append(p)
    p.wait_for_line("ready")
    return p


def terminal_events(client: Agentd, run_id: str) -> list[str]:
    return [e.type for e in client.runs.events(run_id) if e.type in ("run.succeeded", "run.failed", "run.cancelled")]


def wait_status(client: Agentd, run_id: str, status: str, tries: int = 600) -> Any:
    for _ in range(tries):
        run = client.runs.retrieve(run_id)
        if run.status == status:
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} never reached {status}: {client.runs.retrieve(run_id).model_dump()}")


def test_kill_9_mid_run_is_leased_again_and_finishes_once(client: Agentd, server: ServerProcess, processes: list[WorkerProcess]) -> None:
    name = deploy(client)
    first = start(processes, server, name, "hold", PROC_LEASE_TTL_MS="1500")
    run = client.runs.create(agent=name, endpoint="work", input={})
    first.wait_for_line(f"started {run.id} 1")
    first.proc.send_signal(signal.SIGKILL)
    assert first.wait() == -signal.SIGKILL
    second = start(processes, server, name, "finish")
    done = client.runs.wait(run.id, timeout=60)
    assert done.status == "succeeded", (done.model_dump(), "".join(second.output))
    out = done.model_dump()["output"]
    assert out["pid"] == second.proc.pid and out["attempt"] >= 2
    assert terminal_events(client, run.id) == ["run.succeeded"]
    assert sum(f"started {run.id} " in line for line in second.output) == 1


def test_sigterm_stops_leasing_and_finishes_in_flight_runs(client: Agentd, server: ServerProcess, processes: list[WorkerProcess],
                                                          tmp_path: Path) -> None:
    name = deploy(client)
    gate = tmp_path / "gate"
    p = start(processes, server, name, "gate", PROC_GRACE="60")
    held = client.runs.create(agent=name, endpoint="work", input={"gate": str(gate)})
    p.wait_for_line(f"started {held.id} 1")
    p.proc.send_signal(signal.SIGTERM)
    p.wait_for_line("waiting up to")  # the lease loop is over: it drains what it holds
    later = client.runs.create(agent=name, endpoint="work", input={"gate": str(gate)})
    gate.touch()
    assert p.wait() == 0, "".join(p.output)
    done = client.runs.retrieve(held.id)
    assert done.status == "succeeded" and done.model_dump()["output"]["pid"] == p.proc.pid
    assert client.runs.retrieve(later.id).status == "queued"
    assert not any(later.id in line for line in p.output)
    client.runs.cancel(later.id)


def test_sigterm_releases_what_outlasts_the_grace_period(client: Agentd, server: ServerProcess, processes: list[WorkerProcess]) -> None:
    name = deploy(client)
    p = start(processes, server, name, "hold", PROC_GRACE="0.5", PROC_LEASE_TTL_MS="60000")
    run = client.runs.create(agent=name, endpoint="work", input={})
    p.wait_for_line(f"started {run.id} 1")
    p.proc.send_signal(signal.SIGTERM)
    assert p.wait() == 0, "".join(p.output)
    assert any("releasing 1 unfinished" in line for line in p.output), "".join(p.output)
    # Released, not expired: it is queued again at once although its 60 s lease had long to go.
    assert client.runs.retrieve(run.id).status == "queued"
    other = start(processes, server, name, "finish")
    done = client.runs.wait(run.id, timeout=60)
    assert done.status == "succeeded" and done.model_dump()["output"]["pid"] == other.proc.pid
    assert terminal_events(client, run.id) == ["run.succeeded"]
