"""Charts that tell the truth, on the live article server: one panel and scale per unit (never
860,000 persons and ratios of 2 on one axis), full labels wrapped (not cut), dates unbroken."""

from __future__ import annotations

import re

import requests

from ipkg.web.charts import wrapped


def chart_of(server, name: str) -> str:
    html = requests.get(f"{server.url}/api/queries/{name}.html", timeout=30).text
    return html[html.index("<svg") : html.index("</svg>")]


def test_persons_and_ratios_are_drawn_on_separate_scales(article_server) -> None:
    svg = chart_of(article_server, "statistics-by-year")
    panels = re.findall(r'class="chart-unit"[^>]*>([^<]+)<', svg)
    assert panels == ["In persons (own scale)", "In times (ratio) (own scale)"]
    widths = [int(w) for w in re.findall(r'<rect class="bar" [^>]*width="(\d+)"', svg)]
    # 860,000 and 2 are each the largest of their panel: full-length bars, none invisible.
    assert len(widths) == 4 and min(widths) == max(widths) > 100


def test_long_labels_are_wrapped_whole_not_cut(article_server) -> None:
    svg = chart_of(article_server, "statistics-by-year")
    assert "…" not in svg
    label = re.search(r'<text class="chart-label"[^>]*>(.*?)</text>', svg.split("ratio")[1])
    lines = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", label[1])
    assert len(lines) > 1
    assert " ".join(lines) == (
        "per capita high-value invention patent ownership in Beijing relative to the national "
        "average, end of 2023"
    )


def test_dates_in_result_tables_do_not_break(article_server) -> None:
    html = requests.get(f"{article_server.url}/api/queries/statistics-by-year.html").text
    assert '<span class="date">2023-12-31</span>' in html
    css = requests.get(f"{article_server.url}/static/query.css").text
    assert ".date, .number { white-space: nowrap; }" in css


def test_a_single_unit_chart_keeps_its_change_caption(article_server) -> None:
    svg = chart_of(article_server, "talent-growth")
    assert "690,000 → 860,000 (+24.6%)" in svg
    assert 'class="chart-unit"' not in svg  # one unit: no panel headings


def test_wrapping_breaks_between_words_and_inside_overlong_ones() -> None:
    assert wrapped("a b c", 3) == ["a b", "c"]
    assert wrapped("abcdefgh", 3) == ["abc", "def", "gh"]
    assert wrapped("", 3) == [""]
