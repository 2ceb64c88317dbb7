"""When to retry and how long to wait: the same policy as the TypeScript SDK (retry-policy.ts)."""

from __future__ import annotations

import email.utils
import random
import time

import httpx

INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
# A Retry-After larger than this is clamped, so one header cannot park a caller for hours.
MAX_RETRY_AFTER = 60.0


def backoff_delay(retry: int, *, initial: float = INITIAL_RETRY_DELAY, maximum: float = MAX_RETRY_DELAY) -> float:
    """`initial * 2**retry`, capped, less up to 25% at random so clients that failed together spread out."""
    base: float = min(initial * 2 ** max(0, retry), maximum)
    return base * (1 - random.random() * 0.25)


def retry_after_seconds(headers: httpx.Headers | None) -> float | None:
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            value = float(ms) / 1000
            if value >= 0:
                return min(value, MAX_RETRY_AFTER)
        except ValueError:
            pass
    after = headers.get("retry-after")
    if not after:
        return None
    try:
        seconds = float(after)
        return min(seconds, MAX_RETRY_AFTER) if seconds >= 0 else None
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(after).timestamp()
    except (TypeError, ValueError):
        return None
    return min(max(0.0, when - time.time()), MAX_RETRY_AFTER)


def is_retryable_status(status: int, code: str | None) -> bool:
    """409 only for IDEMPOTENCY_IN_FLIGHT: other conflicts (LEASE_LOST, RUN_ALREADY_TERMINAL) are final."""
    if status in (408, 429) or status >= 500:
        return True
    return status == 409 and code == "IDEMPOTENCY_IN_FLIGHT"
