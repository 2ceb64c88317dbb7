#!/usr/bin/env python3
"""Writes src/agentd/models/ from packages/server/openapi.json (the one wire schema).

The OpenAPI document inlines every schema (TypeBox emits no components but the error body), so
models are named here (model_names.py): NAMES gives the name of the answer of a route (for a page, of its items);
nested objects are named after their parent and field. Structurally equal object schemas become
one class, so `Run` is one type whether it came from `GET /v1/runs/{id}` or a page of runs.

One module per API area (the OpenAPI tag of the operation that first needs the model:
models/runs.py, models/sessions.py, …; the error body in models/errors.py). A model that uses a
model of an area later in AREA order goes in that later area with it, so modules only import from
earlier ones (no import cycle). models/__init__.py re-exports every model; agentd._models and
agentd.types re-export that.

Run: python3 sdks/python/scripts/generate_models.py [--check]
--check exits 1 when a written file differs or models/ holds a file it would not write (the drift
test uses the same function). Standard library only, so it runs before any virtual environment exists.
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
OUTPUT = HERE.parent / "src" / "agentd" / "models"
# A module over this many lines fails generation: name a rule that splits its area.
MAX_LINES = 400

# The names live beside this script (it also runs by path, from the drift test).
sys.path.insert(0, str(HERE))
from model_names import AREA_MODULES, NAMES, RENAMES, RESERVED  # noqa: E402

BASE = '''"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The base of every model: extra fields are allowed, so a newer server's additions reach the caller
instead of failing validation; `.model_dump()` gives the wire JSON (aliases applied, nothing dropped).
"""

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, serialize_by_alias=True)
'''

INIT_DOC = '''"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The wire models, one module per API area, all re-exported here.
"""
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


TYPING_NAMES = ("Any", "Literal")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_NAME = re.compile(r"[A-Za-z_]\w*")


def area_of(op: dict[str, Any]) -> str:
    tags: list[str] = op.get("tags") or ["misc"]
    return AREA_MODULES.get(tags[0], tags[0].replace("-", "_"))


class Generator:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.classes: list[tuple[str, str]] = []  # (name, rendered body) in definition order
        self.by_shape: dict[str, str] = {}
        self.taken: set[str] = {"_Model"}
        self.aliases: list[tuple[str, str, str]] = []  # (name, target, area)
        # The area being generated, each model's first area, and what its annotations use
        # (other models, and Any / Literal / Field).
        self.area = "errors"
        self.home: dict[str, str] = {}
        self.uses: dict[str, set[str]] = {}

    def used_in(self, annotation: str) -> set[str]:
        return {n for n in _NAME.findall(_QUOTED.sub("", annotation)) if n in self.taken or n in TYPING_NAMES}

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
        uses: set[str] = set()
        lines = [f"class {name}(_Model):"]
        desc: Any = schema.get("description")
        if desc:
            lines.append(f"    {json.dumps(desc)}")
            lines.append("")
        for field, sub in schema["properties"].items():
            py = self.type_of(sub, name + pascal(field))
            uses |= self.used_in(py)
            attr = field
            if not attr.isidentifier() or keyword.iskeyword(attr) or attr in RESERVED or attr.startswith("model_"):
                attr = re.sub(r"\W", "_", field) + "_"
                uses.add("Field")
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
        self.classes.append((name, "\n".join(lines)))
        self.home[name] = self.area
        self.uses[name] = uses - {name}
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

    def collect(self) -> None:
        self.model(self.doc["components"]["schemas"]["ErrorBody"], "ErrorBody")
        paths = self.doc["paths"]
        for method, path, name in NAMES:
            self.area = area_of(paths[path][method])
            schema = self.answer(paths[path][method])
            if schema is None:
                raise SystemExit(f"{method.upper()} {path} has no JSON answer; fix NAMES")
            target = self.page_item(schema) or schema
            got = self.type_of(target, name)
            if got != name and got.isidentifier():
                # Same shape as a model named before: one class, both names.
                self.aliases.append((name, got, self.area))
        for path, ops in paths.items():
            for method, op in ops.items():
                self.area = area_of(op)
                auto = pascal(method) + pascal(path.replace("/v1/", "").replace("{", "by_").replace("}", ""))
                schema = self.answer(op)
                if schema is not None:
                    item = self.page_item(schema)
                    self.type_of(item if item is not None else schema, auto + ("Item" if item is not None else "Response"))
                body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
                if body is not None:
                    self.type_of(body, auto + "Body")

    def run(self) -> dict[str, str]:
        """Every file of models/, by name."""
        self.collect()
        # Areas in the order they first made a model; a model goes to its own area or, when it
        # uses a model of a later area, to the latest such (models come after what they use).
        order: list[str] = []
        for name, _ in self.classes:
            if self.home[name] not in order:
                order.append(self.home[name])
        module: dict[str, str] = {}
        for name, _ in self.classes:
            module[name] = max([self.home[name], *(module[u] for u in self.uses[name] if u in module)], key=order.index)
        alias_lines: dict[str, list[str]] = {}
        for name, target, area in self.aliases:
            home = area if area in order and order.index(area) >= order.index(module[target]) else module[target]
            module[name] = home
            self.uses[name] = {target}
            alias_lines.setdefault(home, []).append(f"{name} = {target}")
        codes = self.doc["components"]["schemas"]["ErrorCode"]["enum"]
        module["ErrorCode"], self.uses["ErrorCode"] = "errors", {"Literal"}
        alias_lines.setdefault("errors", []).append("ErrorCode = Literal[" + ", ".join(json.dumps(c) for c in codes) + "]")

        files = {"_base.py": BASE}
        exported: dict[str, list[str]] = {}
        for area in order:
            names = [n for n, _ in self.classes if module[n] == area]
            bodies = [b for n, b in self.classes if module[n] == area]
            tail = alias_lines.get(area, [])
            members = sorted([*names, *(line.split(" = ")[0] for line in tail)])
            exported[area] = members
            files[f"{area}.py"] = self.render_area(area, members, bodies, tail, module)
        lines = [INIT_DOC, ""]
        everything: list[str] = []
        for area in sorted(exported):
            lines.append(import_line(f"agentd.models.{area}", exported[area]))
            everything += exported[area]
        lines.append("")
        lines.append("__all__ = [\n" + "".join(f'    "{n}",\n' for n in sorted(everything)) + "]")
        files["__init__.py"] = "\n".join(lines) + "\n"
        for file, text in files.items():
            if text.count("\n") >= MAX_LINES:
                raise SystemExit(f"models/{file} would have {text.count(chr(10))} lines (over {MAX_LINES}): split its area")
        return files

    def render_area(self, area: str, members: list[str], bodies: list[str], tail: list[str], module: dict[str, str]) -> str:
        uses: set[str] = set()
        for n in members:
            uses |= self.uses[n]
        typing = [t for t in TYPING_NAMES if t in uses]
        imports = ["from __future__ import annotations", ""]
        if typing:
            imports += [f"from typing import {', '.join(typing)}", ""]
        if "Field" in uses:
            imports += ["from pydantic import Field", ""]
        others: dict[str, list[str]] = {}
        for u in sorted(uses):
            if u in module and module[u] != area:
                others.setdefault(module[u], []).append(u)
        imports.append(import_line("agentd.models._base", ["_Model"]))
        imports += [import_line(f"agentd.models.{m}", others[m]) for m in sorted(others)]
        doc = f'''"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The models of the `{area}` area (first needed by its operations; see the script's rules).
"""'''
        parts = [doc + "\n\n" + "\n".join(imports), *bodies]
        text = "\n\n\n".join(parts) + "\n"
        if tail:
            text += "\n\n" + "\n".join(tail) + "\n"
        all_list = "__all__ = [\n" + "".join(f'    "{n}",\n' for n in members) + "]"
        return text + "\n" + all_list + "\n"


def import_line(module: str, names: list[str]) -> str:
    """isort's form: one line when it fits, else one name a line."""
    names = sorted(names, key=lambda n: (not n.isupper(), not n[:1].isupper(), n))
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= 150:
        return line
    return f"from {module} import (\n" + "".join(f"    {n},\n" for n in names) + ")"


def generate() -> dict[str, str]:
    return Generator(json.loads(OPENAPI.read_text())).run()


def drift(files: dict[str, str], out: Path) -> list[str]:
    """What in `out` differs from `files`: files out of date or missing, and .py files not generated."""
    on_disk = {p.name for p in out.glob("*.py")} if out.is_dir() else set()
    stale = [n for n, text in files.items() if not (out / n).is_file() or (out / n).read_text() != text]
    return sorted(stale) + [f"{n} (not generated)" for n in sorted(on_disk - set(files))]


def main() -> int:
    files = generate()
    if "--check" in sys.argv[1:]:
        problems = drift(files, OUTPUT)
        if problems:
            print(f"{OUTPUT} is out of date ({', '.join(problems)}): run python3 sdks/python/scripts/generate_models.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.mkdir(exist_ok=True)
    for stray in set(p.name for p in OUTPUT.glob("*.py")) - set(files):
        (OUTPUT / stray).unlink()
    for name, text in files.items():
        (OUTPUT / name).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
