"""Bar charts of statistics drawn on the server as inline SVG (no script, no CDN, no inline
CSS: presentation attributes and classes of ``query.css`` only). Numbers in different units
get a panel and a scale each (never persons and ratios on one axis); labels wrap, never cut."""

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
LINE_HEIGHT, LABEL_CHARS, PANEL_HEAD = 16, 40, 26
MAX_BARS = 40
# The phone layout: each label above its bar, the whole chart 360 px wide (fits a 400 px screen).
NARROW_WIDTH, NARROW_CHARS = 360, 46


@dataclass(frozen=True)
class Bar:
    """One bar: what it is, and how much."""

    label: str
    value: Decimal
    qualifier: str = ""
    unit: str = ""


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


def bars_of(
    variables: Sequence[str],
    rows: Sequence[Sequence[object]],
    units: Sequence[str] | None = None,
) -> list[Bar]:
    """The bars of a result: one per row (the measured column, labelled by the first text
    column), or, for a single row of several numbers, one per numeric column. ``units`` names
    each row's unit (the bars of different units are drawn on different scales)."""
    numeric = _numeric_columns(variables, rows)
    units = units or [""] * len(rows)
    if len(rows) == 1 and len(numeric) >= 2:
        derived = [i for i in numeric if any(w in variables[i].lower() for w in DERIVED)]
        wide = [i for i in numeric if i not in derived] or numeric
        value = [number(rows[0][i]) or Decimal(0) for i in wide[:MAX_BARS]]
        return [Bar(variables[i], v, unit=units[0]) for i, v in zip(wide, value, strict=False)]
    column = _measure_column(variables, numeric)
    if column is None:
        return []
    label_column = _label_column(variables, rows)
    bars = []
    for row, unit in zip(rows[:MAX_BARS], units, strict=False):
        value = number(row[column])
        if value is None:
            continue
        label = _text(row[label_column]) if label_column is not None else ""
        bars.append(Bar(label or str(len(bars) + 1), value, _qualifier(variables, row), unit))
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


def wrapped(label: str, width: int = LABEL_CHARS) -> list[str]:
    """A label as lines of at most ``width`` characters, broken between words (a word longer
    than a line is broken inside); nothing is cut off."""
    lines: list[str] = []
    current = ""
    for word in label.split():
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        candidate = f"{current} {word}".strip()
        if len(candidate) <= width:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current or not lines:
        lines.append(current)
    return lines


def by_unit(bars: Sequence[Bar]) -> list[tuple[str, list[Bar]]]:
    """The bars grouped by unit, in order of first appearance."""
    groups: dict[str, list[Bar]] = {}
    for bar in bars:
        groups.setdefault(bar.unit, []).append(bar)
    return list(groups.items())


def _row_height(bar: Bar, narrow: bool = False) -> int:
    if narrow:
        return len(wrapped(bar.label, NARROW_CHARS)) * LINE_HEIGHT + BAR_HEIGHT + 4 + GAP
    return max(BAR_HEIGHT, len(wrapped(bar.label)) * LINE_HEIGHT + 6) + GAP


