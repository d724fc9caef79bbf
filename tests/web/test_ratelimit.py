"""The token bucket lets a burst through, then paces each client to the rate, separately."""

from ipkg.web.ratelimit import RateLimiter


def test_burst_passes_then_the_next_request_must_wait():
    limiter = RateLimiter(rate=2.0, burst=3)
    assert [limiter.allow("a", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.allow("a", now=0.0) == 0.5


def test_tokens_refill_at_the_rate():
    limiter = RateLimiter(rate=2.0, burst=1)
    assert limiter.allow("a", now=0.0) == 0.0
    assert limiter.allow("a", now=0.25) > 0
    assert limiter.allow("a", now=0.5) == 0.0


def test_clients_are_limited_separately():
    limiter = RateLimiter(rate=1.0, burst=1)
    assert limiter.allow("a", now=0.0) == 0.0
    assert limiter.allow("b", now=0.0) == 0.0
    assert limiter.allow("a", now=0.0) > 0


def test_memory_is_bounded_by_forgetting_the_oldest_clients():
    limiter = RateLimiter(rate=1.0, burst=1, max_clients=10)
    for n in range(100):
        limiter.allow(f"client-{n}", now=0.0)
    assert len(limiter._buckets) == 10
