"""The generated files match their sources: models/ the OpenAPI document, _sync the _async code."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import agentd._models
import agentd.models
import agentd.types

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
MODELS = Path(agentd.models.__file__).parent


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_models", SCRIPTS / "generate_models.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_models_match_openapi_json() -> None:
    r = subprocess.run([sys.executable, str(SCRIPTS / "generate_models.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_the_drift_check_sees_an_edited_a_missing_and_a_stray_module(tmp_path: Path) -> None:
    gen = generator()
    files = gen.generate()
    out = tmp_path / "models"
    shutil.copytree(MODELS, out, ignore=shutil.ignore_patterns("__pycache__"))
    assert gen.drift(files, out) == []
    (out / "runs.py").write_text((out / "runs.py").read_text().replace("    attempts: int\n", "    attempts: str\n", 1))
    (out / "sessions.py").unlink()
    (out / "retired.py").write_text("")
    assert gen.drift(files, out) == ["runs.py", "sessions.py", "retired.py (not generated)"]


def test_a_changed_schema_changes_the_generated_modules() -> None:
    gen = generator()
    doc = json.loads(gen.OPENAPI.read_text())
    run = doc["paths"]["/v1/runs/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    run["properties"]["brand_new_field"] = {"type": "string"}
    run["required"].append("brand_new_field")
    changed = gen.Generator(doc).run()
    # (Other routes answering runs keep the old shape, a second class: more modules change.)
    assert "runs.py" in gen.drift(changed, MODELS) and "    brand_new_field: str\n" in changed["runs.py"]


def test_one_module_per_area_each_under_400_lines_all_reexported() -> None:
    modules = sorted(p.name for p in MODELS.glob("*.py"))
    assert {"__init__.py", "_base.py", "errors.py", "runs.py", "sessions.py", "worker.py"} <= set(modules)
    for name in modules:
        assert (MODELS / name).read_text().count("\n") < 400, name
    assert agentd._models.__all__ == agentd.models.__all__ == agentd.types.__all__
    assert agentd._models.Run is agentd.models.Run is agentd.models.runs.Run
    assert agentd.types.Task is agentd.models.worker.Task
    assert len(agentd.models.__all__) == len(set(agentd.models.__all__)) > 100


def test_sync_client_matches_async_client() -> None:
    r = subprocess.run([sys.executable, str(SCRIPTS / "unasync.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
