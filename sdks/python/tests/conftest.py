"""Fixtures: one real agentd server per backend (SQLite, and PostgreSQL in a database this run
creates and drops), shared by the tests of that backend."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from agentd import Agentd, AsyncAgentd
from tests.server import REPO, ServerProcess, create_database, drop_database

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session", params=BACKENDS)
def server(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    created: tuple[str, str] | None = None
    if request.param == "postgres":
        created = create_database()
        if created is None:
            if os.environ.get("CI") == "true":
                pytest.fail("PostgreSQL is not reachable and CI=true requires it")
            pytest.skip("PostgreSQL is not reachable")
    s = ServerProcess(created[0] if created else None)
    try:
        s.start()
        yield s
    finally:
        s.close()
        if created:
            drop_database(created[1])


@pytest.fixture
def client(server: ServerProcess) -> Iterator[Agentd]:
    with Agentd(base_url=server.url, api_key=server.admin_key) as c:
        yield c


@pytest.fixture
async def aclient(server: ServerProcess) -> AsyncIterator[AsyncAgentd]:
    async with AsyncAgentd(base_url=server.url, api_key=server.admin_key) as c:
        yield c


@pytest.fixture(scope="session")
def hello_yaml() -> str:
    return (REPO / "examples" / "hello" / "agent.yaml").read_text()


@pytest.fixture(scope="session")
def approval_yaml() -> str:
    return (REPO / "examples" / "approval" / "agent.yaml").read_text()


def repo_path(*parts: str) -> Path:
    return REPO.joinpath(*parts)
