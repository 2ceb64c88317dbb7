"""`agentd.manifest.validate(...)`: checks an agent manifest or a workflow definition offline, with
the rules and field paths of `agentd validate`, by running that command (`--json`): one
implementation of the rules, so the Python answer cannot drift from the CLI's or the server's.

The command is `cli` if given, else `AGENTD_CLI` (split like a shell would, e.g. `npx agentd`),
else `agentd` on PATH.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Problem:
    path: str
    "The field's dotted path (`spec.endpoints.greet.timeout`); empty for the document itself."
    message: str


@dataclass(frozen=True)
class ValidationResult:
    ok: bool
    kind: str | None = None
    "`Agent` or `Workflow` when valid."
    name: str | None = None
    names: dict[str, list[str]] = field(default_factory=dict)
    "What a valid document declares: `endpoints` of an agent, `steps` of a workflow."
    problems: list[Problem] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.ok


def _command(cli: Sequence[str] | None) -> list[str]:
    if cli:
        return list(cli)
    env = os.environ.get("AGENTD_CLI")
    if env:
        return shlex.split(env)
    found = shutil.which("agentd")
    if found:
        return [found]
    raise FileNotFoundError("agentd.manifest.validate runs `agentd validate`: put the agentd CLI on PATH, set AGENTD_CLI "
                            "(for example AGENTD_CLI='npx agentd'), or pass cli=[...]")


def validate(manifest: dict[str, Any] | str | os.PathLike[str], *, cli: Sequence[str] | None = None, timeout: float = 60.0) -> ValidationResult:
    """`manifest` is a dict, a path to a YAML or JSON file, or YAML/JSON text. Returns the result
    (falsy when invalid, with each problem's field path); raises OSError when the check itself
    could not run (no CLI, an unreadable file)."""
    command = _command(cli)
    with tempfile.TemporaryDirectory(prefix="agentd-validate-") as tmp:
        if isinstance(manifest, dict):
            path = Path(tmp) / "manifest.json"
            path.write_text(json.dumps(manifest))
        elif isinstance(manifest, os.PathLike) or ("\n" not in manifest and Path(manifest).is_file()):
            path = Path(manifest)
        else:
            path = Path(tmp) / "manifest.yaml"
            path.write_text(manifest)
        r = subprocess.run([*command, "validate", "--json", str(path)], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if r.returncode not in (0, 1):
        raise OSError(f"`{' '.join(command)} validate` exited {r.returncode}: {(r.stderr or r.stdout).strip()}")
    try:
        answer: dict[str, Any] = json.loads(r.stdout)
    except ValueError as err:
        raise OSError(f"`{' '.join(command)} validate --json` printed no JSON: {(r.stderr or r.stdout).strip()[:2000]}") from err
    if answer.get("ok") is True:
        names = {k: list(v) for k, v in answer.items() if k not in ("ok", "kind", "name") and isinstance(v, list)}
        return ValidationResult(ok=True, kind=answer.get("kind"), name=answer.get("name"), names=names)
    return ValidationResult(ok=False, problems=[Problem(path=p.get("path", ""), message=p.get("message", "")) for p in answer.get("problems", [])])
