"""One registry of the caches whose entries hold for one version of the data (saved-query
answers, dumps, the editor's terms, page data): each is an LRU bounded in bytes
(``cachetools`` underneath), keyed with the data version so that a write empties it, with a
cap on the client-controlled part of a key. A store that can change behind the service's
back (it declares itself not cacheable) gets caches that keep nothing, like ``/sparql``'s."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from cachetools import LRUCache

V = TypeVar("V")
ENTRY_OVERHEAD = 512  # bytes an entry costs beyond what ``sizeof`` counts (key tuple, slot)
MAX_KEY_BYTES = 8_192  # a key longer than this (client-controlled parts) is never kept
PAGE_DATA_BYTES = 16 * 1_048_576  # what pages read once per data version (terms, alignments)


def key_bytes(key: Hashable) -> int:
    """What a key costs: the UTF-8 size of its text parts, nested tuples included."""
    if isinstance(key, str):
        return len(key.encode("utf-8", "surrogatepass"))
    if isinstance(key, bytes):
        return len(key)
    if isinstance(key, tuple | frozenset):
        return sum(key_bytes(part) for part in key) + 8 * len(key)
    return 8


@dataclass
class _Entry(Generic[V]):
    value: V
    cost: int


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0


class VersionedCache(Generic[V]):
    """Values by key at one data version, at most ``capacity`` bytes (``sizeof`` of a value
    plus its key), least recently used out first; thread-safe."""

    def __init__(self, name: str, capacity: int, sizeof: Callable[[V], int]) -> None:
        self.name = name
        self.capacity = capacity
        self.sizeof = sizeof
        self.stats = CacheStats()
        self._version: Any = None
        self._lock = threading.Lock()
        self._entries: LRUCache = LRUCache(max(capacity, 1), getsizeof=lambda e: e.cost)

    def get(self, key: Hashable, version: Any) -> V | None:
        """The value kept for ``key`` at data ``version``, or None (a miss)."""
        with self._lock:
            self._follow(version)
            found = self._entries.get(key)
            if found is None:
                self.stats.misses += 1
                return None
            self.stats.hits += 1
            return found.value

    def put(self, key: Hashable, version: Any, value: V) -> bool:
        """Keeps ``value``; False when it is not kept (too large, key too long, stale)."""
        size = key_bytes(key)
        if size > MAX_KEY_BYTES:
            return False
        cost = self.sizeof(value) + size + ENTRY_OVERHEAD
        if cost > self.capacity:
            return False
        with self._lock:
            self._follow(version)
            if version != self._version:
                return False
            self._entries[key] = _Entry(value, cost)
            return True

    def _follow(self, version: Any) -> None:
        """Empties the cache when the data has moved on to a newer version (lock held)."""
        if self._version is None or version > self._version:
            self._entries.clear()
            self._version = version

    @property
    def size(self) -> int:
        """Bytes held."""
        return int(self._entries.currsize)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@dataclass
class CacheRegistry:
    """Every versioned cache of one app; ``enabled`` False (an uncacheable store): each cache
    has no room."""

    enabled: bool = True
    caches: dict[str, VersionedCache] = field(default_factory=dict)

    def cache(self, name: str, capacity: int, sizeof: Callable[[V], int]) -> VersionedCache[V]:
        """The cache ``name``, made on first use with ``capacity`` bytes."""
        if name not in self.caches:
            self.caches[name] = VersionedCache(name, capacity if self.enabled else 0, sizeof)
        return self.caches[name]

    def clear(self) -> None:
        for cache in self.caches.values():
            cache.clear()
