"""The edge of ``ipkg serve`` with the shipped defaults, tried as a hostile client would (issue
20): the five framing triggers, a crafted chunked body, clients that never read, a connection
flood from 80 addresses, a clean SIGTERM, IPv6 loopback, and compressed request bodies."""

from __future__ import annotations

import gzip
import signal
import socket
import threading
import time
import zlib
from collections.abc import Iterator

import pytest
import requests
from attacks import CHUNKED_HEAD, CRAFTED_BODY, TRIGGERS, attack

from support.servers import RunningServer, start_server

pytestmark = pytest.mark.slow

ASK = {"query": "ASK {}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("edge"))  # every setting at its default
    yield running
    running.stop()


def port_of(server: RunningServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def opened(server: RunningServer, count: int, first: bytes, source: str = "127.0.0.2") -> list:
    socks = []
    for _ in range(count):
        sock = socket.socket()
        sock.bind((source, 0))
        sock.connect(("127.0.0.1", port_of(server)))
        sock.sendall(first)
        socks.append(sock)
    return socks


def innocent_is_served(server: RunningServer) -> None:
    assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
    answer = requests.get(server.sparql, params=ASK, timeout=5)
    assert answer.status_code == 200 and answer.json()["boolean"] is True


@pytest.mark.parametrize("trigger", sorted(TRIGGERS))
def test_sixteen_connections_with_a_framing_trigger_hold_no_request_thread(server, trigger):
    socks = opened(server, 16, TRIGGERS[trigger])
    try:
        time.sleep(0.3)  # each has been read by now
        innocent_is_served(server)
    finally:
        for sock in socks:
            sock.close()


def test_a_head_over_64k_is_refused_431_and_closed(server):
    (sock,) = opened(server, 1, TRIGGERS["head-over-64k"])
    with sock:
        sock.settimeout(5)
        answer = sock.recv(200)
        assert answer.startswith(b"HTTP/1.1 431")


def test_a_crafted_chunked_body_does_not_stall_healthz_beside_it(server):
    body = CRAFTED_BODY
    sock = socket.create_connection(("127.0.0.1", port_of(server)))
    sock.sendall(CHUNKED_HEAD + b"%X\r\n" % (len(body) + 1))
    took: list[float] = []

    def health() -> None:
        for _ in range(5):
            started = time.monotonic()
            assert requests.get(server.url + "/healthz", timeout=3).status_code == 200
            took.append(time.monotonic() - started)
            time.sleep(0.05)

    checker = threading.Thread(target=health)
    checker.start()
    try:
        for start in range(0, len(body), 512):
            sock.sendall(body[start : start + 512])
    finally:
        checker.join()
        sock.close()
    assert len(took) == 5
    print(f"/healthz beside the crafted body: max {max(took) * 1000:.1f} ms")


@pytest.fixture(scope="module")
def big_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    tmp = tmp_path_factory.mktemp("big")
    (tmp / "big.nt").write_text(
        "".join(
            f'<http://x/s{i}> <http://x/p> "a value long enough {i:08d}" .\n' for i in range(60_000)
        )
    )
    running = start_server(tmp, ["--data", str(tmp / "big.nt"), "--send-timeout", "3"])
    yield running
    running.stop()


BIG_QUERY = "/sparql?query=SELECT%20*%20%7B%3Fs%20%3Fp%20%3Fo%7D"
JSON = "application/sparql-results+json"
BIG = f"GET {BIG_QUERY} HTTP/1.1\r\nHost: x\r\nAccept: {JSON}\r\n\r\n".encode()


def test_sixteen_clients_that_never_read_a_large_answer_hold_no_thread(big_server):
    answer = requests.get(big_server.url + BIG_QUERY, headers={"Accept": JSON}, timeout=60)
    size = len(answer.content)
    assert size > 5_000_000  # several MB, far beyond the socket buffers
    socks = []
    for _ in range(16):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.bind(("127.0.0.4", 0))  # not the innocent's address: its fair share is its own
        sock.connect(("127.0.0.1", port_of(big_server)))
        sock.sendall(BIG)
        socks.append(sock)
    try:
        time.sleep(1)
        innocent_is_served(big_server)
        time.sleep(4)  # past the 3 s send timeout: the server gave up on them
        for sock in socks:
            sock.settimeout(5)
            got = 0
            with pytest.raises(OSError):
                while chunk := sock.recv(65536):
                    got += len(chunk)
                raise ConnectionResetError(f"closed after {got} bytes")
            assert got < size
    finally:
        for sock in socks:
            sock.close()


def test_a_flood_of_2000_connections_from_80_addresses_leaves_an_innocent_client_served(server):
    took = []
    with attack("flood from 80 addresses", port_of(server), settle=4):
        for _ in range(15):
            started = time.monotonic()
            innocent_is_served(server)
            took.append(time.monotonic() - started)
            time.sleep(0.1)
    took.sort()
    print(f"innocent under the flood: p50 {took[7] * 1000:.1f} ms, max {took[-1] * 1000:.1f} ms")


def test_sigterm_drains_and_exits_0_without_a_traceback(tmp_path):
    running = start_server(tmp_path, ["--reasoner", "none"])
    innocent_is_served(running)
    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(timeout=30) == 0
    output = running.output()
    assert "Traceback" not in output
    assert "Error" not in output
    assert "stopped" in output


@pytest.mark.parametrize("host", ["::1", "[::1]"])
def test_ipv6_loopback_is_served(tmp_path, host):
    running = start_server(tmp_path, ["--reasoner", "none"], host=host)
    try:
        assert running.url.startswith("http://[::1]:")
        answer = requests.get(running.sparql, params=ASK, timeout=10)
        assert answer.status_code == 200
    finally:
        running.stop()


def post_query(server: RunningServer, body: bytes, coding: str) -> requests.Response:
    headers = {
        "Content-Type": "application/sparql-query",
        "Content-Encoding": coding,
        "Accept": "application/sparql-results+json",
    }
    return requests.post(server.sparql, data=body, headers=headers, timeout=30)


@pytest.mark.parametrize(
    "encode",
    [gzip.compress, zlib.compress, lambda b: zlib.compress(b)[2:-4]],
    ids=["gzip", "deflate", "raw-deflate"],
)
def test_a_compressed_query_body_is_decoded(server, encode):
    coding = "gzip" if encode is gzip.compress else "deflate"
    answer = post_query(server, encode(b"ASK { ?s ?p ?o }"), coding)
    assert answer.status_code == 200, answer.text
    assert answer.json()["boolean"] is True


def test_a_plain_body_labelled_gzip_is_refused_not_parsed(server):
    answer = post_query(server, b"ASK { ?s ?p ?o }", "gzip")
    assert answer.status_code == 400
    assert "gzip" in answer.text


def test_an_unknown_content_coding_is_415_naming_what_would_do(server):
    answer = post_query(server, b"ASK {}", "br")
    assert answer.status_code == 415
    assert "br" in answer.text
    assert answer.headers["Accept-Encoding"] == "gzip, deflate"


def test_a_gzip_bomb_is_413_while_decoding(server):
    bomb = gzip.compress(b"\0" * 10_000_000)
    assert len(bomb) < 1_048_576  # under the body cap as sent
    answer = post_query(server, bomb, "gzip")
    assert answer.status_code == 413
    assert "decoded" in answer.text
