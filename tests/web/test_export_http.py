"""Dumps over HTTP: every graph and format downloads, with a stable ETag that answers 304,
gzip when accepted, and the JSON-LD context published at /context.jsonld."""

from __future__ import annotations

import gzip

import pyoxigraph as ox
import pytest
import requests

from ipkg.linkeddata.dumps import DUMP_FORMATS, GRAPHS
from ipkg.sparql.serialisation import RDF_FORMATS


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
