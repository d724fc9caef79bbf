"""HTTP caching of every read, decided in one place so that a shared cache (nginx, Varnish, a
CDN) in front of one ipkg or many replicas can keep an answer and revalidate it: a strong
``ETag`` from the data version and what the answer depends on, ``Cache-Control`` from
``--cache-max-age``, ``304`` on ``If-None-Match``, and a ``Vary`` naming every negotiation
header the view read.

The ETag of a ``GET`` answer hashes the identity of the data this process serves (its load
and the writes since: see :class:`DataIdentity`), the full request URL, the values of
the request headers named in ``Vary``, the response's ``Content-Type`` and
``Content-Encoding``, and the settings that shape an answer. A view that depends on anything
else declares it with :func:`depends_on`. A remote store can change behind ipkg's back, so
there the body itself is hashed in as well.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.datastructures import EnvironHeaders
from werkzeug.http import parse_etags, remove_entity_headers

from ipkg import __version__
from ipkg.config import Settings
from ipkg.web.state import ServiceState

EXTENSION_KEY = "ipkg.http_caching"
NEGOTIATION_HEADERS = ("Accept", "Accept-Language", "Accept-Encoding")
# Operational answers that describe this process right now: never kept by any cache.
UNCACHED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
READS = frozenset({"GET", "HEAD"})
NO_STORE = "no-store"
PRIVATE = "private, no-store"  # the answer to a request that carried credentials


class RecordingHeaders(EnvironHeaders):
    """The request's headers, noting which negotiation headers the view looked at (its
    ``Vary``)."""

    def __init__(self, environ: dict) -> None:
        super().__init__(environ)
        self.read: set[str] = set()

    def _get_key(self, key: str) -> str:
        for name in NEGOTIATION_HEADERS:
            if key.lower() == name.lower():
                self.read.add(name)
        return super()._get_key(key)


@dataclass(frozen=True)
class DataIdentity:
    """Which copy of the data this process serves: a random name drawn when the app is made
    (each load, reload or replica is its own copy) and the count of writes since.

    A name of the content itself would not do: two processes loading the same files label
    blank nodes differently and list unordered solutions in different orders, so their
    answers differ byte for byte, and a strong ETag must not claim otherwise."""

    load: str = field(default_factory=lambda: secrets.token_hex(8))

    def of(self, service: ServiceState) -> str | None:
        """The identity at the current data version; None for a store whose data can change
        behind ipkg's back (it declares itself not cacheable: a remote store)."""
        if not service.queries.capabilities.cacheable:
            return None
        return f"{self.load}-{service.data_version}"


def depends_on(*parts: object) -> None:
    """Declares what the current answer depends on besides the request and the data (the
    ETag hashes it in)."""
    g.setdefault("ipkg_cache_parts", []).extend(str(part) for part in parts)


def cache_control(settings: Settings, method: str, status: int, has_credentials: bool) -> str:
    """The ``Cache-Control`` of an answer.

    A read answered 200 may be kept for ``--cache-max-age`` seconds and must then be
    revalidated (``must-revalidate``: never served stale, so a write is seen by every reader
    within that bound). ``max-age=0`` stores it but asks the origin every time (``no-cache``).
    A request carrying ``Authorization`` gets ``private, no-store``: RFC 9111 section 3.5 lets a
    shared cache keep such an answer once it says ``must-revalidate``. Errors, non-reads and
    the operational endpoints are never stored."""
    if has_credentials:
        return PRIVATE
    if method not in READS or status != 200:
        return NO_STORE
    if settings.cache_max_age <= 0:
        return "public, no-cache"
    return f"public, max-age={settings.cache_max_age}, must-revalidate"


