"""The service is safe on the public internet with its shipped defaults (issue 14), shown on a
live server: no request reaches another server even with a write token and without network
namespaces, updates run under the query workers' deadline and caps, an oversized chunked body
is 413 with nothing stored, and bad settings or data are one clear line."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from test_hostile import CARTESIAN, EX, assert_clean_error, post_from, write_data
from test_outbound_http import outbound_spellings

from support.servers import RunningServer, start_server

pytestmark = pytest.mark.slow

TOKEN = "issue-14-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
DEADLINE = 2.0
MAX_BODY = 65_536


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("safe")


@pytest.fixture(scope="module")
def server(data_dir: Path) -> Iterator[RunningServer]:
    """Updates enabled, and the worker network namespace off (as on a host that forbids
    namespaces): only the parser and the worker stand between a request and the network."""
    args = [
        *[arg for path in write_data(data_dir) for arg in ("--data", str(path))],
        "--query-timeout", str(DEADLINE),
        "--max-body", str(MAX_BODY),
        "--network-namespace", "off",
    ]  # fmt: skip
    running = start_server(data_dir, args, env={"IPKG_UPDATE_TOKEN": TOKEN})
    yield running
    running.stop()


def update(server: RunningServer, text: str, headers: dict | None = None) -> requests.Response:
    return requests.post(
        server.sparql,
        data=text.encode(),
        headers={"Content-Type": "application/sparql-update", **(headers or {})},
        timeout=60,
    )


def count(server: RunningServer, graph: str) -> int:
    query = f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    response = requests.post(server.sparql, data={"query": query}, timeout=30)
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_service_after_an_escaped_hash_is_refused_and_reaches_nothing(server, listener):
    query = (
        f"PREFIX ex: <{EX}>\nSELECT * {{ ?s ex:a\\# ?o . "
        f"SERVICE <{listener.url}/sparql> {{ ?x ?y ?z }} }}"
    )
    for response in (
        requests.post(server.sparql, data={"query": query}, timeout=30),
        requests.post(server.sparql, data={"query": query}, headers=BEARER, timeout=30),
    ):
        assert_clean_error(response)
        assert response.status_code == 403
    assert listener.settle() == []


def test_service_and_load_are_refused_403_in_every_spelling_and_nothing_is_contacted(
    server, listener
):
    before = requests.get(server.url + "/readyz", timeout=30).json()["triples"]
    queries, updates = outbound_spellings(listener.url)
    answers = [requests.post(server.sparql, data={"query": q}, timeout=30) for q in queries]
    answers += [update(server, u, BEARER) for u in updates]
    for text, answer in zip(queries + updates, answers, strict=True):
        assert answer.status_code == 403, (text, answer.status_code, answer.text)
        assert listener.url not in answer.text and "Content-Type" not in answer.text
    assert listener.settle() == []
    assert requests.get(server.url + "/readyz", timeout=30).json()["triples"] == before


def test_isolation_off_shows_in_readyz_and_metrics(server):
    isolation = requests.get(server.url + "/readyz", timeout=30).json()["isolation"]
    assert isolation["network"].startswith("host network (--network-namespace off)")
    metrics = requests.get(server.url + "/metrics", timeout=30).text
    assert "ipkg_query_workers_network_isolated 0" in metrics
    assert "query workers: {'network': 'host network" in server.output()


@pytest.mark.parametrize(
    "make_update",
    [
        lambda url: f"LOAD <{url}/x.nt> INTO GRAPH <{EX}loaded>",
        lambda url: f"LOAD SILENT <{url}/x.nt>",
        lambda url: (
            f"INSERT {{ GRAPH <{EX}loaded> {{ ?s ?p ?o }} }} "
            f"WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}"
        ),
        lambda url: (
            f"PREFIX ex: <{EX}>\nINSERT {{ GRAPH <{EX}loaded> {{ ?s ?p ?o }} }} "
            f"WHERE {{ ?s ex:a\\# ?o . SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}"
        ),
    ],
    ids=["load", "load-silent", "service-in-update", "service-after-escaped-hash"],
)
def test_load_and_service_in_updates_with_the_token_reach_nothing(server, listener, make_update):
    response = update(server, make_update(listener.url), BEARER)
    assert_clean_error(response)
    assert response.status_code == 403
    assert listener.settle() == []
    assert count(server, f"{EX}loaded") == 0


def test_a_runaway_update_stops_at_the_query_deadline_and_changes_nothing(server):
    runaway = f"INSERT {{ GRAPH <{EX}product> {{ ?a <{EX}n> ?n }} }} WHERE {{ {CARTESIAN} }}"
    runaway = runaway.replace("SELECT (COUNT(*) AS ?n) {", "{ SELECT ?a (COUNT(*) AS ?n) {", 1)
    runaway = runaway.replace("?j ?k ?l }", "?j ?k ?l } GROUP BY ?a }", 1)
    started = time.monotonic()
    response = update(server, runaway, BEARER)
    took = time.monotonic() - started
    assert response.status_code == 503, response.text
    assert "deadline" in response.text
    assert took < DEADLINE + 3
    assert count(server, f"{EX}product") == 0


def test_an_update_longer_than_max_query_length_is_413_and_the_service_lives_on(server):
    response = update(server, "ASK { FILTER(" + "!" * 60_000 + "true) }", BEARER)
    assert response.status_code == 413
    assert "20000" in response.text
    assert requests.get(server.sparql, params={"query": "ASK {}"}, timeout=10).status_code == 200


def test_an_update_that_works_still_commits_through_the_worker(server):
    response = update(server, f"INSERT DATA {{ GRAPH <{EX}added> {{ _:b <{EX}p> 1 }} }}", BEARER)
    assert response.status_code == 204, response.text
    assert count(server, f"{EX}added") == 1


def chunks(body: bytes, size: int = 8192) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_a_chunked_body_over_max_body_is_413_and_nothing_is_stored(server):
    line = f"<{EX}big> <{EX}p> " + '"{}" .\n'
    body = "".join(line.format(i) for i in range(4 * MAX_BODY // len(line))).encode()
    assert len(body) > 2 * MAX_BODY
    response = requests.put(
        server.url + "/store",
        params={"graph": f"{EX}chunked"},
        data=chunks(body),  # a generator: requests sends Transfer-Encoding: chunked
        headers={"Content-Type": "application/n-triples", **BEARER},
        timeout=30,
    )
    assert response.status_code == 413, response.text
    assert str(MAX_BODY) in response.text
    assert count(server, f"{EX}chunked") == 0


def test_a_chunked_body_under_max_body_is_stored_whole(server):
    line = f"<{EX}small> <{EX}p> " + '"{}" .\n'
    body = "".join(line.format(i) for i in range(100)).encode()
    response = requests.put(
        server.url + "/store",
        params={"graph": f"{EX}chunked-small"},
        data=chunks(body, 500),
        headers={"Content-Type": "application/n-triples", **BEARER},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    assert count(server, f"{EX}chunked-small") == 100


def test_control_bytes_never_reach_the_html_of_a_resource_page(tmp_path):
    data = tmp_path / "controls.nt"
    data.write_text(
        "<https://ipkg.example.org/id/ctl> <http://www.w3.org/2000/01/rdf-schema#label> "
        '"null\\u0000 escape\\u001b[31m red" .\n'
    )
    running = start_server(tmp_path, ["--data", str(data)])
    try:
        page = requests.get(running.url + "/id/ctl", headers={"Accept": "text/html"}, timeout=30)
        assert page.status_code == 200, page.text
        assert "null" in page.text and "red" in page.text
        assert b"\x00" not in page.content
        assert b"\x1b" not in page.content
    finally:
        running.stop()


@pytest.mark.parametrize(
    ("args", "setting"),
    [
        (["--port", "70000"], "port"),
        (["--query-timeout", "nan"], "query_timeout"),
        (["--rate-limit", "inf"], "rate_limit"),
        (["--store", "disk:/proc/nonexistent/x"], "store"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(tmp_path, args, setting):
    result = subprocess.run(
        [sys.executable, "-m", "ipkg", "serve", "--reasoner", "none", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "IPKG_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("ipkg: error")]
    assert len(errors) == 1, result.stderr
    assert setting in errors[0]
    assert "Traceback" not in result.stderr


def test_an_empty_data_file_is_refused_at_start_and_on_reload_keeps_the_data(tmp_path):
    empty = tmp_path / "empty.nt"
    empty.write_text("")
    with pytest.raises(RuntimeError, match="has no triples"):
        start_server(tmp_path, ["--data", str(empty)])
    data = tmp_path / "good.nt"
    data.write_text(f'<{EX}a> <{EX}p> "1" .\n<{EX}b> <{EX}p> "2" .\n')
    running = start_server(tmp_path, ["--data", str(data)])
    try:
        data.write_text("")
        running.process.send_signal(signal.SIGHUP)
        time.sleep(3)
        query = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
        response = requests.post(running.sparql, data={"query": query}, timeout=30)
        assert response.json()["results"]["bindings"][0]["n"]["value"] == "2"
        assert "has no triples" in running.output()
    finally:
        running.stop()


def zygote_pid(server: RunningServer) -> int:
    """The pid of the query worker zygote: the server's child whose own children are the
    query workers."""
    for pid in children(server.process.pid):
        if children(pid):
            return pid
    raise AssertionError("no zygote found")


def children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task").glob("*/children")  # any thread may have forked
    return [int(child) for task in tasks for child in task.read_text().split()]


def test_a_killed_worker_zygote_is_replaced_without_help_and_without_tracebacks(tmp_path):
    data = tmp_path / "heal.nt"
    data.write_text(f'<{EX}a> <{EX}p> "1" .\n')
    running = start_server(tmp_path, ["--data", str(data)])
    try:
        old = zygote_pid(running)
        os.kill(old, signal.SIGKILL)
        time.sleep(0.5)
        answers = [
            requests.get(running.sparql, params={"query": "ASK {}"}, timeout=15) for _ in range(6)
        ]
        assert [r.status_code for r in answers[-3:]] == [200, 200, 200]
        assert requests.get(running.url + "/healthz", timeout=10).status_code == 200
        assert requests.get(running.url + "/readyz", timeout=10).status_code == 200
        assert zygote_pid(running) != old
        assert "Traceback" not in running.output()
        assert "started a new one" in running.output()
    finally:
        running.stop()


def test_after_sigterm_new_connections_are_refused_at_once(tmp_path):
    args = [arg for path in write_data(tmp_path) for arg in ("--data", str(path))]
    running = start_server(tmp_path, [*args, "--query-timeout", "4"])
    host, port = running.url.removeprefix("http://").split(":")
    slow = threading.Thread(
        target=requests.post,
        args=(running.sparql,),
        kwargs={"data": {"query": CARTESIAN}, "timeout": 30},
    )
    slow.start()  # an in-flight request keeps the graceful shutdown going for a while
    time.sleep(0.5)
    running.process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    try:
        started = time.monotonic()
        with pytest.raises(OSError), socket.create_connection((host, int(port)), 2) as sock:
            sock.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
            assert not sock.recv(100)  # accepted and closed also counts as refused
            raise ConnectionResetError
        assert time.monotonic() - started < 1.5
    finally:
        slow.join()
        running.stop()


def test_with_the_defaults_one_hostile_address_cannot_starve_another(tmp_path):
    args = [arg for path in write_data(tmp_path) for arg in ("--data", str(path))]
    running = start_server(tmp_path, args)  # every limit at its shipped default
    attacks: list[threading.Thread] = []
    answers: list[tuple[int, float]] = []

    def attacker() -> None:  # one hostile query a second, from 127.0.0.2, for 7 s
        for _ in range(7):
            attack = threading.Thread(target=post_from, args=("127.0.0.2", running, CARTESIAN))
            attack.start()
            attacks.append(attack)
            time.sleep(1.0)

    sender = threading.Thread(target=attacker)
    try:
        sender.start()
        time.sleep(2.5)  # the attack now holds as many workers as it can
        ends = time.monotonic() + 4
        while time.monotonic() < ends:
            started = time.monotonic()
            try:
                response = requests.get(running.sparql, params={"query": "ASK {}"}, timeout=15)
                answers.append((response.status_code, time.monotonic() - started))
            except requests.RequestException:
                answers.append((0, time.monotonic() - started))
            time.sleep(0.05)
    finally:
        sender.join()
        for attack in attacks:
            attack.join()
        running.stop()
    ok = sorted(took for status, took in answers if status == 200)
    assert len(answers) >= 10, answers
    assert len(ok) >= 0.95 * len(answers), answers
    assert ok[len(ok) // 2] < 1.0, answers


def test_over_its_share_a_client_gets_429_with_retry_after(tmp_path):
    args = [arg for path in write_data(tmp_path) for arg in ("--data", str(path))]
    running = start_server(tmp_path, [*args, "--query-timeout", "4"])
    try:
        attack = threading.Thread(target=post_from, args=("127.0.0.2", running, CARTESIAN))
        attack.start()
        time.sleep(0.5)
        host, port = running.url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(
            host, int(port), timeout=30, source_address=("127.0.0.2", 0)
        )
        conn.request("GET", "/sparql?query=ASK%20%7B%7D")
        answer = conn.getresponse()
        assert answer.status == 429
        assert answer.getheader("Retry-After")
        assert b"--client-queries" in answer.read()
        conn.close()
        assert (
            requests.get(running.sparql, params={"query": "ASK {}"}, timeout=10).status_code == 200
        )
        attack.join()
    finally:
        running.stop()


def test_x_forwarded_for_names_the_client_only_from_the_trusted_proxy(tmp_path):
    args = [arg for path in write_data(tmp_path) for arg in ("--data", str(path))]
    running = start_server(
        tmp_path, [*args, "--query-timeout", "4", "--trusted-proxy", "127.0.0.1"]
    )

    def attack() -> None:
        requests.post(
            running.sparql,
            data={"query": CARTESIAN},
            headers={"X-Forwarded-For": "203.0.113.9"},
            timeout=30,
        )

    attacker = threading.Thread(target=attack)
    try:
        attacker.start()
        time.sleep(0.5)

        def ask(forwarded: str) -> int:
            headers = {"X-Forwarded-For": forwarded}
            query = {"query": "ASK {}"}
            return requests.get(
                running.sparql, params=query, headers=headers, timeout=30
            ).status_code

        assert ask("198.51.100.1, 203.0.113.9") == 429  # the proxy's last entry: the attacker
        assert ask("203.0.113.10") == 200  # another client behind the same proxy
        # From an address that is not the trusted proxy the header is ignored.
        host, port = running.url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), 30, ("127.0.0.2", 0))
        conn.request(
            "GET", "/sparql?query=ASK%20%7B%7D", headers={"X-Forwarded-For": "203.0.113.9"}
        )
        assert conn.getresponse().status == 200  # counted as 127.0.0.2, not as the attacker
        conn.close()
        attacker.join()
    finally:
        running.stop()
