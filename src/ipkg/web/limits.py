"""The optional per-client rate limit (off by default): over the limit, a client gets 429 with
``Retry-After``. Health and metrics routes are exempt so monitoring never trips it."""

from __future__ import annotations

import math

from flask import Flask, Response, request

from ipkg.web.errors import text_error
from ipkg.web.ratelimit import RateLimiter

EXEMPT = ("/healthz", "/readyz", "/metrics")


def install(app: Flask, rate: float, burst: float) -> None:
    """Adds the limit to ``app`` when ``rate`` is positive."""
    if rate <= 0:
        return
    limiter = RateLimiter(rate, burst)

    def _check() -> Response | None:
        if request.path in EXEMPT:
            return None
        wait = limiter.allow(request.remote_addr or "unknown")
        if wait <= 0:
            return None
        return text_error(
            429,
            f"Too many requests: the limit is {rate:g} per second per client; "
            f"retry in {wait:.1f} s",
            {"Retry-After": str(math.ceil(wait))},
        )

    app.before_request(_check)
