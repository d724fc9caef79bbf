"""Every error the service answers is a short text naming what is wrong: never an HTML error
page from the framework, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from ipkg.errors import ErrorKind
from ipkg.sparql.formats import ResultFormat
from ipkg.sparql.negotiation import choose
from ipkg.web.error_pages import for_browsers

log = logging.getLogger(__name__)

# The one place an error kind of the core becomes an HTTP status.
STATUS_OF_KIND: dict[ErrorKind, int] = {
    ErrorKind.BAD_REQUEST: 400,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorKind.INVALID: 422,
    ErrorKind.TOO_LARGE: 413,
    ErrorKind.TOO_MANY: 429,
    ErrorKind.UNAVAILABLE: 503,
    ErrorKind.TIMEOUT: 503,
    ErrorKind.UPSTREAM: 502,
}


def status_of(kind: ErrorKind | None) -> int:
    """The HTTP status for an error kind; None (no error) is 200."""
    return 200 if kind is None else STATUS_OF_KIND[kind]


def text_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """A plain-text error response."""
    response = Response(message.rstrip() + "\n", status=status, mimetype="text/plain")
    response.headers.update(headers or {})
    return response


class NotAcceptable(Exception):
    """No format the client accepts is on offer; the message lists those that are (406)."""


def negotiate_or_406(candidates: list[ResultFormat], message: str) -> ResultFormat:
    """The candidate the request's ``Accept`` header prefers; else raises
    :class:`NotAcceptable` with ``message``, its ``{offered}`` replaced by the media types."""
    chosen = choose(request.headers.get("Accept"), candidates)
    if chosen is None:
        offered = ", ".join(c.media_type for c in candidates)
        raise NotAcceptable(message.replace("{offered}", offered))
    return chosen


def _http_error(exc: HTTPException) -> Response:
    message = exc.description or exc.name
    response = text_error(exc.code or 500, f"{exc.name}: {message}")
    if exc.code == 405 and exc.response is None:
        allowed = exc.get_headers()
        for name, value in allowed:
            if name.lower() == "allow":
                response.headers["Allow"] = value
    return response


def _unexpected(exc: Exception) -> Response:
    log.exception("unhandled error")
    return text_error(500, "Internal error: the server could not complete the request.")


def register_error_handlers(app: Flask) -> None:
    """Installs the plain-text handlers on the app."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(NotAcceptable, lambda exc: text_error(406, str(exc)))
    app.register_error_handler(Exception, _unexpected)
    app.after_request(for_browsers)  # the same errors as pages for people (error_pages.py)
