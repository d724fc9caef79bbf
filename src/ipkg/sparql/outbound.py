"""Refuses every SPARQL form that reaches another server (SERVICE in a query or update, LOAD)
by parsing the request with a real SPARQL grammar (rdflib's), not by scanning its words.

A lexer can be fooled (an escaped ``\\#`` in a prefixed name made the old scanner read the rest
of the line as a comment). The grammar cannot: a request that names ``service`` or ``load``
anywhere is parsed, and it is refused when its parse tree holds a SERVICE pattern or a LOAD
operation, or when it cannot be parsed at all (fail closed). Requests that do not contain those
letters skip the parse, so ordinary queries pay nothing.
"""

from __future__ import annotations

import re

from rdflib.plugins.sparql import parser
from rdflib.plugins.sparql.parserutils import CompValue

from ipkg.errors import ErrorKind
from ipkg.sparql.inspection import RefusedQuery

OUTBOUND = {"ServiceGraphPattern": "SERVICE (federated query)", "Load": "LOAD"}
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_MENTIONS = re.compile(r"service|load", re.IGNORECASE)


def unescaped(text: str) -> str:
    """The text with SPARQL's ``\\uXXXX``/``\\UXXXXXXXX`` escapes replaced, as the grammar
    reads it."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def _names(node: object, found: set[str]) -> set[str]:
    if isinstance(node, CompValue):
        found.add(node.name)
        for value in node.values():
            _names(value, found)
    elif isinstance(node, list | tuple) or hasattr(node, "as_list"):
        for value in node:
            _names(value, found)
    return found


def refuse_outbound(text: str, update: bool) -> None:
    """Raises :class:`RefusedQuery` (403) when the query or update would contact another
    server, or (400) when it mentions SERVICE or LOAD and cannot be parsed to check it."""
    plain = unescaped(text)
    if not _MENTIONS.search(plain):
        return
    try:
        tree = parser.parseUpdate(plain) if update else parser.parseQuery(plain)
    except Exception:  # pyparsing's errors and any other failure: refuse (fail closed)
        raise RefusedQuery(
            "the request mentions SERVICE or LOAD and could not be parsed to check that it "
            "does not reach another server; it is refused",
            ErrorKind.BAD_REQUEST,
        ) from None
    for name in _names(tree, set()) & OUTBOUND.keys():
        raise RefusedQuery(
            f"{OUTBOUND[name]} is disabled on this endpoint: requests may not reach other servers",
            ErrorKind.FORBIDDEN,
        )
