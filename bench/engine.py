"""ipkg against Oxigraph's own HTTP server, the engine ipkg embeds: how much the road around the
engine costs. The served graph is exported once as N-Triples (``ipkg export``) and served by
``oxigraph serve`` in memory (loaded through ``POST /store?default``), by ``oxigraph
serve-read-only`` on RocksDB (``oxigraph load``), by Virtuoso 7 where installed, and by
``ipkg serve`` on its memory and disk stores with the result cache on and off.

Six ad-hoc SELECT shapes (those of ``bench_virtuoso.py``) are checked to give the same
result set on every server, then timed in a closed loop from one client process (stdlib
``http.client``, one keep-alive connection per client thread, each client from its own
127.0.0.x address as separate users would be, so ipkg's per-client fair share stays on and
does what it would do for them). Two workloads: *repeated* (the six texts again and again) and
*new text* (every request a text never sent before: an unused ``PREFIX vN:`` with a new N, so
no cache of any server can help). Each cell runs in ABBA order (every server forward, then
backward), so load from the rest of the machine falls on all alike. Ratios are throughput
against ``oxigraph serve`` in memory in the same run.

``python bench/engine.py [--duration 4] [--clients 1,8] [--quick] [--no-virtuoso]`` prints the
tables and writes ``bench/results/engine.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import math
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests
from bench_endpoint import export_article
from bench_virtuoso import SHAPES, canonical_term, text_of
from harness import (
    RunningServer,
    free_port,
    load_average,
    machine,
    shared_cache,
    start_server,
    write_results,
)
from loadgen import markdown_table
from requests.auth import HTTPDigestAuth  # Virtuoso's Graph Store asks for Digest

from support.virtuoso import start_virtuoso, virtuoso_available

JSON = "application/sparql-results+json"
WORKLOADS = ("repeated", "new text")
ANCHOR = "oxigraph serve (memory)"
DISK_ANCHOR = "oxigraph serve-read-only (RocksDB)"
BENCH_GRAPH = "urn:ipkg:bench"  # the one graph Virtuoso holds the export in


@dataclass
class Target:
    """One server under test: its base URL, what its query URL needs besides the query, and
    how to stop it."""

    name: str
    url: str
    path: str = "/sparql"
    extra: tuple[tuple[str, str], ...] = ()
    stop: Callable[[], None] = lambda: None

    def target(self, text: str) -> str:
        return self.path + "?" + urlencode([("query", text), *self.extra])


@dataclass
class Cell:
    """What one server did in one cell: latencies per shape, errors, seconds measured."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    seconds: float = 0.0

    def add(self, other: Cell) -> None:
        for shape, values in other.latencies.items():
            self.latencies.setdefault(shape, []).extend(values)
        self.errors += other.errors
        self.seconds += other.seconds

    def rate(self) -> float:
        """Requests per second, all shapes."""
        return sum(len(v) for v in self.latencies.values()) / max(self.seconds, 1e-9)

    def mean(self, shape: str) -> float:
        """Mean seconds of one shape (its own throughput is the clients over this)."""
        values = self.latencies.get(shape, ())
        return sum(values) / len(values) if values else float("inf")

    def p50(self, shape: str) -> float:
        values = sorted(self.latencies.get(shape, ()))
        return values[len(values) // 2] * 1000 if values else float("nan")


# --- the client ------------------------------------------------------------------------------


def _texts(workload: str, seed: int) -> Iterator[tuple[str, str]]:
    shapes = list(SHAPES)
    shapes = shapes[seed % 6 :] + shapes[: seed % 6]
    if workload == "repeated":
        for shape in itertools.cycle(shapes):
            yield shape, text_of(shape)
        return
    counter = itertools.count(seed * 1_000_000_000 + time.monotonic_ns() // 1000 % 100_000_000)
    for shape in itertools.cycle(shapes):
        yield shape, text_of(shape, next(counter))


def _client(target: Target, workload: str, seed: int, until: float, cell: Cell) -> None:
    parts = urlsplit(target.url)
    source = (f"127.0.0.{10 + seed}", 0)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30, source_address=source)
    headers = {"Accept": JSON}
    for shape, text in _texts(workload, seed):
        started = time.perf_counter()
        if started >= until:
            break
        try:
            conn.request("GET", target.target(text), headers=headers)
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
        if ok:
            cell.latencies.setdefault(shape, []).append(time.perf_counter() - started)
        else:
            cell.errors += 1
    conn.close()


def run_cell(target: Target, workload: str, clients: int, seconds: float) -> Cell:
    """``clients`` threads in a closed loop for ``seconds``; their latencies merged."""
    cells = [Cell() for _ in range(clients)]
    started = time.perf_counter()
    until = started + seconds
    threads = [
        threading.Thread(target=_client, args=(target, workload, i, until, cells[i]))
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    merged = Cell(seconds=time.perf_counter() - started)
    for cell in cells:
        merged.add(Cell(cell.latencies, cell.errors))
    return merged


def abba(targets: list[Target], workload: str, clients: int, seconds: float) -> dict[str, Cell]:
    """Each target for ``seconds`` / 2 in order, then again in reverse order."""
    cells = {t.name: Cell() for t in targets}
    for order in (targets, targets[::-1]):
        for target in order:
            cells[target.name].add(run_cell(target, workload, clients, seconds / 2))
    return cells


# --- answers ---------------------------------------------------------------------------------


def result_set(target: Target, text: str) -> list[tuple]:
    """The parsed answer of one query: its rows as sorted tuples of canonical terms."""
    parts = urlsplit(target.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        conn.request("GET", target.target(text), headers={"Accept": JSON})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"{target.name} answered {response.status}: {body[:300]!r}")
    rows = json.loads(body)["results"]["bindings"]
    return sorted(tuple(sorted((k, canonical_term(v)) for k, v in row.items())) for row in rows)


def check_answers(targets: list[Target]) -> list[list]:
    """Every shape (and a variant of it) on every server against the anchor's result set."""
    rows = []
    for shape in SHAPES:
        base = result_set(targets[0], text_of(shape))
        for target in targets:
            for text in (text_of(shape), text_of(shape, 7)):
                if result_set(target, text) != base:
                    sys.exit(f"{target.name} answers {shape} differently from {targets[0].name}")
        rows.append([shape, len(base), "yes"])
    return rows


# --- the servers -----------------------------------------------------------------------------


def oxigraph_binary() -> str:
    """The ``oxigraph`` server binary of PyPI's ``oxigraph`` package (the bench extra)."""
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).exists():
        sys.exit("oxigraph is not installed: pip install -e '.[bench]'")
    return found


def _wait_for(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    parts = urlsplit(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[:2]} exited with {process.returncode}")
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
            conn.request("GET", "/query?" + urlencode({"query": "ASK {}"}))
            if conn.getresponse().status == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} was not ready after {timeout} s")


def _stopper(process: subprocess.Popen) -> Callable[[], None]:
    def stop() -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    return stop


def oxigraph_in_memory(export: Path, tmp: Path) -> Target:
    """``oxigraph serve`` without a location (in memory), loaded through its Graph Store."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp / "oxigraph-memory.log").open("wb")
    process = subprocess.Popen(
        [oxigraph_binary(), "serve", "--bind", f"127.0.0.1:{port}", "--timeout-s", "10"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    _wait_for(url, process)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request(
        "POST", "/store?default", export.read_bytes(), {"Content-Type": "application/n-triples"}
    )
    if conn.getresponse().status not in (200, 201, 204):
        raise RuntimeError("oxigraph serve refused the export")
    return Target(ANCHOR, url, "/query", stop=_stopper(process))


def oxigraph_on_rocksdb(export: Path, tmp: Path) -> Target:
    """``oxigraph serve-read-only`` on a RocksDB directory filled by ``oxigraph load``."""
    location = tmp / "oxigraph-rocksdb"
    binary = oxigraph_binary()
    subprocess.run(
        [binary, "load", "--location", str(location), "--file", str(export)],
        check=True,
        capture_output=True,
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp / "oxigraph-rocksdb.log").open("wb")
    command = [binary, "serve-read-only", "--location", str(location)]
    process = subprocess.Popen(
        [*command, "--bind", f"127.0.0.1:{port}", "--timeout-s", "10"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    _wait_for(url, process)
    return Target(DISK_ANCHOR, url, "/query", stop=_stopper(process))


def virtuoso(export: Path, tmp: Path) -> Target:
    """A private Virtuoso 7 holding the export in one graph, queried with it as the default."""
    server = start_virtuoso(tmp)
    answer = requests.put(
        f"http://127.0.0.1:{server.http_port}/sparql-graph-crud-auth",
        params={"graph-uri": BENCH_GRAPH},
        data=export.read_bytes(),
        headers={"Content-Type": "text/turtle"},  # N-Triples is Turtle
        auth=HTTPDigestAuth(server.user, server.password),
        timeout=300,
    )
    if answer.status_code not in (200, 201, 204):
        server.stop()
        raise RuntimeError(f"Virtuoso refused the export: {answer.status_code}")
    url = server.sparql_url.removesuffix("/sparql")
    return Target("Virtuoso 7", url, extra=(("default-graph-uri", BENCH_GRAPH),), stop=server.stop)


def ipkg(tmp: Path, name: str, args: Sequence[str]) -> Target:
    """``ipkg serve`` with ``args`` (the shipped defaults otherwise)."""
    server: RunningServer = start_server(tmp, list(args), env=shared_cache(), timeout=600)
    return Target(name, server.url, stop=server.stop)


def ipkg_targets(tmp: Path) -> list[tuple[str, Callable[[], Target]]]:
    """ipkg on its memory and disk stores, result cache on and off (a disk store each: the
    database takes one writer)."""
    made = []
    for store in ("memory", "disk"):
        for cache in (True, False):
            name = f"ipkg {store}, cache {'on' if cache else 'off'}"
            args = [] if cache else ["--result-cache-bytes", "0"]
            if store == "disk":
                args += ["--store", f"disk:{tmp / ('disk-' + ('on' if cache else 'off'))}"]
            made.append((name, lambda n=name, a=args: ipkg(tmp, n, a)))
    return made


# --- the report ------------------------------------------------------------------------------


def geomean(values: Sequence[float]) -> float:
    return math.exp(sum(math.log(max(v, 1e-12)) for v in values) / len(values))


def ratios(cells: dict[str, Cell], name: str, anchor: str) -> dict[str, float]:
    """Per-shape throughput of ``name`` over ``anchor``; ``geomean`` over the shapes. The
    clients send the shapes in turn, so a shape's throughput is the clients over its mean
    latency, and the ratio is the anchor's mean latency over ours."""
    per = {s: cells[anchor].mean(s) / cells[name].mean(s) for s in SHAPES}
    return {**per, "geomean": geomean(list(per.values()))}


def render(
    about: str,
    checks: list[list],
    results: dict[tuple[str, int], dict[str, Cell]],
    names: list[str],
    clients: list[int],
    seconds: float,
) -> str:
    errors = sum(c.errors for cells in results.values() for c in cells.values())
    throughput = []
    ratio_rows = []
    shape_rows = []
    for workload in WORKLOADS:
        for n in clients:
            cells = results[(workload, n)]
            throughput.append([workload, n, *[f"{cells[x].rate():,.0f}" for x in names]])
            ratio_rows.append(
                [
                    workload,
                    n,
                    *[f"{ratios(cells, x, ANCHOR)['geomean']:.2f}x" for x in names],
                ]
            )
            for x in names:
                if x == ANCHOR:
                    continue
                r = ratios(cells, x, ANCHOR)
                shape_rows.append(
                    [workload, n, x, *[f"{r[s]:.2f}" for s in SHAPES], f"**{r['geomean']:.2f}**"]
                )
    p50_rows = [
        [shape, *[f"{results[('new text', clients[0])][x].p50(shape):.2f}" for x in names]]
        for shape in SHAPES
    ]
    disk_rows = []
    if DISK_ANCHOR in names:
        for workload in WORKLOADS:
            for n in clients:
                cells = results[(workload, n)]
                disk_rows += [
                    [workload, n, x, f"{ratios(cells, x, DISK_ANCHOR)['geomean']:.2f}x"]
                    for x in names
                    if x.startswith("ipkg disk")
                ]
    sections = [
        f"Machine: {about}",
        "Answers, checked before timing (each shape and a variant of it, on every server, as "
        "parsed result sets; numbers by value, language tags case-blind):\n\n"
        + markdown_table(["shape", "rows", "all servers agree"], checks),
        f"Throughput, req/s ({seconds:g} s per cell in ABBA halves; {errors} errors in all):\n\n"
        + markdown_table(["workload", "clients", *names], throughput),
        f"Throughput against {ANCHOR}, geometric mean over the six shapes:\n\n"
        + markdown_table(["workload", "clients", *names], ratio_rows),
        f"Per shape, against {ANCHOR}:\n\n"
        + markdown_table(["workload", "clients", "server", *SHAPES, "geomean"], shape_rows),
        f"p50 ms per shape, new text, {clients[0]} client(s):\n\n"
        + markdown_table(["shape", *names], p50_rows),
    ]
    if disk_rows:
        sections.append(
            f"ipkg's disk store against {DISK_ANCHOR}, geometric mean:\n\n"
            + markdown_table(["workload", "clients", "server", "ratio"], disk_rows)
        )
    return "\n\n".join(sections)


def measure(targets: list[Target], clients: list[int], seconds: float) -> dict:
    results = {}
    for workload in WORKLOADS:
        for n in clients:
            cells = abba(targets, workload, n, seconds)
            results[(workload, n)] = cells
            for name, cell in cells.items():
                print(
                    f"{workload:9} {n:2} {name:38} {cell.rate():7.0f} req/s errors {cell.errors}",
                    flush=True,
                )
    return results


def main(argv: Sequence[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=4.0, help="seconds per cell")
    parser.add_argument("--clients", default="1,8", help="concurrent clients, comma-separated")
    parser.add_argument("--quick", action="store_true", help="0.4 s cells, no Virtuoso")
    parser.add_argument("--no-virtuoso", action="store_true", help="leave Virtuoso out")
    parser.add_argument(
        "--output", default="engine", help="results file name, no suffix (empty: not written)"
    )
    args = parser.parse_args(argv)
    seconds = 0.4 if args.quick else args.duration
    clients = [int(x) for x in args.clients.split(",")]
    about = machine()
    targets: list[Target] = []
    with tempfile.TemporaryDirectory(prefix="ipkg-bench-engine-") as folder:
        tmp = Path(folder)
        try:
            export = export_article(tmp, "nt")  # the served graph, as N-Triples
            targets.append(oxigraph_in_memory(export, tmp))
            targets.append(oxigraph_on_rocksdb(export, tmp))
            for _name, start in ipkg_targets(tmp):
                targets.append(start())
            if not (args.quick or args.no_virtuoso) and virtuoso_available():
                targets.append(virtuoso(export, tmp))
            checks = check_answers(targets)
            for target in targets:  # warm-up on texts never timed
                run_cell(target, "new text", 2, min(seconds, 1.0))
            results = measure(targets, clients, seconds)
        finally:
            for target in targets:
                target.stop()
    names = [t.name for t in targets]
    report = render(about, checks, results, names, clients, seconds)
    report += f"\n\nLoad average at the end of the run: {load_average()}."
    print(report)
    if args.output:
        print(f"written to {write_results(args.output, report)}")
    return report


if __name__ == "__main__":
    main()
