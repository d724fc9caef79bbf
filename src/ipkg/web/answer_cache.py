"""Repeated ``/sparql`` queries answered from the result cache before Flask builds a request.

Flask's request context, routing and hooks cost more than the lookup itself, and a hand-off to
a request thread costs more than both, so the front asks this layer first, on its event loop.
It reads the query operation, and if its answer is in the cache together with the HTTP head
the app sent it with the first time (every hook's headers included), sends both again: counted
in ``/metrics`` and written to the access log like any request. A miss goes on to the app (on a
request thread) with the operation it read and the outcome of its lookup in the environ, so
the request is parsed once and the cache looked up once. Anything else (an error, another route, a
rate-limited service) goes on to the app unchanged.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request

from ipkg.errors import IpkgError
from ipkg.web import http_caching
from ipkg.web.errors import status_of
from ipkg.web.observability import record
from ipkg.web.protocol import PATH, Operation, answer_key, read_operation
from ipkg.web.state import LOOKUP_KEY, OPERATION_KEY, ServiceState

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


Replay = tuple[str, list[tuple[str, str]], bytes]  # status, headers, body of a whole answer


class CachedAnswers:
    """WSGI middleware: cache hits on ``/sparql`` are answered here.

    The front (``web/front.py``) calls :meth:`at_once` on its event loop before it hands a
    request to a thread: a hit is answered there and then, with no thread hop. The lookup is
    a dictionary read and the answer bytes already exist, so nothing in it blocks."""

    def __init__(self, app: WsgiApp, service: ServiceState) -> None:
        self.app = app
        self.service = service

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        replay = None if LOOKUP_KEY in environ else self.at_once(environ)  # else: the loop did
        if replay is not None:
            status, headers, body = replay
            start_response(status, headers)
            return [body] if body else []
        looked_up = environ.get(LOOKUP_KEY)
        if looked_up is None:
            return self.app(environ, start_response)
        key, version, _ = looked_up
        return self.app(environ, self._remembering(start_response, key, version))

    def at_once(self, environ: dict) -> Replay | None:
        """The whole answer to a cache hit (counted in ``/metrics`` and the access log), or
        None: the app answers, finding the operation it read and its lookup in ``environ``
        (absent when the request is no query the cache could hold)."""
        method = environ.get("REQUEST_METHOD")
        if environ.get("PATH_INFO") != PATH or method not in ("GET", "POST"):
            return None
        started = time.perf_counter()
        operation = self._operation(environ)
        if operation is None:
            return None
        key = answer_key(operation, environ.get("HTTP_ACCEPT"), environ)
        service = self.service
        version = service.data_version
        found = service.results.get_sent(key, version)
        environ[OPERATION_KEY] = operation  # the app reads neither the request nor the cache
        environ[LOOKUP_KEY] = (key, version, found[0] if found else None)
        if found is None or found[1] is None:
            return None
        outcome, (status, headers) = found
        status, headers, with_body = http_caching.replayed(
            service.settings, environ, status, headers
        )
        elapsed = time.perf_counter() - started
        code = status_of(outcome.failure) if with_body else 304
        record(service.metrics, (method, PATH, PATH), code, elapsed, operation.text, outcome.rows)
        return status, headers, outcome.body if with_body else b""

    def _operation(self, environ: dict) -> Operation | None:
        """The query operation of the request; None for anything else (an update, a
        malformed request, one too long: the app answers those)."""
        body = None
        if environ["REQUEST_METHOD"] == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or -1)
            except ValueError:
                return None
            if not 0 <= length <= self.service.settings.max_body:
                return None
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
        try:
            operation = read_operation(Request(environ))
        except (IpkgError, ValueError):
            operation = None
        finally:
            if body is not None:  # the app may read the body again (a form's other fields)
                environ["wsgi.input"] = io.BytesIO(body)
        if operation is None or operation.kind != "query":
            return None
        if len(operation.text) > self.service.settings.max_query_length:
            return None
        return operation

    def _remembering(self, start_response: Callable, key: tuple, version: int) -> Callable:
        """``start_response`` that notes the head of an answer the app has just cached."""
        cache = self.service.results

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if status.startswith("200") and any(
                k == "X-Result-Cache" and v in ("miss", "hit") for k, v in headers
            ):
                replay = [(k, "hit" if k == "X-Result-Cache" else v) for k, v in headers]
                cache.remember_head(key, version, status, replay)
            return start_response(status, headers, exc_info)

        return start


def install(app: Any, service: ServiceState) -> None:
    """Puts the middleware in front of ``app`` when the cache is on and no rate limit applies
    (the limit is a Flask hook, and a hit must not bypass it), and offers its hits to the front
    as ``app.answer_at_once``."""
    if service.results.enabled and service.settings.rate_limit <= 0:
        middleware = CachedAnswers(app.wsgi_app, service)
        app.wsgi_app = middleware
        app.answer_at_once = middleware.at_once
