"""Dumps over HTTP: every graph and format downloads, with a stable ETag that answers 304,
gzip when accepted, and the JSON-LD context published at /context.jsonld."""

from __future__ import annotations

import gzip

import pyoxigraph as ox
import pytest
import requests

from ipkg.linkeddata.dumps import BY_KEY, DUMP_FORMATS, GRAPHS, VIEWS
from ipkg.sparql.serialisation import RDF_FORMATS
from support.servers import listed_dumps

XSD_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"


def get(server, path: str, **headers: str) -> requests.Response:
    return requests.get(server.url + path, headers=headers, timeout=60, stream=True)


@pytest.mark.parametrize("graph", GRAPHS)
@pytest.mark.parametrize("fmt", DUMP_FORMATS, ids=lambda f: f.key)
def test_every_dump_downloads_and_parses(article_server, graph, fmt):
    r = requests.get(f"{article_server.url}/export/{graph}.{fmt.extension}", timeout=60)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith(fmt.media_type)
    assert r.headers["ETag"]
    assert list(ox.parse(r.content, format=RDF_FORMATS[fmt.key]))


def test_etag_is_stable_and_answers_304(article_server):
    path = "/export/asserted.ttl"
    first = get(article_server, path, **{"Accept-Encoding": "identity"})
    second = get(article_server, path, **{"Accept-Encoding": "identity"})
    assert first.headers["ETag"] == second.headers["ETag"]
    again = get(
        article_server,
        path,
        **{"If-None-Match": first.headers["ETag"], "Accept-Encoding": "identity"},
    )
    assert again.status_code == 304
    assert not again.content


def test_gzip_is_sent_to_clients_that_accept_it(article_server):
    path = "/export/complete.nt"
    plain = get(article_server, path, **{"Accept-Encoding": "identity"})
    zipped = get(article_server, path, **{"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    body = zipped.raw.read()
    assert len(body) < len(plain.content) / 3
    assert gzip.decompress(body) == plain.content


def test_context_is_published_and_used_by_the_dumps(article_server):
    context = requests.get(article_server.url + "/context.jsonld", timeout=30)
    assert context.headers["Content-Type"].startswith("application/ld+json")
    dump = requests.get(article_server.url + "/export/asserted.jsonld", timeout=60).json()
    assert dump["@context"] == context.json()["@context"]
    assert context.json()["@context"]["ipkg"] == "https://ipkg.example.org/ontology#"


def test_unknown_dump_is_a_clear_404(article_server):
    r = requests.get(article_server.url + "/export/everything.ttl", timeout=30)
    assert r.status_code == 404
    assert "asserted" in r.text
    r = requests.get(article_server.url + "/export/asserted.docx", timeout=30)
    assert r.status_code == 404 and "ttl" in r.text


def test_download_page_links_every_dump(article_server):
    html = requests.get(article_server.url + "/export/", timeout=30).text
    for graph in GRAPHS:
        for fmt in DUMP_FORMATS:
            assert f'href="/export/{graph}.{fmt.extension}"' in html


def triples_of(data: bytes, fmt: ox.RdfFormat) -> set[ox.Triple]:
    return {q.triple for q in ox.parse(data, format=fmt)}


def ground(triples: set[ox.Triple]) -> set[ox.Triple]:
    return {t for t in triples if not isinstance(t.subject, ox.BlankNode | ox.Triple)} - {
        t for t in triples if isinstance(t.object, ox.BlankNode)
    }


def canonical_triples(triples: set[ox.Triple]) -> set[str]:
    """RDFC-1.0 labelled: equal sets mean isomorphic graphs."""
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return {str(q) for q in dataset}


def test_every_format_of_every_dump_holds_the_terms_of_its_n_triples(article_server):
    dumps = listed_dumps(article_server)
    assert set(GRAPHS) | {"queries"} <= set(dumps)
    by_extension = {f.extension: f for f in DUMP_FORMATS}
    for graph, extensions in dumps.items():
        formats = VIEWS[graph].formats if graph in VIEWS else BY_KEY
        assert extensions == {BY_KEY[key].extension for key in formats}, graph
        url = f"{article_server.url}/export/{graph}."
        reference = triples_of(requests.get(url + "nt", timeout=60).content, ox.RdfFormat.N_TRIPLES)
        for extension in sorted(extensions - {"nt"}):
            fmt = RDF_FORMATS[by_extension[extension].key]
            found = triples_of(requests.get(url + extension, timeout=60).content, fmt)
            where = f"{graph}.{extension}"
            assert ground(found) == ground(reference), (where, ground(found) ^ ground(reference))
            assert canonical_triples(found) == canonical_triples(reference), where


def test_turtle_writes_the_decimals_the_store_holds(article_server):
    """Oxigraph stores 2.0 as "2"^^xsd:decimal; Turtle must not write it back as 2.0."""
    nt = requests.get(article_server.url + "/export/asserted.nt", timeout=60).content
    decimals = {
        t.object
        for t in triples_of(nt, ox.RdfFormat.N_TRIPLES)
        if isinstance(t.object, ox.Literal) and t.object.datatype.value == XSD_DECIMAL
    }
    assert any("." not in d.value for d in decimals), "the case the Turtle writer got wrong"
    ttl = requests.get(article_server.url + "/export/asserted.ttl", timeout=60).content
    assert decimals <= {t.object for t in triples_of(ttl, ox.RdfFormat.TURTLE)}


@pytest.mark.parametrize("extension", ["ttl", "jsonld", "rdf"])
def test_resource_documents_hold_the_terms_of_their_n_triples(article_server, extension):
    path = "/doc/statistic/per-capita-high-value-invention-patents-beijing."
    reference = requests.get(article_server.url + path + "nt", timeout=30)
    assert reference.status_code == 200
    by_extension = {f.extension: f for f in DUMP_FORMATS}
    fmt = RDF_FORMATS[by_extension[extension].key]
    found = triples_of(requests.get(article_server.url + path + extension, timeout=30).content, fmt)
    expected = triples_of(reference.content, ox.RdfFormat.N_TRIPLES)
    assert canonical_triples(found) == canonical_triples(expected)
