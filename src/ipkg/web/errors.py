"""The one way an error becomes a response: every route raises :class:`IpkgError` (a kind and
a message), and one handler makes the status (from one table), the body (plain text, JSON or
the site's HTML page, by ``Accept``) and ``Retry-After`` (on every retryable refusal, never on
a deterministic failure). Never a framework error page, never a traceback."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping

from flask import Flask, Response, json, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from ipkg.errors import RETRYABLE, ErrorKind, IpkgError
from ipkg.sparql.formats import HTML, JSON, PLAIN, ResultFormat
from ipkg.sparql.negotiation import choose
from ipkg.web.error_pages import html_error_page

log = logging.getLogger(__name__)

# The one place an error kind of the core becomes an HTTP status.
STATUS_OF_KIND: dict[ErrorKind, int] = {
    ErrorKind.BAD_REQUEST: 400,
    ErrorKind.UNAUTHORIZED: 401,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.NOT_ACCEPTABLE: 406,
    ErrorKind.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorKind.INVALID: 422,
    ErrorKind.TOO_LARGE: 413,
    ErrorKind.URI_TOO_LONG: 414,
    ErrorKind.TOO_MANY: 429,
    ErrorKind.UNAVAILABLE: 503,
    ErrorKind.TIMEOUT: 503,
    ErrorKind.OVER_MEMORY: 503,
    ErrorKind.UPSTREAM: 502,
    ErrorKind.UNSUPPORTED: 501,
    ErrorKind.ENGINE: 500,
    ErrorKind.INTERNAL: 500,
}
# Headers a kind always carries besides Retry-After.
HEADERS_OF_KIND: dict[ErrorKind, dict[str, str]] = {
    ErrorKind.UNAUTHORIZED: {"WWW-Authenticate": 'Bearer realm="ipkg"'},
}
ERROR_BODIES = [PLAIN, JSON, HTML]  # plain text wins a tie (and */*)


def status_of(kind: ErrorKind | None) -> int:
    """The HTTP status for an error kind; None (no error) is 200."""
    return 200 if kind is None else STATUS_OF_KIND[kind]


def retry_after(kind: ErrorKind | None, seconds: float | None = None) -> str | None:
    """The ``Retry-After`` value for a refusal of ``kind``: whole seconds (at least 1) when
    the same request may succeed later, None when it would fail the same way again."""
    if kind not in RETRYABLE:
        return None
    return str(max(1, math.ceil(seconds or 1)))


def error_page(status: int, message: str) -> str:
    """The HTML body of an error for a reader with a browser (the one hook the site's error
    page template fills: web/error_pages.py)."""
    try:
        return html_error_page(status, message)
    except Exception:  # a page that cannot render must not hide the error itself
        log.exception("error page not rendered")
    text = escape(message)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{status}</title></head><body><h1>{status}</h1><p>{text}</p></body></html>\n"
    )


def error_response(
    status: int,
    message: str,
    *,
    kind: ErrorKind | None = None,
    headers: Mapping[str, str] | None = None,
    retry_seconds: float | None = None,
) -> Response:
    """An error response: the body in the format the request's ``Accept`` prefers."""
    accept = request.headers.get("Accept") if request else None
    chosen = choose(accept, ERROR_BODIES) or PLAIN
    text = message.rstrip()
    if chosen is JSON:
        body = json.dumps({"status": status, "error": kind or "http", "message": text}) + "\n"
    elif chosen is HTML:
        body = error_page(status, text)
    else:
        body = text + "\n"
    response = Response(body, status=status, content_type=f"{chosen.media_type}; charset=utf-8")
    response.headers.update(HEADERS_OF_KIND.get(kind, {}) if kind else {})
    response.headers.update(headers or {})
    if (wait := retry_after(kind, retry_seconds)) is not None:
        response.headers["Retry-After"] = wait
    response.vary.add("Accept")
    return response


def answer_error(exc: IpkgError) -> Response:
    """The response to the one error type."""
    return error_response(
        status_of(exc.kind), str(exc), kind=exc.kind, retry_seconds=exc.retry_after
    )


def text_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error response for a status no kind stands for (WSGI layers before routing)."""
    return error_response(status, message, headers=headers)


def negotiate_or_406(candidates: list[ResultFormat], message: str) -> ResultFormat:
    """The candidate the request's ``Accept`` header prefers; else raises a ``not_acceptable``
    error with ``message``, its ``{offered}`` replaced by the media types."""
    chosen = choose(request.headers.get("Accept"), candidates)
    if chosen is None:
        offered = ", ".join(c.media_type for c in candidates)
        raise IpkgError(message.replace("{offered}", offered), ErrorKind.NOT_ACCEPTABLE)
    return chosen


def _http_error(exc: HTTPException) -> Response:
    message = exc.description or exc.name
    allowed = {}
    if exc.code == 405 and exc.response is None:
        allowed = {k: v for k, v in exc.get_headers() if k.lower() == "allow"}
    return error_response(exc.code or 500, f"{exc.name}: {message}", headers=allowed)


def _unexpected(exc: Exception) -> Response:
    log.exception("unhandled error")
    return error_response(500, "Internal error: the server could not complete the request.")


def register_error_handlers(app: Flask) -> None:
    """Installs the one handler of :class:`IpkgError` and those of the framework's errors."""
    app.register_error_handler(IpkgError, answer_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
