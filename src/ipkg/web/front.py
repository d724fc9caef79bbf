"""The HTTP server of ``ipkg serve``: one asyncio event loop frames every request with h11 (a
complete HTTP/1.1 parser, linear in the bytes it is given) and holds it until it is whole, so a
request thread only ever sees a complete request; each answer is buffered whole too, so the
thread is free again before the client has read a byte.

The loop owns every limit at the edge: a head timeout, a whole-request timeout, a send timeout
(no progress for that long closes the connection), a cap on the answer bytes held for slow
readers in all, a keep-alive idle limit, a cap on the connections of one address (IPv6
grouped by /64) enforced at accept, a cap on the requests one address may have arriving
slowly, and a global connection limit that never stops accept (over it a connection that
holds no request in a thread is closed, one never answered first). Health and metrics have
a thread of their own, so they answer while every request thread is busy.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import io
import ipaddress
import logging
import socket
import sys
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import unquote_to_bytes

import h11

from ipkg.web.encoding import ACCEPTED, BodyRefused, decoded_body

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]
RESERVED = frozenset({"/healthz", "/readyz", "/metrics"})  # answered on a thread of their own
GRACE = 1.0  # seconds a request may take to arrive before it counts against --client-pending
SWEEP = 0.25  # seconds between two checks of every connection's deadline
LINGER = 2.0  # seconds a refused connection is read (and dropped) so the client sees the answer
HEAD_LIMIT = 64 * 1024
LINE_LIMIT = 8190
HEADER_COUNT = 100
SMALL_ANSWER = 65_536  # an answer this small is always sent: the kernel's buffer takes it whole
UNSENT_FULL = (
    "the server holds as many answers for clients that read slowly as it may "
    "(--max-unsent-bytes); retry in a moment"
)


def client_group(host: str) -> str:
    """The key one client's connections are counted under: its IPv4 address, or the /64 of its
    IPv6 address (one host has a whole /64; IPv4-mapped addresses count as IPv4)."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


@dataclass(frozen=True)
class EdgeLimits:
    """What the loop allows each connection and each address (seconds, counts, bytes)."""

    head_timeout: float = 5.0
    request_timeout: float = 10.0
    send_timeout: float = 30.0
    keepalive_timeout: float = 15.0
    client_connections: int = 128
    client_pending: int = 16
    max_connections: int = 1024
    max_body: int = 1_048_576
    max_unsent: int = 256 * 1_048_576
    trusted_proxy: str = ""
    graceful_timeout: float = 15.0


class Phase(Enum):
    IDLE = "idle"  # between requests (or before the first byte)
    ARRIVING = "arriving"  # some bytes of a request are in, not all
    BUSY = "busy"  # the whole request is with a thread
    SENDING = "sending"  # the answer is written, the client has not read all of it
    CLOSING = "closing"  # refused: the answer goes out, then the connection closes


@dataclass
class Answer:
    """What a thread made of one request: status line, headers and the whole body."""

    status: int
    reason: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes


def plain_answer(status: int, message: str, close: bool = True) -> Answer:
    body = (message.rstrip("\n") + "\n").encode()
    headers = [(b"Content-Type", b"text/plain; charset=utf-8")]
    if close:
        headers.append((b"Connection", b"close"))
    return Answer(status, h11_reason(status), headers, body)


def h11_reason(status: int) -> bytes:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase.encode()
    except ValueError:
        return b""


def new_parser() -> h11.Connection:
    """h11 reading one request (a connection takes a new one for each: its answers are
    written by the front, which never needs h11's side of the exchange)."""
    return h11.Connection(h11.SERVER, max_incomplete_event_size=HEAD_LIMIT)


def keeps_alive(request: h11.Request | None, answer: Answer) -> bool:
    """Whether the connection stays open after ``answer``: HTTP/1.1 and nobody said close."""
    if request is None or request.http_version != b"1.1":
        return False
    for name, value in (*request.headers, *answer.headers):
        if name.lower() == b"connection" and b"close" in value.lower():
            return False
    return True


