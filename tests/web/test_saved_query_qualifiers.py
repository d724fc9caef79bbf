"""Every number a saved query shows carries its qualifier (over, nearly, more than, as stated)
and its unit: a walk over the HTML page of every saved query on the live article server (every
page of a paginated one), row by row, and over its chart, where a bound is never drawn as an
exact number ("more than double" is "more than 2", never "2")."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
import rdflib
import requests

from ipkg.build.sources import ArticleSources
from ipkg.queries.saved import read_catalogue

SOURCES = ArticleSources.embedded()
CATALOGUE = read_catalogue(SOURCES.queries, strict=True)
IPKG = rdflib.Namespace("https://ipkg.example.org/ontology#")
EXACT = "as stated"
# The variables a query binds to a statistic's number, read from its own text.
NUMBER_OF = re.compile(r"ipkg:(?:value|lowerBound|upperBound)\s+\?(\w+)")


def statistics() -> dict[Decimal, set[tuple[str, str]]]:
    """Each number of the article's statistics, with the (qualifier, unit) labels it may have."""
    data = rdflib.Graph().parse(SOURCES.facts)
    data += rdflib.Graph().parse(SOURCES.ontology)
    found: dict[Decimal, set[tuple[str, str]]] = {}
    for stat in data.subjects(rdflib.RDF.type, IPKG.Statistic):
        qualifier = str(data.value(data.value(stat, IPKG.qualifier), rdflib.RDFS.label))
        unit = str(data.value(data.value(stat, IPKG.unit), rdflib.RDFS.label))
        for p in (IPKG.value, IPKG.lowerBound, IPKG.upperBound):
            for value in data.objects(stat, p):
                found.setdefault(Decimal(str(value)), set()).add((qualifier, unit))
    return found


STATISTICS = statistics()
NUMBER_QUERIES = [q for q in CATALOGUE.queries if NUMBER_OF.search(q.text)]


def number(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except ArithmeticError:
        return None


def cells(row: str) -> list[str]:
    """The text of each cell as a reader sees it: a literal's value without its language or
    datatype tag, an IRI's label."""
    found = []
    for cell in re.findall(r"<td>(.*?)</td>", row, re.S):
        main = re.search(r'<span class="(?:number|literal)">(.*?)</span>', cell, re.S)
        text = main.group(1) if main else re.sub(r"<code[^>]*>.*?</code>", "", cell)
        found.append(html.unescape(re.sub(r"<[^>]+>", "", text)).strip())
    return found


def pages(server, name: str) -> list[str]:
    """The HTML of every page of the saved query's results."""
    url, found = f"{server.url}/api/queries/{name}.html", []
    while url:
        response = requests.get(url, timeout=30)
        assert response.status_code == 200, (name, response.text[:200])
        found.append(response.text)
        following = re.search(r'<a rel="next" href="([^"]+)"', response.text)
        url = (
            f"{server.url}/api/queries/{name}.html{html.unescape(following.group(1))}"
            if following
            else ""
        )
    return found


def test_the_walk_covers_every_saved_query_that_shows_a_statistic_number():
    assert len(NUMBER_QUERIES) >= 10
    assert "statistics-by-year" in {q.name for q in NUMBER_QUERIES}


@pytest.mark.parametrize("query", NUMBER_QUERIES, ids=[q.name for q in NUMBER_QUERIES])
def test_every_statistic_number_on_the_page_has_its_qualifier_and_unit(article_server, query):
    variables = set(NUMBER_OF.findall(query.text))
    checked = 0
    for page in pages(article_server, query.name):
        head = re.search(r"<thead><tr>(.*?)</tr></thead>", page, re.S).group(1)
        names = [html.unescape(n) for n in re.findall(r"<th>(.*?)</th>", head)]
        columns = [i for i, n in enumerate(names) if n in variables]
        body = page[page.index("<tbody>") : page.index("</tbody>")]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
            shown = cells(row)
            for i in columns:
                value = number(shown[i]) if shown[i] else None
                if value is None:
                    continue
                allowed = STATISTICS.get(value)
                assert allowed, (query.name, shown[i])
                assert any(q in shown and u in shown for q, u in allowed), (query.name, shown)
                checked += 1
    assert checked, query.name


@pytest.mark.parametrize("query", NUMBER_QUERIES, ids=[q.name for q in NUMBER_QUERIES])
def test_no_chart_draws_a_bound_as_an_exact_number(article_server, query):
    page = pages(article_server, query.name)[0]
    if "<svg" not in page:
        return
    svg = page[page.index("<svg") : page.index("</svg>")]
    only_bounds = {v for v, kinds in STATISTICS.items() if all(q != EXACT for q, _ in kinds)}
    for text in re.findall(r"<text[^>]*>([^<]*)</text>", svg):
        words = html.unescape(text).strip()
        value = number(words)
        assert value is None or value not in only_bounds, (query.name, words)


def test_statistics_by_year_draws_more_than_double_as_more_than_2(article_server):
    page = pages(article_server, "statistics-by-year")[0]
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert svg.count(">more than 2</text>") == 3
    assert ">860,000</text>" in svg
