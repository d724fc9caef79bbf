"""A lexical look at a SPARQL request before any engine parses it: which form it is, and
whether it asks for something a public endpoint refuses (SERVICE, deep nesting).

Tokenising is enough here: the scanner skips comments, strings and IRIs exactly as the SPARQL
grammar delimits them, so a keyword it finds is a keyword, and one inside a literal is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ipkg.errors import ErrorKind, IpkgError

_TOKENS = re.compile(
    r"""
      (?P<comment>\#[^\n\r]*)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][A-Za-z0-9_\u00B7-\uFFFF]*)
    | (?P<pname>(?:[A-Za-z][\w.-]*)?:[\w.:%-]*)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<open>[{(\[])
    | (?P<close>[})\]])
    | (?P<space>\s+)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
QUERY_FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)
PROLOGUE_KEYWORDS = frozenset({"BASE", "PREFIX"})
MAX_NESTING = 64


class RefusedQuery(IpkgError, ValueError):
    """A request the endpoint will not run; ``kind`` says why."""


@dataclass(frozen=True)
class Inspection:
    """What the scanner learned: the form (SELECT, CONSTRUCT, DESCRIBE, ASK, UPDATE or None
    when the text is too broken to tell) and whether the text has a FROM clause."""

    form: str | None
    has_dataset_clause: bool


def _line_col(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def inspect_request(text: str) -> Inspection:
    """Scans a query or update; raises :class:`RefusedQuery` for what the endpoint refuses."""
    form: str | None = None
    depth = 0
    has_from = False
    for match in _TOKENS.finditer(text):
        kind = match.lastgroup
        if kind == "open":
            depth += 1
            if depth > MAX_NESTING:
                raise RefusedQuery(
                    f"query nested more than {MAX_NESTING} levels deep at "
                    f"{_line_col(text, match.start())}"
                )
        elif kind == "close":
            depth -= 1
        elif kind == "word":
            word = match.group().upper()
            if word == "SERVICE":
                raise RefusedQuery(
                    "SERVICE (federated query) is disabled on this endpoint: queries may not "
                    f"reach other servers (at {_line_col(text, match.start())})",
                    ErrorKind.FORBIDDEN,
                )
            if form is None and word in QUERY_FORMS:
                form = word
            elif form is None and word in UPDATE_KEYWORDS:
                form = "UPDATE"
            elif word == "FROM":
                has_from = True
    return Inspection(form, has_from)
