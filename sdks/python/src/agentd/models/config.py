"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The models of the `config` area (first needed by its operations; see the script's rules).
"""

from __future__ import annotations

from agentd.models._base import _Model


class ReloadResultDiff(_Model):
    "Resources and model aliases of the file, by what the reload did to each: `section/name`."

    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: list[str]


class ReloadResult(_Model):
    file: str
    "The config file that was read (its absolute path on the server)."
    diff: ReloadResultDiff
    "Resources and model aliases of the file, by what the reload did to each: `section/name`."
    restart_required: list[str]
    "`server:` settings of the file that differ from the ones this process started with (`server.port`): they take effect at the next start."

__all__ = [
    "ReloadResult",
    "ReloadResultDiff",
]
