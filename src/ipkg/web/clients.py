"""Who the client is: the one function every per-client policy (the fair share, the rate
limit, the front) counts a request against. It is the peer address, or the last
``X-Forwarded-For`` entry when the peer is the configured ``--trusted-proxy``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def client_address(peer: str | None, forwarded: str | None, trusted_proxy: str) -> str:
    """The address a request from ``peer`` with the ``X-Forwarded-For`` header ``forwarded``
    (None when absent) is counted against."""
    peer = peer or "unknown"
    if trusted_proxy and peer == trusted_proxy and forwarded and forwarded.strip():
        return forwarded.split(",")[-1].strip() or peer
    return peer


def client_of_environ(environ: Mapping[str, Any], trusted_proxy: str) -> str:
    """:func:`client_address` of a WSGI request."""
    return client_address(
        environ.get("REMOTE_ADDR"), environ.get("HTTP_X_FORWARDED_FOR"), trusted_proxy
    )
