"""A pool of pre-forked processes that hold the store and evaluate queries.

A Python thread cannot interrupt a running query (pyoxigraph's evaluation or a regex runs to
its end), so every query runs in a worker process that can be killed at its deadline and has a
bounded address space. Workers are forked by a "zygote": a single-threaded process forked once,
while the service is still single-threaded, that holds the store and forks a fresh worker on
request. Forking from the multi-threaded server itself would not be safe; forking from the
zygote costs milliseconds and shares the store's memory copy-on-write.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import queue
import signal
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection

import pyoxigraph as ox

from ipkg.errors import ErrorKind
from ipkg.sparql.execution import QueryOutcome, QueryRequest, UpdateRequest, execute
from ipkg.sparql.isolation import confine, described, die_with_parent, required

log = logging.getLogger(__name__)

SPAWN_WAIT = 60.0  # seconds a freshly forked worker has to open its store and report in


_HEADER = struct.Struct("!i")  # multiprocessing.Connection's framing, which the worker speaks
_LONG_HEADER = struct.Struct("!Q")  # after a header of -1: a message of 2 GiB or more


class WorkerGone(EOFError):
    """The worker's end of the channel closed (it crashed or was killed)."""


class DeadlinePassed(TimeoutError):
    """No complete answer came before the deadline."""


@dataclass
class _Worker:
    """A worker process and the HTTP side's end of its channel: a blocking socket whose reads
    the kernel times out (``SO_RCVTIMEO``), so a thread waiting for an answer sleeps in one
    ``recv`` and wakes when the first bytes arrive, with no poll before it."""

    pid: int
    sock: socket.socket
    generation: int = 0

    def send(self, payload: bytes) -> None:
        if len(payload) > 0x7FFFFFFF:
            self.sock.sendall(_HEADER.pack(-1) + _LONG_HEADER.pack(len(payload)))
        elif len(payload) < 16_384:  # one write, as multiprocessing does for small messages
            self.sock.sendall(_HEADER.pack(len(payload)) + payload)
            return
        else:
            self.sock.sendall(_HEADER.pack(len(payload)))
        self.sock.sendall(payload)

    def receive(self, deadline: float) -> bytes:
        """One whole message; DeadlinePassed if it is not all in by ``deadline``."""
        data = self._read(4, deadline)
        (size,) = _HEADER.unpack(data[:4])
        if size == -1:
            data = data[:4] + self._read(8, deadline, data[4:])
            (size,) = _LONG_HEADER.unpack(data[4:12])
            start = 12
        else:
            start = 4
        return self._read(size, deadline, data[start:])

    def _read(self, size: int, deadline: float, have: bytes = b"") -> bytes:
        buffer = bytearray(have)
        while len(buffer) < size:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DeadlinePassed
            seconds, micros = int(left), max(int(left % 1 * 1_000_000), 1)
            self.sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", seconds, micros)
            )
            try:
                chunk = self.sock.recv(max(size - len(buffer), 65_536))
            except BlockingIOError:  # SO_RCVTIMEO ran out
                raise DeadlinePassed from None
            if not chunk:
                raise WorkerGone("the query worker closed its channel")
            buffer += chunk
        return bytes(buffer)  # a header read may hold the body too: one request is in flight

    def close(self) -> None:
        self.sock.close()


# What workers query: a store forked from the zygote, or a function that opens one in the worker
# (a store on disk is opened by each worker after the fork, never shared across it).
StoreSource = ox.Store | Callable[[], ox.Store]


@dataclass
class PoolStats:
    """Counters for monitoring."""

    completed: int = 0
    killed_at_deadline: int = 0
    crashed: int = 0
    busy_rejections: int = 0


def _worker_loop(
    channel: socket.socket, source: StoreSource, memory_bytes: int, network: bool
) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    store = source if isinstance(source, ox.Store) else source()
    held = confine(memory_bytes, network)
    conn = Connection(channel.detach())
    conn.send_bytes(pickle.dumps(held))
    while True:
        try:
            request: QueryRequest | UpdateRequest = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        try:
            outcome = execute(store, request)
        except MemoryError:
            outcome = QueryOutcome.error(
                ErrorKind.OVER_MEMORY, "query ran out of its memory allowance"
            )
        conn.send_bytes(pickle.dumps(outcome))


