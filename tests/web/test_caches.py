"""The versioned cache registry (web/caches.py): bounded in bytes, not entries; a new data
version empties a cache; a key whose client-controlled parts are too long is never kept; an
uncacheable store's registry keeps nothing."""

from __future__ import annotations

from ipkg.web.caches import ENTRY_OVERHEAD, MAX_KEY_BYTES, CacheRegistry, VersionedCache


def sized(value: bytes) -> int:
    return len(value)


def test_a_cache_holds_at_most_its_capacity_in_bytes_dropping_the_least_recent():
    cache = VersionedCache("t", 10 * (1000 + ENTRY_OVERHEAD + 20), sized)
    for i in range(50):
        assert cache.put(("k", i), 1, b"x" * 1000)
    assert cache.size <= cache.capacity
    assert 5 <= len(cache) <= 10
    assert cache.get(("k", 49), 1) == b"x" * 1000
    assert cache.get(("k", 0), 1) is None


def test_astral_characters_in_a_key_are_counted_in_bytes():
    cache = VersionedCache("t", 1 << 20, sized)
    assert not cache.put("\U0001f600" * (MAX_KEY_BYTES // 4 + 1), 1, b"")  # 4 bytes each
    assert cache.put("\U0001f600" * (MAX_KEY_BYTES // 8), 1, b"")


def test_a_new_data_version_empties_the_cache_and_a_stale_put_is_refused():
    cache = VersionedCache("t", 1 << 20, sized)
    cache.put("a", 1, b"one")
    assert cache.get("a", 2) is None
    assert not cache.put("b", 1, b"stale")
    assert cache.get("b", 2) is None


def test_a_value_larger_than_the_cache_is_not_kept():
    cache = VersionedCache("t", 100, sized)
    assert not cache.put("a", 1, b"x" * 200)
    assert len(cache) == 0


def test_the_registry_of_an_uncacheable_store_keeps_nothing():
    registry = CacheRegistry(enabled=False)
    cache = registry.cache("answers", 1 << 20, sized)
    assert not cache.put("a", 1, b"x")
    assert cache.get("a", 1) is None
    assert registry.cache("answers", 1, sized) is cache
