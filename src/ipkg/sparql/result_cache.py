"""A bounded cache of finished query answers, so that a repeated query text costs a dictionary
lookup instead of a trip to a query worker. Bounded in bytes (least recently used out first);
every key carries the data version it was answered at, and a new version empties it, so no
answer outlives a write or a reload."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from ipkg.sparql.execution import QueryOutcome

# What an entry costs beyond its body and query text: the key tuple, the outcome object, the
# HTTP head it was sent with, the dictionary slot (tracemalloc: about 1.6 kB; rounded up).
ENTRY_OVERHEAD = 2048


@dataclass
class CacheStats:
    """Counters for /metrics."""

    hits: int = 0
    misses: int = 0
    evictions: int = 0
    size: int = 0  # bytes held, by the estimate of ``entry_cost``
    entries: int = 0


def entry_cost(key: tuple, outcome: QueryOutcome) -> int:
    """Bytes an entry is charged: its body, the strings in its key, and a fixed overhead."""
    text = sum(len(part) for part in key if isinstance(part, str))
    return len(outcome.body) + text + ENTRY_OVERHEAD


@dataclass
class _Entry:
    outcome: QueryOutcome
    cost: int
    # The HTTP head the service answered it with, once known: a hit can then be sent as is.
    head: tuple[str, list[tuple[str, str]]] | None = None


class ResultCache:
    """Answers by key, at most ``capacity`` bytes of them; a capacity of 0 turns it off.

    Only complete answers go in: status 200 (an error, a query stopped at its deadline, or a
    result refused by the row or byte caps has another status and is never kept).
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.stats = CacheStats()
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._version: int | None = None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def get(self, key: tuple, version: int) -> QueryOutcome | None:
        """The answer kept for ``key`` at data ``version``, or None (counted as a miss)."""
        with self._lock:
            self._follow(version)
            found = self._entries.get((version, key))
            if found is None:
                self.stats.misses += 1
                return None
            self._entries.move_to_end((version, key))
            self.stats.hits += 1
            return found.outcome

    def get_sent(
        self, key: tuple, version: int
    ) -> tuple[QueryOutcome, tuple[str, list[tuple[str, str]]] | None] | None:
        """The answer kept for ``key`` at data ``version`` and the HTTP head it was sent with
        (None until :meth:`remember_head`), counted as a hit; None, counted as a miss. The one
        lookup of a request: a caller that gets None does not ask :meth:`get` again."""
        with self._lock:
            self._follow(version)
            entry = self._entries.get((version, key))
            if entry is None:
                self.stats.misses += 1
                return None
            self._entries.move_to_end((version, key))
            self.stats.hits += 1
            return entry.outcome, entry.head

    def remember_head(
        self, key: tuple, version: int, status: str, headers: list[tuple[str, str]]
    ) -> None:
        """Notes the status line and headers the answer kept for ``key`` was sent with."""
        with self._lock:
            entry = self._entries.get((version, key))
            if entry is not None and entry.head is None:
                entry.head = (status, headers)

    def put(self, key: tuple, version: int, outcome: QueryOutcome) -> bool:
        """Keeps a complete answer given at data ``version``; False if it is not kept (not a
        200, larger than the whole cache, or the data has changed since)."""
        cost = entry_cost(key, outcome)
        if not outcome.ok or cost > self.capacity:
            return False
        with self._lock:
            self._follow(version)
            if version != self._version:
                return False
            previous = self._entries.pop((version, key), None)
            if previous is not None:
                self.stats.size -= previous.cost
            self._entries[(version, key)] = _Entry(outcome, cost)
            self.stats.size += cost
            while self.stats.size > self.capacity:
                _, dropped = self._entries.popitem(last=False)
                self.stats.size -= dropped.cost
                self.stats.evictions += 1
            self.stats.entries = len(self._entries)
            return True

    def _follow(self, version: int) -> None:
        """Empties the cache when the data has moved on to a newer version (lock held)."""
        if self._version is None or version > self._version:
            self._entries.clear()
            self.stats.size = self.stats.entries = 0
            self._version = version

    def clear(self) -> None:
        """Drops every entry (a reload of the data)."""
        with self._lock:
            self._entries.clear()
            self.stats.size = self.stats.entries = 0
