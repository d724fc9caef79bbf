"""Dereferenceable IRIs on a live server: 303s to the format asked for, documents by Accept or
extension with Vary and Link headers, helpful 404s, 406s, the ontology's hash IRIs, "why?"
pages, and links mapped onto ``--public-base`` with only http(s) IRIs as links."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from support.servers import RunningServer, start_server

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BASE = "https://ipkg.example.org/"
PUBLIC = "https://kg.example.net/"
RDF_TYPES = {
    "text/turtle": ("ttl", ox.RdfFormat.TURTLE),
    "application/ld+json": ("jsonld", ox.RdfFormat.JSON_LD),
    "application/n-triples": ("nt", ox.RdfFormat.N_TRIPLES),
    "application/rdf+xml": ("rdf", ox.RdfFormat.RDF_XML),
}


def fixture_args() -> list[str]:
    """``--data`` for a small graph: the real ontology, a few facts and hostile literals."""
    return [
        "--data",
        f"{BASE}graph/ontology={ROOT / 'ontology' / 'ipkg.ttl'}",
        "--data",
        f"{BASE}graph/asserted={FIXTURES / 'mini-facts.ttl'}",
        "--data",
        f"{BASE}graph/asserted={FIXTURES / 'hostile.ttl'}",
    ]


@pytest.fixture(scope="module")
def public_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The small graph, deployed (as far as links say) at https://kg.example.net/."""
    server = start_server(
        tmp_path_factory.mktemp("public"), [*fixture_args(), "--public-base", PUBLIC], timeout=300
    )
    yield server
    server.stop()


def get(server: RunningServer, path: str, accept: str | None = None, **kwargs):
    headers = {"Accept": accept} if accept else {}
    return requests.get(
        server.url + path, headers=headers, allow_redirects=False, timeout=30, **kwargs
    )


