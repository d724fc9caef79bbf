"""Refuses every SPARQL form that reaches another server (SERVICE in a query or update, LOAD),
and nothing else, by reading the request's tokens as the engine reads them (``lexer``).

The engine parses without a separate tokeniser: it takes ``SERVICESILENT<x>{}`` as SERVICE
SILENT, ``SERVICE:x{}`` and ``SERVICEs:x{}`` as SERVICE with a prefixed name, ``LOADs:x`` as
LOAD. So a bare word (never a variable, string, IRI, comment or local name) that holds SERVICE
or LOAD anywhere is refused (no SPARQL keyword contains either), as is a prefixed name whose
prefix holds SERVICE when a group ``{`` follows it, or (in an update, outside any bracket)
whose prefix holds LOAD. A ``\\uXXXX`` escape outside strings and IRIs is no escape to the
engine (the request is malformed), but one that spells SERVICE or LOAD is still refused as such.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ipkg.errors import ErrorKind, IpkgError
from ipkg.sparql.lexer import Token, tokens, unescaped

OUTBOUND = {"SERVICE": "SERVICE (federated query)", "LOAD": "LOAD"}
_KEYWORD = re.compile("service|load", re.IGNORECASE | re.ASCII)


class RefusedQuery(IpkgError, ValueError):
    """A request the endpoint will not run; ``kind`` says why."""


def _prefix_keyword(token: Token) -> str | None:
    found = _KEYWORD.search(token.text.partition(":")[0])
    return found.group().upper() if found else None


def outbound_operation(scanned: Sequence[Token], update: bool) -> str | None:
    """SERVICE or LOAD when the tokens hold an operation that would reach another server."""
    for index, token in enumerate(scanned):
        if token.kind == "word" and (found := _KEYWORD.search(token.text)):
            return found.group().upper()
        if token.kind != "pname" or (keyword := _prefix_keyword(token)) is None:
            continue
        previous = scanned[index - 1] if index else None
        if previous is not None and previous.text.upper() in ("PREFIX", "GRAPH"):
            continue  # a prefix declaration or a graph name, not an operation
        following = scanned[index + 1] if index + 1 < len(scanned) else None
        if keyword == "SERVICE" and following is not None and following.text == "{":
            return keyword
        if keyword == "LOAD" and update and token.depth == 0:
            return keyword
    return None


def outbound_in(text: str, scanned: Sequence[Token], update: bool) -> str | None:
    """As :func:`outbound_operation`, also reading ``\\u`` escapes found outside strings."""
    found = outbound_operation(scanned, update)
    if found is None and any(token.kind == "uchar" for token in scanned):
        found = outbound_operation(list(tokens(unescaped(text))), update)
    return found


def refusal(keyword: str) -> RefusedQuery:
    """The 403 refusal of a request holding ``keyword`` (SERVICE or LOAD)."""
    return RefusedQuery(
        f"{OUTBOUND[keyword]} is disabled on this endpoint: requests may not reach other servers",
        ErrorKind.FORBIDDEN,
    )


def refuse_outbound(text: str, update: bool) -> None:
    """Raises :class:`RefusedQuery` (403) when the query or update would contact another
    server."""
    found = outbound_in(text, list(tokens(text)), update)
    if found is not None:
        raise refusal(found)
