"""A closed-loop HTTP/1.1 load generator on asyncio: each keep-alive connection sends the next
request of a mix as soon as the previous answer is in, and latency and status are kept per kind.

Used by every benchmark in ``bench/`` and by ``tests/web/test_load.py``, so the numbers in the
README and the CI check come from the same client. It also reports its own CPU time, which
shows whether the client (one Python process) or the server was the bottleneck.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Request:
    """One HTTP request of a mix; ``expect`` are the statuses that count as success."""

    kind: str
    method: str
    target: str  # path and query string
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    expect: frozenset[int] = frozenset({200})

    def wire(self, host: str) -> bytes:
        """The request as bytes on the wire (keep-alive, with Content-Length for a body)."""
        lines = [f"{self.method} {self.target} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.body or self.method in ("POST", "PUT"):
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass
class KindStats:
    """Latencies (seconds) and statuses of one kind of request."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0  # unexpected status, timeout or broken connection
    failures: Counter[str] = field(default_factory=Counter)  # what the errors were

    def merge(self, other: KindStats) -> None:
        self.latencies += other.latencies
        self.statuses.update(other.statuses)
        self.errors += other.errors
        self.failures.update(other.failures)

    @property
    def count(self) -> int:
        return len(self.latencies)

    def percentile(self, q: float) -> float:
        """The ``q`` quantile (0-1) of the latencies, nearest rank; NaN when empty."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


@dataclass
class LoadResult:
    """What one run measured."""

    duration: float
    connections: int
    by_kind: dict[str, KindStats]
    client_cpu: float  # seconds of CPU the client process used

    def total(self, exclude: Sequence[str] = ()) -> KindStats:
        """All kinds merged, except those named."""
        merged = KindStats()
        for kind, stats in self.by_kind.items():
            if kind not in exclude:
                merged.merge(stats)
        return merged

    def throughput(self, exclude: Sequence[str] = ()) -> float:
        return self.total(exclude).count / self.duration

    @property
    def errors(self) -> int:
        return self.total().errors

    def failure_summary(self) -> str:
        found = Counter[str]()
        for kind, stats in self.by_kind.items():
            found.update({f"{kind}: {what}": n for what, n in stats.failures.items()})
        return "; ".join(f"{what} x{n}" for what, n in found.most_common(8)) or "none"


class ProtocolBroken(Exception):
    """The server's answer could not be read as HTTP/1.1."""


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str], status: int) -> int:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        size = 0
        while True:
            chunk = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if chunk == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass  # trailers
                return size
            await reader.readexactly(chunk + 2)
            size += chunk
    if "content-length" in headers:
        length = int(headers["content-length"])
        await reader.readexactly(length)
        return length
    if status in (204, 304) or 100 <= status < 200:
        return 0
    return len(await reader.read())  # delimited by the connection closing


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Reads one response; returns its status and whether the connection stays open."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise ProtocolBroken(f"bad status line {lines[0]!r}")
    status = int(parts[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    await _read_body(reader, headers, status)
    keep = headers.get("connection", "").lower() != "close" and (
        "content-length" in headers or "transfer-encoding" in headers or status in (204, 304)
    )
    return status, keep


class Client:
    """One keep-alive connection to ``host:port`` that reconnects after a close or an error."""

    def __init__(self, host: str, port: int, timeout: float, source: str | None = None) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.source = source  # the local address to connect from (None: any)
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def send(self, request: Request, stats: KindStats) -> None:
        """Sends ``request``, waits for the answer and records it in ``stats``."""
        started = time.perf_counter()
        try:
            if self._streams is None:
                local = (self.source, 0) if self.source else None
                self._streams = await asyncio.open_connection(
                    self.host, self.port, limit=1 << 20, local_addr=local
                )
            reader, writer = self._streams
            writer.write(request.wire(f"{self.host}:{self.port}"))
            status, keep = await asyncio.wait_for(read_response(reader), self.timeout)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            self._fail(stats, started, type(exc).__name__)
            return
        except (TimeoutError, ProtocolBroken, ValueError) as exc:
            self._fail(stats, started, type(exc).__name__)
            return
        stats.latencies.append(time.perf_counter() - started)
        stats.statuses[status] += 1
        if status not in request.expect:
            stats.errors += 1
            stats.failures[f"status {status}"] += 1
        if not keep:
            self.close()

    def _fail(self, stats: KindStats, started: float, what: str) -> None:
        stats.latencies.append(time.perf_counter() - started)
        stats.errors += 1
        stats.failures[what] += 1
        self.close()

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


def rotation(mix: Sequence[tuple[Request, int]], seed: int) -> Iterator[Request]:
    """An endless sequence of the mix's requests, each as often as its weight says, shuffled."""
    deck = [request for request, weight in mix for _ in range(weight)]
    random.Random(seed).shuffle(deck)
    return itertools.cycle(deck)


async def _connection_loop(
    client: Client, plan: Iterator[Request], stop_at: float, by_kind: dict[str, KindStats]
) -> None:
    while time.monotonic() < stop_at:
        request = next(plan)
        await client.send(request, by_kind.setdefault(request.kind, KindStats()))
    client.close()


async def _hostile_loop(
    host: str,
    port: int,
    request: Request,
    every: float,
    stop_at: float,
    by_kind: dict[str, KindStats],
    timeout: float,
) -> None:
    """Starts ``request`` every ``every`` seconds on a fresh connection, not waiting for the
    previous one; at the end waits for those still running."""
    running: list[asyncio.Task[None]] = []

    # The attacker is another client: from 127.0.0.2 when the server is on loopback (Linux
    # routes all of 127.0.0.0/8 to lo), so the server's per-client share applies to it.
    source = "127.0.0.2" if host == "127.0.0.1" else None

    async def once() -> None:
        client = Client(host, port, timeout, source)
        await client.send(request, by_kind.setdefault(request.kind, KindStats()))
        client.close()

    while time.monotonic() < stop_at:
        running.append(asyncio.ensure_future(once()))
        await asyncio.sleep(every)
    await asyncio.gather(*running)


async def _run(
    url: str,
    mix: Sequence[tuple[Request, int]],
    connections: int,
    duration: float,
    hostile: Request | None,
    hostile_every: float,
    timeout: float,
    plans: Callable[[int], Iterator[Request]] | None = None,
    addresses: int = 1,
) -> LoadResult:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    by_kind: dict[str, KindStats] = {}
    started = time.monotonic()
    stop_at = started + duration
    tasks = [
        _connection_loop(
            Client(host, port, timeout, client_source(host, seed, addresses)),
            plans(seed) if plans else rotation(mix, seed),
            stop_at,
            by_kind,
        )
        for seed in range(connections)
    ]
    if hostile is not None:
        tasks.append(_hostile_loop(host, port, hostile, hostile_every, stop_at, by_kind, timeout))
    cpu = time.process_time()
    await asyncio.gather(*tasks)
    return LoadResult(
        duration=time.monotonic() - started,
        connections=connections,
        by_kind=by_kind,
        client_cpu=time.process_time() - cpu,
    )


def run_load(
    url: str,
    mix: Sequence[tuple[Request, int]],
    connections: int,
    duration: float,
    hostile: Request | None = None,
    hostile_every: float = 1.0,
    timeout: float = DEFAULT_TIMEOUT,
    plans: Callable[[int], Iterator[Request]] | None = None,
    addresses: int = 1,
) -> LoadResult:
    """Drives ``url`` (scheme, host and port) with ``connections`` closed-loop connections for
    ``duration`` seconds, each cycling through ``mix`` (request, weight) in its own shuffled
    order, or, given ``plans``, sending what ``plans(connection number)`` yields; optionally
    starts ``hostile`` every ``hostile_every`` seconds on the side. On a loopback server the
    connections come from ``addresses`` local addresses in turn (127.0.1.x: separate users
    rather than one client with many connections); 1 is the host's own address."""
    return asyncio.run(
        _run(url, mix, connections, duration, hostile, hostile_every, timeout, plans, addresses)
    )


def client_source(host: str, connection: int, addresses: int) -> str | None:
    """The local address connection number ``connection`` comes from (None: the default)."""
    if addresses <= 1 or not host.startswith("127."):
        return None
    index = connection % addresses
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


def ms(seconds: float) -> str:
    """Seconds as milliseconds for a table cell."""
    return "-" if seconds != seconds else f"{seconds * 1000:.1f}"


def summary_row(clients: int, server: str, result: LoadResult) -> list[object]:
    """One line of a benchmark table: clients, server, requests, errors, p50, p99, req/s and
    the client's own CPU share (to show the client was not the bottleneck)."""
    total = result.total()
    return [
        clients,
        server,
        total.count,
        total.errors,
        ms(total.percentile(0.5)),
        ms(total.percentile(0.99)),
        f"{result.throughput():.0f}",
        f"{result.client_cpu / result.duration * 100:.0f} %",
    ]


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
