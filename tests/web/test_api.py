"""The saved-query API on a live server: the catalogue, every result format by extension and by
Accept, typed parameters, pagination with Link headers, the cache with ETag and 304, the
catalogue as RDF, and the real saved queries over the article graph."""

from __future__ import annotations

import csv
import io
import json
import re
import signal
import time
import xml.etree.ElementTree as ET

import pytest
import rdflib
import requests

from ipkg.build.sources import ArticleSources
from ipkg.queries.saved import read_catalogue
from support.servers import RunningServer

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")
SRX = "{http://www.w3.org/2005/sparql-results#}"
REAL_QUERIES = ArticleSources.embedded().queries


def get(server: RunningServer, path: str, **kwargs) -> requests.Response:
    return requests.get(server.url + path, timeout=30, **kwargs)


def links(response: requests.Response) -> dict[str, str]:
    return {
        rel: url for url, rel in re.findall(r'<([^>]*)>; rel="(\w+)"', response.headers["Link"])
    }


def metric(server: RunningServer, name: str) -> float:
    text = get(server, "/metrics").text
    return float(re.search(rf"^{name} (\S+)$", text, re.MULTILINE).group(1))


# The catalogue -----------------------------------------------------------------------------


def test_the_catalogue_lists_every_saved_query_with_its_header(saved_queries_server) -> None:
    body = get(saved_queries_server, "/api/queries").json()
    entries = {q["name"]: q for q in body["queries"]}
    assert set(entries) == {
        "bigger-than",
        "echo",
        "has-wipo",
        "ip-talent",
        "labels",
        "organisation",
        "organisation-graph",
    }
    organisation = entries["organisation"]
    assert organisation["title"] == "One organisation's labels and staff"
    assert organisation["tags"] == ["organisations"]
    assert organisation["parameters"][0]["type"] == "iri"
    assert organisation["parameters"][0]["default"] == "https://ipkg.example.org/id/cnipa"
    assert entries["labels"]["pagination"] == 2
    assert body["openapi"] == "/api/openapi.json"


def test_a_browser_gets_the_catalogue_as_a_page(saved_queries_server) -> None:
    response = get(saved_queries_server, "/api/queries", headers={"Accept": "text/html"})
    assert response.headers["Content-Type"].startswith("text/html")
    assert "IP talent in China, 2020 and 2023" in response.text
    assert get(saved_queries_server, "/api/queries.json").json()["queries"]


# Formats -----------------------------------------------------------------------------------


def test_csv_has_a_header_row_and_unquoted_numbers(saved_queries_server) -> None:
    response = get(saved_queries_server, "/api/queries/ip-talent.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode("utf-8") == (
        "label,year,value\r\n"
        '"IP talent in China, 2020",2020,690000\r\n'
        '"IP talent in China, 2023",2023,860000\r\n'
    )


