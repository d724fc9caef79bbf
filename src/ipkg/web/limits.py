"""Limits on what one request or client may take: the body cap for bodies of unknown length
(chunked), and the optional per-client rate limit (off by default): over the limit, a client
gets 429 with ``Retry-After``. Health and metrics routes are exempt so monitoring never trips
it."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable
from typing import Any

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


WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


def _chunked_body(environ: dict[str, Any], cap: int) -> bytes | None:
    """The whole body of a request without Content-Length, or None when it exceeds ``cap``."""
    stream = environ["wsgi.input"]
    body = bytearray()
    while chunk := stream.read(min(65_536, cap + 1 - len(body))):
        body.extend(chunk)
        if len(body) > cap:
            return None
    return bytes(body)


def capped_bodies(app: WsgiApp, cap: int) -> WsgiApp:
    """Wraps a WSGI app so that a chunked body over ``cap`` bytes is 413 before the app sees
    it (Flask's own cap would cut such a body silently); a smaller one reaches the app with a
    Content-Length like any other."""

    def capped(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if (
            environ.get("CONTENT_LENGTH")
            or "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        ):
            return app(environ, start_response)
        body = _chunked_body(environ, cap)
        if body is None:
            message = f"Request Entity Too Large: the body is over the limit of {cap} bytes\n"
            start_response(
                "413 Request Entity Too Large",
                [("Content-Type", "text/plain; charset=utf-8"), ("Connection", "close")],
            )
            return [message.encode()]
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ["wsgi.input_terminated"] = False
        return app(environ, start_response)

    return capped
