"""Bar charts of statistics drawn on the server as inline SVG (no script, no CDN, no inline
CSS: presentation attributes and classes of ``query.css`` only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox
from markupsafe import escape

from ipkg.namespaces import XSD

NUMERIC_DATATYPES = frozenset(
    XSD + name
    for name in (
        "integer", "decimal", "double", "float", "long", "int", "short", "byte",
        "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger",
        "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
    )
)  # fmt: skip
NOT_MEASURES = ("year", "date", "rank", "order", "number", "sentence", "start", "end")
DERIVED = ("percent", "growth", "change", "difference", "ratio")
WIDTH, LABEL_WIDTH, BAR_HEIGHT, GAP, MARGIN = 720, 300, 22, 10, 12
MAX_BARS = 40


@dataclass(frozen=True)
class Bar:
    """One bar: what it is, and how much."""

    label: str
    value: Decimal
    qualifier: str = ""


def number(term: object) -> Decimal | None:
    """The value of a numeric literal, else None."""
    if not isinstance(term, ox.Literal) or term.datatype.value not in NUMERIC_DATATYPES:
        return None
    try:
        value = Decimal(term.value)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _numeric_columns(variables: Sequence[str], rows: Sequence[Sequence[object]]) -> list[int]:
    return [
        i
        for i in range(len(variables))
        if any(row[i] is not None for row in rows)
        and all(row[i] is None or number(row[i]) is not None for row in rows)
        and not any(word in variables[i].lower() for word in NOT_MEASURES)
    ]


def _measure_column(variables: Sequence[str], numeric: Sequence[int]) -> int | None:
    for preferred in ("value", "count", "total", "bound"):
        named = [i for i in numeric if preferred in variables[i].lower()]
        if named:
            return named[0]
    return numeric[-1] if numeric else None


def _text(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return term.value.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    if isinstance(term, ox.Literal):
        return term.value
    return ""


def _label_column(variables: Sequence[str], rows: Sequence[Sequence[object]]) -> int | None:
    for i in range(len(variables)):
        if any(t is not None and number(t) is None for t in (row[i] for row in rows)):
            return i
    return None


def _qualifier(variables: Sequence[str], row: Sequence[object]) -> str:
    for i, name in enumerate(variables):
        if name.lower() == "qualifier" and row[i] is not None:
            text = _text(row[i])
            return "" if text in ("as stated", "exact", "exactly") else text
    return ""


def bars_of(variables: Sequence[str], rows: Sequence[Sequence[object]]) -> list[Bar]:
    """The bars of a result: one per row (the measured column, labelled by the first text
    column), or, for a single row of several numbers, one per numeric column."""
    numeric = _numeric_columns(variables, rows)
    if len(rows) == 1 and len(numeric) >= 2:
        derived = [i for i in numeric if any(w in variables[i].lower() for w in DERIVED)]
        wide = [i for i in numeric if i not in derived] or numeric
        return [Bar(variables[i], number(rows[0][i]) or Decimal(0)) for i in wide[:MAX_BARS]]
    column = _measure_column(variables, numeric)
    if column is None:
        return []
    label_column = _label_column(variables, rows)
    bars = []
    for row in rows[:MAX_BARS]:
        value = number(row[column])
        if value is None:
            continue
        label = _text(row[label_column]) if label_column is not None else ""
        bars.append(Bar(label or str(len(bars) + 1), value, _qualifier(variables, row)))
    return bars


def shown(value: Decimal) -> str:
    """A number as people read it: 690,000 or 2.35."""
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{float(value):,.3f}".rstrip("0").rstrip(".")


def _change(bars: Sequence[Bar]) -> str:
    first, second = bars[0].value, bars[1].value
    if first == 0:
        return f"{shown(first)} → {shown(second)}"
    percent = (second - first) / abs(first) * 100
    return f"{shown(first)} → {shown(second)} ({percent:+.1f}%)"


def _clipped(label: str, limit: int = 42) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(bars: Sequence[Bar], title: str = "") -> str:
    """An SVG horizontal bar chart of ``bars``."""
    largest = max((abs(b.value) for b in bars), default=Decimal(0)) or Decimal(1)
    room = WIDTH - LABEL_WIDTH - 2 * MARGIN - 120
    caption = _change(bars) if len(bars) == 2 else ""
    top = MARGIN + (24 if caption else 0)
    height = top + len(bars) * (BAR_HEIGHT + GAP) + MARGIN
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(title or "Chart")}">',
        f"<title>{escape(title or 'Chart')}</title>",
    ]
    if caption:
        parts.append(f'<text class="chart-caption" x="{MARGIN}" y="{MARGIN + 14}">{caption}</text>')
    for index, bar in enumerate(bars):
        y = top + index * (BAR_HEIGHT + GAP)
        width = max(1, int(room * abs(bar.value) / largest))
        middle = y + BAR_HEIGHT // 2 + 5
        label = escape(_clipped(bar.label))
        kind = "bar negative" if bar.value < 0 else "bar"
        parts += [
            f'<g class="chart-row"><title>{escape(bar.label)}: {shown(bar.value)}</title>',
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{middle}" '
            f'text-anchor="end">{label}</text>',
            f'<rect class="{kind}" x="{LABEL_WIDTH}" y="{y}" width="{width}" '
            f'height="{BAR_HEIGHT}" fill="#2f6db5"/>',
            f'<text class="chart-value" x="{LABEL_WIDTH + width + 6}" y="{middle}">'
            f"{escape(bar.qualifier + ' ' if bar.qualifier else '')}{shown(bar.value)}</text></g>",
        ]
    parts.append("</svg>")
    return "".join(parts)


def chart_for(variables: Sequence[str], rows: Sequence[Sequence[object]], title: str = "") -> str:
    """An SVG chart of a SELECT result, or '' when it has no numbers to draw."""
    bars = bars_of(variables, rows)
    return bar_chart(bars, title) if bars else ""
