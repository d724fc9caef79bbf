"""Limits on what one request or client may take: the body cap for bodies of unknown length
(chunked), and the optional per-client rate limit (off by default): over the limit, a client
gets 429 with ``Retry-After``. Health and metrics routes are exempt so monitoring never trips
it."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, request

from ipkg.errors import ErrorKind, IpkgError
from ipkg.web.clients import client_of_environ
from ipkg.web.ratelimit import RateLimiter

EXEMPT = ("/healthz", "/readyz", "/metrics")


def install(app: Flask, rate: float, burst: float, trusted_proxy: str = "") -> None:
    """Adds the limit to ``app`` when ``rate`` is positive; clients are told apart as the
    fair share tells them (``clients.py``, honouring ``--trusted-proxy``)."""
    if rate <= 0:
        return
    limiter = RateLimiter(rate, burst)

    def _check() -> None:
        if request.path in EXEMPT:
            return
        wait = limiter.allow(client_of_environ(request.environ, trusted_proxy))
        if wait > 0:
            raise IpkgError(
                f"Too many requests: the limit is {rate:g} per second per client; "
                f"retry in {wait:.1f} s",
                ErrorKind.TOO_MANY,
                retry_after=wait,
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