def entity_tag(service: ServiceState, response: Response, identity: DataIdentity) -> str:
    """The strong ETag of a read's answer (without quotes)."""
    settings = service.settings
    version = identity.of(service)
    digest = hashlib.blake2b(digest_size=16)
    parts = [
        __version__,
        str(version),
        _spelled_url(request.environ),
        response.headers.get("Content-Type", ""),
        response.headers.get("Content-Encoding", ""),
        settings.public_base,
        str(settings.max_rows),
        str(settings.max_result_bytes),
        *(f"{name}={request.environ.get(_environ_key(name), '')}" for name in response.vary),
        *g.get("ipkg_cache_parts", []),
    ]
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    if version is None:  # a remote store: only the answer itself says what it holds
        digest.update(response.get_data())
    return digest.hexdigest()


def _spelled_url(environ: dict[str, Any]) -> str:
    """The request URL as the client spelled it (scheme, host, path, query string): what the
    answer depends on, read from the environ (werkzeug's ``request.url`` decodes it to an IRI
    first, which costs more than hashing every other part)."""
    return "\x00".join(
        environ.get(name, "")
        for name in ("wsgi.url_scheme", "HTTP_HOST", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING")
    )


def _environ_key(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag``, by the weak comparison RFC 9110 (13.1.2)
    prescribes for it: ``W/"x"`` matches ``"x"``; ``*`` matches any current answer."""
    if not if_none_match:
        return False
    tags = parse_etags(if_none_match)
    return tags.star_tag or tags.contains_weak(etag)


def not_modified(response: Response) -> Response:
    """``response`` turned into a 304 that keeps the headers a 200 would have sent (ETag,
    Cache-Control, Vary, …) and drops the body."""
    response.status_code = 304
    response.response = []
    remove_entity_headers(response.headers)
    response.headers.pop("Content-Length", None)
    return response


def finished(service: ServiceState, identity: DataIdentity, response: Response) -> Response:
    """The after-request step every answer goes through."""
    read = request.method in READS and request.path not in UNCACHED_PATHS
    headers: RecordingHeaders | Any = request.headers
    for name in sorted(getattr(headers, "read", ())):
        response.vary.add(name)
    if "Content-Encoding" in response.headers:
        response.vary.add("Accept-Encoding")
    credentials = "Authorization" in request.headers
    status = 200 if response.status_code == 304 else response.status_code
    status = status if read else 0
    response.headers["Cache-Control"] = cache_control(
        service.settings, request.method, status, credentials
    )
    if read and response.status_code == 200 and not response.is_streamed:
        etag = entity_tag(service, response, identity)
        response.set_etag(etag)
        if matches(request.headers.get("If-None-Match"), etag):
            return not_modified(response)
    elif response.status_code != 304:
        response.headers.pop("ETag", None)  # no validator on what no cache may keep
    return response


def replayed(
    settings: Settings, environ: dict, status: str, headers: list[tuple[str, str]]
) -> tuple[str, list[tuple[str, str]], bool]:
    """The head of a cached ``/sparql`` answer replayed before Flask (``answer_cache``) for
    this request: its ``Cache-Control`` (credentials), and 304 without a body when the
    request's ``If-None-Match`` names its ETag. The last item says whether to send the body."""
    method = environ.get("REQUEST_METHOD", "")
    control = cache_control(settings, method, 200, "HTTP_AUTHORIZATION" in environ)
    read = method in READS
    etag = ""
    head = []
    for name, value in headers:
        if name == "Cache-Control":
            value = control
        elif name == "ETag":
            etag = value.strip('"')
            if not read:
                continue
        head.append((name, value))
    if read and etag and matches(environ.get("HTTP_IF_NONE_MATCH"), etag):
        return "304 NOT MODIFIED", list(not_modified(Response(headers=head)).headers.items()), False
    return status, head, True


def install(app: Flask, service: ServiceState) -> None:
    """Wires the hooks: headers recorded from the start of a request, headers set at its end."""
    identity = DataIdentity()
    app.extensions[EXTENSION_KEY] = identity

    @app.before_request
    def _record_negotiation() -> None:
        request.headers = RecordingHeaders(request.environ)

    @app.after_request
    def _cache_headers(response: Response) -> Response:
        return finished(service, identity, response)
