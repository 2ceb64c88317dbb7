"""The generated files match their sources: _models.py the OpenAPI document, _sync the _async code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def test_models_match_openapi_json() -> None:
    r = subprocess.run([sys.executable, str(SCRIPTS / "generate_models.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_sync_client_matches_async_client() -> None:
    r = subprocess.run([sys.executable, str(SCRIPTS / "unasync.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
