"""A POST whose answer is lost across a server restart is retried with the same Idempotency-Key
(one run), and an event stream cut mid-run resumes with Last-Event-ID (no gap, no repeat)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import httpx

from agentd import Agentd
from tests.server import ServerProcess


class LoseFirstAnswerAndRestart(httpx.HTTPTransport):
    """Sends the first POST /v1/runs, then kills the server (SIGKILL) and reports the answer as
    lost; the server comes back on the same port while the client backs off."""

    def __init__(self, server: ServerProcess) -> None:
        super().__init__()
        self.server = server
        self.keys: list[str] = []
        self.restarted = threading.Event()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == "/v1/runs":
            self.keys.append(request.headers["idempotency-key"])
            if len(self.keys) == 1:
                response = super().handle_request(request)
                response.read()
                self.server.kill()
                self.server.start()
                self.restarted.set()
                raise httpx.ReadError("connection reset (the test dropped the answer)", request=request)
        return super().handle_request(request)


def test_retry_across_restart_gives_one_run(server: ServerProcess, hello_yaml: str) -> None:
    with Agentd(base_url=server.url, api_key=server.admin_key) as admin:
        admin.agents.deploy(hello_yaml)
    transport = LoseFirstAnswerAndRestart(server)
    name = "restart-" + uuid.uuid4().hex[:8]
    with Agentd(base_url=server.url, api_key=server.admin_key, http_client=httpx.Client(transport=transport), timeout=90) as c:
        run = c.runs.create(agent="hello", endpoint="greet", input={"name": name})
        assert transport.restarted.is_set()
        assert len(transport.keys) == 2 and transport.keys[0] == transport.keys[1]
        mine = [r for r in c.runs.list(agent="hello") if r.model_dump()["input"] == {"name": name}]
        assert [r.id for r in mine] == [run.id]


class CutStreamOnce(httpx.HTTPTransport):
    """Cuts the first SSE connection after `cut_after` bytes; records each stream request's headers."""

    def __init__(self, cut_after: int) -> None:
        super().__init__()
        self.cut_after = cut_after
        self.stream_headers: list[dict[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.headers.get("accept") != "text/event-stream":
            return response
        self.stream_headers.append(dict(request.headers))
        if len(self.stream_headers) > 1:
            return response
        limit = self.cut_after
        inner = response.stream

        class Cut(httpx.SyncByteStream):
            def __iter__(self) -> Any:
                sent = 0
                for chunk in inner:  # type: ignore[union-attr]
                    if sent + len(chunk) > limit:
                        yield chunk[: limit - sent]
                        raise httpx.RemoteProtocolError("the test cut the stream")
                    sent += len(chunk)
                    yield chunk

            def close(self) -> None:
                inner.close()  # type: ignore[union-attr]

        return httpx.Response(response.status_code, headers=response.headers, stream=Cut(), request=request)


def test_stream_cut_mid_run_resumes_without_gap_or_repeat(server: ServerProcess, hello_yaml: str) -> None:
    with Agentd(base_url=server.url, api_key=server.admin_key) as admin:
        admin.agents.deploy(hello_yaml)
        run = admin.runs.create(agent="hello", endpoint="greet", input={"name": "S"})
        lease = admin.worker.lease(agent="hello", max_tasks=100, wait_ms=0)
        task = next(t for t in lease.tasks if t.run_id == run.id)
        admin.leases.append_events(task.lease_id, [{"type": "run.log", "data": {"level": "info", "message": f"m{i}"}} for i in range(20)])
        full = [e.seq for e in admin.runs.events_page(run.id)]
        transport = CutStreamOnce(cut_after=700)
        with Agentd(base_url=server.url, api_key=server.admin_key, http_client=httpx.Client(transport=transport)) as c:
            stream = c.runs.events(run.id)
            seen: list[int] = []
            for e in stream:
                seen.append(e.seq)
                if len(seen) == len(full):
                    admin.leases.complete(task.lease_id, {"greeting": "Hello, S!"})
            assert stream.reconnects >= 1
            assert "last-event-id" in transport.stream_headers[1]
            assert seen == list(range(1, len(seen) + 1))
            assert len(seen) == len(full) + 1  # and the terminal event, once
