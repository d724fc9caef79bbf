"""What can go wrong, said without HTTP: every error the core raises or returns has a
:class:`ErrorKind`, and only ``web/errors.py`` decides which status code a kind answers with."""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    """Why a request failed, as the core sees it."""

    BAD_REQUEST = "bad_request"  # the request (query, parameter, body) is malformed
    FORBIDDEN = "forbidden"  # the request asks for something the service never does
    NOT_FOUND = "not_found"  # what the request names does not exist
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"  # a body in a format the service can't read
    INVALID = "invalid"  # well-formed, but the data would break its shapes
    TOO_LARGE = "too_large"  # over a size cap (query length, body)
    TOO_MANY = "too_many"  # this client already holds its share of the workers: retry later
    UNAVAILABLE = "unavailable"  # no capacity now (workers busy, memory): try again
    TIMEOUT = "timeout"  # stopped at its deadline
    UPSTREAM = "upstream"  # the remote store failed or answered what cannot be used
    UNSUPPORTED = "unsupported"  # a legal request using what the engine does not implement
    ENGINE = "engine"  # a legal request the engine failed to evaluate


class IpkgError(Exception):
    """The base of the errors the core raises on purpose; ``kind`` says why."""

    kind: ErrorKind = ErrorKind.BAD_REQUEST

    def __init__(self, message: str, kind: ErrorKind | None = None) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind
