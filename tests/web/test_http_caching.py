"""HTTP caching on every read (ipkg.web.http_caching), against a real ``ipkg serve``: a strong
ETag that changes with what the answer depends on, ``If-None-Match`` answered 304 (weak
comparison), ``Cache-Control`` from ``--cache-max-age``, ``private, no-store`` with
credentials, nothing stored for errors and health, and a ``Vary`` naming every header that
changes the answer."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests

from ipkg.config import Settings
from ipkg.web.http_caching import cache_control, matches

QUERY = "SELECT ?s WHERE { ?s a <https://ipkg.example.org/ontology#Hub> } ORDER BY ?s"
READS = [
    "/sparql?query=" + quote(QUERY),
    "/sparql",  # the service description
    "/api/queries/talent-growth.csv",
    "/api/queries/talent-growth",
    "/api/queries",
    "/doc/cnipa",
    "/export/complete.ttl",
    "/export/",
    "/.well-known/void",
    "/ontology",
    "/article",
    "/",
]


def get(server, path: str, **headers: str) -> requests.Response:
    return requests.get(server.url + path, headers=headers, timeout=30, allow_redirects=False)


@pytest.mark.parametrize("path", READS)
def test_a_read_has_a_strong_etag_and_if_none_match_answers_304(article_server, path) -> None:
    first = get(article_server, path)
    assert first.status_code == 200, first.text[:200]
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first.headers["Cache-Control"] == "public, max-age=2, must-revalidate"
    assert get(article_server, path).headers["ETag"] == etag  # stable
    for given in (etag, "W/" + etag, f'"other", {etag}', "*"):  # weak comparison (RFC 9110)
        again = get(article_server, path, **{"If-None-Match": given})
        assert again.status_code == 304, given
        assert again.content == b""
        assert again.headers["ETag"] == etag
        assert again.headers.get("Vary") == first.headers.get("Vary")
        assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
    assert get(article_server, path, **{"If-None-Match": '"other"'}).status_code == 200


def test_the_etag_changes_with_query_text_and_negotiated_format(article_server) -> None:
    base = "/sparql?query=" + quote(QUERY)
    other = "/sparql?query=" + quote(QUERY.replace("ORDER BY ?s", "ORDER BY DESC(?s)"))
    tags = {
        get(article_server, base, Accept="text/csv").headers["ETag"],
        get(article_server, base, Accept="application/sparql-results+json").headers["ETag"],
        get(article_server, other, Accept="text/csv").headers["ETag"],
    }
    assert len(tags) == 3


def test_a_page_varies_on_accept_language_and_its_etag_follows(article_server) -> None:
    english = get(article_server, "/doc/cnipa", **{"Accept-Language": "en"})
    chinese = get(article_server, "/doc/cnipa", **{"Accept-Language": "zh"})
    assert "Accept-Language" in english.headers["Vary"]
    assert english.text != chinese.text
    assert english.headers["ETag"] != chinese.headers["ETag"]
    stale = get(
        article_server,
        "/doc/cnipa",
        **{"Accept-Language": "zh", "If-None-Match": english.headers["ETag"]},
    )
    assert stale.status_code == 200


VARIANTS = {
    "Accept": ("text/html", "text/turtle", "application/sparql-results+json", "text/csv"),
    "Accept-Language": ("en", "zh"),
    "Accept-Encoding": ("identity", "gzip"),
}


@pytest.mark.parametrize("path", READS)
def test_vary_names_every_header_that_changes_the_answer(article_server, path) -> None:
    for header, values in VARIANTS.items():
        answers = [get(article_server, path, **{header: value}) for value in values]
        bodies = {(a.status_code, a.headers.get("Content-Type"), a.content) for a in answers}
        if len(bodies) > 1:
            for answer in answers:
                assert header in answer.headers.get("Vary", ""), (path, header)


def test_a_cached_sparql_answer_still_answers_304(article_server) -> None:
    path = "/sparql?query=" + quote(QUERY + " LIMIT 2")
    get(article_server, path)
    hit = get(article_server, path)
    assert hit.headers["X-Result-Cache"] == "hit"  # answered before Flask
    again = get(article_server, path, **{"If-None-Match": "W/" + hit.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == hit.headers["ETag"]
    private = get(article_server, path, Authorization="Bearer x")
    assert private.headers["Cache-Control"] == "private, no-store"


def test_a_request_with_credentials_is_private_and_not_stored(article_server) -> None:
    answer = get(article_server, "/api/queries/talent-growth.csv", Authorization="Bearer x")
    assert answer.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    "path", ["/sparql?query=SELEC", "/readyz", "/healthz", "/metrics", "/doc/no-such-thing"]
)
def test_errors_and_operational_answers_are_never_stored(article_server, path) -> None:
    answer = get(article_server, path)
    assert answer.headers["Cache-Control"] == "no-store"
    assert "ETag" not in answer.headers


def test_a_write_changes_every_etag(w3c_update_server, w3c_update_token) -> None:
    path = "/sparql?query=" + quote("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    before = get(w3c_update_server, path).headers["ETag"]
    dump = get(w3c_update_server, "/export/complete.nt").headers["ETag"]
    written = requests.post(
        w3c_update_server.sparql,
        data={"update": "INSERT DATA { <urn:cache:s> <urn:cache:p> 'etag' }"},
        headers={"Authorization": f"Bearer {w3c_update_token}"},
        timeout=30,
    )
    assert written.status_code == 204, written.text
    assert written.headers["Cache-Control"] == "private, no-store"
    after = get(w3c_update_server, path, **{"If-None-Match": before})
    assert after.status_code == 200 and after.headers["ETag"] != before
    assert get(w3c_update_server, "/export/complete.nt").headers["ETag"] != dump


def test_cache_max_age_sets_the_freshness_of_a_read() -> None:
    assert cache_control(Settings(cache_max_age=0), "GET", 200, False) == "public, no-cache"
    assert cache_control(Settings(cache_max_age=60), "GET", 200, False) == (
        "public, max-age=60, must-revalidate"
    )
    assert cache_control(Settings(cache_max_age=60), "POST", 200, False) == "no-store"
    assert cache_control(Settings(cache_max_age=60), "GET", 429, False) == "no-store"


def test_if_none_match_is_compared_weakly() -> None:
    assert matches('W/"abc"', "abc") and matches('"x", "abc"', "abc") and matches("*", "abc")
    assert not matches('"abcd"', "abc") and not matches(None, "abc")
