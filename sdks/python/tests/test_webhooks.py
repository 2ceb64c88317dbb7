"""The webhooks resource against a real server: a subscription delivers a run's event to a receiver
on loopback (the tests' server allows 127.0.0.1), signed with the secret `create` returned; the
delivery log, a redelivery with the same webhook-id, a rotation, updates, an egress refusal."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from agentd import Agentd, AsyncAgentd, ConflictError, NotFoundError, UnprocessableEntityError


class Receiver:
    """Records every POST (headers and body) and answers 204."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver.lock:
                    receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 30) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"the receiver got {len(self.received)} deliveries, not {count}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    try:
        yield r
    finally:
        r.close()


def signed_by(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks: v1 = base64 HMAC-SHA256 of `id.timestamp.body` under the secret's bytes."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    return any(sig == f"v1,{expected}" for sig in headers["webhook-signature"].split(" "))


def finished_run(client: Agentd, agent: str, name: str) -> str:
    run = client.runs.create(agent=agent, endpoint="greet", input={"name": name})
    task = next(t for t in client.worker.lease(agent=agent, max_tasks=10, wait_ms=0).tasks if t.run_id == run.id)
    client.leases.complete(task.lease_id, {"greeting": f"Hello, {name}!"})
    return run.id


def test_webhook_delivers_signed_events_and_keeps_a_log(client: Agentd, receiver: Receiver) -> None:
    agent = "wh-" + uuid.uuid4().hex[:8]
    client.agents.deploy({"apiVersion": "agentd.dev/v1", "kind": "Agent", "metadata": {"name": agent},
                          "spec": {"runtime": "worker", "endpoints": {"greet": {}}}})
    hook = client.webhooks.create(url=receiver.url, events=["run.succeeded"], agents=[agent], description="py")
    assert hook.id and hook.secret.startswith("whsec_") and hook.secret_version == 1 and hook.status == "active"
    assert client.webhooks.retrieve(hook.id).url == receiver.url
    assert "secret" not in client.webhooks.retrieve(hook.id).model_dump()
    assert hook.id in [w.id for w in client.webhooks.list()]

    run_id = finished_run(client, agent, "W")
    headers, body = receiver.wait_for(1)[0]
    event = json.loads(body)
    assert event["type"] == "run.succeeded" and event["run_id"] == run_id
    assert signed_by(hook.secret, headers, body)

    deliveries = list(client.webhooks.deliveries(hook.id))
    assert [d.run_id for d in deliveries] == [run_id] and deliveries[0].id == headers["webhook-id"]
    for _ in range(300):  # the receiver answered; the log records it right after
        delivery = client.webhooks.retrieve_delivery(hook.id, deliveries[0].id)
        if delivery.status == "succeeded":
            break
        time.sleep(0.02)
    assert delivery.status == "succeeded" and delivery.attempts == 1 and delivery.last_status_code == 204
    assert [d.id for d in client.webhooks.deliveries(hook.id, status="succeeded")] == [delivery.id]
    assert list(client.webhooks.deliveries(hook.id, status="failed")) == []

    again = client.webhooks.redeliver(hook.id, delivery.id)
    assert again.id == delivery.id
    headers2, body2 = receiver.wait_for(2)[1]
    assert headers2["webhook-id"] == headers["webhook-id"] and json.loads(body2)["run_id"] == run_id

    rotated = client.webhooks.rotate_secret(hook.id, overlap_seconds=0)
    assert rotated.secret != hook.secret and rotated.secret_version == 2
    updated = client.webhooks.update(hook.id, events=["run.*"], description="all run events")
    assert updated.events == ["run.*"] and updated.description == "all run events"
    second = finished_run(client, agent, "X")
    got = receiver.wait_for(2 + 3)  # run.queued, run.started, run.succeeded
    mine = [(h, b) for h, b in got[2:] if json.loads(b)["run_id"] == second]
    assert [json.loads(b)["type"] for _, b in mine] == ["run.queued", "run.started", "run.succeeded"]
    assert all(signed_by(rotated.secret, h, b) and not signed_by(hook.secret, h, b) for h, b in mine)

    assert client.webhooks.delete(hook.id).deleted is True
    with pytest.raises(NotFoundError) as nf:
        client.webhooks.retrieve(hook.id)
    assert nf.value.code == "WEBHOOK_NOT_FOUND"


def test_webhook_refusals(client: Agentd) -> None:
    with pytest.raises(UnprocessableEntityError) as refused:
        client.webhooks.create(url="http://169.254.169.254/latest/meta-data", events=["run.succeeded"])
    assert refused.value.code == "EGRESS_REFUSED"
    with pytest.raises(NotFoundError):
        client.webhooks.redeliver("whk_nope", "msg_nope")


async def test_webhooks_with_the_async_client(aclient: AsyncAgentd) -> None:
    hook = await aclient.webhooks.create(url="http://127.0.0.1:9/never", events=["run.failed"])
    assert [w.id async for w in aclient.webhooks.list() if w.id == hook.id] == [hook.id]
    assert (await aclient.webhooks.update(hook.id, url="http://127.0.0.1:9/other")).url == "http://127.0.0.1:9/other"
    assert (await aclient.webhooks.delete(hook.id)).deleted is True
    with pytest.raises(NotFoundError):
        await aclient.webhooks.retrieve(hook.id)


def test_redelivering_a_pending_delivery_conflicts(client: Agentd) -> None:
    """A receiver that is not there: the delivery stays pending (retried later), and redeliver refuses it."""
    agent = "wh-" + uuid.uuid4().hex[:8]
    client.agents.deploy({"apiVersion": "agentd.dev/v1", "kind": "Agent", "metadata": {"name": agent},
                          "spec": {"runtime": "worker", "endpoints": {"greet": {}}}})
    hook = client.webhooks.create(url="http://127.0.0.1:9/closed", events=["run.succeeded"], agents=[agent])
    finished_run(client, agent, "P")
    pending = []
    for _ in range(500):
        pending = list(client.webhooks.deliveries(hook.id, status="pending"))
        if pending and pending[0].attempts >= 1:
            break
        time.sleep(0.02)
    assert pending and pending[0].attempts >= 1 and pending[0].last_error
    with pytest.raises(ConflictError) as c:
        client.webhooks.redeliver(hook.id, pending[0].id)
    assert c.value.code == "WEBHOOK_DELIVERY_PENDING"
    client.webhooks.delete(hook.id)
