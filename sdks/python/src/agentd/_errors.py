"""The error hierarchy, in openai-python's shape: one class per status family, each carrying the
server's error body (`code`, `message`, `details`) and the request id it logged."""

from __future__ import annotations

import json
from typing import Any

import httpx


class AgentdError(Exception):
    """Every error this package raises."""


class APIError(AgentdError):
    """The server answered with an error status."""

    def __init__(self, message: str, *, status_code: int, code: str | None, details: Any, request_id: str | None,
                 headers: httpx.Headers | None = None) -> None:
        super().__init__(f"{status_code} {code}: {message}" + (f" (request {request_id})" if request_id else ""))
        self.message = message
        self.status_code = status_code
        self.code = code
        self.details = details
        self.request_id = request_id
        self.headers = headers if headers is not None else httpx.Headers()


class BadRequestError(APIError):
    """400."""


class AuthenticationError(APIError):
    """401."""


class PermissionDeniedError(APIError):
    """403."""


class NotFoundError(APIError):
    """404."""


class ConflictError(APIError):
    """409."""


class GoneError(APIError):
    """410: the resource existed and is over for good (an ended session: `SESSION_ENDED`)."""


class UnprocessableEntityError(APIError):
    """422."""


class RateLimitError(APIError):
    """429; `retry_after` is the server's Retry-After in seconds, when it sent one."""

    @property
    def retry_after(self) -> float | None:
        from agentd._retry import retry_after_seconds

        return retry_after_seconds(self.headers)


class InternalServerError(APIError):
    """5xx."""


class APIConnectionError(AgentdError):
    """No answer: the connection failed or was dropped."""


class APITimeoutError(APIConnectionError):
    """No answer within the call's total deadline."""


class RunWaitTimeoutError(AgentdError):
    """`runs.wait` gave up; the run keeps going on the server."""

    def __init__(self, run_id: str, timeout: float) -> None:
        super().__init__(f"run {run_id} did not end within {timeout} s")
        self.run_id = run_id


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def make_api_error(response: httpx.Response, text: str) -> APIError:
    """Reads the one error body every route answers with; tolerates a body that is not it."""
    code: str | None = None
    message = text[:500] or response.reason_phrase
    details: Any = None
    request_id = response.headers.get("x-request-id")
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        code = err.get("code")
        message = err.get("message", message)
        details = err.get("details")
        request_id = err.get("request_id") or request_id
    status = response.status_code
    cls = _BY_STATUS.get(status, InternalServerError if status >= 500 else APIError)
    return cls(message, status_code=status, code=code, details=details, request_id=request_id, headers=response.headers)
