"""Client settings shared by the sync and async clients."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import quote

DEFAULT_BASE_URL = "http://127.0.0.1:7070"
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2


@dataclass(frozen=True)
class ClientOptions:
    base_url: str
    api_key: str | None
    timeout: float
    max_retries: int
    default_headers: dict[str, str] = field(default_factory=dict)


def resolve_options(base_url: str | None, api_key: str | None, timeout: float | None, max_retries: int | None,
                    default_headers: dict[str, str] | None) -> ClientOptions:
    url = base_url or os.environ.get("AGENTD_URL", "").strip() or DEFAULT_BASE_URL
    key = api_key if api_key is not None else (os.environ.get("AGENTD_API_KEY", "").strip() or None)
    return ClientOptions(
        base_url=url.rstrip("/"),
        api_key=key,
        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
        max_retries=DEFAULT_MAX_RETRIES if max_retries is None else max_retries,
        default_headers=dict(default_headers or {}),
    )


def seg(value: str | int) -> str:
    """A path segment, escaped."""
    return quote(str(value), safe="")


TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled", "timed_out"})
TERMINAL_EVENT_TYPES = frozenset({"run.succeeded", "run.failed", "run.cancelled", "run.timed_out"})
