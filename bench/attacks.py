"""The edge attacks of issue 20, each run in a process of its own beside a measured client (so
the attacker's CPU and GIL are not the client's): the five framing triggers held open, a
crafted chunked body, clients that never read a large answer, and a flood of silent
connections from many loopback addresses. Used by ``bench/load.py`` and ``tests/web/test_edge.py``;
every attack stays within 127.0.0.0/8 and is bounded in connections.
"""

from __future__ import annotations

import multiprocessing
import resource
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import quote

FORM_HEAD = (
    b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n\r\nquery="
)
CHUNKED_HEAD = (
    b"POST /sparql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
    b"Content-Type: application/sparql-query\r\n\r\n"
)
TRIGGERS = {
    # curl's order: Content-Length is not the last header
    "content-length-not-last": FORM_HEAD,
    # a last-chunk lookalike inside the data of a 64-byte chunk
    "fake-last-chunk": CHUNKED_HEAD + b"40\r\nASK {}\r\n0\r\n\r\n",
    "huge-chunk-size": CHUNKED_HEAD + b"FFFFFFFFFF\r\nASK {}\r\n0\r\n\r\n",
    # a whole request, then half of a pipelined second one
    "half-pipelined": b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + FORM_HEAD,
    "head-over-64k": b"GET /sparql HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 70_000,
}
CRAFTED_BODY = b"\r\n0" * 30_000  # 90 KB of last-chunk lookalikes
# About 9 MB of JSON on the article graph, answered from the result cache after the first time.
LARGE_ANSWER = "SELECT * { ?s ?p ?o . ?a ?b ?c } LIMIT 15000"
LARGE_TARGET = "/sparql?query=" + quote(LARGE_ANSWER, safe="")


def raise_descriptor_limit(wanted: int) -> None:
    """Lets this process open ``wanted`` sockets (up to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def closed(sock: socket.socket) -> bool:
    """Whether the server has closed ``sock`` (a non-blocking socket), looking now."""
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def _keep_open(
    port: int,
    count: int,
    sources: list[str],
    first: Callable[[int], bytes],
    receive_buffer: int = 0,
    seconds: float = 600.0,
) -> None:
    """Holds ``count`` connections (spread over ``sources``) that each send ``first(n)`` and
    then nothing; one the server closes is opened again (in this process, until killed)."""
    raise_descriptor_limit(count + 256)
    held: list[socket.socket] = []
    ends = time.monotonic() + seconds
    made = 0
    recycled = time.monotonic()
    while time.monotonic() < ends:
        alive = []
        if receive_buffer and time.monotonic() - recycled > 20:  # before any send timeout
            for sock in held:
                sock.close()
            held, recycled = [], time.monotonic()
        for sock in held:
            if receive_buffer:  # a non-reader: its socket stays full, never read
                alive.append(sock)
                continue
            if closed(sock):
                sock.close()
            else:
                alive.append(sock)
        held = alive
        while len(held) < count:
            sock = socket.socket()
            try:
                if receive_buffer:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
                sock.bind((sources[made % len(sources)], 0))
                sock.settimeout(1)
                sock.connect(("127.0.0.1", port))
                data = first(made)
                if data:
                    sock.sendall(data)
                sock.setblocking(False)
            except OSError:
                sock.close()
                time.sleep(0.01)
                break
            finally:
                made += 1
            held.append(sock)
        time.sleep(0.2)


def _crafted_chunked(port: int, seconds: float = 600.0) -> None:
    """Sends the crafted chunked body again and again, in 512-byte pieces."""
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(CHUNKED_HEAD + b"%X\r\n" % (len(CRAFTED_BODY) + 1))
                for start in range(0, len(CRAFTED_BODY), 512):
                    sock.sendall(CRAFTED_BODY[start : start + 512])
        except OSError:
            time.sleep(0.05)


def _triggers(port: int) -> None:
    kinds = sorted(TRIGGERS)
    _keep_open(port, 16 * len(kinds), ["127.0.0.3"], lambda n: TRIGGERS[kinds[n % len(kinds)]])


def _non_readers(port: int) -> None:
    request = f"GET {LARGE_TARGET} HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n"
    _keep_open(port, 16, ["127.0.0.4"], lambda n: request.encode(), receive_buffer=4096)


def _flood(port: int, connections: int = 2000, addresses: int = 80) -> None:
    sources = [f"127.0.0.{10 + n}" for n in range(addresses)]
    _keep_open(port, connections, sources, lambda n: b"")


ATTACKS: dict[str, Callable[[int], None]] = {
    "framing triggers": _triggers,
    "crafted chunked body": _crafted_chunked,
    "non-reading clients": _non_readers,
    "flood from 80 addresses": _flood,
}


@contextmanager
def attack(name: str, port: int, settle: float = 2.0) -> Iterator[None]:
    """Runs the attack ``name`` on ``127.0.0.1:port`` in a child process for the block."""
    process = multiprocessing.get_context("spawn").Process(
        target=ATTACKS[name], args=(port,), daemon=True
    )
    process.start()
    time.sleep(settle)  # the attack is at full strength
    try:
        yield
    finally:
        process.kill()
        process.join()