class HttpConnection(asyncio.Protocol):
    """One client connection: bytes in, through h11, to a whole request for the front."""

    def __init__(self, front: Front, peer: tuple[str, int]) -> None:
        self.front = front
        self.parser = new_parser()
        self.transport: asyncio.Transport | None = None
        self.peer = peer
        self.group = client_group(peer[0])
        self.phase = Phase.IDLE
        self.since = time.monotonic()
        self.deadline = self.since + front.limits.head_timeout
        self.request: h11.Request | None = None
        self.body = bytearray()
        self.counted = False  # against its address's --client-pending
        self.pending_bytes = 0  # bytes of a next request that came while this one was busy
        self.keep_alive = True
        self.unsent = 0  # bytes of the answer still in the transport at the last sweep
        self.half_closed = False  # the client sent EOF after its request
        self.answered = 0  # answers sent whole on this connection

    # --- asyncio callbacks -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if self not in self.front.connections:  # evicted before its transport was made
            transport.abort()
            return
        transport.set_write_buffer_limits(high=0)  # pause_writing at once: we track the drain

    def connection_lost(self, exc: Exception | None) -> None:
        self.front.forget(self)
        self.phase = Phase.CLOSING

    def data_received(self, data: bytes) -> None:
        if self.phase is Phase.CLOSING:
            return  # read and dropped: the answer is on its way
        if self.phase in (Phase.BUSY, Phase.SENDING):
            self.parser.receive_data(data)  # a pipelined request: read after this answer
            self.pending_bytes += len(data)
            if self.pending_bytes > HEAD_LIMIT:
                self.transport.pause_reading()
            return
        if self.phase is Phase.IDLE:
            self.arriving()
        self.parser.receive_data(data)
        self.advance()

    def eof_received(self) -> bool | None:
        if self.phase in (Phase.BUSY, Phase.SENDING):
            self.half_closed = True  # the answer can still be written, then it closes
            return True
        self.close()
        return None

    def pause_writing(self) -> None:
        pass

    def resume_writing(self) -> None:
        if self.phase is Phase.SENDING:
            self.sent()
        elif self.phase is Phase.CLOSING and self.transport is not None:
            self.linger()

    # --- the request ---------------------------------------------------------------------

    def arriving(self) -> None:
        now = time.monotonic()
        self.phase, self.since = Phase.ARRIVING, now
        self.deadline = now + self.front.limits.head_timeout

    def advance(self) -> None:
        """Takes every event h11 can make of the bytes so far; a whole request is dispatched."""
        limits = self.front.limits
        while self.phase is Phase.ARRIVING:
            try:
                event = self.parser.next_event()
            except h11.RemoteProtocolError as exc:
                status = exc.error_status_hint
                if "buffer" in str(exc).lower() or status == 431:
                    self.refuse(431, f"the request head is over {HEAD_LIMIT} bytes")
                else:
                    self.refuse(status, f"malformed request: {exc}")
                return
            if event is h11.NEED_DATA:
                return
            if isinstance(event, h11.Request):
                if not self.head_accepted(event):
                    return
                self.request = event
                self.body.clear()
                self.deadline = self.since + max(limits.request_timeout, 0.0)
                if self.parser.they_are_waiting_for_100_continue:
                    self.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            elif isinstance(event, h11.Data):
                self.body += event.data
                if len(self.body) > limits.max_body:
                    self.refuse(413, self.front.too_large(), self.request)
                    return
            elif isinstance(event, h11.EndOfMessage):
                self.dispatch()
                return
            elif isinstance(event, h11.ConnectionClosed):
                self.close()
                return
            else:  # PAUSED cannot happen while arriving
                return

    def head_accepted(self, request: h11.Request) -> bool:
        """Refuses a head the service would never answer (sizes known before any body)."""
        if len(request.target) > LINE_LIMIT:
            message = f"the request line is over {LINE_LIMIT} bytes; send the query by POST"
            self.refuse(414, message, request)
            return False
        if len(request.headers) > HEADER_COUNT:
            self.refuse(431, f"the request has over {HEADER_COUNT} header fields", request)
            return False
        for name, value in request.headers:
            if name == b"content-length" and int(value) > self.front.limits.max_body:
                self.refuse(413, self.front.too_large(), request)
                return False
        return True

    def dispatch(self) -> None:
        self.phase = Phase.BUSY
        self.front.busy(self)
        request, body = self.request, bytes(self.body)
        self.body = bytearray()
        self.front.dispatch(self, request, body)

    # --- the answer ----------------------------------------------------------------------

    def respond(self, answer: Answer) -> None:
        """Writes a thread's answer (called on the loop)."""
        if self.transport is None or self.transport.is_closing():
            return
        request = self.request
        self.keep_alive = keeps_alive(request, answer)
        head = [b"HTTP/1.1 %d %s\r\n" % (answer.status, answer.reason)]
        for name, value in answer.headers:
            if b"\n" in value or b"\r" in value or b"\n" in name or b"\r" in name:
                log.error("the app's answer has a line break in its header %r", name)
                self.refuse(500, "the server made an answer it cannot send", request)
                return
            head.append(b"%s: %s\r\n" % (name, value))
        if not self.keep_alive:
            head.append(b"Connection: close\r\n")
        head.append(b"\r\n")
        bodiless = request is None or request.method == b"HEAD" or answer.status in (204, 304)
        body = b"" if bodiless else answer.body
        if len(body) > SMALL_ANSWER and not self.front.may_hold(len(body)):
            self.refuse(503, UNSENT_FULL, request, retry_after=1)
            return
        self.phase = Phase.SENDING
        self.front.sending(self)
        if len(body) > SMALL_ANSWER:  # not copied into one buffer with its head
            self.write(b"".join(head))
            self.write(body)
        else:
            self.write(b"".join(head) + body)
        self.holding(self.transport.get_write_buffer_size())
        self.deadline = time.monotonic() + self.front.limits.send_timeout
        if not self.unsent:
            self.sent()

    def holding(self, unsent: int) -> None:
        """Notes how many bytes of its answer this connection's transport still holds."""
        self.front.unsent += unsent - self.unsent
        self.unsent = unsent

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def sent(self) -> None:
        """The answer has left: next request, or close as HTTP says."""
        self.answered += 1
        self.holding(0)
        if self.half_closed or not self.keep_alive:
            self.close()
            return
        leftover = self.parser.trailing_data[0]  # a pipelined next request, whole or not
        self.parser = new_parser()
        now = time.monotonic()
        self.phase, self.since = Phase.IDLE, now
        self.deadline = now + self.front.limits.keepalive_timeout
        self.front.idle(self)
        if self.pending_bytes > HEAD_LIMIT:
            self.transport.resume_reading()
        self.pending_bytes = 0
        if leftover:
            self.arriving()
            self.parser.receive_data(leftover)
            self.advance()

    def refuse(
        self,
        status: int,
        message: str,
        request: h11.Request | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answers a request the loop refuses itself (``request``: its head, when it could be
        read), then closes (after reading what the client is still sending, so it sees the
        answer rather than a reset)."""
        self.front.refused(request, status)
        answer = plain_answer(status, message)
        if retry_after is not None:
            answer.headers.append((b"Retry-After", str(retry_after).encode()))
        head = [b"HTTP/1.1 %d %s\r\n" % (status, answer.reason)]
        head += [b"%s: %s\r\n" % pair for pair in answer.headers]
        head.append(b"Content-Length: %d\r\n\r\n" % len(answer.body))
        self.phase = Phase.CLOSING
        self.front.closing(self)
        self.deadline = time.monotonic() + self.front.limits.send_timeout
        self.write(b"".join(head) + answer.body)
        if self.transport is not None and not self.transport.get_write_buffer_size():
            self.linger()

    def linger(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        with contextlib.suppress(OSError, RuntimeError):
            self.transport.write_eof()
        self.deadline = min(self.deadline, time.monotonic() + LINGER)
        self.transport.resume_reading()

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    # --- the sweep -----------------------------------------------------------------------

    def overdue(self, now: float) -> bool:
        """Whether this connection has run past its deadline (a send that progresses has
        its deadline moved on)."""
        if self.phase is Phase.BUSY:
            return False
        if self.phase is Phase.SENDING and self.transport is not None:
            unsent = self.transport.get_write_buffer_size()
            if unsent < self.unsent:
                self.holding(unsent)
                self.deadline = now + self.front.limits.send_timeout
        return now >= self.deadline


class Front:
    """The server: accepts, counts and times connections, and runs whole requests on
    ``threads`` request threads (plus one for health and metrics)."""

    def __init__(self, app: WsgiApp, limits: EdgeLimits, threads: int) -> None:
        self.app = app
        self.limits = limits
        self.loop: asyncio.AbstractEventLoop | None = None
        self.connections: set[HttpConnection] = set()
        self.by_group: Counter[str] = Counter()
        self.slow_by_group: Counter[str] = Counter()
        self.arriving: dict[HttpConnection, None] = {}
        self.evictable: OrderedDict[HttpConnection, None] = OrderedDict()
        self.threads = ThreadPoolExecutor(threads, thread_name_prefix="ipkg-request")
        self.reserved = ThreadPoolExecutor(1, thread_name_prefix="ipkg-health")
        self.listener: socket.socket | None = None
        self._tasks: set[asyncio.Task] = set()
        self.address = ("", 0)
        self._flight = threading.Condition()
        self._in_flight = 0
        self._paused = False
        self._parked: list[tuple[HttpConnection, h11.Request, bytes]] = []
        self._stopping: asyncio.Event | None = None
        self.unsent = 0  # bytes of answers the transports hold, not yet taken by the kernel
        self.evicted = 0  # connections closed at the global limit for a newcomer
        self.turned_away = 0  # connections closed at accept (over a cap), unread
        # Told of each request the loop refuses itself: (method, path, status); "-" for what
        # could not be read. The service counts them as it counts the app's answers.
        self.on_refusal: Callable[[str, str, int], None] | None = None

    def refused(self, request: h11.Request | None, status: int) -> None:
        """Tells ``on_refusal`` of a request refused by the loop."""
        if self.on_refusal is None:
            return
        if request is None:
            method, path = "-", "-"
        else:
            method = request.method.decode("latin-1")
            path = request.target.split(b"?", 1)[0][:200].decode("latin-1")
        try:
            self.on_refusal(method, path, status)
        except Exception:
            log.exception("counting a refused request failed")

    def too_large(self) -> str:
        cap = self.limits.max_body
        return f"Request Entity Too Large: the body is over the limit of {cap} bytes"

    # --- connections ---------------------------------------------------------------------

    def admits(self, peer: tuple[str, int]) -> HttpConnection | None:
        """The connection for a socket just accepted from ``peer``, or None when it must be
        closed at once: over its address's cap, or, at the global limit, from an address that
        already holds half an even share (any other comes in, and :meth:`victim` is closed for
        it)."""
        if self._stopping is not None and self._stopping.is_set():
            return None
        limits = self.limits
        group = client_group(peer[0])
        held = self.by_group[group]
        exempt = limits.trusted_proxy and peer[0] == limits.trusted_proxy
        if not exempt and held >= limits.client_connections:
            return None
        # At the limit only an address holding under half an even share gets in: the others
        # would only close one another's connections (a flood from many addresses churns).
        full = len(self.connections) >= limits.max_connections
        if full and (2 * held * len(self.by_group) >= limits.max_connections or not self.evict()):
            return None
        conn = HttpConnection(self, peer)
        self.connections.add(conn)
        self.by_group[group] += 1
        self.evictable[conn] = None
        return conn

    def evict(self) -> bool:
        """Closes one connection holding no thread (:meth:`victim`); whether one was closed."""
        victim = self.victim()
        if victim is None:
            return False
        victim.abort()
        self.forget(victim)
        self.evicted += 1
        return True

    def victim(self) -> HttpConnection | None:
        """The connection to close when the front is full, among those holding no thread:
        one already closing, else one never answered (a silent or brand-new connection, what
        a flood is made of: a client's kept-alive connection has earned its place), else any;
        within each, of the address with most connections first, oldest first."""
        largest = max(self.by_group, key=self.by_group.__getitem__, default=None)
        tiers: tuple[Callable[[HttpConnection], bool], ...] = (
            lambda c: c.phase is Phase.CLOSING,
            lambda c: not c.answered,
            lambda c: True,
        )
        for fits in tiers:
            first = None
            for conn in self.evictable:
                if fits(conn):
                    if conn.group == largest:
                        return conn
                    first = first or conn
            if first is not None:
                return first
        return None

    def resume_accepting(self, listener: socket.socket) -> None:
        if self.loop is not None and not (self._stopping and self._stopping.is_set()):
            self.loop.add_reader(listener.fileno(), self.on_acceptable, listener)

    def on_acceptable(self, listener: socket.socket) -> None:
        """Accepts what is waiting; a connection refused is closed before anything is read."""
        loop = self.loop
        for _ in range(512):
            try:
                sock, peer = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # out of descriptors or buffers: wait a moment, not spin
                log.warning("accept failed: %s", exc)
                loop.remove_reader(listener.fileno())
                loop.call_later(0.1, self.resume_accepting, listener)
                return
            conn = self.admits((str(peer[0]), int(peer[1])))
            if conn is None:
                sock.close()
                self.turned_away += 1
                continue
            sock.setblocking(False)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            task = loop.create_task(loop.connect_accepted_socket(lambda c=conn: c, sock))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def may_hold(self, size: int) -> bool:
        """Whether an answer of ``size`` bytes fits in what the front may hold for clients
        that read slowly (``max_unsent``), beside what it holds now."""
        return self.unsent + size <= self.limits.max_unsent

    def forget(self, conn: HttpConnection) -> None:
        if conn not in self.connections:
            return
        conn.holding(0)
        self.connections.discard(conn)
        self.by_group[conn.group] -= 1
        if self.by_group[conn.group] <= 0:
            del self.by_group[conn.group]
        self.evictable.pop(conn, None)
        self._uncount(conn)

    def _uncount(self, conn: HttpConnection) -> None:
        self.arriving.pop(conn, None)
        if conn.counted:
            conn.counted = False
            self.slow_by_group[conn.group] -= 1
            if self.slow_by_group[conn.group] <= 0:
                del self.slow_by_group[conn.group]

    def busy(self, conn: HttpConnection) -> None:
        self.evictable.pop(conn, None)
        self._uncount(conn)

    def sending(self, conn: HttpConnection) -> None:
        self.evictable.pop(conn, None)

    def closing(self, conn: HttpConnection) -> None:
        self._uncount(conn)
        if conn in self.connections:
            self.evictable[conn] = None
            self.evictable.move_to_end(conn, last=False)  # first to go

    def idle(self, conn: HttpConnection) -> None:
        if conn in self.connections:
            self.evictable[conn] = None
            self.evictable.move_to_end(conn)

    async def sweep(self) -> None:
        """Closes connections past their deadline, and the slow requests of an address past
        its --client-pending share."""
        while True:
            await asyncio.sleep(SWEEP)
            now = time.monotonic()
            for conn in list(self.connections):
                if conn.overdue(now):
                    conn.close() if conn.phase is Phase.IDLE else conn.abort()
                    self.forget(conn)
                elif (
                    conn.phase is Phase.ARRIVING and not conn.counted and now - conn.since >= GRACE
                ):
                    conn.counted = True
                    self.slow_by_group[conn.group] += 1
                    if self.slow_by_group[conn.group] > self.limits.client_pending:
                        conn.abort()
                        self.forget(conn)

    # --- requests ------------------------------------------------------------------------

    def dispatch(self, conn: HttpConnection, request: h11.Request, body: bytes) -> None:
        with self._flight:
            if self._paused:
                self._parked.append((conn, request, body))
                return
            self._in_flight += 1
            app = self.app
        path = request.target.split(b"?", 1)[0].decode("latin-1")
        if path in RESERVED:
            self.reserved.submit(self._answer, conn, request, body, app, None)
            return
        environ, answer = self.answered_at_once(app, request, body, conn.peer)
        if answer is None:
            self.threads.submit(self._answer, conn, request, body, app, environ)
            return
        self._landed()
        conn.respond(answer)

    def answered_at_once(
        self, app: Any, request: h11.Request, body: bytes, peer: tuple[str, int]
    ) -> tuple[dict[str, Any] | None, Answer | None]:
        """The answer the app can give without blocking (``app.answer_at_once``: a result
        cache hit), on the loop; else None, with the environ it was asked with, for the thread
        that answers instead. A body with a content coding is decoded on that thread."""
        at_once = getattr(app, "answer_at_once", None)
        if at_once is None or any(name == b"content-encoding" for name, _ in request.headers):
            return None, None
        environ = wsgi_environ(request, body, peer, self.address)
        try:
            replay = at_once(environ)
        except Exception:
            log.exception("unhandled error answering %s %s", request.method, request.target)
            return None, plain_answer(500, "Internal Server Error", close=False)
        if replay is None:
            return environ, None
        status, headers, data = replay
        return environ, gathered(request, status, headers, data)

    def _landed(self) -> None:
        with self._flight:
            self._in_flight -= 1
            self._flight.notify_all()

    def _answer(
        self,
        conn: HttpConnection,
        request: h11.Request,
        body: bytes,
        app: Any,
        environ: dict[str, Any] | None,
    ) -> None:
        try:
            answer = self.answered(app, request, body, conn.peer, environ)
        finally:
            self._landed()
        loop = self.loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(conn.respond, answer)

    def answered(
        self,
        app: WsgiApp,
        request: h11.Request,
        body: bytes,
        peer: tuple[str, int],
        environ: dict[str, Any] | None = None,
    ) -> Answer:
        """Runs ``app`` on one whole request (in a request thread) and gathers its answer;
        ``environ`` is the one the loop already built, if it did."""
        if environ is None:
            try:
                body = decoded_body(request.headers, body, self.limits.max_body)
            except BodyRefused as refused:
                answer = plain_answer(refused.status, refused.message, close=False)
                if refused.status == 415:  # RFC 9110 15.5.16: say which codings would do
                    answer.headers.append((b"Accept-Encoding", ACCEPTED.encode()))
                return answer
            environ = wsgi_environ(request, body, peer, self.address)
        started: list[Any] = []
        chunks: list[bytes] = []

        def start_response(status: str, headers: list, exc_info: Any = None) -> Callable:
            if exc_info and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [status, headers]
            return chunks.append

        try:
            result = app(environ, start_response)
            try:
                chunks.extend(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except Exception:
            log.exception("unhandled error answering %s %s", request.method, request.target)
            return plain_answer(500, "Internal Server Error", close=False)
        status, headers = started
        return gathered(request, status, headers, b"".join(chunks))

    @contextlib.contextmanager
    def quiesced(self, timeout: float) -> Iterator[bool]:
        """Holds new requests back and waits up to ``timeout`` s for those with a thread to
        finish (called from another thread); yields whether they did. Held requests go on
        once the block ends, to whatever ``self.app`` is then."""
        with self._flight:
            self._paused = True
            drained = self._flight.wait_for(lambda: self._in_flight <= 0, timeout=timeout)
        try:
            yield drained
        finally:
            with self._flight:
                self._paused = False
                parked, self._parked = self._parked, []
            loop = self.loop
            if loop is not None:
                for item in parked:
                    loop.call_soon_threadsafe(self.dispatch, *item)

    # --- life ----------------------------------------------------------------------------

    async def run(self, sock: Any, on_signal: Callable[[asyncio.Event], None]) -> None:
        """Serves ``sock`` until the stop event is set, then drains: no new connection, the
        requests with a thread answered (up to the graceful timeout), everything closed."""
        self.loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self.address = sock.getsockname()[:2]
        self.listener = sock
        self.loop.add_reader(sock.fileno(), self.on_acceptable, sock)
        on_signal(self._stopping)
        sweeper = asyncio.create_task(self.sweep())
        await self._stopping.wait()
        self.loop.remove_reader(sock.fileno())
        sock.close()  # refuse new connections at once
        for conn in list(self.connections):
            if conn.phase in (Phase.IDLE, Phase.ARRIVING):
                conn.close()
        in_flight = self._in_flight
        if in_flight:
            log.info("shutting down: waiting for %d requests in flight", in_flight)
        ends = time.monotonic() + self.limits.graceful_timeout
        while time.monotonic() < ends and any(
            c.phase in (Phase.BUSY, Phase.SENDING) for c in self.connections
        ):
            await asyncio.sleep(0.05)
            for conn in list(self.connections):
                if conn.phase in (Phase.IDLE, Phase.ARRIVING):
                    conn.close()
        sweeper.cancel()
        for conn in list(self.connections):
            conn.abort()
        self.threads.shutdown(wait=False, cancel_futures=True)
        self.reserved.shutdown(wait=False, cancel_futures=True)

    def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()


_date_cache: list = [0, b""]


def http_date() -> bytes:
    """The Date header's value, made once a second."""
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[:] = [now, email.utils.formatdate(now, usegmt=True).encode()]
    return _date_cache[1]


def gathered(
    request: h11.Request, status: str, headers: list[tuple[str, str]], data: bytes
) -> Answer:
    """The app's WSGI answer as the loop sends it: framed by us (our Content-Length, no
    Transfer-Encoding), with a Date."""
    code, _, reason = status.partition(" ")
    head = request.method == b"HEAD"  # the app's Content-Length is that of a GET
    framed = [
        (k.encode("latin-1"), v.encode("latin-1"))
        for k, v in headers
        if k.lower() != "transfer-encoding" and (head or k.lower() != "content-length")
    ]
    if not head and int(code) not in (204, 304) and int(code) >= 200:
        framed.append((b"Content-Length", str(len(data)).encode()))
    framed.append((b"Date", http_date()))
    return Answer(int(code), reason.encode("latin-1"), framed, data)


def wsgi_environ(
    request: h11.Request, body: bytes, peer: tuple[str, int], server: tuple[str, int]
) -> dict[str, Any]:
    """The PEP 3333 environ of a whole request (its body already read and decoded)."""
    target = request.target
    if not target.startswith(b"/") and b"://" in target:  # absolute form
        target = b"/" + target.split(b"://", 1)[1].partition(b"/")[2]
    target = target.split(b"#", 1)[0]  # a fragment is the client's own, never the server's
    path, _, query = target.partition(b"?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method.decode("ascii"),
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": query.decode("latin-1"),
        "REQUEST_URI": target.decode("latin-1"),
        "RAW_URI": target.decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": "HTTP/" + request.http_version.decode("ascii"),
        "REMOTE_ADDR": peer[0],
        "REMOTE_PORT": str(peer[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.input_terminated": True,
    }
    framed = False
    for name, value in request.headers:
        if b"_" in name:  # never let a header pose as another (X_Forwarded vs X-Forwarded)
            continue
        key = name.decode("latin-1").upper().replace("-", "_")
        text = value.decode("latin-1")
        if key in ("CONTENT_LENGTH", "TRANSFER_ENCODING", "CONTENT_ENCODING"):
            framed = True  # the body is given whole and decoded: its framing is ours
            continue
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = text
            continue
        key = "HTTP_" + key
        if key in environ:
            text = environ[key] + ("; " if key == "HTTP_COOKIE" else ",") + text
        environ[key] = text
    if body or framed:
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ
