"""Authenticated writes: SPARQL Update on /sparql and the Graph Store Protocol on /store need
the configured bearer token (missing: 401, wrong: 403, not configured: 403) and change nothing
without it; the article's writes are validated and re-reasoned, refused whole when they break
the shapes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from support.servers import RunningServer, start_server

TOKEN = "s3cret-write-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
EX = "http://example.org/"
TESTS = Path(__file__).resolve().parent.parent
ID = "https://ipkg.example.org/id/"
IPKG = "https://ipkg.example.org/ontology#"
GRAPH = "https://ipkg.example.org/graph/"


@pytest.fixture(scope="module")
def writable(tmp_path_factory) -> Iterator[RunningServer]:
    """Files mode (no shapes, no reasoning): one W3C graph, updates enabled."""
    data = ["--data", f"{EX}data1={TESTS / 'w3c' / 'data1.nt'}"]
    server = start_server(
        tmp_path_factory.mktemp("writable"), data, env={"IPKG_UPDATE_TOKEN": TOKEN}
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def article(tmp_path_factory) -> Iterator[RunningServer]:
    """The article graph with updates enabled."""
    server = start_server(
        tmp_path_factory.mktemp("article-writable"),
        # A write's checks (SHACL, OWL-RL over the article) run under the query deadline;
        # these tests are about what a write does, on a loaded machine too.
        ["--query-timeout", "120"],
        env={"IPKG_UPDATE_TOKEN": TOKEN},
        timeout=600,
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def article_with_deadline(tmp_path_factory) -> Iterator[RunningServer]:
    """The article graph, writable, with a 4 s deadline."""
    server = start_server(
        tmp_path_factory.mktemp("article-deadline"),
        ["--query-timeout", "4"],
        env={"IPKG_UPDATE_TOKEN": TOKEN},
        timeout=600,
    )
    yield server
    server.stop()


def update(server: RunningServer, text: str, headers: dict | None = None) -> requests.Response:
    return requests.post(
        server.sparql,
        data=text.encode(),
        headers={"Content-Type": "application/sparql-update", **(headers or {})},
        timeout=120,
    )


def ask(server: RunningServer, query: str) -> bool:
    response = requests.post(
        server.sparql,
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response.json()["boolean"]


INSERT_X = f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}x> <{EX}p> 1 }} }}"
HAS_X = f"ASK {{ GRAPH <{EX}g> {{ <{EX}x> <{EX}p> 1 }} }}"


def test_update_without_a_token_is_401_and_changes_nothing(writable):
    response = update(writable, INSERT_X)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert not ask(writable, HAS_X)


@pytest.mark.parametrize("header", [f"Bearer {TOKEN}x", "Bearer ", f"Basic {TOKEN}"])
def test_update_with_a_wrong_token_is_403_and_changes_nothing(writable, header):
    response = update(writable, INSERT_X, {"Authorization": header})
    assert response.status_code == 403
    assert not ask(writable, HAS_X)


def test_update_with_the_token_is_applied(writable):
    response = update(writable, INSERT_X, BEARER)
    assert response.status_code == 204, response.text
    assert ask(writable, HAS_X)
    described = requests.get(writable.url + "/readyz", timeout=10).json()
    assert described["graphs"] == 2


def test_update_is_refused_when_no_token_is_configured(w3c_server):
    response = update(w3c_server, INSERT_X, BEARER)
    assert response.status_code == 403
    assert "read-only" in response.text


def test_update_with_a_syntax_error_is_400_and_changes_nothing(writable):
    response = update(writable, f"DROP GRAPH <{EX}data1> ; INSERT DATA {{ oops }}", BEARER)
    assert response.status_code == 400
    assert ask(writable, f"ASK {{ GRAPH <{EX}data1> {{ ?s ?p ?o }} }}")


def test_graph_store_round_trip(writable):
    target = {"graph": f"{EX}gsp"}
    turtle = f"<{EX}a> <{EX}b> <{EX}c> .".encode()
    ttl = {"Content-Type": "text/turtle"}
    assert (
        requests.put(
            writable.url + "/store", params=target, data=turtle, headers=ttl, timeout=60
        ).status_code
        == 401
    )
    assert requests.get(writable.url + "/store", params=target, timeout=60).status_code == 404
    created = requests.put(
        writable.url + "/store", params=target, data=turtle, headers={**ttl, **BEARER}, timeout=60
    )
    assert created.status_code == 201, created.text
    more = f"<{EX}a> <{EX}b> <{EX}d> .".encode()
    added = requests.post(
        writable.url + "/store", params=target, data=more, headers={**ttl, **BEARER}, timeout=60
    )
    assert added.status_code == 204, added.text
    got = requests.get(
        writable.url + "/store",
        params=target,
        headers={"Accept": "application/n-triples"},
        timeout=60,
    )
    assert got.status_code == 200
    assert sorted(got.text.split()) == sorted(
        f"<{EX}a> <{EX}b> <{EX}c> . <{EX}a> <{EX}b> <{EX}d> .".split()
    )
    deleted = requests.delete(writable.url + "/store", params=target, headers=BEARER, timeout=60)
    assert deleted.status_code == 204
    assert requests.get(writable.url + "/store", params=target, timeout=60).status_code == 404


def test_graph_store_refuses_bad_bodies_and_targets(writable):
    ttl = {"Content-Type": "text/turtle", **BEARER}
    broken = requests.put(
        writable.url + "/store",
        params={"graph": f"{EX}bad"},
        data=b"<a> <b",
        headers=ttl,
        timeout=60,
    )
    assert broken.status_code == 400
    assert "request body" in broken.text
    no_target = requests.put(writable.url + "/store", data=b"", headers=ttl, timeout=60)
    assert no_target.status_code == 400
    wrong_type = requests.put(
        writable.url + "/store",
        params={"default": ""},
        data=b"{}",
        headers={"Content-Type": "application/zip", **BEARER},
        timeout=60,
    )
    assert wrong_type.status_code == 415


# --- the article graph: asserted facts only, validated, re-reasoned ------------------------

NEW_UNIVERSITY = f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
INSERT DATA {{ <{ID}test-university> a <{IPKG}University> ; rdfs:label "Test University"@en }}"""
NAMELESS_PERSON = f"INSERT DATA {{ <{ID}nobody> a <{IPKG}Person> }}"


