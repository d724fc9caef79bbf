"""The front (web/front.py) on a real loopback socket in this process, in front of a tiny WSGI
app that answers with what it was given: the five framing triggers hold no request thread,
pipelined requests are answered in order, heads and bodies past their limits are refused,
connections are capped per address (IPv6 by /64) and in all, and request bodies are decoded
with the cap on the decoded size."""

from __future__ import annotations

import asyncio
import gzip
import socket
import threading
import time
import zlib
from collections.abc import Iterator

import pytest
from attacks import TRIGGERS

from ipkg.web.encoding import BodyRefused, decoded_body
from ipkg.web.front import EdgeLimits, Front, client_group
from ipkg.web.serving import bind_address, listening_socket


def echo(environ: dict, start_response) -> list[bytes]:
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']} {len(body)}:".encode() + body]


def big(environ: dict, start_response) -> list[bytes]:
    """``/big?N``: N bytes; anything else as :func:`echo`."""
    if environ["PATH_INFO"] != "/big":
        return echo(environ, start_response)
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [b"x" * int(environ["QUERY_STRING"])]


class Running:
    def __init__(self, limits: EdgeLimits, threads: int = 1, app=echo) -> None:
        self.sock = listening_socket("127.0.0.1", 0)
        self.port = self.sock.getsockname()[1]
        self.front = Front(app, limits, threads)
        self.thread = threading.Thread(
            target=lambda: asyncio.run(self.front.run(self.sock, lambda stopping: None)),
            daemon=True,
        )
        self.thread.start()
        time.sleep(0.1)

    def connect(self, source: str = "127.0.0.1") -> socket.socket:
        sock = socket.socket()
        sock.bind((source, 0))
        sock.settimeout(5)
        sock.connect(("127.0.0.1", self.port))
        return sock

    def stop(self) -> None:
        self.front.loop.call_soon_threadsafe(self.front.stop)
        self.thread.join(10)


@pytest.fixture
def running() -> Iterator[Running]:
    server = Running(EdgeLimits(head_timeout=1, request_timeout=2, max_body=1000))
    yield server
    server.stop()


def answer_of(sock: socket.socket) -> bytes:
    """One whole answer: its head, then as many body bytes as its Content-Length says."""
    data = b""
    while b"\r\n\r\n" not in data and (chunk := sock.recv(65536)):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        ),
        0,
    )
    while len(body) < length and (chunk := sock.recv(65536)):
        body += chunk
    return head + b"\r\n\r\n" + body


def get(sock: socket.socket, path: str = "/x") -> bytes:
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return answer_of(sock)


@pytest.mark.parametrize("trigger", sorted(TRIGGERS))
def test_a_framing_trigger_holds_no_thread_of_a_one_thread_front(running, trigger):
    held = [running.connect() for _ in range(4)]
    for sock in held:
        sock.sendall(TRIGGERS[trigger])
    with running.connect() as innocent:
        assert get(innocent).startswith(b"HTTP/1.1 200")
    for sock in held:
        sock.close()


def test_pipelined_requests_are_answered_in_order(running):
    with running.connect() as sock:
        sock.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while data.count(b"HTTP/1.1 200") < 2 or not data.endswith(b"/b 0:"):
            data += sock.recv(65536)
        assert data.index(b"GET /a") < data.index(b"GET /b")


def test_content_length_anywhere_in_the_head_frames_the_body(running):
    with running.connect() as sock:
        sock.sendall(
            b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n"
            b"\r\nhello"
        )
        assert answer_of(sock).endswith(b"POST /p 5:hello")


def test_a_chunked_body_is_given_whole_with_its_length(running):
    with running.connect() as sock:
        sock.sendall(
            b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\n0\r\n\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        )
        assert answer_of(sock).endswith(b"POST /c 8:0\r\n\r\nabc")


def test_a_body_over_the_cap_is_413_before_it_is_read(running):
    with running.connect() as sock:
        sock.sendall(b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 413")


def test_a_head_that_does_not_arrive_in_time_is_closed(running):
    with running.connect() as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n")
        time.sleep(1.6)
        assert sock.recv(10) == b""


def test_connections_over_the_per_address_cap_are_closed_at_accept():
    server = Running(EdgeLimits(client_connections=3))
    try:
        socks = [server.connect("127.0.0.7") for _ in range(5)]
        time.sleep(0.3)
        closed = 0
        for sock in socks:
            sock.settimeout(0.2)
            try:
                closed += sock.recv(10) == b""
            except TimeoutError:
                pass
            except OSError:
                closed += 1
        assert closed == 2
        with server.connect() as other:
            assert get(other).startswith(b"HTTP/1.1 200")
    finally:
        server.stop()


def wait_until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)
    return predicate()


