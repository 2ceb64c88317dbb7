#!/usr/bin/env python3
"""Writes src/agentd/_models.py from packages/server/openapi.json (the one wire schema).

The OpenAPI document inlines every schema (TypeBox emits no components but the error body), so
models are named here: NAMES gives the name of the answer of a route (for a page, of its items);
nested objects are named after their parent and field. Structurally equal object schemas become
one class, so `Run` is one type whether it came from `GET /v1/runs/{id}` or a page of runs.

Run: python3 sdks/python/scripts/generate_models.py [--check]
--check exits 1 when the committed file differs (the drift test uses the same function).
Standard library only, so it runs before any virtual environment exists.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
OPENAPI = REPO / "packages" / "server" / "openapi.json"
OUTPUT = HERE.parent / "src" / "agentd" / "_models.py"

# (method, path) → the name of its 2xx answer (of the items when the answer is a page).
# Earlier entries win when two routes answer with the same shape.
NAMES: list[tuple[str, str, str]] = [
    ("get", "/v1/runs/{id}", "Run"),
    ("get", "/v1/agents/{name}", "Agent"),
    ("get", "/v1/agents/{name}/versions/{version}", "AgentVersion"),
    ("delete", "/v1/agents/{name}", "AgentDeleted"),
    ("get", "/v1/keys", "ApiKey"),
    ("post", "/v1/keys", "CreatedApiKey"),
    ("get", "/v1/runs/{id}/attempts", "RunAttempt"),
    ("get", "/v1/events", "RunEvent"),
    ("post", "/v1/worker/lease", "LeaseResponse"),
    ("post", "/v1/leases/{lease_id}/heartbeat", "HeartbeatResult"),
    ("post", "/v1/leases/{lease_id}/events", "AppendEventsResponse"),
    ("post", "/v1/worker/complete", "CompleteBatchResponse"),
    ("get", "/v1/approvals/{id}", "Approval"),
    ("post", "/v1/approvals/{id}/link", "ApprovalLink"),
    ("post", "/v1/runs/{id}/signals/{name}", "Signal"),
    ("post", "/v1/leases/{lease_id}/signals/{name}/wait", "SignalWaitResult"),
    ("post", "/v1/leases/{lease_id}/steps", "StepRecorded"),
    ("get", "/v1/leases/{lease_id}/steps", "RecordedSteps"),
    ("get", "/v1/secrets", "Secret"),
    ("get", "/v1/secrets/{name}", "SecretDetail"),
    ("delete", "/v1/secrets/{name}", "SecretDeleted"),
    ("post", "/v1/secrets/rewrap", "SecretRewrapResult"),
    ("get", "/v1/grants", "Grant"),
    ("post", "/v1/leases/{lease_id}/findings", "FindingCreateResponse"),
    ("get", "/v1/findings", "Finding"),
    ("get", "/v1/logs", "LogLine"),
    ("get", "/v1/audit", "AuditRecord"),
    ("get", "/v1/workflows/{name}", "Workflow"),
    ("get", "/v1/workflows/{name}/versions/{version}", "WorkflowVersion"),
    ("delete", "/v1/workflows/{name}", "WorkflowDeleted"),
    ("get", "/v1/schedules/{id}", "Schedule"),
    ("delete", "/v1/schedules/{id}", "ScheduleDeleted"),
    ("get", "/v1/schedules/{id}/runs", "ScheduleFire"),
    ("get", "/v1/webhooks/{id}", "Webhook"),
    ("post", "/v1/webhooks", "WebhookWithSecret"),
    ("delete", "/v1/webhooks/{id}", "WebhookDeleted"),
    ("get", "/v1/webhooks/{id}/deliveries/{delivery_id}", "WebhookDelivery"),
    ("get", "/v1/health", "Health"),
    ("get", "/v1/sessions/{id}", "Session"),
    ("get", "/v1/sessions/{id}/messages", "SessionMessage"),
    ("post", "/v1/sessions/{id}/messages", "SessionMessageAccepted"),
    ("delete", "/v1/sessions/{id}", "SessionDeleted"),
]

# Nested objects worth a name of their own (default: parent + field + "Item").
RENAMES = {"LeaseResponseTasksItem": "Task", "RunError": "RunFailure", "ErrorBodyError": "ErrorDetail"}

# Names BaseModel already uses; a field so named gets a trailing underscore and an alias.
RESERVED = {"model_config", "model_fields", "schema", "json", "dict", "copy", "validate", "construct", "fields"}

HEADER = '''"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

Every model allows extra fields, so a newer server's additions reach the caller instead of
failing validation; `.model_dump()` gives the wire JSON (aliases applied, nothing dropped).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, serialize_by_alias=True)
'''


def pascal(text: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[^A-Za-z0-9]+", text) if p)


def py_literal(value: Any) -> str:
    return repr(value) if isinstance(value, (bool, int)) or value is None else json.dumps(value)


def canonical(schema: Any) -> str:
    """The shape only: descriptions and examples do not make two models different."""

    def strip(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: strip(v) for k, v in sorted(x.items()) if k not in ("description", "examples", "title")}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    return json.dumps(strip(schema), sort_keys=True)


class Generator:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.classes: list[str] = []  # rendered class bodies in definition order
        self.by_shape: dict[str, str] = {}
        self.taken: set[str] = {"_Model"}
        self.aliases: list[str] = []

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            resolved: dict[str, Any] = self.doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
            return resolved
        return schema

    def merged(self, schema: dict[str, Any]) -> dict[str, Any]:
        """allOf of objects → one object (the keys route adds `key` to the key record this way)."""
        if "allOf" not in schema:
            return schema
        props: dict[str, Any] = {}
        required: list[str] = []
        for part in schema["allOf"]:
            part = self.merged(self.resolve(part))
            props.update(part.get("properties", {}))
            required += [r for r in part.get("required", []) if r not in required]
        return {"type": "object", "properties": props, "required": required}

    def literal_values(self, schema: dict[str, Any]) -> list[Any] | None:
        if "const" in schema:
            return [schema["const"]]
        if "enum" in schema:
            return list(schema["enum"])
        if "anyOf" in schema:
            out: list[Any] = []
            for s in schema["anyOf"]:
                vals = self.literal_values(s)
                if vals is None:
                    return None
                out += vals
            return out
        return None

    def type_of(self, schema: dict[str, Any], hint: str) -> str:
        schema = self.merged(self.resolve(schema))
        if schema.get("$ref") == "#/components/schemas/ErrorBody":
            return "ErrorBody"
        vals = self.literal_values(schema)
        if vals:
            return "Literal[" + ", ".join(py_literal(v) for v in vals) + "]"
        if "anyOf" in schema:
            options: list[str] = []
            for i, s in enumerate(schema["anyOf"]):
                rendered = self.type_of(s, hint if i == 0 else f"{hint}{i}")
                for part in rendered.split(" | "):
                    if part not in options:
                        options.append(part)
            if "None" in options:  # keep `X | None` readable
                options.remove("None")
                options.append("None")
            return " | ".join(options)
        t: Any = schema.get("type")
        if isinstance(t, list):
            return " | ".join(self.type_of({**schema, "type": x}, hint) for x in t)
        if t == "string":
            return "str"
        if t == "integer":
            return "int"
        if t == "number":
            return "float"
        if t == "boolean":
            return "bool"
        if t == "null":
            return "None"
        if t == "array":
            return f"list[{self.type_of(schema.get('items', {}), hint + 'Item')}]"
        if t == "object" or "properties" in schema:
            if schema.get("properties"):
                return self.model(schema, hint)
            extra = schema.get("additionalProperties")
            value = self.type_of(extra, hint + "Value") if isinstance(extra, dict) else "Any"
            return f"dict[str, {value}]"
        return "Any"

    def model(self, schema: dict[str, Any], name: str) -> str:
        shape = canonical(schema)
        if shape in self.by_shape:
            return self.by_shape[shape]
        name = RENAMES.get(name, name)
        base, n = name, 2
        while name in self.taken:
            name, n = f"{base}{n}", n + 1
        self.taken.add(name)
        self.by_shape[shape] = name
        required = set(schema.get("required", []))
        lines = [f"class {name}(_Model):"]
        desc: Any = schema.get("description")
        if desc:
            lines.append(f"    {json.dumps(desc)}")
            lines.append("")
        for field, sub in schema["properties"].items():
            py = self.type_of(sub, name + pascal(field))
            attr = field
            if not attr.isidentifier() or keyword.iskeyword(attr) or attr in RESERVED or attr.startswith("model_"):
                attr = re.sub(r"\W", "_", field) + "_"
            if field in required:
                default = "..." if attr == field else f'Field(alias="{field}")'
                lines.append(f"    {attr}: {py}" + ("" if attr == field else f" = {default}"))
            else:
                if "None" not in py.split(" | "):
                    py += " | None"
                lines.append(f"    {attr}: {py} = " + ("None" if attr == field else f'Field(default=None, alias="{field}")'))
            sd: Any = sub.get("description") if isinstance(sub, dict) else None
            if sd:
                lines.append(f"    {json.dumps(sd)}")
        self.classes.append("\n".join(lines))
        return name

    def answer(self, op: dict[str, Any]) -> dict[str, Any] | None:
        for status, resp in op.get("responses", {}).items():
            if status.startswith("2"):
                schema = resp.get("content", {}).get("application/json", {}).get("schema")
                return None if schema is None else self.merged(self.resolve(schema))
        return None

    @staticmethod
    def page_item(schema: dict[str, Any]) -> dict[str, Any] | None:
        props = schema.get("properties", {})
        if set(props) == {"data", "next_cursor"} and props["data"].get("type") == "array":
            item: dict[str, Any] = props["data"]["items"]
            return item
        return None

    def run(self) -> str:
        self.model(self.doc["components"]["schemas"]["ErrorBody"], "ErrorBody")
        paths = self.doc["paths"]
        for method, path, name in NAMES:
            schema = self.answer(paths[path][method])
            if schema is None:
                raise SystemExit(f"{method.upper()} {path} has no JSON answer; fix NAMES")
            target = self.page_item(schema) or schema
            got = self.type_of(target, name)
            if got != name and got.isidentifier():
                # Same shape as a model named before: one class, both names.
                self.aliases.append(f"{name} = {got}")
        for path, ops in paths.items():
            for method, op in ops.items():
                auto = pascal(method) + pascal(path.replace("/v1/", "").replace("{", "by_").replace("}", ""))
                schema = self.answer(op)
                if schema is not None:
                    item = self.page_item(schema)
                    self.type_of(item if item is not None else schema, auto + ("Item" if item is not None else "Response"))
                body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
                if body is not None:
                    self.type_of(body, auto + "Body")
        codes = self.doc["components"]["schemas"]["ErrorCode"]["enum"]
        tail = "ErrorCode = Literal[" + ", ".join(json.dumps(c) for c in codes) + "]"
        names = sorted([*self.by_shape.values(), *(a.split(" = ")[0] for a in self.aliases)])
        all_list = "__all__ = [\n" + "".join(f'    "{n}",\n' for n in [*names, "ErrorCode"]) + "]"
        aliases = "".join(a + "\n" for a in self.aliases)
        return HEADER + "\n\n" + "\n\n\n".join(self.classes) + "\n\n\n" + aliases + tail + "\n\n" + all_list + "\n"


def generate() -> str:
    return Generator(json.loads(OPENAPI.read_text())).run()


def main() -> int:
    text = generate()
    if "--check" in sys.argv[1:]:
        if OUTPUT.read_text() != text:
            print(f"{OUTPUT} is out of date: run python3 sdks/python/scripts/generate_models.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
