# Generated from agentd/_async by scripts/unasync.py. Do not edit.
"""A list call's answer: iterate it for every item of every page (it fetches the next page with
`next_cursor` as it goes), or read `.data` / `.next_cursor` of the first page."""

from __future__ import annotations

from collections.abc import Iterator, Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T", bound=BaseModel)

FetchPage = Callable[[str | None], Any]


class Page(Generic[T]):
    def __init__(self, model: type[T], fetch: FetchPage, cursor: str | None = None) -> None:
        self._model = model
        self._fetch = fetch
        self._cursor = cursor
        self.data: list[T] = []
        self.next_cursor: str | None = None
        self._loaded = False

    def _load(self) -> Page[T]:
        if not self._loaded:
            body = self._fetch(self._cursor)
            self.data = [self._model.model_validate(x) for x in body["data"]]
            self.next_cursor = body.get("next_cursor")
            self._loaded = True
        return self

    def first_page(self) -> Page[T]:
        """The first page only (`.data`, `.next_cursor`)."""
        return self._load()

    def next_page(self) -> Page[T] | None:
        self._load()
        if not self.next_cursor:
            return None
        return Page(self._model, self._fetch, self.next_cursor)._load()
    def __iter__(self) -> Iterator[T]:
        page: Page[T] | None = self._load()
        while page is not None:
            for item in page.data:
                yield item
            page = page.next_page()
