"""agentd.manifest.validate runs `agentd validate --json` (here the repository's CLI): the same
verdicts and field paths as the CLI, and what the server accepts it accepts."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agentd import Agentd, UnprocessableEntityError, manifest
from tests.server import BIN, REPO

CLI = ["node", str(BIN)]
BAD = "apiVersion: agentd.dev/v1\nkind: Agent\nmetadata: {name: x}\nspec: {runtime: nope, endpoints: {a: {timeout: 5x}}}\n"


def test_a_valid_agent_and_workflow() -> None:
    hello = manifest.validate(REPO / "examples" / "hello" / "agent.yaml", cli=CLI)
    assert hello and hello.kind == "Agent" and hello.name == "hello" and "greet" in hello.names["endpoints"]
    as_text = manifest.validate(str(REPO / "examples" / "pipeline" / "workflow.yaml"), cli=CLI)
    assert as_text.ok and as_text.kind == "Workflow" and as_text.names["steps"][0] == "research"
    as_dict = manifest.validate({"apiVersion": "agentd.dev/v1", "kind": "Agent", "metadata": {"name": "d"},
                                 "spec": {"runtime": "worker", "endpoints": {"go": {}}}}, cli=CLI)
    assert as_dict.ok and as_dict.names == {"endpoints": ["go"]}


def test_problems_carry_the_cli_paths_and_messages(tmp_path: Path) -> None:
    result = manifest.validate(BAD, cli=CLI)
    assert not result and [p.path for p in result.problems] == ["spec.runtime", "spec.endpoints.a.timeout"]
    file = tmp_path / "bad.yaml"
    file.write_text(BAD)
    printed = subprocess.run([*CLI, "validate", str(file)], capture_output=True, text=True, cwd=REPO).stdout
    assert printed.splitlines() == [f"{file}: {p.path}: {p.message}" for p in result.problems]
    assert manifest.validate(file, cli=CLI).problems == result.problems


def test_the_server_refuses_what_it_refuses(client: Agentd) -> None:
    result = manifest.validate(BAD, cli=CLI)
    with pytest.raises(UnprocessableEntityError) as refused:
        client.agents.deploy(BAD)
    assert refused.value.code == "MANIFEST_INVALID"
    assert {d.get("path") for d in refused.value.details} == {p.path for p in result.problems}


def test_the_cli_comes_from_agentd_cli_or_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTD_CLI", f"node {BIN}")
    assert manifest.validate(BAD).problems
    with pytest.raises(OSError, match="cannot read"):
        manifest.validate(Path("/nonexistent/agent.yaml"), cli=CLI)
    monkeypatch.delenv("AGENTD_CLI")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(FileNotFoundError, match="AGENTD_CLI"):
        manifest.validate(BAD)