@pytest.mark.parametrize(
    ("suffix", "accept", "media_type"),
    [
        (".json", None, "application/sparql-results+json"),
        ("", "application/sparql-results+json", "application/sparql-results+json"),
        ("", None, "application/sparql-results+json"),
        (".xml", None, "application/sparql-results+xml"),
        ("", "application/sparql-results+xml", "application/sparql-results+xml"),
        (".csv", None, "text/csv"),
        ("", "text/csv", "text/csv"),
        (".tsv", None, "text/tab-separated-values"),
        ("", "text/tab-separated-values;q=0.9, text/csv;q=0.5", "text/tab-separated-values"),
        (".html", None, "text/html"),
        ("", "text/html,application/xhtml+xml,*/*;q=0.8", "text/html"),
    ],
)
def test_select_formats_by_extension_or_accept(
    saved_queries_server, suffix: str, accept: str | None, media_type: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = get(saved_queries_server, f"/api/queries/ip-talent{suffix}", headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == media_type
    assert "860000" in response.text or "860,000" in response.text
    assert "Accept" in response.headers["Vary"]


def test_the_json_result_carries_typed_values(saved_queries_server) -> None:
    bindings = get(saved_queries_server, "/api/queries/ip-talent.json").json()["results"][
        "bindings"
    ]
    assert [b["value"]["value"] for b in bindings] == ["690000", "860000"]
    assert bindings[0]["value"]["datatype"].endswith("#integer")
    assert bindings[0]["label"]["xml:lang"] == "en"


def test_the_xml_result_is_sparql_results_xml(saved_queries_server) -> None:
    root = ET.fromstring(get(saved_queries_server, "/api/queries/ip-talent.xml").content)
    values = [e.text for e in root.iter(f"{SRX}literal") if e.text and e.text.isdigit()]
    assert "690000" in values and "860000" in values


@pytest.mark.parametrize(
    ("suffix", "parser"), [(".ttl", "turtle"), (".nt", "nt"), (".jsonld", "json-ld")]
)
def test_construct_queries_give_rdf(saved_queries_server, suffix: str, parser: str) -> None:
    response = get(saved_queries_server, f"/api/queries/organisation-graph{suffix}")
    graph = rdflib.Graph().parse(data=response.text, format=parser)
    labels = {str(o) for o in graph.objects(predicate=rdflib.RDFS.label)}
    assert {"CNIPA", "WIPO", "Tongji University"} <= labels


def test_a_construct_query_has_no_csv_form(saved_queries_server) -> None:
    response = get(saved_queries_server, "/api/queries/organisation-graph.csv")
    assert response.status_code == 404
    assert ".ttl" in response.text


def test_ask_queries_answer_a_boolean(saved_queries_server) -> None:
    assert get(saved_queries_server, "/api/queries/has-wipo").json()["boolean"] is True
    page = get(saved_queries_server, "/api/queries/has-wipo.html").text
    assert "Answer: <strong>yes</strong>" in page


def test_an_unacceptable_accept_header_is_406(saved_queries_server) -> None:
    response = get(saved_queries_server, "/api/queries/ip-talent", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "text/csv" in response.text


def test_an_unknown_query_is_404_listing_the_known_ones(saved_queries_server) -> None:
    response = get(saved_queries_server, "/api/queries/nothing-here")
    assert response.status_code == 404
    assert "ip-talent" in response.text


# Parameters --------------------------------------------------------------------------------


def test_a_parameter_value_is_bound(saved_queries_server) -> None:
    rows = get(
        saved_queries_server,
        "/api/queries/organisation.json",
        params={"organisation": "https://ipkg.example.org/id/wipo"},
    ).json()["results"]["bindings"]
    assert [r["label"]["value"] for r in rows] == ["WIPO"]


def test_the_default_applies_when_the_parameter_is_not_given(saved_queries_server) -> None:
    rows = get(saved_queries_server, "/api/queries/organisation.json").json()["results"]["bindings"]
    assert sorted(r["label"]["value"] for r in rows) == ["CNIPA", "国家知识产权局"]


def test_an_integer_parameter_filters_the_rows(saved_queries_server) -> None:
    text = get(saved_queries_server, "/api/queries/bigger-than.csv?threshold=1300").text
    assert text.splitlines()[1:] == ["WIPO,1500,1300"]


@pytest.mark.parametrize(
    ("query", "name", "value"),
    [
        ("bigger-than", "threshold", "many"),
        ("organisation", "organisation", "https://ipkg.example.org/id/nobody"),
        ("echo", "day", "2023-02-30"),
        ("echo", "ratio", "1e3"),
        ("echo", "resource", "not an iri"),
    ],
)
def test_a_bad_value_is_400_naming_the_parameter(
    saved_queries_server, query: str, name: str, value: str
) -> None:
    response = get(saved_queries_server, f"/api/queries/{query}", params={name: value})
    assert response.status_code == 400
    assert response.text.startswith(f"parameter '{name}':")
    assert response.headers["Content-Type"].startswith("text/plain")


def test_an_unknown_parameter_is_400(saved_queries_server) -> None:
    response = get(saved_queries_server, "/api/queries/ip-talent?year=2020")
    assert response.status_code == 400
    assert "parameter 'year'" in response.text


# Pagination --------------------------------------------------------------------------------


def test_pages_carry_first_prev_next_last_links(saved_queries_server) -> None:
    first = get(saved_queries_server, "/api/queries/labels.json")
    total = int(first.headers["X-Total-Count"])
    last_page = -(-total // 2)
    assert last_page >= 3
    assert set(links(first)) == {"first", "next", "last"}
    assert links(first)["last"].endswith(f"page={last_page}")
    middle = get(saved_queries_server, "/api/queries/labels.json?page=2")
    assert set(links(middle)) == {"first", "prev", "next", "last"}
    assert links(middle)["prev"].endswith("page=1")
    assert links(middle)["next"].endswith("page=3")
    final = requests.get(links(first)["last"], timeout=30)
    assert set(links(final)) == {"first", "prev", "last"}


def test_following_next_links_gives_every_row_once(saved_queries_server) -> None:
    url: str | None = saved_queries_server.url + "/api/queries/labels.csv"
    everything = get(saved_queries_server, "/api/queries/labels.csv").headers["X-Total-Count"]
    rows: list[list[str]] = []
    while url:
        response = requests.get(url, timeout=30)
        page = list(csv.reader(io.StringIO(response.text)))
        assert page[0] == ["resource", "label"]
        assert len(page) - 1 <= 2
        rows += page[1:]
        url = links(response).get("next")
    assert len(rows) == int(everything)
    assert len({tuple(r) for r in rows}) == len(rows)
    assert [r[1] for r in rows] == sorted(r[1] for r in rows)


def test_pages_past_the_end_or_malformed_are_refused(saved_queries_server) -> None:
    assert get(saved_queries_server, "/api/queries/labels?page=999").status_code == 404
    zero = get(saved_queries_server, "/api/queries/labels?page=0")
    assert zero.status_code == 400
    assert "parameter 'page'" in zero.text
    assert get(saved_queries_server, "/api/queries/ip-talent?page=2").status_code == 400
    assert get(saved_queries_server, "/api/queries/labels?page=%C2%B2").status_code == 400


# The cache ---------------------------------------------------------------------------------


def test_a_repeated_call_is_answered_from_the_cache(saved_queries_server) -> None:
    get(saved_queries_server, "/api/queries/ip-talent.tsv")
    hits = metric(saved_queries_server, "ipkg_api_cache_hits_total")
    again = get(saved_queries_server, "/api/queries/ip-talent.tsv")
    assert again.status_code == 200
    assert metric(saved_queries_server, "ipkg_api_cache_hits_total") == hits + 1


def test_if_none_match_with_the_etag_is_304(saved_queries_server) -> None:
    first = get(saved_queries_server, "/api/queries/ip-talent.csv")
    etag = first.headers["ETag"]
    again = get(saved_queries_server, "/api/queries/ip-talent.csv", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    other = get(saved_queries_server, "/api/queries/ip-talent.json")
    assert other.headers["ETag"] != etag
    stale = get(
        saved_queries_server, "/api/queries/ip-talent.csv", headers={"If-None-Match": '"x"'}
    )
    assert stale.status_code == 200


def test_different_parameters_are_different_cache_entries(saved_queries_server) -> None:
    wipo = get(saved_queries_server, "/api/queries/bigger-than.csv?threshold=1300").text
    all_big = get(saved_queries_server, "/api/queries/bigger-than.csv?threshold=1").text
    assert wipo != all_big


# The catalogue as RDF ----------------------------------------------------------------------


def test_the_saved_queries_are_described_in_their_own_graph(saved_queries_server) -> None:
    query = """
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        PREFIX schema: <http://schema.org/>
        SELECT ?query ?title ?text ?param ?type WHERE {
          GRAPH <https://ipkg.example.org/graph/queries> {
            ?query a sh:SPARQLSelectExecutable ; schema:name ?title ; sh:select ?text .
            OPTIONAL { ?query sh:parameter [ sh:name ?param ; schema:valueType ?type ] }
          }
        }"""
    rows = get(saved_queries_server, "/sparql", params={"query": query}).json()["results"][
        "bindings"
    ]
    by_query = {r["query"]["value"]: r for r in rows}
    organisation = by_query["https://ipkg.example.org/api/queries/organisation"]
    assert organisation["param"]["value"] == "organisation"
    assert organisation["type"]["value"] == "iri"
    assert "SELECT ?organisation" in organisation["text"]["value"]


# HTML view and chart -----------------------------------------------------------------------


def test_statistics_queries_get_an_svg_chart_without_scripts(saved_queries_server) -> None:
    page = get(saved_queries_server, "/api/queries/ip-talent.html").text
    assert "<svg" in page
    assert "690,000" in page and "860,000" in page
    assert "+24.6%" in page
    assert "<script" not in page
    assert " style=" not in page


def test_the_html_view_links_iris_to_their_pages(saved_queries_server) -> None:
    page = get(saved_queries_server, "/api/queries/labels.html?page=1").text
    assert 'href="/api/queries/bigger-than"' in page or 'href="/id/' in page


# Reload ------------------------------------------------------------------------------------


def test_a_reload_empties_the_cache(saved_queries_server) -> None:
    get(saved_queries_server, "/api/queries/ip-talent.json")
    assert metric(saved_queries_server, "ipkg_api_cache_entries") >= 1
    saved_queries_server.process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if metric(saved_queries_server, "ipkg_api_cache_entries") == 0:
                break
        except (requests.ConnectionError, AttributeError):
            pass
        time.sleep(0.2)
    else:
        pytest.fail("the cache still held entries 60 s after the reload")
    assert get(saved_queries_server, "/api/queries/ip-talent.csv").status_code == 200


# The real saved queries over the article ---------------------------------------------------


needs_real_queries = pytest.mark.skipif(
    not any(REAL_QUERIES.glob("*.rq")), reason="queries/ holds no saved queries yet"
)


def real_catalogue():
    return read_catalogue(REAL_QUERIES, strict=True)


@needs_real_queries
def test_every_real_saved_query_runs_in_every_format(article_server) -> None:
    catalogue = real_catalogue()
    listed = {q["name"] for q in get(article_server, "/api/queries").json()["queries"]}
    assert listed == set(catalogue.names)
    for query in catalogue.queries:
        for extension in ("json", "html"):
            response = get(article_server, f"/api/queries/{query.name}.{extension}")
            assert response.status_code == 200, (query.name, extension, response.text)


@needs_real_queries
def test_the_article_talent_counts_come_out_of_a_saved_query(article_server) -> None:
    text = get(article_server, "/api/queries/talent-growth.csv").content.decode("utf-8")
    assert text == (
        "before,after,growth,growthPercent,qualifier,unit\r\n"
        "690000,860000,170000,24.6,as stated,persons\r\n"
    )
    page = get(article_server, "/api/queries/talent-growth.html").text
    assert page.count("<svg") == 1
    assert "690,000 → 860,000 (+24.6%)" in page


@needs_real_queries
def test_the_per_capita_ratios_are_charted_per_place(article_server) -> None:
    page = get(article_server, "/api/queries/per-capita-patents.html").text
    chart = page[page.index("<svg") : page.index("</svg>")]
    for place in ("Beijing", "Guangdong", "Shanghai"):
        assert f">{place}</tspan></text>" in chart
    assert ">more than 2</text>" in chart


@needs_real_queries
def test_a_real_parameter_is_bound(article_server) -> None:
    rows = get(
        article_server,
        "/api/queries/staff-of-organisation.json",
        params={"organisation": "https://ipkg.example.org/id/cnipa"},
    ).json()["results"]["bindings"]
    assert rows
    bad = get(article_server, "/api/queries/statistics-by-year", params={"year": "twenty"})
    assert bad.status_code == 400
    assert bad.text.startswith("parameter 'year':")


@needs_real_queries
def test_the_real_openapi_document_lists_every_real_query(article_server) -> None:
    catalogue = real_catalogue()
    paths = get(article_server, "/api/openapi.json").json()["paths"]
    assert {f"/api/queries/{name}" for name in catalogue.names} <= set(paths)
    assert json.dumps(paths)  # serialisable


@needs_real_queries
def test_a_real_paginated_query_links_its_pages(article_server) -> None:
    first = get(article_server, "/api/queries/programmes.json")
    total = int(first.headers["X-Total-Count"])
    last_page = max(1, -(-total // 10))
    assert links(first)["last"].endswith(f"page={last_page}")
    seen = len(first.json()["results"]["bindings"])
    url = links(first).get("next")
    while url:
        page = requests.get(url, timeout=30)
        seen += len(page.json()["results"]["bindings"])
        url = links(page).get("next")
    assert seen == total


def test_a_construct_query_has_an_html_view_of_its_triples(saved_queries_server) -> None:
    page = get(saved_queries_server, "/api/queries/organisation-graph.html").text
    assert "<th>subject</th><th>predicate</th><th>object</th>" in page
    assert 'href="/id/wipo"' in page
