"""A lexical look at a SPARQL request before any engine parses it: which form it is, and
whether it asks for something a public endpoint refuses (SERVICE or LOAD, deep nesting).

Tokenising is enough here: ``lexer`` reads comments, strings, IRIs and names exactly as the
engine delimits them, so a keyword it finds is a keyword, and one inside a literal is not.
"""

from __future__ import annotations

from dataclasses import dataclass

from ipkg.sparql.lexer import tokens
from ipkg.sparql.outbound import RefusedQuery, outbound_in, refusal

__all__ = ["MAX_NESTING", "Inspection", "RefusedQuery", "inspect_request"]

QUERY_FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)
PROLOGUE_KEYWORDS = frozenset({"BASE", "PREFIX"})
MAX_NESTING = 64


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
    """Scans a query or update; raises :class:`RefusedQuery` for what the endpoint refuses:
    403 for SERVICE or LOAD (``outbound``), 400 for nesting deeper than ``MAX_NESTING``."""
    scanned = list(tokens(text))
    form: str | None = None
    has_from = False
    for token in scanned:
        if token.kind == "open" and token.depth > MAX_NESTING:
            raise RefusedQuery(
                f"query nested more than {MAX_NESTING} levels deep at "
                f"{_line_col(text, token.start)}"
            )
        if token.kind == "word":
            word = token.text.upper()
            if form is None and word in QUERY_FORMS:
                form = word
            elif form is None and word in UPDATE_KEYWORDS:
                form = "UPDATE"
            elif word == "FROM":
                has_from = True
    found = outbound_in(text, scanned, update=form not in QUERY_FORMS)
    if found is not None:
        raise refusal(found)
    return Inspection(form, has_from)
