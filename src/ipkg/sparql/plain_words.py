"""The one place an engine's SPARQL parser message becomes plain words: SPARQL terms instead of
the parser's grammar ("expected a query form: SELECT, ASK, CONSTRUCT or DESCRIBE"), the line and
column, and the line itself with a caret under the spot. Every caller (the endpoint, updates,
``ipkg query``) goes through :func:`syntax_error`."""

from __future__ import annotations

import re

from ipkg.namespaces import COMMON_PREFIXES

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_FORMS = (
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "CREATE",
    "DROP",
    "COPY",
    "MOVE",
    "ADD",
    "WITH",
)
# The largest LIMIT or OFFSET the engine counts to (an unsigned 64-bit integer).
LARGEST_COUNT = 2**64 - 1
POSITION = re.compile(r"error at (\d+):(\d+): ")
PROLOGUE = re.compile(
    r"(?:\s+|#[^\n]*|BASE\s*<[^>]*>|PREFIX\s+(?:[A-Za-z][\w.-]*)?:\s*<[^>]*>)*", re.I
)
WORD_CHAR = re.compile(r"[\w:.-]")
EXCERPT_WIDTH = 100
# Words after which a query can only be unfinished, never wrong.
KEYWORDS = frozenset(
    """SELECT ASK CONSTRUCT DESCRIBE WHERE FROM NAMED GROUP ORDER BY LIMIT OFFSET FILTER OPTIONAL
    UNION MINUS GRAPH SERVICE VALUES BIND HAVING PREFIX BASE AS DISTINCT REDUCED INSERT DELETE
    DATA WITH USING LOAD CLEAR CREATE DROP COPY MOVE ADD INTO TO NOT EXISTS IN""".split()  # noqa: SIM905
)


def syntax_error(engine_message: str, text: str, update: bool = False) -> str:
    """The plain-words message for an engine's syntax error on ``text``: what is wrong in
    SPARQL terms at line and column, then the line with a caret under the spot."""
    position = POSITION.match(engine_message)
    detail = engine_message[position.end() :] if position else engine_message
    line, column = (int(position[1]), int(position[2])) if position else (0, 0)
    words, line, column = _words(detail, text, line, column, update)
    head = f"SPARQL {'update' if update else 'syntax'} error"
    if not line:
        return f"{head}: {words}"
    return f"{head} at line {line}, column {column}: {words}\n{caret(text, line, column)}"


