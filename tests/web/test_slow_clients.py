"""Slow clients cost nothing (issue 14, point 1): with the shipped defaults, hundreds of
connections that send half a request hold no request thread, an innocent client is answered at
once, and a connection whose request does not arrive in time is closed."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from support.servers import RunningServer, start_server

pytestmark = pytest.mark.slow

HALF_HEAD = b"GET /sparql HTTP/1.1\r\nHost: x\r\n"
HALF_BODY = (
    b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
    b"Content-Length: 100\r\n\r\nASK"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The shipped defaults, except a short client timeout so the test need not wait 10 s."""
    running = start_server(tmp_path_factory.mktemp("slow"), ["--client-timeout", "3"])
    yield running
    running.stop()


def port_of(server: RunningServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def slow_connections(server: RunningServer, count: int, source: str, first: bytes) -> list:
    """``count`` connections from ``source`` (a loopback address) that send ``first`` and stop."""
    opened = []
    for _ in range(count):
        sock = socket.socket()
        sock.bind((source, 0))
        sock.connect(("127.0.0.1", port_of(server)))
        sock.sendall(first)
        opened.append(sock)
    return opened


def closed_by_server(sock: socket.socket, wait: float = 0.0) -> bool:
    """Whether the server has closed ``sock``, waiting up to ``wait`` seconds (0: look now)."""
    sock.settimeout(wait)
    try:
        return sock.recv(16) == b""
    except (TimeoutError, BlockingIOError):
        return False
    except OSError:
        return True


def close_all(socks: list[socket.socket]) -> None:
    for sock in socks:
        sock.close()


def test_two_hundred_half_sent_heads_do_not_delay_an_innocent_request(server: RunningServer):
    socks = slow_connections(server, 200, "127.0.0.2", HALF_HEAD)
    try:
        started = time.monotonic()
        health = requests.get(server.url + "/healthz", timeout=5)
        query = requests.get(server.sparql, params={"query": "ASK {}"}, timeout=5)
        elapsed = time.monotonic() - started
        assert health.status_code == 200 and query.status_code == 200
        assert elapsed < 2, f"innocent requests took {elapsed:.1f} s behind slow clients"
    finally:
        close_all(socks)


def test_half_sent_bodies_do_not_delay_an_innocent_request(server: RunningServer):
    socks = slow_connections(server, 12, "127.0.0.3", HALF_BODY)
    try:
        answer = requests.get(server.sparql, params={"query": "ASK {}"}, timeout=5)
        assert answer.status_code == 200
    finally:
        close_all(socks)


def test_one_address_holds_a_bounded_number_of_arriving_requests(server: RunningServer):
    socks = slow_connections(server, 40, "127.0.0.4", HALF_HEAD)
    try:
        time.sleep(2.4)  # slow after a second, swept each second, closed at 3 s (the timeout)
        closed = sum(closed_by_server(sock) for sock in socks)
        assert closed == 40 - 16, "the default --client-pending is 16"
    finally:
        close_all(socks)


def test_a_request_that_does_not_arrive_in_time_is_closed(server: RunningServer):
    socks = slow_connections(server, 3, "127.0.0.5", HALF_HEAD)
    try:
        assert not any(closed_by_server(sock, 0.5) for sock in socks)
        time.sleep(3)
        assert all(closed_by_server(sock, 2) for sock in socks)
    finally:
        close_all(socks)


def test_a_body_sent_in_pieces_within_the_timeout_is_answered(server: RunningServer):
    query = b"ASK { ?s ?p ?o }"
    head = (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Type: application/sparql-query\r\nAccept: application/sparql-results+json\r\n"
        b"Content-Length: " + str(len(query)).encode() + b"\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=5) as sock:
        for piece in (head[:20], head[20:], query[:5], query[5:]):
            sock.sendall(piece)
            time.sleep(0.2)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200") and b'"boolean":true' in answer


def test_expect_continue_is_answered_before_the_body_arrives(server: RunningServer):
    head = (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Expect: 100-continue\r\nContent-Length: 7\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=5) as sock:
        sock.sendall(head)
        assert sock.recv(64).startswith(b"HTTP/1.1 100 Continue")


def test_the_settings_are_named_when_bad():
    for flag, value in (("--client-timeout", "0"), ("--client-pending", "0")):
        done = subprocess.run(
            [sys.executable, "-m", "ipkg", "serve", flag, value],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode != 0
        assert flag.lstrip("-").replace("-", "_") in done.stderr
        assert "Traceback" not in done.stderr


def test_many_busy_keep_alive_clients_from_one_address_are_all_answered(server: RunningServer):
    """The share counts slow requests only: a proxy or a busy client with many connections
    sending whole requests at once is never cut off."""

    def client(_: int) -> list[int]:
        with requests.Session() as session:
            return [
                session.get(server.sparql, params={"query": "ASK {}"}, timeout=30).status_code
                for _ in range(5)
            ]

    with ThreadPoolExecutor(max_workers=48) as pool:
        statuses = [status for answers in pool.map(client, range(48)) for status in answers]
    assert statuses == [200] * 240