def _receive_exactly(control: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = control.recv(min(size - len(chunks), 1 << 20))
        if not chunk:
            raise EOFError("the pool closed the zygote's control socket")
        chunks.extend(chunk)
    return bytes(chunks)


def _zygote_loop(
    control: socket.socket, store: StoreSource, memory_bytes: int, network: bool
) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps finished workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    while command := control.recv(1):
        if command == b"r":  # new data for the workers to come, as N-Quads
            (size,) = struct.unpack("!Q", _receive_exactly(control, 8))
            store = ox.Store()
            store.load(_receive_exactly(control, size), format=ox.RdfFormat.N_QUADS)
            control.sendall(b"k")
            continue
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            control.close()
            ours.close()
            try:
                _worker_loop(theirs, store, memory_bytes, network)
            finally:
                os._exit(0)
        theirs.close()
        socket.send_fds(control, [str(pid).encode()], [ours.fileno()])
        ours.close()


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


class WorkerPool:
    """Runs queries in worker processes, each with a hard deadline and a memory cap.

    Create it while the process is single-threaded (before the HTTP server starts threads).
    """

    def __init__(
        self, store: StoreSource, size: int, memory_mb: int, network_namespace: bool = True
    ) -> None:
        self.size = size
        self.apart_graphs: tuple[str, ...] = ()  # kept out of every query's default graph
        self.stats = PoolStats()
        self.isolation: dict[str, bool] = {}
        self._lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._generation = 0
        self._busy = 0
        self._settled = threading.Condition()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._source = store
        self._memory_bytes = memory_mb * 1_048_576
        self._network = network_namespace
        self._latest_data: bytes | None = None  # what the last refresh gave the zygote
        self.zygote_restarts = 0
        self._control, self._zygote = self._forked_zygote()
        for _ in range(size):
            self._idle.put(self._spawn())
        try:
            required(self.isolation, network_namespace)
        except Exception:
            self.close()
            raise
        log.info("query workers: %s", described(self.isolation, network_namespace))

    def _forked_zygote(self) -> tuple[socket.socket, int]:
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            # Keep nothing of the HTTP process's but the control socket and stdio: a copy of
            # the listening socket here would keep accepting into the backlog after the
            # server closed it on SIGTERM, so new clients would hang instead of being refused.
            os.closerange(3, theirs.fileno())
            os.closerange(theirs.fileno() + 1, os.sysconf("SC_OPEN_MAX"))
            try:
                _zygote_loop(theirs, self._source, self._memory_bytes, self._network)
            finally:
                os._exit(0)
        theirs.close()
        return ours, pid

    @property
    def zygote_pid(self) -> int:
        """The process that forks the workers (each worker is its child)."""
        return self._zygote

    def zygote_alive(self) -> bool:
        """Whether the process that forks workers still runs (a dead one is reaped)."""
        try:
            pid, _status = os.waitpid(self._zygote, os.WNOHANG)
        except ChildProcessError:
            return False
        return pid == 0

    def heal(self) -> bool:
        """Starts a new zygote if the current one has died (``kill -9``, the OOM killer);
        returns whether a zygote runs now. Forks from a threaded process, which is safe here:
        the child only runs the zygote loop on the store it inherits."""
        with self._lock:
            if self.zygote_alive():
                return True
            dead = self._zygote
            self._control.close()
            try:
                self._control, self._zygote = self._forked_zygote()
                if self._latest_data is not None:
                    self._send_data(self._latest_data)
            except OSError as exc:
                log.error("could not start a new query worker zygote: %s", exc)
                return False
            self.zygote_restarts += 1
            log.warning(
                "the query worker zygote (pid %d) ended; started a new one (pid %d)",
                dead,
                self._zygote,
            )
            return True

    def _spawn_once(self) -> _Worker:
        with self._lock:
            self._control.sendall(b"s")
            message, fds, _flags, _addr = socket.recv_fds(self._control, 32, 1)
        if not fds:
            raise RuntimeError("the query worker zygote has stopped")
        worker = _Worker(int(message), socket.socket(fileno=fds[0]), self._generation)
        try:
            self.isolation = pickle.loads(worker.receive(time.monotonic() + SPAWN_WAIT))
        except DeadlinePassed:
            _kill(worker.pid)
            worker.close()
            raise RuntimeError("a new query worker did not report in time") from None
        return worker

    def _spawn(self) -> _Worker:
        try:
            return self._spawn_once()
        except (OSError, RuntimeError, EOFError, ValueError):
            if not self.heal():
                raise
            return self._spawn_once()

    def _replace(self, worker: _Worker) -> None:
        _kill(worker.pid)
        worker.close()
        self._settle()
        if worker.generation != self._generation:
            return  # a refresh is under way or done: it starts the new workers
        try:
            self._idle.put(self._spawn())
        except (OSError, RuntimeError, EOFError, ValueError) as exc:
            log.error("could not start a replacement query worker: %s", exc)

    def _give_back(self, worker: _Worker) -> None:
        if worker.generation == self._generation:
            self._idle.put(worker)
        else:
            _kill(worker.pid)
            worker.close()
        self._settle()

    def _settle(self) -> None:
        with self._settled:
            self._busy -= 1
            self._settled.notify_all()

    def run(
        self, request: QueryRequest | UpdateRequest, timeout: float, started: float | None = None
    ) -> QueryOutcome:
        """Runs ``request``; a timeout outcome if it is not done ``timeout`` s after ``started``."""
        deadline = (started if started is not None else time.monotonic()) + timeout
        if self.apart_graphs and isinstance(request, QueryRequest):
            request = replace(request, apart_graphs=self.apart_graphs)
        while True:
            try:
                worker = self._idle.get(timeout=max(deadline - time.monotonic(), 0.001))
            except queue.Empty:
                self._count("busy_rejections")
                return QueryOutcome.error(
                    ErrorKind.UNAVAILABLE, "every query worker is busy; try again shortly"
                )
            with self._settled:
                self._busy += 1
            if worker.generation != self._generation:  # left over from before a refresh
                self._give_back(worker)
                continue
            try:
                worker.send(pickle.dumps(request))
            except OSError:  # it died while idle (killed from outside): use another
                self._replace(worker)
                continue
            return self._await(worker, deadline, timeout)

    def _await(self, worker: _Worker, deadline: float, timeout: float) -> QueryOutcome:
        try:
            outcome: QueryOutcome = pickle.loads(worker.receive(deadline))
        except DeadlinePassed:
            self._count("killed_at_deadline")
            self._replace(worker)
            return QueryOutcome.error(
                ErrorKind.TIMEOUT, f"query stopped at its deadline of {timeout:g} s"
            )
        except (EOFError, OSError, pickle.UnpicklingError):
            self._count("crashed")
            self._replace(worker)
            return QueryOutcome.error(
                ErrorKind.OVER_MEMORY,
                "query stopped: it exceeded its memory allowance or its worker ended",
            )
        self._count("completed")
        self._give_back(worker)
        return outcome

    @contextlib.contextmanager
    def exclusive(self, new_data: bytes | None = None, wait: float = 60.0) -> Iterator[None]:
        """Stops every worker (waiting up to ``wait`` s for running queries), runs the body
        with no worker holding the store, then starts fresh workers: on ``new_data`` (N-Quads)
        when given, else on what their store source opens now. Queries wait meanwhile."""
        with self._refresh_lock:
            self._generation += 1
            self._retire_idle()
            with self._settled:
                self._settled.wait_for(lambda: self._busy <= 0, timeout=wait)
            try:
                yield
                if new_data is not None:
                    self._reload_zygote(new_data)
            finally:
                self._retire_idle()
                for _ in range(self.size):
                    self._idle.put(self._spawn())

    def _retire_idle(self) -> None:
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return
            _kill(worker.pid)
            worker.close()

    def _reload_zygote(self, nquads: bytes) -> None:
        with self._lock:
            self._send_data(nquads)
            self._latest_data = nquads

    def _send_data(self, nquads: bytes) -> None:
        self._control.sendall(b"r" + struct.pack("!Q", len(nquads)) + nquads)
        if self._control.recv(1) != b"k":
            raise RuntimeError("the query worker zygote did not take the new data")

    def _count(self, name: str) -> None:
        with self._stats_lock:
            setattr(self.stats, name, getattr(self.stats, name) + 1)

    def close(self) -> None:
        """Stops the zygote and every idle worker."""
        self._control.close()
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            worker.close()
            _kill(worker.pid)
        try:
            os.kill(self._zygote, signal.SIGKILL)
            os.waitpid(self._zygote, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
