"""Request bodies sent with a ``Content-Encoding``: gzip and deflate are decoded before any
handler sees the body, with the body cap applied to the decoded bytes (a small compressed
"bomb" is refused while it is being decoded, not after), and any other coding is refused with
415 as RFC 9110 says, so encoded bytes are never parsed as text."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

ACCEPTED = "gzip, deflate"
PIECE = 65_536  # decoded bytes asked of zlib at a time
MAX_CODINGS = 2  # "gzip, deflate" at most: more is no real client


@dataclass
class BodyRefused(Exception):
    """A body the service will not read: its status and a message naming why."""

    status: int
    message: str


def codings(headers: Iterable[tuple[bytes, bytes]]) -> list[str]:
    """The content codings applied to a body, in the order they were applied."""
    found: list[str] = []
    for name, value in headers:
        if name.lower() == b"content-encoding":
            found += [c.strip().lower() for c in value.decode("latin-1").split(",") if c.strip()]
    return [c for c in found if c != "identity"]


def _window(coding: str, data: bytes) -> int:
    if coding in ("gzip", "x-gzip"):
        return 16 + zlib.MAX_WBITS
    # RFC 9110's deflate is the zlib format; some clients send raw deflate: accept both.
    return zlib.MAX_WBITS if data[:1] and (data[0] & 0x0F) == 8 else -zlib.MAX_WBITS


def inflated(coding: str, data: bytes, cap: int) -> bytes:
    """``data`` decoded from ``coding`` (gzip or deflate), refused once it passes ``cap``."""
    decoder = zlib.decompressobj(_window(coding, data))
    out = bytearray()
    pending = data
    try:
        while pending:
            out += decoder.decompress(pending, PIECE)
            if len(out) > cap:
                raise BodyRefused(413, f"the decoded body is over the limit of {cap} bytes")
            pending = decoder.unconsumed_tail
            if decoder.eof:
                break
        out += decoder.flush()
    except zlib.error as exc:
        raise BodyRefused(400, f"the body is not valid {coding} data: {exc}") from None
    if len(out) > cap:
        raise BodyRefused(413, f"the decoded body is over the limit of {cap} bytes")
    if not decoder.eof:
        raise BodyRefused(400, f"the body is not valid {coding} data: it ends too early")
    return bytes(out)


def decoded_body(headers: Iterable[tuple[bytes, bytes]], body: bytes, cap: int) -> bytes:
    """The body as the client meant it, every coding undone; raises :class:`BodyRefused`
    (415 for a coding we do not apply, 413 past ``cap`` decoded, 400 for corrupt data)."""
    applied = codings(headers)
    if not applied:
        return body
    if len(applied) > MAX_CODINGS:
        raise BodyRefused(415, f"at most {MAX_CODINGS} content codings are applied to a body")
    for coding in applied:
        if coding not in ("gzip", "x-gzip", "deflate"):
            raise BodyRefused(
                415,
                f"Content-Encoding {coding!r} is not supported; send the body as it is, "
                f"or encoded with {ACCEPTED}",
            )
    for coding in reversed(applied):
        body = inflated(coding, body, cap)
    return body
