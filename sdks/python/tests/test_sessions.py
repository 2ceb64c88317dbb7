"""Sessions through both clients against a real server: a conversation whose messages are leased
runs (the task carries the session's history), its reply through `send` and `final_reply`, the one
event stream across messages (resumed with `after`), busy / paused / ended sessions, fork and
delete; and the Worker's `ctx.session`."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from agentd import Agentd, APIError, AsyncAgentd, ConflictError, GoneError, NotFoundError
from agentd.types import Task
from agentd.worker import Context, Worker
from tests.test_worker import serving


def chat_agent(name: str) -> dict[str, Any]:
    return {"apiVersion": "agentd.dev/v1", "kind": "Agent", "metadata": {"name": name},
            "spec": {"runtime": "worker", "endpoints": {"reply": {}}}}


def lease_one(client: Agentd, agent: str) -> Task:
    for _ in range(40):
        tasks = client.worker.lease(agent=agent, max_tasks=1, wait_ms=500).tasks
        if tasks:
            return tasks[0]
    raise AssertionError(f"no task of {agent} to lease")


def test_session_conversation_with_the_sync_client(client: Agentd) -> None:
    agent = "chat-" + uuid.uuid4().hex[:8]
    client.agents.deploy(chat_agent(agent))
    session = client.sessions.create(agent=agent, metadata={"user": "ada"})
    assert session.endpoint == "reply" and session.status == "active" and session.message_count == 0
    assert client.sessions.retrieve(session.id).metadata == {"user": "ada"}
    assert session.id in [s.id for s in client.sessions.list(agent=agent)]

    first = client.sessions.send(session.id, {"text": "hi"})
    assert first.accepted.session_id == session.id and first.accepted.message.role == "user"
    with pytest.raises(ConflictError) as busy:
        client.sessions.send_message(session.id, {"text": "too soon"})
    assert busy.value.code == "SESSION_BUSY"
    task = lease_one(client, agent)
    assert task.run_id == first.run_id and task.input == {"text": "hi"}
    assert task.session is not None and task.session.id == session.id and task.session.messages == []
    client.leases.append_events(task.lease_id, [{"type": "run.output.delta", "data": {"delta": "hel"}},
                                                {"type": "run.output.delta", "data": {"delta": "lo"}}])
    client.leases.complete(task.lease_id, {"text": "hello"})
    events = list(first)
    assert events[-1].type == "run.succeeded" and all(e.run_id == first.run_id for e in events)
    reply = first.final_reply()
    assert (reply.status, reply.output, reply.streamed, reply.error) == ("succeeded", {"text": "hello"}, "hello", None)

    second = client.sessions.send(session.id, {"text": "again"})
    task = lease_one(client, agent)
    assert task.session is not None
    assert [(m.role, m.content) for m in task.session.messages] == [("user", {"text": "hi"}), ("assistant", {"text": "hello"})]
    client.leases.fail(task.lease_id, {"type": "no_words", "message": "nothing to say", "non_retryable": True})
    failed = second.final_reply()  # not iterated first: final_reply reads the stream itself
    assert failed.status == "failed" and failed.output is None and failed.error is not None and failed.error.type == "no_words"

    history = list(client.sessions.messages(session.id))
    assert [m.role for m in history][:3] == ["user", "assistant", "user"] and history[0].seq < history[-1].seq
    # One stream across both messages, in order; `after` resumes past what was read.
    stream = client.sessions.events(session.id)
    seen = []
    with stream:
        for e in stream:
            seen.append(e)
            if e.type in ("run.failed",):
                break
    assert {e.run_id for e in seen} == {first.run_id, second.run_id}
    ids = [int(e.id) for e in seen]
    assert ids == sorted(set(ids))
    with client.sessions.events(session.id, after=seen[0].id) as resumed:
        assert next(iter(resumed)).id == seen[1].id
    assert [e.id for e in client.sessions.events_page(session.id, limit=2)] == [e.id for e in seen]

    paused = client.sessions.pause(session.id)
    assert paused.status == "paused"
    with pytest.raises(ConflictError) as p:
        client.sessions.send_message(session.id, {"text": "paused?"})
    assert p.value.code == "SESSION_PAUSED"
    assert client.sessions.resume(session.id).status == "active"

    fork = client.sessions.fork(session.id, message_id=history[1].id)
    assert fork.forked_from is not None and fork.forked_from.session_id == session.id
    assert [m.role for m in client.sessions.messages(fork.id)] == ["user", "assistant"]

    ended = client.sessions.end(session.id, reason="done")
    assert ended.status == "ended" and ended.end_reason
    with pytest.raises(GoneError) as gone:
        client.sessions.send_message(session.id, {"text": "anyone?"})
    assert isinstance(gone.value, APIError) and gone.value.status_code == 410 and gone.value.code == "SESSION_ENDED" and gone.value.request_id
    deleted = client.sessions.delete(fork.id)
    assert deleted.deleted and deleted.messages_deleted == 2
    with pytest.raises(NotFoundError) as nf:
        client.sessions.retrieve(fork.id)
    assert nf.value.code == "SESSION_NOT_FOUND"


async def test_worker_ctx_session_with_the_async_client(aclient: AsyncAgentd) -> None:
    agent = "chat-" + uuid.uuid4().hex[:8]
    await aclient.agents.deploy(chat_agent(agent))
    worker = Worker(aclient, agent=agent, poll_wait_ms=500, handle_signals=False)
    seen: list[Any] = []

    @worker.endpoint("reply")
    async def reply(input: Any, ctx: Context) -> dict[str, Any]:
        seen.append(ctx.session)
        assert ctx.session is not None
        await ctx.emit("run.output.delta", {"delta": "you said "})
        earlier = [m.content for m in ctx.session.messages if m.role == "user"]
        return {"said": input["text"], "earlier": earlier}

    async with serving(worker):
        session = await aclient.sessions.create(agent=agent, endpoint="reply")
        async with await aclient.sessions.send(session.id, {"text": "one"}) as msg:
            types = [e.type async for e in msg]
            assert types[-1] == "run.succeeded" and "run.output.delta" in types
            first = await msg.final_reply()
        assert first.output == {"said": "one", "earlier": []} and first.streamed == "you said "
        second = await (await aclient.sessions.send(session.id, {"text": "two"})).final_reply()
        assert second.output == {"said": "two", "earlier": [{"text": "one"}]}
    assert [s.id for s in seen] == [session.id, session.id]
    assert [m.role async for m in aclient.sessions.messages(session.id)] == ["user", "assistant", "user", "assistant"]
    assert session.id in [s.id async for s in aclient.sessions.list(status="active")]
    assert (await aclient.sessions.end(session.id)).status == "ended"
    # An ended session is gone for good: pausing it is a GoneError in the async client too.
    with pytest.raises(GoneError) as gone:
        await aclient.sessions.pause(session.id)
    assert gone.value.status_code == 410 and gone.value.code == "SESSION_ENDED" and gone.value.request_id
    assert (await aclient.sessions.delete(session.id)).deleted