def _narrow_bar_row(bar: Bar, y: int, largest: Decimal, room: int) -> list[str]:
    """A bar for a phone: the label's lines above it, the value after it."""
    lines = wrapped(bar.label, NARROW_CHARS)
    width = max(1, int(room * abs(bar.value) / largest))
    tspans = "".join(
        f'<tspan x="{MARGIN}" y="{y + (i + 1) * LINE_HEIGHT - 3}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    bar_y = y + len(lines) * LINE_HEIGHT + 2
    kind = "bar negative" if bar.value < 0 else "bar"
    qualifier = escape(bar.qualifier + " " if bar.qualifier else "")
    return [
        f'<g class="chart-row"><title>{escape(bar.label)}: {shown(bar.value)}</title>',
        f'<text class="chart-label">{tspans}</text>',
        f'<rect class="{kind}" x="{MARGIN}" y="{bar_y}" width="{width}" '
        f'height="{BAR_HEIGHT}" fill="#2f6db5"/>',
        f'<text class="chart-value" x="{MARGIN + width + 6}" y="{bar_y + BAR_HEIGHT // 2 + 5}">'
        f"{qualifier}{shown(bar.value)}</text></g>",
    ]


def _bar_row(bar: Bar, y: int, largest: Decimal, room: int) -> list[str]:
    lines = wrapped(bar.label)
    height = _row_height(bar) - GAP
    width = max(1, int(room * abs(bar.value) / largest))
    bar_y = y + (height - BAR_HEIGHT) // 2
    first = y + (height - len(lines) * LINE_HEIGHT) // 2 + LINE_HEIGHT - 4
    tspans = "".join(
        f'<tspan x="{LABEL_WIDTH - 8}" y="{first + i * LINE_HEIGHT}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    kind = "bar negative" if bar.value < 0 else "bar"
    qualifier = escape(bar.qualifier + " " if bar.qualifier else "")
    return [
        f'<g class="chart-row"><title>{escape(bar.label)}: {shown(bar.value)}</title>',
        f'<text class="chart-label" text-anchor="end">{tspans}</text>',
        f'<rect class="{kind}" x="{LABEL_WIDTH}" y="{bar_y}" width="{width}" '
        f'height="{BAR_HEIGHT}" fill="#2f6db5"/>',
        f'<text class="chart-value" x="{LABEL_WIDTH + width + 6}" '
        f'y="{bar_y + BAR_HEIGHT // 2 + 5}">'
        f"{qualifier}{shown(bar.value)}</text></g>",
    ]


def bar_chart(bars: Sequence[Bar], title: str = "", narrow: bool = False) -> str:
    """An SVG horizontal bar chart of ``bars``: one panel, with its own scale, per unit;
    ``narrow``: the phone layout, labels above the bars, 360 px wide."""
    width_px = NARROW_WIDTH if narrow else WIDTH
    room = width_px - 2 * MARGIN - 130 if narrow else WIDTH - LABEL_WIDTH - 2 * MARGIN - 120
    groups = by_unit(bars)
    caption = _change(bars) if len(bars) == 2 and len(groups) == 1 else ""
    y = MARGIN + (24 if caption else 0)
    body: list[str] = []
    for unit, members in groups:
        if len(groups) > 1 or unit:
            body.append(
                f'<text class="chart-unit" x="{MARGIN}" y="{y + 16}">'
                f"{escape(f'In {unit}' if unit else 'Unit not given')} (own scale)</text>"
            )
            y += PANEL_HEAD
        largest = max((abs(b.value) for b in members), default=Decimal(0)) or Decimal(1)
        for bar in members:
            body += (_narrow_bar_row if narrow else _bar_row)(bar, y, largest, room)
            y += _row_height(bar, narrow)
        y += GAP
    height = y + MARGIN
    name = escape(title or "Chart")
    parts = [
        f'<svg class="chart {"chart-narrow" if narrow else "chart-wide"}" '
        f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width_px} {height}" '
        f'width="{width_px}" height="{height}" role="img" aria-label="{name}">',
        f"<title>{name}</title>",
    ]
    if caption:
        parts.append(f'<text class="chart-caption" x="{MARGIN}" y="{MARGIN + 14}">{caption}</text>')
    return "".join([*parts, *body, "</svg>"])


def charts_for(
    variables: Sequence[str],
    rows: Sequence[Sequence[object]],
    title: str = "",
    units: Sequence[str] | None = None,
    narrow: bool | None = None,
) -> str:
    """The chart of a SELECT result in both layouts, wide then narrow (the page's CSS shows
    the one that fits the screen), or only the one ``narrow`` names; '' without numbers."""
    bars = bars_of(variables, rows, units)
    if not bars:
        return ""
    if narrow is not None:
        return bar_chart(bars, title, narrow)
    return bar_chart(bars, title) + bar_chart(bars, title, narrow=True)
