"""One registry of the caches whose entries hold for one version of the data (``/sparql``
answers, saved-query answers, dumps, the editor's terms, page data): each is an LRU bounded in
bytes (``cachetools`` underneath), keyed with the data version so that a write empties it,
with a cap on the client-controlled part of a key. A store that can change behind the
service's back (it declares itself not cacheable) gets caches that keep nothing."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from cachetools import LRUCache

from ipkg.sparql.execution import QueryOutcome

V = TypeVar("V")
ENTRY_OVERHEAD = 512  # bytes an entry costs beyond what ``sizeof`` counts (key tuple, slot)
MAX_KEY_BYTES = 8_192  # a key longer than this (client-controlled parts) is never kept
PAGE_DATA_BYTES = 16 * 1_048_576  # what pages read once per data version (terms, alignments)
PAGE_DATA = "page data"


def text_bytes(text: str) -> int:
    """What a string costs: the larger of its UTF-8 size and the memory Python holds it in
    (one astral character makes every character of the string take four bytes)."""
    return max(len(text.encode("utf-8", "surrogatepass")), sys.getsizeof(text))


def key_bytes(key: Hashable) -> int:
    """What a key costs: the size of its text parts (:func:`text_bytes`), nested tuples
    included."""
    if isinstance(key, str):
        return text_bytes(key)
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
    evictions: int = 0  # entries dropped to keep the bound (not those a new version empties)


class _Bounded(LRUCache):
    """cachetools' LRU, counting the entries it drops to stay within its bound."""

    def __init__(self, capacity: int, stats: CacheStats) -> None:
        super().__init__(max(capacity, 1), getsizeof=lambda entry: entry.cost)
        self.stats = stats

    def popitem(self) -> tuple[Any, Any]:
        self.stats.evictions += 1
        return super().popitem()


class VersionedCache(Generic[V]):
    """Values by key at one data version, at most ``capacity`` bytes (``sizeof`` of a value
    plus its key), least recently used out first; thread-safe. A key over ``max_key_bytes``
    (None: no cap, for a key the service bounds itself) is never kept."""

    def __init__(
        self,
        name: str,
        capacity: int,
        sizeof: Callable[[V], int],
        max_key_bytes: int | None = MAX_KEY_BYTES,
    ) -> None:
        self.name = name
        self.capacity = capacity
        self.sizeof = sizeof
        self.max_key_bytes = max_key_bytes
        self.stats = CacheStats()
        self._version: Any = None
        self._lock = threading.Lock()
        self._entries: LRUCache = _Bounded(capacity, self.stats)

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

    def peek(self, key: Hashable, version: Any) -> V | None:
        """The value kept for ``key`` at ``version``, not counted as a hit or a miss."""
        with self._lock:
            found = self._entries.get(key) if version == self._version else None
            return None if found is None else found.value

    def put(self, key: Hashable, version: Any, value: V) -> bool:
        """Keeps ``value``; False when it is not kept (too large, key too long, stale)."""
        size = key_bytes(key)
        if self.max_key_bytes is not None and size > self.max_key_bytes:
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

    def cache(
        self,
        name: str,
        capacity: int,
        sizeof: Callable[[V], int],
        max_key_bytes: int | None = MAX_KEY_BYTES,
    ) -> VersionedCache[V]:
        """The cache ``name``, made on first use with ``capacity`` bytes."""
        if name not in self.caches:
            room = capacity if self.enabled else 0
            self.caches[name] = VersionedCache(name, room, sizeof, max_key_bytes)
        return self.caches[name]

    def page_data(self, key: str, version: Any, make: Callable[[], V]) -> V:
        """What pages read once per data ``version`` (counts, alignments, the editor's
        terms, …), made by ``make`` on a miss and kept in the "page data" cache."""
        cache = self.cache(PAGE_DATA, PAGE_DATA_BYTES, _repr_bytes)
        found = cache.get(key, version)
        if found is None:
            found = make()
            cache.put(key, version, found)
        return found

    def clear(self) -> None:
        for cache in self.caches.values():
            cache.clear()


def _repr_bytes(value: Any) -> int:
    return len(repr(value))


# What a /sparql answer costs beyond its body and key: the outcome object, the HTTP head it was
# sent with, the dictionary slot (tracemalloc: about 1.6 kB; rounded up).
ANSWER_OVERHEAD = 2048 - ENTRY_OVERHEAD
SPARQL_ANSWERS = "sparql answers"


@dataclass
class KeptAnswer:
    """A complete ``/sparql`` answer, and the HTTP head it was sent with once known (a hit is
    then sent as it is, before Flask)."""

    outcome: QueryOutcome
    head: tuple[str, list[tuple[str, str]]] | None = None


@dataclass(frozen=True)
class ResultStats:
    """The ``/sparql`` cache's counters for ``/metrics``."""

    hits: int
    misses: int
    evictions: int
    size: int
    entries: int


class ResultCache:
    """The ``/sparql`` answers: the registry's cache of that name, holding only complete
    answers (a 200: an error, a query stopped at its deadline, a result refused by the row or
    byte caps is never kept), keyed by the exact query text and what else the answer depends
    on, so two texts the parser may read differently never share one. A capacity of 0 is
    off. Its key is not capped: the query's length is (``--max-query-length``)."""

    def __init__(self, registry: CacheRegistry, capacity: int) -> None:
        self._cache: VersionedCache[KeptAnswer] = registry.cache(
            SPARQL_ANSWERS, capacity, answer_bytes, max_key_bytes=None
        )

    @property
    def capacity(self) -> int:
        return self._cache.capacity

    @property
    def enabled(self) -> bool:
        return self._cache.capacity > 0

    @property
    def stats(self) -> ResultStats:
        counts = self._cache.stats
        return ResultStats(
            counts.hits, counts.misses, counts.evictions, self._cache.size, len(self._cache)
        )

    def get(self, key: tuple, version: int) -> QueryOutcome | None:
        """The answer kept for ``key`` at data ``version``, or None (counted as a miss)."""
        kept = self._cache.get(key, version)
        return None if kept is None else kept.outcome

    def get_sent(
        self, key: tuple, version: int
    ) -> tuple[QueryOutcome, tuple[str, list[tuple[str, str]]] | None] | None:
        """The answer kept for ``key`` at data ``version`` and the HTTP head it was sent with
        (None until :meth:`remember_head`), counted as a hit; None, counted as a miss. The one
        lookup of a request: a caller that gets None does not ask :meth:`get` again."""
        kept = self._cache.get(key, version)
        return None if kept is None else (kept.outcome, kept.head)

    def remember_head(
        self, key: tuple, version: int, status: str, headers: list[tuple[str, str]]
    ) -> None:
        """Notes the status line and headers the answer kept for ``key`` was sent with."""
        kept = self._cache.peek(key, version)
        if kept is not None and kept.head is None:
            kept.head = (status, headers)

    def put(self, key: tuple, version: int, outcome: QueryOutcome) -> bool:
        """Keeps a complete answer given at data ``version``; False if it is not kept (not a
        200, larger than the whole cache, or the data has changed since)."""
        return outcome.ok and self._cache.put(key, version, KeptAnswer(outcome))

    def clear(self) -> None:
        self._cache.clear()


def answer_bytes(kept: KeptAnswer) -> int:
    """What a kept ``/sparql`` answer is charged besides its key: its body and overhead."""
    return len(kept.outcome.body) + ANSWER_OVERHEAD
