"""The transport under every resource: URL, auth, retries with one total deadline, and an
Idempotency-Key per POST that its retries reuse (so a retry of a POST whose answer was lost is
replayed by the server instead of doing the work twice)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from agentd._errors import AgentdError, APIConnectionError, APIError, APITimeoutError, make_api_error
from agentd._options import ClientOptions
from agentd._retry import backoff_delay, is_retryable_status, retry_after_seconds

# unasync: skip-start
from agentd._sniffio import skip_missing_sniffio

# unasync: skip-end

Query = dict[str, Any]
M = TypeVar("M", bound=BaseModel)


class AsyncHTTP:
    def __init__(self, options: ClientOptions, http_client: httpx.AsyncClient | None = None) -> None:
        self.options = options
        self._owns = http_client is None
        # unasync: skip-start
        skip_missing_sniffio()
        # unasync: skip-end
        # No client-level timeout: each try gets what is left of the call's deadline.
        self._http = http_client or httpx.AsyncClient(timeout=None)

    async def close(self) -> None:
        if self._owns:
            await self._http.aclose()

    def _headers(self, accept: str, idempotency_key: str | None, extra: dict[str, str] | None, has_body: bool) -> dict[str, str]:
        headers = {"accept": accept, **{k.lower(): v for k, v in self.options.default_headers.items()}}
        if has_body:
            headers["content-type"] = "application/json"
        if self.options.api_key:
            headers["authorization"] = f"Bearer {self.options.api_key}"
        if idempotency_key is not None:
            headers["idempotency-key"] = idempotency_key
        headers.update({k.lower(): v for k, v in (extra or {}).items()})
        return headers

    async def request(self, method: str, path: str, *, query: Query | None = None, body: Any = None,
                      raw_body: tuple[str, str] | None = None, idempotency_key: str | None = None,
                      timeout: float | None = None, max_retries: int | None = None, headers: dict[str, str] | None = None) -> Any:
        """Sends a request, retrying as the policy allows, and returns the parsed JSON body."""
        text = await self.request_text(method, path, query=query, body=body, raw_body=raw_body, idempotency_key=idempotency_key,
                                       timeout=timeout, max_retries=max_retries, headers=headers)
        return _parse(text, method, path)

    async def request_model(self, model: type[M], method: str, path: str, *, query: Query | None = None, body: Any = None,
                            raw_body: tuple[str, str] | None = None, idempotency_key: str | None = None,
                            timeout: float | None = None, max_retries: int | None = None) -> M:
        """`request`, answered as `model`: pydantic parses the JSON text into the model in one pass
        (no dict of the whole answer first). A body that does not fit fails as `request` +
        `model_validate` would: invalid JSON an AgentdError, a wrong shape pydantic's ValidationError."""
        text = await self.request_text(method, path, query=query, body=body, raw_body=raw_body, idempotency_key=idempotency_key,
                                       timeout=timeout, max_retries=max_retries)
        try:
            return model.model_validate_json(text)
        except ValidationError:
            return model.model_validate(_parse(text, method, path))

    async def request_text(self, method: str, path: str, *, query: Query | None = None, body: Any = None,
                           raw_body: tuple[str, str] | None = None, idempotency_key: str | None = None,
                           timeout: float | None = None, max_retries: int | None = None, headers: dict[str, str] | None = None) -> str:
        """Sends a request, retrying as the policy allows, and returns the body of its success as text."""
        retries = self.options.max_retries if max_retries is None else max_retries
        total = self.options.timeout if timeout is None else timeout
        deadline = time.monotonic() + total
        key = (idempotency_key or str(uuid.uuid4())) if method == "POST" else None
        content: str | None
        extra = dict(headers or {})
        if raw_body is not None:
            content, extra["content-type"] = raw_body
        else:
            content = None if body is None else json.dumps(body)
        hdrs = self._headers("application/json", key, extra, content is not None and raw_body is None)
        params = _clean(query)
        for retry in range(retries + 1):
            left = deadline - time.monotonic()
            if left <= 0:
                raise APITimeoutError(f"{method} {path}: no answer within {total} s")
            try:
                response = await self._http.request(method, self.options.base_url + path, params=params, content=content,
                                                    headers=hdrs, timeout=left)
            except httpx.TimeoutException as err:
                raise APITimeoutError(f"{method} {path}: no answer within {total} s") from err
            except httpx.TransportError as err:
                if retry >= retries:
                    raise APIConnectionError(f"{method} {path}: connection error: {err!r}") from err
                await self._pause(backoff_delay(retry), deadline, method, path, total, err)
                continue
            text = response.text
            if response.is_success:
                return text
            error = make_api_error(response, text)
            if retry >= retries or not is_retryable_status(response.status_code, error.code):
                raise error
            await self._pause(retry_after_seconds(response.headers) or backoff_delay(retry), deadline, method, path, total, error)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _pause(self, delay: float, deadline: float, method: str, path: str, total: float, cause: Exception) -> None:
        """Sleeps before a retry unless that would pass the deadline: then the last failure is final."""
        if time.monotonic() + delay >= deadline:
            if isinstance(cause, APIError):
                raise cause
            raise APITimeoutError(f"{method} {path}: no answer within {total} s") from cause
        await asyncio.sleep(delay)

    @contextlib.asynccontextmanager
    async def stream(self, path: str, *, query: Query | None = None, headers: dict[str, str] | None = None,
                     idle_timeout: float = 45.0) -> AsyncIterator[httpx.Response]:
        """Opens an SSE response (one try; the stream reconnects by itself) and closes it on exit."""
        hdrs = self._headers("text/event-stream", None, headers, False)
        timeout = httpx.Timeout(self.options.timeout, read=idle_timeout)
        try:
            request = self._http.build_request("GET", self.options.base_url + path, params=_clean(query), headers=hdrs, timeout=timeout)
            response = await self._http.send(request, stream=True)
        except httpx.TransportError as err:
            raise APIConnectionError(f"GET {path}: connection error: {err!r}") from err
        try:
            if not response.is_success:
                text = (await response.aread()).decode("utf-8", "replace")
                raise make_api_error(response, text)
            yield response
        finally:
            await response.aclose()


def _parse(text: str, method: str, path: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as err:
        raise AgentdError(f"invalid JSON in the answer to {method} {path}") from err


def _clean(query: Query | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in (query or {}).items():
        if v is None:
            continue
        if isinstance(v, bool):
            out[k] = "true" if v else "false"
        elif isinstance(v, (list, tuple)):
            out[k] = ",".join(str(x) for x in v)
        else:
            out[k] = str(v)
    return out