def test_at_the_global_limit_a_new_address_gets_in_and_a_flooding_one_does_not():
    server = Running(EdgeLimits(max_connections=20, client_connections=100))
    try:
        flood = [server.connect("127.0.0.8") for _ in range(20)]
        assert wait_until(lambda: len(server.front.connections) == 20)
        innocent = server.connect()
        assert get(innocent).startswith(b"HTTP/1.1 200")
        assert server.front.evicted >= 1
        late = server.connect("127.0.0.8")  # the limit is still reached: innocent is open
        late.settimeout(2)
        assert late.recv(10) == b""  # the flooding address holds its share: closed at once
        for sock in [*flood, late, innocent]:
            sock.close()
    finally:
        server.stop()


def test_at_the_global_limit_a_clients_kept_alive_connections_outlive_a_flood():
    server = Running(EdgeLimits(max_connections=20, client_connections=100))
    try:
        client = [server.connect() for _ in range(8)]
        for sock in client:
            assert get(sock).startswith(b"HTTP/1.1 200")  # each has been answered once
        flood = [server.connect(f"127.0.0.{20 + i}") for i in range(40)]  # one each, silent
        assert wait_until(lambda: server.front.evicted >= 40 + 8 - 20)
        for sock in client:  # the client's connections are the ones still open
            assert get(sock).startswith(b"HTTP/1.1 200")
        for sock in [*client, *flood]:
            sock.close()
    finally:
        server.stop()


def test_answers_held_for_clients_that_do_not_read_are_capped_in_all():
    size = 16 * 1_048_576  # more than loopback's socket buffers take
    server = Running(EdgeLimits(max_unsent=size + size // 2), threads=2, app=big)
    try:
        readers = []
        for n in range(3):  # each from its own address: no per-address cap is at work
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.bind((f"127.0.0.{30 + n}", 0))
            sock.settimeout(10)
            sock.connect(("127.0.0.1", server.port))
            sock.sendall(f"GET /big?{size} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            readers.append(sock)
            if n == 0:  # the first answer is held before the others ask
                assert wait_until(lambda: server.front.unsent > 0)
        time.sleep(0.5)
        assert server.front.unsent <= size + size // 2  # one answer held, not three
        refused = [sock for sock in readers[1:] if sock.recv(12) == b"HTTP/1.1 503"]
        assert len(refused) == 2
        with server.connect() as other:  # small answers still go out
            assert get(other, "/big?1000").startswith(b"HTTP/1.1 200")
        readers[0].close()  # the slow reader goes: what it held is freed
        assert wait_until(lambda: server.front.unsent == 0)
        with server.connect("127.0.0.40") as late:
            late.sendall(f"GET /big?{size} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            assert late.recv(12) == b"HTTP/1.1 200"
        for sock in readers[1:]:
            sock.close()
    finally:
        server.stop()


def test_ipv6_addresses_are_grouped_by_64():
    assert client_group("2001:db8:1:2:aaaa::1") == client_group("2001:db8:1:2:ffff::9")
    assert client_group("2001:db8:1:2::1") != client_group("2001:db8:1:3::1")
    assert client_group("::ffff:127.0.0.5") == "127.0.0.5"
    assert client_group("127.0.0.5") == "127.0.0.5"
    assert bind_address("[::1]") == bind_address("::1") == "::1"


GZIP = [(b"content-encoding", b"gzip")]


def test_gzip_and_deflate_bodies_are_decoded():
    text = b"ASK { ?s ?p ?o }"
    assert decoded_body(GZIP, gzip.compress(text), 100) == text
    assert decoded_body([(b"content-encoding", b"deflate")], zlib.compress(text), 100) == text
    assert decoded_body([], text, 100) == text


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        (GZIP, gzip.compress(b"\0" * 10_000_000), 413),
        (GZIP, b"ASK {}", 400),
        ([(b"content-encoding", b"br")], b"ASK {}", 415),
        (GZIP, gzip.compress(b"ASK {}")[:-6], 400),
    ],
    ids=["bomb", "plain-labelled-gzip", "unknown-coding", "truncated"],
)
def test_a_body_that_cannot_be_decoded_under_the_cap_is_refused(headers, body, status):
    with pytest.raises(BodyRefused) as refused:
        decoded_body(headers, body, 1_048_576)
    assert refused.value.status == status


def test_a_fragment_on_the_wire_is_not_part_of_the_path(running):
    with running.connect() as sock:
        assert get(sock, "/article#s01").endswith(b"GET /article 0:")
