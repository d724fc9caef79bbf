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
# dictionary slot (measured with tracemalloc: about 600 bytes; rounded up).
ENTRY_OVERHEAD = 1024


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


class ResultCache:
    """Answers by key, at most ``capacity`` bytes of them; a capacity of 0 turns it off.

    Only complete answers go in: status 200 (an error, a query stopped at its deadline, or a
    result refused by the row or byte caps has another status and is never kept).
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.stats = CacheStats()
        self._entries: OrderedDict[Hashable, tuple[QueryOutcome, int]] = OrderedDict()
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
            return found[0]

    def put(self, key: tuple, version: int, outcome: QueryOutcome) -> bool:
        """Keeps a complete answer given at data ``version``; False if it is not kept (not a
        200, larger than the whole cache, or the data has changed since)."""
        cost = entry_cost(key, outcome)
        if outcome.status != 200 or cost > self.capacity:
            return False
        with self._lock:
            self._follow(version)
            if version != self._version:
                return False
            previous = self._entries.pop((version, key), None)
            if previous is not None:
                self.stats.size -= previous[1]
            self._entries[(version, key)] = (outcome, cost)
            self.stats.size += cost
            while self.stats.size > self.capacity:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.stats.size -= dropped
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
