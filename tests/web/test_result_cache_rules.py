"""The /sparql result cache's own rules (``web/caches.py``, ``ResultCache``: one cache of the
registry): answers tied to a data version, only complete answers kept, the byte bound held by
dropping the least recently used, a stale answer never stored, an uncacheable store's registry
keeping none."""

from __future__ import annotations

from ipkg.errors import ErrorKind
from ipkg.sparql.execution import QueryOutcome
from ipkg.web.caches import (
    ENTRY_OVERHEAD,
    SPARQL_ANSWERS,
    CacheRegistry,
    KeptAnswer,
    ResultCache,
    answer_bytes,
    key_bytes,
)

JSON = "application/sparql-results+json"


def answer(body: bytes = b'{"head":{},"boolean":true}') -> QueryOutcome:
    return QueryOutcome(body, JSON, 1)


def result_cache(capacity: int) -> ResultCache:
    return ResultCache(CacheRegistry(), capacity)


def entry_cost(key: tuple, outcome: QueryOutcome) -> int:
    """What the cache charges an entry: its key, its body, the fixed overheads."""
    return key_bytes(key) + answer_bytes(KeptAnswer(outcome)) + ENTRY_OVERHEAD


def test_an_answer_is_found_at_its_version_and_gone_at_the_next():
    cache = result_cache(1 << 20)
    assert cache.put(("q",), 1, answer())
    assert cache.get(("q",), 1) == answer()
    assert cache.get(("q",), 2) is None
    assert cache.get(("q",), 1) is None  # the newer version emptied the cache
    assert (cache.stats.hits, cache.stats.misses, cache.stats.entries) == (1, 2, 0)


def test_an_answer_computed_before_a_write_is_not_stored_after_it():
    cache = result_cache(1 << 20)
    cache.get(("other",), 5)  # the cache has seen version 5
    assert not cache.put(("q",), 4, answer())
    assert cache.get(("q",), 4) is None


def test_errors_deadline_stops_and_cap_refusals_are_never_kept():
    cache = result_cache(1 << 20)
    for outcome in (
        QueryOutcome.error(ErrorKind.TIMEOUT, "query stopped at its deadline of 1 s"),
        QueryOutcome.error(ErrorKind.BAD_REQUEST, "result has more than 30 rows; add a LIMIT"),
        QueryOutcome.error(ErrorKind.BAD_REQUEST, "SPARQL syntax error"),
    ):
        assert not cache.put(("q",), 1, outcome)
    assert cache.stats.entries == 0 and cache.stats.size == 0


def test_the_byte_bound_drops_the_least_recently_used_first():
    one = entry_cost(("q0",), answer(b"x" * 1000))
    cache = result_cache(3 * one)
    for name in ("q0", "q1", "q2"):
        cache.put((name,), 1, answer(b"x" * 1000))
    assert cache.get(("q0",), 1) is not None  # q0 is now the most recently used
    cache.put(("q3",), 1, answer(b"x" * 1000))
    assert cache.get(("q1",), 1) is None
    assert all(cache.get((n,), 1) is not None for n in ("q0", "q2", "q3"))
    assert cache.stats.size <= cache.capacity and cache.stats.evictions == 1


def test_an_answer_larger_than_the_whole_cache_is_not_kept():
    cache = result_cache(4096)
    assert not cache.put(("q",), 1, answer(b"x" * 5000))
    assert cache.stats.size == 0


def test_a_capacity_of_zero_is_off():
    assert not result_cache(0).enabled
    assert not result_cache(0).put(("q",), 1, answer())


def test_an_entry_is_charged_the_bytes_its_key_takes_not_its_characters():
    ascii_text, astral = "q" * 1000, "\U0001d538" * 1000
    assert entry_cost((astral,), answer()) >= entry_cost((ascii_text,), answer()) + 3000
    mixed = "\U0001d538" + "q" * 1000  # one astral character: every character takes 4 bytes
    assert entry_cost((mixed,), answer()) >= entry_cost((ascii_text,), answer()) + 3000


def test_the_answers_are_a_cache_of_the_registry_and_an_uncacheable_store_keeps_none():
    registry = CacheRegistry()
    cache = ResultCache(registry, 1 << 20)
    assert cache.put(("q",), 1, answer())
    assert registry.caches[SPARQL_ANSWERS].size == cache.stats.size > 0
    registry.clear()
    assert cache.get(("q",), 1) is None
    uncacheable = ResultCache(CacheRegistry(enabled=False), 1 << 20)
    assert not uncacheable.enabled
    assert not uncacheable.put(("q",), 1, answer())


def test_a_long_query_text_is_kept_the_key_cap_is_the_query_length_cap():
    cache = result_cache(1 << 20)
    assert cache.put(("q" * 20_000,), 1, answer())
    assert cache.get(("q" * 20_000,), 1) == answer()
