"""gunicorn's threaded worker, but a request thread is only given to a client once its whole
request (head and body) has arrived: until then its bytes are gathered by the worker's event
loop, at no cost to anyone else.

gunicorn's own gthread worker hands a connection to a thread at its first byte and then reads
with no timeout, so a few clients that send half a request hold every thread (slowloris). Here
each connection has ``--client-timeout`` seconds to deliver its request, and one address may
have at most ``--client-pending`` requests that are still arriving after a second (a client
that means well sends its request at once); past either it is closed.
"""

from __future__ import annotations

import contextlib
import errno
import re
import selectors
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

HEAD_END = b"\r\n\r\n"
HEAD_LIMIT = 64 * 1024  # a longer head goes on to gunicorn, which refuses it with its limits
CONTENT_LENGTH = re.compile(rb"^content-length[ \t]*:[ \t]*(\d+)[ \t]*$", re.I | re.M)
CHUNKED = re.compile(rb"^transfer-encoding[ \t]*:.*chunked", re.I | re.M)
EXPECT_CONTINUE = re.compile(rb"^expect[ \t]*:[ \t]*100-continue", re.I | re.M)
LAST_CHUNK = re.compile(rb"(^|\r\n)0[ \t;]*[^\r\n]*\r\n(.*\r\n)?\r\n$", re.S)
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
GRACE = 1.0  # seconds a request may take to arrive before it counts against --client-pending


def request_complete(buffer: bytes, body_limit: int) -> bool:
    """Whether ``buffer`` holds a whole HTTP/1 request (or enough to refuse it: a head over
    the limit, a body over ``body_limit``), so a thread can answer it without waiting."""
    end = buffer.find(HEAD_END)
    if end < 0:
        return len(buffer) > HEAD_LIMIT
    head, body = buffer[:end], buffer[end + len(HEAD_END) :]
    if CHUNKED.search(head):
        return len(body) > body_limit or bool(LAST_CHUNK.search(body))
    length = CONTENT_LENGTH.search(head)
    if length is None:
        return True
    return len(body) >= min(int(length.group(1)), body_limit + 1)


def client_address(conn: TConn) -> str:
    client = conn.client
    return client[0] if isinstance(client, tuple) else str(client)


@dataclass
class Arriving:
    """A request still arriving: its bytes so far, when it must be whole, and whether it has
    taken long enough to count against its address's share."""

    address: str
    since: float
    deadline: float
    buffer: bytearray = field(default_factory=bytearray)
    counted: bool = False


class BufferingWorker(ThreadWorker):
    """A gthread worker that gathers each request in its event loop before a thread sees it."""

    def init_process(self) -> None:
        settings = self.app.settings
        self.client_timeout: float = settings.client_timeout
        self.client_pending: int = settings.client_pending
        self.body_limit: int = settings.max_body
        self.arriving: dict[TConn, Arriving] = {}
        self.slow_by_address: Counter[str] = Counter()
        super().init_process()

    def accept(self, listener: socket.socket) -> None:
        try:
            client_sock, client_addr = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        self.gather(TConn(self.cfg, client_sock, client_addr, listener.getsockname()))

    def on_client_socket_readable(self, conn: TConn, client: Any) -> None:
        """A kept-alive connection's next request: gathered like a new one."""
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self.gather(conn)

    def gather(self, conn: TConn) -> None:
        conn.sock.setblocking(False)
        now = time.monotonic()
        self.arriving[conn] = Arriving(client_address(conn), now, now + self.client_timeout)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_bytes, conn))
        self.on_bytes(conn, conn.sock)  # most requests are already here: no extra wake-up

    def on_bytes(self, conn: TConn, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.drop(conn)
            return
        buffer = self.arriving[conn].buffer
        had_head = HEAD_END in buffer
        buffer += data
        if request_complete(bytes(buffer), self.body_limit):
            self.release(conn)
            conn.ipkg_buffered = bytes(buffer)
            conn.data_ready = True
            self.enqueue_req(conn)
        elif not had_head and HEAD_END in buffer and EXPECT_CONTINUE.search(buffer):
            try:  # the client waits for this before it sends the body
                sock.send(CONTINUE)
            except OSError:
                self.drop(conn)

    def release(self, conn: TConn) -> None:
        arriving = self.arriving.pop(conn)
        if arriving.counted:
            self.slow_by_address[arriving.address] -= 1
            if not self.slow_by_address[arriving.address]:
                del self.slow_by_address[arriving.address]
        with contextlib.suppress(OSError, KeyError, ValueError):
            self.poller.unregister(conn.sock)

    def drop(self, conn: TConn) -> None:
        self.release(conn)
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self) -> None:
        """Also closes the requests that did not arrive in time, and those past their
        address's share of slow requests (it runs at least once a second)."""
        super().murder_pending()
        now = time.monotonic()
        for conn, arriving in list(self.arriving.items()):
            if arriving.deadline <= now:
                self.drop(conn)
            elif not arriving.counted and now - arriving.since >= GRACE:
                arriving.counted = True
                self.slow_by_address[arriving.address] += 1
                if self.slow_by_address[arriving.address] > self.client_pending:
                    self.drop(conn)

    def handle(self, conn: TConn) -> Any:
        buffered = getattr(conn, "ipkg_buffered", None)
        if buffered:
            conn.ipkg_buffered = None
            conn.sock.setblocking(True)
            conn.init()
            conn.parser.unreader.unread(buffered)
        return super().handle(conn)
