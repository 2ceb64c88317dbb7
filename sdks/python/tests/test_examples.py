"""The Python examples (examples/python-hello, examples/python-approval) run as real processes, as
the README starts them, against the test server; each completes a run, then stops on SIGTERM."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Iterator

import pytest

from agentd import Agentd
from tests.procs import WorkerProcess
from tests.server import REPO, ServerProcess


@pytest.fixture
def processes() -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for p in started:
        p.close()


def stop(p: WorkerProcess) -> None:
    p.proc.send_signal(signal.SIGTERM)
    assert p.wait() == 0, "".join(p.output)


def test_python_hello_example(client: Agentd, server: ServerProcess, hello_yaml: str, processes: list[WorkerProcess]) -> None:
    client.agents.deploy(hello_yaml)
    p = WorkerProcess([str(REPO / "examples" / "python-hello" / "worker.py")], url=server.url, api_key=server.admin_key)
    processes.append(p)
    p.wait_for_line("waiting for runs of hello/greet")
    run = client.runs.create_and_wait(agent="hello", endpoint="greet", input={"name": "Ada"}, timeout=60)
    assert run.status == "succeeded", run.model_dump()
    assert run.model_dump()["output"] == {"greeting": "Hello, Ada!"}
    assert any(e.type == "run.log" and e.data.get("message") == "greeting Ada" for e in client.runs.events(run.id))
    stop(p)


def test_python_approval_example(client: Agentd, server: ServerProcess, approval_yaml: str, processes: list[WorkerProcess]) -> None:
    client.agents.deploy(approval_yaml)
    if not any(s.name == "payments_key" for s in client.secrets.list()):
        client.secrets.create(name="payments_key", value="sk_test_" + uuid.uuid4().hex)
        client.grants.create(secret="payments_key", agent="refund")
    key = client.keys.create(role="worker", agents=["refund"])
    p = WorkerProcess([str(REPO / "examples" / "python-approval" / "worker.py")], url=server.url, api_key=key.key)
    processes.append(p)
    p.wait_for_line("waiting for runs of refund/issue")
    run = client.runs.create(agent="refund", endpoint="issue", input={"amount": 12.5, "reason": "damaged"})
    pending = []
    for _ in range(600):
        pending = [a for a in client.approvals.list(status="pending") if a.run_id == run.id]
        if pending:
            break
        time.sleep(0.1)
    assert pending, "".join(p.output)
    assert pending[0].prompt == "Refund 12.5?"
    client.approvals.approve(pending[0].id, comment="customer is right")
    done = client.runs.wait(run.id, timeout=60)
    assert done.status == "succeeded", (done.model_dump(), "".join(p.output))
    out = done.model_dump()["output"]
    assert out["refunded"] is True and out["token_used"] is True and out["note"] == "customer is right" and out["decided_by"]
    stop(p)
