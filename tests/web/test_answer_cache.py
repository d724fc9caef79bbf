"""Cache hits answered by the front's event loop (``web/answer_cache.py`` through
``web/front.py``), on a live server with one request thread: a repeated query is answered
while that thread is held by a slow query, with the bytes and head a thread gave it, counted
in ``/metrics``; a miss still goes to the thread, and a conditional hit is a 304."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
import requests

from support.servers import RunningServer, start_server

pytestmark = pytest.mark.slow

EX = "http://example.org/"
JSON = {"Accept": "application/sparql-results+json"}
CARTESIAN = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n ?o }"
POINT = f"SELECT ?o WHERE {{ <{EX}s1> <{EX}label> ?o }}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    folder = tmp_path_factory.mktemp("answer-cache")
    data = folder / "data.nt"
    data.write_text("".join(f'<{EX}s{i}> <{EX}label> "item {i}" .\n' for i in range(40)))
    running = start_server(folder, ["--data", str(data), "--threads", "1", "--query-timeout", "4"])
    yield running
    running.stop()


def ask(server: RunningServer, query: str, **headers: str) -> requests.Response:
    return requests.get(
        server.sparql, params={"query": query}, headers={**JSON, **headers}, timeout=30
    )


def hits(server: RunningServer) -> float:
    text = requests.get(server.url + "/metrics", timeout=10).text
    return float(re.search(r"^ipkg_result_cache_hits_total (\S+)$", text, re.MULTILINE).group(1))


def holding_the_thread(server: RunningServer) -> tuple[threading.Thread, list[int]]:
    """A slow query on the one request thread (it runs to its 4 s deadline); returns the
    client's thread and where its status lands."""
    status: list[int] = []
    slow = threading.Thread(target=lambda: status.append(ask(server, CARTESIAN).status_code))
    slow.start()
    return slow, status


def running(server: RunningServer) -> float:
    """Queries running now (``/metrics`` has a thread of its own)."""
    text = requests.get(server.url + "/metrics", timeout=10).text
    return float(re.search(r"^ipkg_queries_running (\S+)$", text, re.MULTILINE).group(1))


def wait_until_running(server: RunningServer) -> None:
    """Until the slow query runs (on a query worker, so on the one request thread too)."""
    for _ in range(200):
        if running(server) >= 1:
            return
        threading.Event().wait(0.02)
    pytest.fail("the slow query never reached a query worker")


def test_a_repeated_query_is_answered_while_the_only_request_thread_is_busy(server):
    first = ask(server, POINT)
    assert first.headers["X-Result-Cache"] == "miss"
    before = hits(server)
    slow, status = holding_the_thread(server)
    wait_until_running(server)
    again = ask(server, POINT)
    assert running(server) == 1, "the slow query ended before the repeated one was answered"
    slow.join()
    assert status == [503]  # the slow one ran to its deadline on the thread
    assert again.status_code == 200
    assert again.headers["X-Result-Cache"] == "hit"
    assert again.content == first.content
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert again.headers["Content-Length"] == str(len(first.content))
    assert hits(server) == before + 1


def test_a_hit_with_the_etag_it_was_sent_with_is_a_304_without_a_body(server):
    first = ask(server, POINT)
    again = ask(server, POINT, **{"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_new_query_waits_for_the_request_thread(server):
    slow, _ = holding_the_thread(server)
    wait_until_running(server)
    fresh = ask(server, f"SELECT ?o WHERE {{ <{EX}s2> <{EX}label> ?o }}")
    assert running(server) == 0, "a miss was answered while the only request thread was busy"
    slow.join()
    assert fresh.status_code == 200
    assert fresh.headers["X-Result-Cache"] == "miss"


def test_a_posted_form_query_is_a_hit_too(server):
    form = {"query": POINT}
    first = requests.post(server.sparql, data=form, headers=JSON, timeout=30)
    second = requests.post(server.sparql, data=form, headers=JSON, timeout=30)
    assert second.status_code == 200
    assert second.headers["X-Result-Cache"] == "hit"
    assert second.content == first.content