@pytest.mark.slow
def test_article_write_goes_to_the_asserted_graph_and_is_reasoned(article):
    response = update(article, NEW_UNIVERSITY, BEARER)
    assert response.status_code == 204, response.text
    assert ask(article, f"ASK {{ GRAPH <{GRAPH}asserted> {{ <{ID}test-university> a ?c }} }}")
    assert ask(
        article,
        f"ASK {{ GRAPH <{GRAPH}inferred> {{ <{ID}test-university> a <{IPKG}Institution> }} }}",
    )


def test_article_write_that_breaks_the_shapes_is_refused_with_its_violations(article):
    response = update(article, NAMELESS_PERSON, BEARER)
    assert response.status_code == 422
    assert "has no English name" in response.text
    assert f"{ID}nobody" in response.text
    assert not ask(article, f"ASK {{ <{ID}nobody> ?p ?o }}")


def test_article_ontology_and_inferences_are_not_writable(article):
    response = update(
        article,
        f"INSERT DATA {{ GRAPH <{GRAPH}ontology> {{ <{IPKG}X> a <{IPKG}Y> }} }}",
        BEARER,
    )
    assert response.status_code == 403
    assert "only the asserted facts" in response.text
    assert not ask(article, f"ASK {{ <{IPKG}X> ?p ?o }}")


@pytest.mark.slow
def test_a_write_empties_the_saved_query_cache_and_changes_the_dumps(article):
    def institutions() -> str:
        response = requests.get(article.url + "/api/queries/institutions.json", timeout=60)
        assert response.status_code == 200
        return response.text

    def dump_etag() -> str:
        response = requests.get(article.url + "/export/asserted.nt", timeout=60)
        assert response.status_code == 200
        return response.headers["ETag"]

    before, etag = institutions(), dump_etag()
    assert institutions() == before  # answered from the cache
    college = f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
INSERT DATA {{ <{ID}cache-test-college> a <{IPKG}University> ;
  rdfs:label "Cache Test College"@en }}"""
    assert update(article, college, BEARER).status_code == 204
    assert "Cache Test College" not in before
    assert "Cache Test College" in institutions()
    assert dump_etag() != etag


def test_the_search_index_follows_a_write(writable) -> None:
    def found(q: str) -> list[str]:
        response = requests.get(
            writable.url + "/search", params={"q": q, "format": "json"}, timeout=30
        )
        return [hit["iri"] for hit in response.json()["results"]]

    assert found("Quokka Institute") == []
    inserted = update(
        writable,
        f"INSERT DATA {{ <{ID}quokka> <http://www.w3.org/2000/01/rdf-schema#label> "
        '"Quokka Institute"@en }',
        {"Authorization": f"Bearer {TOKEN}"},
    )
    assert inserted.status_code in (200, 204), inserted.text
    assert found("Quokka Institute") == [ID + "quokka"]


@pytest.mark.slow
def test_an_update_adding_30000_triples_stops_at_the_deadline_and_changes_nothing(
    article_with_deadline,
):
    server = article_with_deadline
    before = requests.get(server.url + "/readyz", timeout=30).json()["triples"]
    big = (
        "INSERT { ?s <http://example.org/n> ?k } WHERE { ?s ?p ?o "
        "VALUES ?i { 0 1 2 3 4 5 6 7 8 9 } BIND(CONCAT(STR(?p), STR(?o), STR(?i)) AS ?k) }"
    )
    response = update(server, big, BEARER)
    assert response.status_code == 503, response.text
    assert "deadline" in response.text
    assert requests.get(server.url + "/readyz", timeout=30).json()["triples"] == before
    added = "ASK { ?s <http://example.org/n> ?k }"
    answer = requests.get(server.sparql, params={"query": added}, timeout=30)
    assert answer.json()["boolean"] is False
