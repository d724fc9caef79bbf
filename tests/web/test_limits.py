"""Request-size limits at the edge of the HTTP server, and CORS on answers that routing gives:
GET queries longer than a common 4 KiB request-line limit still reach the app (the front reads
8 KiB lines), a GET query over ``--max-query-length`` is a plain-text 414, and a 405 on
``/sparql`` carries CORS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from support.servers import RunningServer, start_server

MAX_QUERY_LENGTH = 5000


def padded(length: int) -> str:
    query = "ASK { ?s ?p ?o }"
    return query + " " * (length - len(query))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    tmp: Path = tmp_path_factory.mktemp("limits")
    (tmp / "d.nt").write_text("<http://x/s> <http://x/p> <http://x/o> .\n")
    running = start_server(
        tmp, ["--data", str(tmp / "d.nt"), "--max-query-length", str(MAX_QUERY_LENGTH)]
    )
    yield running
    running.stop()


def test_get_query_longer_than_4094_bytes_of_request_line_is_answered(server):
    # Spaces are percent-encoded as '+', so the request line is a little over 5,000 bytes.
    response = requests.get(server.sparql, params={"query": padded(MAX_QUERY_LENGTH)}, timeout=30)
    assert len(response.request.path_url) > 4094
    assert response.status_code == 200, response.text
    assert response.json()["boolean"] is True


def test_get_query_over_max_query_length_is_plain_text_414_naming_the_limit(server):
    response = requests.get(
        server.sparql, params={"query": padded(MAX_QUERY_LENGTH + 1)}, timeout=30
    )
    assert response.status_code == 414
    assert response.headers["Content-Type"].startswith("text/plain")
    assert str(MAX_QUERY_LENGTH) in response.text
    assert "<html" not in response.text.lower()


def test_post_query_over_max_query_length_stays_413(server):
    response = requests.post(
        server.sparql, data={"query": padded(MAX_QUERY_LENGTH + 1)}, timeout=30
    )
    assert response.status_code == 413
    assert str(MAX_QUERY_LENGTH) in response.text


def test_request_line_beyond_8190_bytes_is_refused_414_by_the_server(server):
    response = requests.get(server.sparql, params={"query": "#" + "x" * 9000}, timeout=30)
    assert response.status_code == 414


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_405_on_sparql_carries_cors_headers(server, method):
    response = requests.request(
        method, server.sparql, headers={"Origin": "https://example.net"}, timeout=30
    )
    assert response.status_code == 405
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
    assert "Accept" in response.headers.get("Vary", "")


def test_sparql_answers_still_carry_cors_headers(server):
    response = requests.get(server.sparql, params={"query": "ASK {}"}, timeout=30)
    assert response.status_code == 200
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