class Links(HTMLParser):
    """Every href and src of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.urls.append(value)


def links(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.urls


def test_browser_is_sent_to_the_html_page_with_303(article_server):
    r = get(article_server, "/id/cnipa", "text/html,application/xhtml+xml,*/*;q=0.8")
    assert r.status_code == 303
    assert r.headers["Location"] == "/doc/cnipa"
    assert "Accept" in r.headers["Vary"]


@pytest.mark.parametrize("media_type", sorted(RDF_TYPES))
def test_rdf_client_is_sent_to_the_document_in_its_format(article_server, media_type):
    extension, syntax = RDF_TYPES[media_type]
    r = get(article_server, "/id/cnipa", media_type)
    assert r.status_code == 303
    assert r.headers["Location"] == f"/doc/cnipa.{extension}"
    doc = get(article_server, r.headers["Location"])
    assert doc.status_code == 200
    assert doc.headers["Content-Type"].startswith(media_type)
    triples = list(ox.parse(doc.content, format=syntax))
    assert any(t.subject == ox.NamedNode(BASE + "id/cnipa") for t in triples)


def test_document_negotiates_with_vary_and_content_location(article_server):
    r = get(article_server, "/doc/cnipa", "text/turtle")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/turtle")
    assert "Accept" in r.headers["Vary"]
    assert r.headers["Content-Location"] == "/doc/cnipa.ttl"
    html = get(article_server, "/doc/cnipa", "text/html")
    assert html.headers["Content-Type"].startswith("text/html")


def test_extension_chooses_the_format_whatever_accept_says(article_server):
    r = get(article_server, "/doc/cnipa.nt", "text/html")
    assert r.headers["Content-Type"].startswith("application/n-triples")
    assert "Accept" not in r.headers.get("Vary", "")


def test_link_header_gives_each_alternate_its_own_media_type(article_server):
    r = get(article_server, "/doc/cnipa")
    found = dict(
        (url, media)
        for url, media in re.findall(
            r'<([^>]+)>; rel="alternate"; type="([^"]+)"', r.headers["Link"]
        )
    )
    assert found == {
        "/doc/cnipa": "text/html",
        "/doc/cnipa.ttl": "text/turtle",
        "/doc/cnipa.jsonld": "application/ld+json",
        "/doc/cnipa.nt": "application/n-triples",
        "/doc/cnipa.rdf": "application/rdf+xml",
    }


def test_document_carries_the_provenance_of_the_facts(article_server):
    r = get(article_server, "/doc/zhang-zhicheng.nt")
    triples = list(ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES))
    derived = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
    assert any(t.predicate == derived for t in triples)


def test_unknown_iri_gets_a_helpful_404_page(article_server):
    r = get(article_server, "/id/cnipa-typo", "text/html")
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("text/html")
    assert "https://ipkg.example.org/id/cnipa-typo" in r.text
    assert "/id/" in links(r.text)
    assert "/id/cnipa" in links(r.text), "a near match is suggested"


def test_unacceptable_media_type_gets_406(article_server):
    r = get(article_server, "/id/cnipa", "image/png")
    assert r.status_code == 406
    assert "text/turtle" in r.text


def test_sentence_iri_resolves_to_its_anchor_in_the_article(article_server):
    r = get(article_server, "/id/article/s03", "text/html")
    assert r.status_code == 303
    assert r.headers["Location"] == "/article#s03"
    article = get(article_server, "/article")
    assert 'id="s03"' in article.text


def test_article_sentences_link_to_the_resources_they_support(article_server):
    html = get(article_server, "/article").text
    marks = re.findall(r'<mark id="(s\d\d)">', html)
    assert marks and marks == sorted(marks)
    assert "/id/zhang-zhicheng" in links(html)


def test_ontology_hash_iris_are_documented_at_ontology(article_server):
    r = get(article_server, "/ontology", "text/html")
    assert r.status_code == 200
    for anchor in ("Person", "holdsPost", "worksFor", "Statistic"):
        assert f'id="{anchor}"' in r.text
    assert "Accept" in r.headers["Vary"]
    turtle = get(article_server, "/ontology", "text/turtle")
    triples = list(ox.parse(turtle.content, format=ox.RdfFormat.TURTLE))
    assert any(t.subject == ox.NamedNode(BASE + "ontology#Person") for t in triples)


def test_ontology_page_shows_definitions_hierarchy_and_alignments(article_server):
    html = get(article_server, "/ontology").text
    assert "A named human being" in html  # skos:definition
    assert "http://xmlns.com/foaf/0.1/Person" in links(html)  # alignment
    assert "property chain" in html


def test_pages_carry_the_security_headers(article_server):
    r = get(article_server, "/doc/cnipa")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert "<script" not in r.text and "style=" not in r.text


def test_statistic_page_says_the_number_in_words(article_server):
    html = get(article_server, "/doc/statistic/local-ip-administrative-retraining-sessions").text
    assert "over 150 retraining sessions" in html
    assert "since the start of the 14th Five-Year Plan" in html


def test_why_page_names_the_rule_and_quotes_the_asserted_premises(article_server):
    page = get(article_server, "/doc/zhang-zhicheng").text
    whys = [u for u in links(page) if u.startswith("/why?")]
    assert whys, "inferred triples link to their explanation"
    r = get(
        article_server,
        "/why",
        params={
            "s": f"<{BASE}id/zhang-zhicheng>",
            "p": f"<{BASE}ontology#worksFor>",
            "o": f"<{BASE}id/cnipa>",
        },
    )
    assert r.status_code == 200
    assert "prp-spo2" in r.text
    assert "stated in the data" in r.text and "<blockquote>" in r.text


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"s": "not a term", "p": "<urn:p>", "o": "<urn:o>"},
        {"s": '"x"', "p": "<urn:p>", "o": "<urn:o>"},
    ],
)
def test_why_rejects_malformed_triples_with_400(article_server, params):
    r = get(article_server, "/why", params=params)
    assert r.status_code == 400
    assert "parameter" in r.text or "must be" in r.text


def test_browse_index_lists_resources_by_class(article_server):
    html = get(article_server, "/id/").text
    assert "/id/cnipa" in links(html) and "/id/zhang-zhicheng" in links(html)
    assert "government agency" in html


def test_public_base_maps_dataset_iris_onto_the_deployed_url(public_server):
    r = get(public_server, "/id/cnipa", "text/html")
    assert r.headers["Location"] == PUBLIC + "doc/cnipa"
    page = get(public_server, "/doc/zhang-zhicheng").text
    assert PUBLIC + "id/post/zhang-zhicheng-dg" in links(page)
    assert not any(u.startswith(BASE) for u in links(page)), "no link to the canonical host"


def test_only_http_iris_become_links_and_literals_are_escaped(public_server):
    r = get(public_server, "/doc/hostile")
    assert r.status_code == 200
    assert "<script>" not in r.text
    assert "&lt;script&gt;" in r.text
    assert not any(u.lower().startswith("javascript:") for u in links(r.text))
    assert "javascript:alert(1)" in r.text, "the IRI is still shown, as text"
