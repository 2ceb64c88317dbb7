"""A list call's answer: iterate it for every item of every page (it fetches the next page with
`next_cursor` as it goes), or read `.data` / `.next_cursor` of the first page."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T", bound=BaseModel)

FetchPage = Callable[[str | None], Awaitable[Any]]


class AsyncPage(Generic[T]):
    def __init__(self, model: type[T], fetch: FetchPage, cursor: str | None = None) -> None:
        self._model = model
        self._fetch = fetch
        self._cursor = cursor
        self.data: list[T] = []
        self.next_cursor: str | None = None
        self._loaded = False

    async def _load(self) -> AsyncPage[T]:
        if not self._loaded:
            body = await self._fetch(self._cursor)
            self.data = [self._model.model_validate(x) for x in body["data"]]
            self.next_cursor = body.get("next_cursor")
            self._loaded = True
        return self

    async def first_page(self) -> AsyncPage[T]:
        """The first page only (`.data`, `.next_cursor`)."""
        return await self._load()

    async def next_page(self) -> AsyncPage[T] | None:
        await self._load()
        if not self.next_cursor:
            return None
        return await AsyncPage(self._model, self._fetch, self.next_cursor)._load()

    # unasync: skip-start
    def __await__(self) -> Generator[Any, None, AsyncPage[T]]:
        return self._load().__await__()

    # unasync: skip-end

    async def __aiter__(self) -> AsyncIterator[T]:
        page: AsyncPage[T] | None = await self._load()
        while page is not None:
            for item in page.data:
                yield item
            page = await page.next_page()
