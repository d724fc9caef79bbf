"""Errors for people and for programs, on a live server: a browser (Accept prefers HTML) gets a
page in the site's layout with its navigation and the message in plain words, for each status;
curl and scripts keep the plain-text answer. A bad form value comes back beside its field."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
import requests

from ipkg.config import Settings
from ipkg.web.app import create_app
from ipkg.web.state import state
from support.servers import RunningServer, start_server

pytestmark = pytest.mark.slow  # a server of its own (deadline and rate limit)

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The article graph with a short deadline (503) and a rate limit that a burst of requests
    from this test reaches (429)."""
    running = start_server(
        tmp_path_factory.mktemp("error-pages"),
        ["--query-timeout", "0.5", "--rate-limit", "0.01", "--rate-burst", "40"],
    )
    yield running
    running.stop()


def assert_site_page(response: requests.Response, status: int) -> str:
    """The response is the site's HTML error page for ``status``; returns its message."""
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.text
    assert '<header><a class="brand" href="/">ipkg</a> <nav>' in page  # the site's navigation
    assert f'<p class="status-code">Error {status}</p>' in page
    assert 'action="/search"' in page and 'href="/id/"' in page
    assert "Traceback" not in page
    message = re.search(r'<pre class="error-message">(.*?)</pre>', page, re.S)
    assert message and message.group(1).strip()
    return message.group(1)


def test_an_unknown_path_is_a_404_page_naming_the_path(server):
    message = assert_site_page(requests.get(server.url + "/nope", headers=BROWSER, timeout=30), 404)
    assert message == "There is no page at /nope."


def test_curl_still_gets_plain_text_for_an_unknown_path(server):
    response = requests.get(server.url + "/nope", timeout=30)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "Accept" in response.headers["Vary"]


def test_a_syntax_error_in_a_browser_is_a_400_page_with_the_caret(server):
    response = requests.get(
        server.sparql, params={"query": "SELCT * WHERE { ?s ?p ?o }"}, headers=BROWSER, timeout=30
    )
    message = assert_site_page(response, 400)
    assert "expected a query form: SELECT, ASK, CONSTRUCT or DESCRIBE" in message
    assert message.rstrip().endswith("SELCT * WHERE { ?s ?p ?o }\n^")


def test_a_wrong_method_is_a_405_page_that_keeps_the_allow_header(server):
    response = requests.delete(server.url + "/article", headers=BROWSER, timeout=30)
    message = assert_site_page(response, 405)
    assert "GET" in response.headers["Allow"]
    assert message.startswith("/article does not take DELETE requests; it takes ")


def test_an_unacceptable_format_is_a_406_page(server):
    response = requests.get(
        server.sparql, params={"query": "ASK {}"}, headers={"Accept": "text/html"}, timeout=30
    )
    assert_site_page(response, 406)


def test_a_query_over_the_length_limit_is_a_413_page(server):
    response = requests.post(
        server.sparql, data={"query": "ASK {}" + "#" * 200_000}, headers=BROWSER, timeout=30
    )
    assert "characters; the limit is" in assert_site_page(response, 413)


def test_a_query_past_its_deadline_is_a_503_page(server):
    response = requests.get(server.sparql, params={"query": SLOW}, headers=BROWSER, timeout=60)
    assert_site_page(response, 503)


def test_an_unknown_document_format_lists_the_formats(server):
    response = requests.get(server.url + "/doc/cnipa.xlsx", headers=BROWSER, timeout=30)
    assert response.status_code == 404
    assert "has no <code>.xlsx</code> form" in response.text
    listed = re.findall(r'<a href="/doc/cnipa\.(\w+)">', response.text)
    assert {"html", "ttl", "jsonld", "nt", "rdf"} <= set(listed)
    for extension in listed:
        assert requests.get(f"{server.url}/doc/cnipa.{extension}", timeout=30).ok


def test_a_bad_form_value_comes_back_beside_its_field_with_the_value_kept(server):
    response = requests.get(
        server.url + "/api/queries/statistics-by-year.html",
        params={"year": "twenty"},
        headers=BROWSER,
        timeout=30,
    )
    assert response.status_code == 400
    field = re.search(r'<input id="param-year"[^>]*>', response.text)
    assert field and 'value="twenty"' in field[0] and 'aria-invalid="true"' in field[0]
    after = response.text[field.end() :]
    problem = re.search(r'<p class="field-error" id="problem-year" role="alert">(.*?)</p>', after)
    assert problem and "integer" in problem[1]
    assert '<table class="results">' not in response.text


def test_a_page_has_a_favicon(server):
    page = requests.get(server.url + "/article", timeout=30).text
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert icon and requests.get(server.url + icon[1], timeout=30).ok
    old = requests.get(server.url + "/favicon.ico", timeout=30)
    assert old.ok and old.headers["Content-Type"].startswith("image/svg+xml")


def test_too_many_requests_is_a_429_page_that_keeps_retry_after(server):
    for _ in range(80):  # the burst of 40 runs out; a browser is told to wait, in words
        response = requests.get(server.url + "/nope", headers=BROWSER, timeout=30)
        if response.status_code == 429:
            break
    assert_site_page(response, 429)
    assert int(response.headers["Retry-After"]) >= 1


def test_an_unexpected_failure_is_a_500_page_without_the_traceback():
    app = create_app(Settings(query_workers=1), built=(ox.Store(), "errors"))

    @app.get("/fails")
    def fails():
        raise RuntimeError("a bug in a route")

    try:
        client = app.test_client()
        page = client.get("/fails", headers=BROWSER)
        assert page.status_code == 500 and page.mimetype == "text/html"
        assert "Something went wrong on our side" in page.get_data(as_text=True)
        assert "a bug in a route" not in page.get_data(as_text=True)
        plain = client.get("/fails")
        assert plain.status_code == 500 and plain.mimetype == "text/plain"
    finally:
        with app.app_context():
            state().queries.close()
