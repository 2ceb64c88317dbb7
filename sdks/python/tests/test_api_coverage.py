"""Every operation of the OpenAPI document has a method in the client, and every route the client
calls is in the document: read statically from the async client's source (the sync client is
generated from it, and test_generated_files keeps the two the same)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

SDK = Path(__file__).resolve().parents[1]
OPENAPI = SDK.parents[1] / "packages" / "server" / "openapi.json"
SOURCES = sorted((SDK / "src" / "agentd" / "_async").glob("*.py"))
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}

# Operations the client leaves out on purpose, each with its reason.
EXCLUDED = {
    ("POST", "/v1/hooks/{}"): "called by the systems that send to a trigger, signed with its secret; not by API clients",
}


def normalize(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def openapi_operations() -> set[tuple[str, str]]:
    doc = json.loads(OPENAPI.read_text())
    return {(m.upper(), normalize(p)) for p, ops in doc["paths"].items() for m in ops if m.upper() in METHODS}


def path_of(node: ast.expr) -> str | None:
    """The route an argument names: "/v1/…" as a string, or an f-string whose holes are parameters."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("/v1/"):
        return node.value
    if isinstance(node, ast.JoinedStr):
        text = "".join(str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values)
        if text.startswith("/v1/"):
            return text
    return None


def client_operations() -> set[tuple[str, str]]:
    """(method, path) of every call that names a route; the method is the call's "POST"/… argument,
    GET when it has none (`_get`, `_page`, event streams)."""
    found: set[tuple[str, str]] = set()
    for source in SOURCES:
        for node in ast.walk(ast.parse(source.read_text())):
            if not isinstance(node, ast.Call):
                continue
            paths = [p for p in map(path_of, node.args) if p is not None]
            if not paths:
                continue
            methods = [a.value for a in node.args if isinstance(a, ast.Constant) and a.value in METHODS]
            found.add((methods[0] if methods else "GET", normalize(paths[0])))
    return found


def test_every_openapi_operation_has_a_client_method() -> None:
    missing = openapi_operations() - client_operations() - set(EXCLUDED)
    assert not missing, "operations of openapi.json without a method in the Python client:\n" + "\n".join(
        f"  {m} {p}" for m, p in sorted(missing, key=lambda x: (x[1], x[0])))


def test_every_route_the_client_calls_is_in_openapi() -> None:
    unknown = client_operations() - openapi_operations()
    assert not unknown, f"routes the client calls that openapi.json does not have: {sorted(unknown)}"


def test_exclusions_are_still_operations() -> None:
    stale = set(EXCLUDED) - openapi_operations()
    assert not stale, f"EXCLUDED names operations openapi.json no longer has: {sorted(stale)}"
