"""Operating the service: health and readiness, metrics, the JSON access log, the optional rate
limit, hot reload that refuses bad data, a killed worker replaced, and graceful shutdown."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
import requests

from support.servers import RunningServer, descendants, start_server

pytestmark = pytest.mark.slow  # signals, reloads and killed workers on live servers

TRIPLE = "<http://x/s{n}> <http://x/p> <http://x/o{n}> .\n"
COUNT = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
CARTESIAN = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def write_triples(path: Path, count: int) -> None:
    path.write_text("".join(TRIPLE.format(n=n) for n in range(count)))


def count_triples(server: RunningServer) -> int:
    response = requests.get(server.sparql, params={"query": COUNT, "format": "csv"}, timeout=10)
    assert response.status_code == 200, response.text
    return int(response.text.split()[1])


def wait_for(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def small_server(tmp_path_factory) -> RunningServer:
    tmp = tmp_path_factory.mktemp("ops")
    write_triples(tmp / "data.nt", 300)
    server = start_server(tmp, ["--data", str(tmp / "data.nt"), "--query-timeout", "2"])
    yield server
    server.stop()


def test_healthz_and_readyz_answer_when_data_is_loaded(small_server):
    assert requests.get(small_server.url + "/healthz", timeout=5).json() == {"status": "alive"}
    ready = requests.get(small_server.url + "/readyz", timeout=5)
    assert ready.status_code == 200
    assert ready.json()["triples"] == 300


def test_metrics_count_requests_and_queries_stopped_at_the_deadline(small_server):
    count_triples(small_server)
    slow = requests.get(small_server.sparql, params={"query": CARTESIAN}, timeout=10)
    assert slow.status_code == 503
    text = requests.get(small_server.url + "/metrics", timeout=5).text
    assert 'ipkg_http_requests_total{method="GET",route="/sparql",status="200"}' in text
    killed = [line for line in text.splitlines() if line.startswith("ipkg_queries_killed_total")]
    assert int(killed[0].split()[1]) >= 1
    assert "ipkg_graph_triples 300" in text
    assert "ipkg_http_request_duration_seconds_bucket" in text


def access_lines(server: RunningServer) -> list[dict]:
    return [json.loads(x) for x in server.output().splitlines() if x.startswith("{")]


def test_access_log_has_one_json_line_per_request(small_server):
    requests.get(small_server.sparql, params={"query": "ASK { ?s ?p ?o }"}, timeout=5)

    def asks() -> list[dict]:
        lines = access_lines(small_server)
        return [e for e in lines if e["path"] == "/sparql" and e["status"] == 200]

    assert wait_for(lambda: asks(), timeout=5)  # lines are written at least once a second
    assert set(asks()[-1]) >= {"method", "path", "status", "duration_ms", "query_hash", "rows"}
    assert len(asks()[-1]["query_hash"]) == 16


def test_every_access_log_line_is_written_by_a_clean_stop(tmp_path):
    write_triples(tmp_path / "d.nt", 3)
    server = start_server(tmp_path, ["--data", str(tmp_path / "d.nt")])
    try:
        for n in range(200):  # answered from the cache on the front's loop after the first
            requests.get(server.sparql, params={"query": "ASK {}"}, timeout=5)
            requests.get(server.sparql, params={"query": f"ASK {{}} # {n}"}, timeout=5)
    finally:
        server.stop()
    assert server.process.returncode == 0
    logged = [e for e in access_lines(server) if e["path"] == "/sparql"]
    assert len(logged) == 400


def raw_exchange(server: RunningServer, request: bytes) -> bytes:
    """Sends ``request`` as bytes on a socket of its own; the answer's first line."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        return sock.recv(65536).split(b"\r\n", 1)[0]


