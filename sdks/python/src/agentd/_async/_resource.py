"""What every resource shares: its transport, and the page and body helpers."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from agentd._async._http import AsyncHTTP, Query
from agentd._async._page import AsyncPage

T = TypeVar("T", bound=BaseModel)


def body_of(**fields: Any) -> dict[str, Any]:
    """Keyword arguments left as None are not sent: the server applies its defaults."""
    return {k: v for k, v in fields.items() if v is not None}


def text_or_json(document: dict[str, Any] | str) -> dict[str, Any]:
    """YAML text travels as application/yaml, so the server reports errors against the caller's lines."""
    if isinstance(document, str):
        return {"raw_body": (document, "application/yaml")}
    return {"body": document}


class AsyncResource:
    def __init__(self, http: AsyncHTTP) -> None:
        self._http = http

    async def _get(self, model: type[T], path: str, query: Query | None = None, timeout: float | None = None) -> T:
        return await self._http.request_model(model, "GET", path, query=query, timeout=timeout)

    async def _send(self, model: type[T], method: str, path: str, body: Any = None, *, idempotency_key: str | None = None,
                    timeout: float | None = None, raw_body: tuple[str, str] | None = None) -> T:
        return await self._http.request_model(model, method, path, body=body, raw_body=raw_body, idempotency_key=idempotency_key,
                                              timeout=timeout)

    def _page(self, model: type[T], path: str, query: Query, cursor_param: str = "cursor") -> AsyncPage[T]:
        """`cursor_param` is what the route calls its position: `cursor`, or `after`/`since` for streams of records."""
        start = query.get(cursor_param)

        async def fetch(cursor: str | None) -> Any:
            return await self._http.request("GET", path, query={**query, cursor_param: cursor if cursor is not None else start})

        return AsyncPage(model, fetch)
