"""SPARQL 1.2's lexical rules, read as the engine reads them, so that a keyword this module
finds is one the engine would see and text inside a string, IRI, comment or name is not.

The terminals are the grammar's own (strings with ECHAR/UCHAR escapes, IRIREF with UCHAR,
PN_PREFIX/PN_LOCAL with PLX, VARNAME, BLANK_NODE_LABEL, LANGTAG). Two things follow the engine
(pyoxigraph 0.5, a scannerless parser) rather than a plain tokeniser: ``\\uXXXX`` escapes count
only inside strings and IRIs (the engine does not apply SPARQL 1.1's pre-parse unescaping), and
``<`` starts an IRI except after an operand inside an expression, where it is "less than"
(``FILTER(?a<?b)`` has no IRI). One regular-expression pass, no recursion, no shared state.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_CHARS_U = _BASE + "_"
_CHARS = _CHARS_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PREFIX = f"[{_BASE}](?:[{_CHARS}.]*[{_CHARS}])?"
_LOCAL = f"(?:[{_CHARS_U}:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"

_TOKEN = re.compile(
    rf"""
      (?P<space>[ \t\r\n]+)
    | (?P<comment>\#[^\n\r]*)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
    | (?P<var>[?$][{_CHARS_U}0-9][{_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*)
    | (?P<bnode>_:[{_CHARS_U}0-9](?:[{_CHARS}.]*[{_CHARS}])?)
    | (?P<pname>(?:{_PREFIX})?:(?:{_LOCAL})?)
    | (?P<langtag>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*(?:--[a-zA-Z]+)?)
    | (?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<uchar>{_UCHAR})
    | (?P<escaped>\\.)
    | (?P<open>[{{(\[])
    | (?P<close>[}})\]])
    | (?P<lt><)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_IRI = re.compile(rf"<(?:[^<>\"{{}}|^`\\\x00-\x20]|{_UCHAR})*>")
# What ends an operand in an expression: after one, ``<`` compares.
_OPERAND_END = frozenset({"var", "string", "number", "langtag", "iri", "pname"})
_NOT_FUNCTIONS = frozenset({"A", "TRUE", "FALSE"})


@dataclass(frozen=True)
class Token:
    """One lexical unit: its kind, text and offset, and how deep in brackets it sits
    (``frame``: top, triples, subquery, expression or collection for the innermost)."""

    kind: str
    text: str
    start: int
    depth: int
    frame: str


def _paren_frame(frames: list[str], previous: Token | None, before: Token | None) -> str:
    """Whether a ``(`` opens an expression (compares with ``<``) or a collection/path."""
    if frames[-1] in ("expression", "top", "subquery"):
        return "expression"
    if previous is not None and previous.kind == "word":
        return "collection" if previous.text.upper() in _NOT_FUNCTIONS else "expression"
    if (
        previous is not None
        and previous.kind in ("iri", "pname")
        and before is not None
        and before.kind == "word"
        and before.text.upper() == "FILTER"
    ):
        return "expression"  # FILTER ex:fn(…)
    return "collection"


def _ends_operand(previous: Token | None, before: Token | None) -> bool:
    """Whether the token before a ``<`` ends an operand (a term, ``)``, ``>>``, a boolean)."""
    if previous is None:
        return False
    if previous.kind in _OPERAND_END or previous.text == ")":
        return True
    if previous.kind == "word":
        return previous.text.upper() in ("TRUE", "FALSE")
    return previous.text == ">" and before is not None and before.text == ">"


def tokens(text: str) -> Iterator[Token]:
    """The significant tokens of ``text`` (no spaces or comments), in order."""
    frames = ["top"]
    previous: Token | None = None
    before: Token | None = None
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        assert match is not None  # the last alternative matches any character
        kind, value, end = match.lastgroup or "other", match.group(), match.end()
        frame = frames[-1]
        if kind == "lt":
            operator = frame == "expression" and _ends_operand(previous, before)
            iri = None if operator else _IRI.match(text, position)
            if iri is not None:
                kind, value, end = "iri", iri.group(), iri.end()
            else:
                kind = "other"
        if kind in ("space", "comment"):
            position = end
            continue
        if frame == "brace":  # the first token inside ``{`` tells a subquery from patterns
            frames[-1] = frame = (
                "subquery" if kind == "word" and value.upper() == "SELECT" else "triples"
            )
        if kind == "open":
            frames.append(
                "brace"
                if value == "{"
                else "triples"
                if value == "["
                else _paren_frame(frames, previous, before)
            )
        elif kind == "close" and len(frames) > 1:
            frames.pop()
        token = Token(kind, value, position, len(frames) - 1, frame)
        yield token
        before, previous = previous, token
        position = end


def unescaped(text: str) -> str:
    """The text with every ``\\uXXXX``/``\\UXXXXXXXX`` replaced, as SPARQL 1.1 reads it before
    parsing (the engine does not; used only to name what a mis-escaped request spells)."""
    return re.sub(_UCHAR, lambda m: _character(int(m.group()[2:], 16)), text)


def _character(code: int) -> str:
    return chr(code) if code < 0x110000 and not 0xD800 <= code < 0xE000 else "\ufffd"
