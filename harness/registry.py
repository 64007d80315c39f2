"""Name -> object registries with checks at registration and "did you mean" lookups."""

from __future__ import annotations

import re
from typing import Callable, Generic, TypeVar

from harness.errors import UnknownNameError

T = TypeVar("T")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


class Registry(Generic[T]):
    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}

    def add(self, name: str, item: T) -> T:
        if not _NAME.match(name):
            raise ValueError(f"{self.kind} name {name!r} must be lower-case letters, digits, '_', '-', '.'")
        if name in self._items and self._items[name] is not item:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._items[name] = item
        return item

    def register(self, name: str) -> Callable[[T], T]:
        def deco(item: T) -> T:
            return self.add(name, item)

        return deco

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(self.kind, name, list(self._items)) from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: str) -> bool:
        return name in self._items
