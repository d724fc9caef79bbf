"""What can go wrong, said without HTTP: every error the core raises or returns has a
:class:`ErrorKind`, and only ``web/errors.py`` decides which status code a kind answers with."""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    """Why a request failed, as the core sees it."""

    BAD_REQUEST = "bad_request"  # the request (query, parameter, body) is malformed
    UNAUTHORIZED = "unauthorized"  # a write without credentials
    FORBIDDEN = "forbidden"  # the request asks for something the service never does
    NOT_FOUND = "not_found"  # what the request names does not exist
    NOT_ACCEPTABLE = "not_acceptable"  # no format the client accepts is on offer
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"  # a body in a format the service can't read
    INVALID = "invalid"  # well-formed, but the data would break its shapes
    TOO_LARGE = "too_large"  # over a size cap (query length, body)
    URI_TOO_LONG = "uri_too_long"  # a GET whose URL is over the query-length cap
    TOO_MANY = "too_many"  # this client already holds its share of the workers: retry later
    UNAVAILABLE = "unavailable"  # no capacity now (workers busy, memory): try again
    TIMEOUT = "timeout"  # stopped at its deadline
    OVER_MEMORY = "over_memory"  # the query needs more than a worker's memory cap: every time
    UPSTREAM = "upstream"  # the remote store failed or answered what cannot be used
    UNSUPPORTED = "unsupported"  # a legal request using what the engine does not implement
    ENGINE = "engine"  # a legal request the engine failed to evaluate
    INTERNAL = "internal"  # a fault of the service itself (a query it wrote failed)


# Refusals that may succeed when the same request is sent again later (``Retry-After``).
RETRYABLE = frozenset({ErrorKind.TOO_MANY, ErrorKind.UNAVAILABLE, ErrorKind.TIMEOUT})


class IpkgError(Exception):
    """The one error type of the service: raised by the core and by every route, it carries
    its ``kind`` (why) and message (what, and where); ``retry_after`` (seconds) tells a
    client of a retryable refusal when to come back (default 1 s)."""

    kind: ErrorKind = ErrorKind.BAD_REQUEST
    retry_after: float | None = None

    def __init__(
        self, message: str, kind: ErrorKind | None = None, *, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind
        if retry_after is not None:
            self.retry_after = retry_after