def test_requests_the_front_refuses_are_counted_and_logged_like_the_apps(small_server):
    too_large = (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n"
        b"Content-Type: application/sparql-query\r\n\r\n"
    )
    assert raw_exchange(small_server, too_large).startswith(b"HTTP/1.1 413")
    assert raw_exchange(small_server, b"NOT HTTP AT ALL\r\n\r\n").startswith(b"HTTP/1.1 400")
    strange = b"BREW /pot HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 9000 + b"\r\n\r\n"
    raw_exchange(small_server, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    raw_exchange(small_server, strange)
    text = requests.get(small_server.url + "/metrics", timeout=5).text
    assert 'ipkg_http_requests_total{method="POST",route="(front)",status="413"} 1' in text
    assert 'ipkg_http_requests_total{method="-",route="(front)",status="400"} 1' in text
    assert 'ipkg_http_requests_total{method="GET",route="(front)",status="414"} 1' in text
    assert "BREW" not in text  # a method HTTP does not define does not become a label
    assert "ipkg_front_connections_turned_away_total 0" in text
    assert re.search(r"^ipkg_front_connections \d+$", text, re.MULTILINE)

    def refused() -> list[dict]:
        return [
            e for e in access_lines(small_server) if e["path"] == "/sparql" and e["status"] == 413
        ]

    assert wait_for(lambda: refused(), timeout=5)
    assert refused()[-1]["method"] == "POST"


def test_rate_limit_answers_429_with_retry_after_but_spares_health(tmp_path):
    write_triples(tmp_path / "d.nt", 3)
    server = start_server(
        tmp_path, ["--data", str(tmp_path / "d.nt"), "--rate-limit", "1", "--rate-burst", "2"]
    )
    try:
        statuses = [
            requests.get(server.sparql, params={"query": "ASK {}"}, timeout=5).status_code
            for _ in range(4)
        ]
        assert statuses[:2] == [200, 200]
        assert 429 in statuses[2:]
        limited = requests.get(server.sparql, params={"query": "ASK {}"}, timeout=5)
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1
        assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
    finally:
        server.stop()


def test_watch_reloads_good_edits_and_keeps_the_last_good_data_on_bad_ones(tmp_path):
    data = tmp_path / "live.nt"
    write_triples(data, 5)
    server = start_server(tmp_path, ["--data", str(data), "--watch"])
    try:
        assert count_triples(server) == 5
        write_triples(data, 8)
        assert wait_for(lambda: count_triples(server) == 8)
        data.write_text(data.read_text() + "<http://x/broken\n")
        assert wait_for(lambda: "reload refused" in server.output())
        assert f"{data}:9:" in server.output()
        assert count_triples(server) == 8
        write_triples(data, 11)
        assert wait_for(lambda: count_triples(server) == 11)
    finally:
        server.stop()


def test_sighup_reloads_the_data(tmp_path):
    data = tmp_path / "hup.nt"
    write_triples(data, 2)
    server = start_server(tmp_path, ["--data", str(data)])
    try:
        write_triples(data, 4)
        os.kill(server.process.pid, signal.SIGHUP)
        assert wait_for(lambda: count_triples(server) == 4)
    finally:
        server.stop()


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def test_worker_killed_mid_query_gives_503_and_the_next_request_succeeds(tmp_path):
    write_triples(tmp_path / "d.nt", 300)
    server = start_server(tmp_path, ["--data", str(tmp_path / "d.nt"), "--query-timeout", "30"])
    try:
        result: dict[str, requests.Response] = {}
        attack = threading.Thread(
            target=lambda: result.setdefault(
                "r", requests.get(server.sparql, params={"query": CARTESIAN}, timeout=60)
            )
        )
        attack.start()
        time.sleep(1.0)
        # ipkg serve -> zygote -> query workers: the busiest is the one querying
        workers = [p for p, depth in descendants(server.process.pid).items() if depth == 2]
        busiest = max(workers, key=cpu_ticks)
        os.kill(busiest, signal.SIGKILL)
        attack.join(timeout=10)
        assert result["r"].status_code == 503
        assert "worker" in result["r"].text
        assert count_triples(server) == 300
    finally:
        server.stop()


def test_sigterm_lets_requests_in_flight_finish_and_accepts_no_new_ones(tmp_path):
    write_triples(tmp_path / "d.nt", 300)
    server = start_server(tmp_path, ["--data", str(tmp_path / "d.nt"), "--query-timeout", "2"])
    result: dict[str, requests.Response] = {}
    in_flight = threading.Thread(
        target=lambda: result.setdefault(
            "r", requests.get(server.sparql, params={"query": CARTESIAN}, timeout=30)
        )
    )
    in_flight.start()
    time.sleep(0.5)
    server.process.send_signal(signal.SIGTERM)
    in_flight.join(timeout=20)
    # The query ran to its end (its 2 s deadline) and got a complete answer.
    assert result["r"].status_code == 503
    assert "deadline" in result["r"].text
    server.process.wait(timeout=20)
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + "/healthz", timeout=2)
