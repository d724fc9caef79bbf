"""One road for every query (issue 19, points 5 and 6), on a live server: page, label and
saved-query requests count against the client's fair share like ``/sparql`` does; every
retryable refusal of every route says ``Retry-After`` and no deterministic failure does; the
rate limit tells clients apart as the fair share does (``--trusted-proxy``); one bad IRI in a
``/labels`` batch costs that IRI its label, not the batch its answer; errors come as plain
text, JSON or HTML by ``Accept``."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from test_hostile import CARTESIAN, CONCAT_CHAIN, post_from

from support.servers import RunningServer, start_server

pytestmark = pytest.mark.slow  # starts two servers and holds a worker for seconds

IRI = "https://ipkg.example.org/id/field/ip-services-industry"
DEADLINE = 4.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The article with a short deadline and a memory cap a CONCAT chain runs into."""
    running = start_server(
        tmp_path_factory.mktemp("road"),
        ["--query-timeout", str(DEADLINE), "--query-memory", "512"],
    )
    yield running
    running.stop()


def get_from(source: str, server: RunningServer, path: str) -> http.client.HTTPResponse:
    """A GET from another loopback address (another client to the server), read whole."""
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60, source_address=(source, 0))
    try:
        conn.request("GET", path)
        answer = conn.getresponse()
        answer.read()
        return answer
    finally:
        conn.close()


def holding_a_worker(server: RunningServer, source: str) -> threading.Thread:
    """Starts a query from ``source`` that holds its one worker until the deadline."""
    attack = threading.Thread(target=post_from, args=(source, server, CARTESIAN))
    attack.start()
    time.sleep(0.5)
    return attack


def test_page_label_and_saved_query_requests_count_against_the_clients_share(server):
    attack = holding_a_worker(server, "127.0.0.2")
    try:
        paths = ["/labels?iri=" + IRI, "/id/", "/api/queries/hubs.json"]
        refused = {path: get_from("127.0.0.2", server, path) for path in paths}
        other = get_from("127.0.0.1", server, "/labels?iri=" + IRI)
    finally:
        attack.join()
    for path, answer in refused.items():
        assert answer.status == 429, path
        assert answer.getheader("Retry-After") == "1", path
    assert other.status == 200  # another client is not held back
    assert get_from("127.0.0.2", server, "/labels?iri=" + IRI).status == 200  # once freed


def test_a_query_stopped_at_its_deadline_is_503_with_retry_after(server):
    status, _body = post_from("127.0.0.3", server, CARTESIAN)
    assert status == 503
    response = requests.post(server.sparql, data={"query": CARTESIAN}, timeout=30)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert "deadline" in response.text


def test_a_query_over_the_memory_cap_fails_the_same_way_again_so_no_retry_after(server):
    response = requests.post(server.sparql, data={"query": CONCAT_CHAIN}, timeout=60)
    assert response.status_code == 503, response.text
    assert "memory" in response.text
    assert "Retry-After" not in response.headers


def test_one_control_character_in_a_labels_batch_costs_only_that_iri(server):
    bad = "https://ipkg.example.org/id/a\x01b"
    response = requests.get(server.url + "/labels", params={"iri": [bad, IRI]}, timeout=30)
    assert response.status_code == 200, response.text
    found = response.json()
    assert set(found) == {IRI}
    assert found[IRI]["label"]


def test_an_error_comes_as_json_or_html_by_accept_and_as_text_otherwise(server):
    too_many = {"iri": [f"a:{i}" for i in range(201)]}
    url = server.url + "/labels"
    plain = requests.get(url, params=too_many, timeout=30)
    as_json = requests.get(url, params=too_many, headers={"Accept": "application/json"}, timeout=30)
    as_html = requests.get(
        url, params=too_many, headers={"Accept": "text/html,*/*;q=0.8"}, timeout=30
    )
    assert {plain.status_code, as_json.status_code, as_html.status_code} == {400}
    assert plain.headers["Content-Type"].startswith("text/plain")
    assert "201 'iri' parameters" in plain.text
    assert as_json.json()["message"] == plain.text.strip()
    assert as_json.json()["error"] == "bad_request"
    assert as_html.headers["Content-Type"].startswith("text/html")
    assert "201 &#39;iri&#39; parameters" in as_html.text or "201 'iri'" in as_html.text


def test_the_rate_limit_tells_clients_behind_the_trusted_proxy_apart(tmp_path: Path):
    running = start_server(
        tmp_path, ["--rate-limit", "0.2", "--rate-burst", "1", "--trusted-proxy", "127.0.0.1"]
    )
    try:

        def ask(forwarded: str) -> requests.Response:
            return requests.get(
                running.url + "/labels",
                params={"iri": IRI},
                headers={"X-Forwarded-For": forwarded},
                timeout=30,
            )

        assert ask("203.0.113.9").status_code == 200
        limited = ask("198.51.100.1, 203.0.113.9")  # the proxy's last entry: the same client
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1
        assert ask("203.0.113.10").status_code == 200  # another client behind the proxy
    finally:
        running.stop()