def caret(text: str, line: int, column: int) -> str:
    """The line ``line`` of ``text`` and, under it, a caret at ``column`` (tabs kept so the caret
    lines up); a long line is cut around the column."""
    lines = text.split("\n")
    shown = lines[line - 1] if 0 < line <= len(lines) else ""
    start = max(0, column - 1 - EXCERPT_WIDTH // 2) if len(shown) > EXCERPT_WIDTH else 0
    cut = shown[start : start + EXCERPT_WIDTH]
    lead = "".join("\t" if ch == "\t" else " " for ch in shown[start : column - 1])
    return f"{'…' if start else ''}{cut}\n{' ' if start else ''}{lead}^"


def _words(detail: str, text: str, line: int, column: int, update: bool) -> tuple[str, int, int]:
    """What is wrong in words, and the position to show it at."""
    form = _misspelt_form(text, update)
    if form is not None:
        forms = UPDATE_FORMS if update else QUERY_FORMS
        found, line, column = form
        kind = "an update operation" if update else "a query form"
        return (
            f"expected {kind}: {', '.join(forms[:-1])} or {forms[-1]}, not '{found}'",
            line,
            column,
        )
    if not text.strip():
        return (
            f"the {'update' if update else 'query'} is empty: expected "
            + (
                "an update operation"
                if update
                else "a query form: SELECT, ASK, CONSTRUCT or DESCRIBE"
            ),
            0,
            0,
        )
    clause = _bound_clause(detail, text, line, column)
    if clause:
        bound = f"{clause} takes a whole number from 0 to {LARGEST_COUNT}"
        return bound, *_word_start(text, line, column)
    if "Prefix not found" in detail:
        return _undeclared_prefix(text, line, column)
    at_end = _at_end(text, line, column)
    if not at_end:
        line, column = _word_start(text, line, column)
    return _expected(detail, text, at_end, update), line, column


def _bound_clause(detail: str, text: str, line: int, column: int) -> str | None:
    """LIMIT or OFFSET when the error is about its number (too large, negative), else None."""
    for clause in ("LIMIT", "OFFSET"):
        if f"query {clause.lower()} should be a non negative integer" in detail:
            return clause
    lines = text.split("\n")
    before = lines[line - 1][: column - 1] if 0 < line <= len(lines) else ""
    found = re.search(r"\b(LIMIT|OFFSET)\s*$", before, re.I)
    return found[1].upper() if found else None


def _at_end(text: str, line: int, column: int) -> bool:
    """Whether the engine stopped at the end of the text after something it could use (a
    keyword, a variable, punctuation): the text then ends too soon. A stray word at the end is
    not that, it is unexpected."""
    lines = text.rstrip().split("\n")
    if line < len(lines) or not lines or column <= len(lines[-1]):
        return False
    last = re.search(r"[A-Za-z_]\w*$", lines[-1])
    return last is None or last[0].upper() in KEYWORDS or bool(re.search(r"[?$:]\w*$", lines[-1]))


def _misspelt_form(text: str, update: bool) -> tuple[str, int, int] | None:
    """The first word after the prologue (PREFIX and BASE lines) when it is not a query form
    (or update operation), with its line and column; else None."""
    start = PROLOGUE.match(text).end()
    word = re.match(r"[A-Za-z_]\w*", text[start:])
    if word is None:
        return None
    forms = UPDATE_FORMS if update else QUERY_FORMS
    if word[0].upper() in forms or word[0].upper() in ("PREFIX", "BASE"):
        return None
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return word[0], line, column


def _word_start(text: str, line: int, column: int) -> tuple[int, int]:
    """The position moved back to the start of the word it ends or sits in (the engine reports
    where it stopped, after the keyword or number it could not use); a variable is left alone."""
    lines = text.split("\n")
    if not 0 < line <= len(lines):
        return line, column
    shown = lines[line - 1]
    at = min(column - 1, len(shown))
    start = at
    while start > 0 and WORD_CHAR.match(shown[start - 1]):
        start -= 1
    if start == at or (start > 0 and not shown[start - 1].isspace()):
        return line, column
    return line, start + 1


def _undeclared_prefix(text: str, line: int, column: int) -> tuple[str, int, int]:
    lines = text.split("\n")
    before = lines[line - 1][: column - 1] if 0 < line <= len(lines) else ""
    name = re.search(r"([A-Za-z][\w.-]*)?:[\w.:%-]*$", before)
    prefix = (name[1] or "") if name else ""
    hint = (
        f"; add PREFIX {prefix}: <{COMMON_PREFIXES[prefix]}>" if prefix in COMMON_PREFIXES else ""
    )
    return f"prefix '{prefix}:' is not declared{hint}", line, column


def _expected(detail: str, text: str, at_end: bool, update: bool) -> str:
    """The parser's list of expected tokens in SPARQL words: keywords and punctuation kept,
    character ranges said as "a name" or "a number"."""
    listed = re.sub(r"^expected (one of )?", "", detail.strip())
    ranges = re.findall(r"\[[^\]]*\]", listed)
    tokens = re.findall(
        r'"((?:[^"\\]|\\.)*)"|\b([A-Z][A-Z_]+)\b', re.sub(r"\[[^\]]*\]", "", listed)
    )
    named = [f'"{q}"' if q else w for q, w in tokens]
    if any("'A'" in r for r in ranges):
        named.append("a name")
    if any("'0'" in r for r in ranges):
        named.append("a number")
    unclosed = _unclosed(text)
    opening = (
        f"the {'update' if update else 'query'} ends too soon" if at_end else "unexpected text here"
    )
    if at_end and unclosed:
        opening += f" ('{unclosed}' is not closed)"
    if not named:
        return opening
    shown = named[:12] + (["…"] if len(named) > 12 else [])
    return f"{opening}; expected {'one of ' if len(named) > 1 else ''}{', '.join(shown)}"


def _unclosed(text: str) -> str | None:
    """The innermost bracket left open outside strings, IRIs and comments, if any."""
    stripped = re.sub(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>\s]*>|#[^\n]*', "", text)
    stack: list[str] = []
    pairs = {"}": "{", ")": "(", "]": "["}
    for ch in stripped:
        if ch in "{([":
            stack.append(ch)
        elif ch in pairs and stack and stack[-1] == pairs[ch]:
            stack.pop()
    return stack[-1] if stack else None
