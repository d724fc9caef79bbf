"""Ad-hoc SPARQL latency and throughput: the saved queries sent as ad-hoc queries to ``/sparql``
of ``ipkg serve`` (pool of query workers, deadline on) and of rdflib-endpoint serving the same
graph with its inferences, with 1, 8 and 32 concurrent clients, in one run.

``python bench/bench_endpoint.py [--duration 10] [--clients 1,8,32] [--data FILE …]``
prints the table and the ratios and writes ``bench/results/endpoint.md``.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import rdflib
import requests
from harness import (
    ROOT,
    SELECT_TYPE,
    adhoc_request,
    free_port,
    load_average,
    machine,
    saved_queries,
    shared_cache,
    start_server,
    write_results,
)
from loadgen import KindStats, LoadResult, Request, markdown_table, ms, run_load, summary_row
from rdflib_server import RdflibEndpoint

from ipkg.sparql.inspection import inspect_request


def result_size(response: requests.Response) -> int:
    """Rows of a SELECT, 1/0 for ASK, triples of a CONSTRUCT."""
    if response.headers.get("Content-Type", "").startswith(SELECT_TYPE):
        data = response.json()
        if "boolean" in data:
            return int(data["boolean"])
        return len(data["results"]["bindings"])
    graph = rdflib.Graph()
    graph.parse(io.BytesIO(response.content), format="turtle")
    return len(graph)


@dataclass
class Agreement:
    """Each query called once on each server: the check table, and the queries too slow on
    some server to be part of the timed mix."""

    rows: list[list[object]]
    slow: list[str]


def agreement(mix: Sequence[Request], urls: dict[str, str], slow: float) -> Agreement:
    """Each query once on each server: status, result size and time, side by side."""
    rows, too_slow = [], []
    for request in mix:
        row: list[object] = [request.kind]
        for url in urls.values():
            started = time.perf_counter()
            answer = requests.post(
                url, data=request.body, headers=dict(request.headers), timeout=300
            )
            elapsed = time.perf_counter() - started
            size = result_size(answer) if answer.status_code == 200 else "-"
            row.append(f"{answer.status_code} / {size} / {ms(elapsed)}")
            if elapsed > slow and request.kind not in too_slow:
                too_slow.append(request.kind)
        rows.append(row)
    return Agreement(rows, too_slow)


def in_process_medians(files: Sequence[Path], mix: Sequence[Request], runs: int = 15) -> dict:
    """Median ms of each query evaluated and serialised by pyoxigraph in this process, with no
    HTTP and no worker pool: what the service adds is the difference."""
    store = ox.Store()
    for path in files:
        store.bulk_load(path=str(path), format=ox.RdfFormat.from_extension(path.suffix[1:]))
    medians = {}
    for request in mix:
        text = request.body.decode()
        graph = inspect_request(text).form in ("CONSTRUCT", "DESCRIBE")
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            result = store.query(text, use_default_graph_as_union=True)
            result.serialize(format=ox.RdfFormat.TURTLE if graph else ox.QueryResultsFormat.JSON)
            times.append(time.perf_counter() - started)
        medians[request.kind] = sorted(times)[runs // 2]
    return medians


def export_article(tmp: Path, fmt: str = "nquads") -> Path:
    """The article graph with its inferences, all named graphs, as N-Quads (or as one graph in
    another ``ipkg export`` format, such as ``nt``)."""
    target = tmp / f"article.{'nq' if fmt == 'nquads' else fmt}"
    command = [sys.executable, "-m", "ipkg", "export", "--graph", "all", "--format", fmt]
    subprocess.run(
        [*command, "-o", str(target)], check=True, cwd=ROOT, env=os.environ | shared_cache()
    )
    return target


def ratio_rows(results: dict[tuple[int, str], LoadResult], clients: Sequence[int]) -> list[list]:
    rows = []
    for n in clients:
        mine, base = results[(n, "ipkg")], results[(n, "rdflib-endpoint")]
        ours, theirs = mine.total(), base.total()
        rows.append(
            [
                n,
                f"{theirs.percentile(0.5) / ours.percentile(0.5):.1f}x",
                f"{theirs.percentile(0.99) / ours.percentile(0.99):.1f}x",
                f"{mine.throughput() / base.throughput():.1f}x",
            ]
        )
    return rows


def per_query_rows(single: dict[str, LoadResult], native: dict[str, float]) -> list[list]:
    names = sorted(single["ipkg"].by_kind)
    missing = KindStats()
    return [
        [
            name,
            *(ms(single[s].by_kind.get(name, missing).percentile(0.5)) for s in single),
            ms(native[name]),
        ]
        for name in names
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--clients", default="1,8,32", help="concurrent clients, comma-separated")
    parser.add_argument("--data", action="append", type=Path, help="serve these files instead")
    parser.add_argument("--queries", type=Path, default=ROOT / "queries")
    parser.add_argument(
        "--slow", type=float, default=2.0, help="leave out queries slower than this (s)"
    )
    parser.add_argument("--output", default="endpoint", help="results file name (no suffix)")
    args = parser.parse_args()
    clients = [int(x) for x in args.clients.split(",")]
    mix = [adhoc_request(name, text) for name, text in saved_queries(args.queries)]
    if not mix:
        sys.exit(f"no saved queries in {args.queries}")
    about = machine()
    with tempfile.TemporaryDirectory(prefix="ipkg-bench-") as folder:
        tmp = Path(folder)
        files = args.data or [export_article(tmp)]
        native = in_process_medians(files, mix)
        data_args = [a for path in args.data or [] for a in ("--data", str(path))]
        ipkg = start_server(tmp, data_args, env=shared_cache(), timeout=600)
        baseline = RdflibEndpoint(files, free_port(), tmp / "rdflib.log")
        try:
            urls = {"ipkg": ipkg.sparql, "rdflib-endpoint": baseline.sparql}
            checks = agreement(mix, urls, args.slow)
            timed = [(r, 1) for r in mix if r.kind not in checks.slow]
            results: dict[tuple[int, str], LoadResult] = {}
            for url in urls.values():  # warm-up: first-query costs, caches
                run_load(url, timed, connections=1, duration=1.0)
            for n in clients:
                for name, url in urls.items():
                    results[(n, name)] = run_load(url, timed, n, args.duration)
                    print(*summary_row(n, name, results[(n, name)]), sep="  ", flush=True)
        finally:
            ipkg.stop()
            baseline.stop()
    report = render(about, args, mix, checks, results, clients, native)
    report += f"\n\nLoad average at the end of the run: {load_average()}."
    print(report)
    print(f"written to {write_results(args.output, report)}")


def left_out(checks: Agreement, slow: float) -> str:
    if not checks.slow:
        return f"Every query took under {slow:g} s on both servers; all are in the timed mix."
    return (
        f"Left out of the timed mix (one call took over {slow:g} s on a server, see the check "
        f"table): {', '.join(checks.slow)}. Leaving them out favours the slower server."
    )


def render(about, args, mix, checks, results, clients, native) -> str:
    header = ["clients", "server", "requests", "errors", "p50 ms", "p99 ms", "req/s", "client CPU"]
    rows = [
        summary_row(n, s, results[(n, s)]) for n in clients for s in ("ipkg", "rdflib-endpoint")
    ]
    single = {s: results[(min(clients), s)] for s in ("ipkg", "rdflib-endpoint")}
    ipkg_p50s = [stats.percentile(0.5) for stats in single["ipkg"].by_kind.values()]
    data = ", ".join(p.name for p in args.data) if args.data else "the article graph (all graphs)"
    eight = 8 if 8 in clients else clients[len(clients) // 2]
    speedup = (
        results[(eight, "ipkg")].throughput() / results[(eight, "rdflib-endpoint")].throughput()
    )
    parts = [
        "# Ad-hoc SPARQL: ipkg vs rdflib-endpoint",
        f"Machine: {about}.",
        f"Data: {data}. Queries: {len(mix) - len(checks.slow)} of the {len(mix)} saved "
        f"queries of `{args.queries.name}/` sent as "
        f"ad-hoc POST `application/sparql-query` (JSON for SELECT/ASK, Turtle for CONSTRUCT), "
        f"each client cycling through them in its own order; {args.duration:g} s per cell; "
        "same client (bench/loadgen.py, closed loop, keep-alive) for both servers. ipkg: "
        "`ipkg serve` defaults (2 query workers, 10 s deadline on). rdflib-endpoint "
        "0.6 under uvicorn, one process.",
        markdown_table(header, rows),
        "Ratios (rdflib-endpoint / ipkg for latency, ipkg / rdflib-endpoint for throughput):",
        markdown_table(["clients", "p50", "p99", "throughput"], ratio_rows(results, clients)),
        f"Median latency per query with {min(clients)} client(s), ms:",
        markdown_table(
            ["query", "ipkg", "rdflib-endpoint", "pyoxigraph in-process, no HTTP"],
            per_query_rows(single, native),
        ),
        "Check before timing — status / result size (rows, boolean, triples) / time of "
        "one call (ms) per query:",
        markdown_table(["query", "ipkg", "rdflib-endpoint"], checks.rows),
        left_out(checks, args.slow),
        "Targets: p50 <= 5 ms per query with the deadline on: "
        f"{'met' if max(ipkg_p50s) <= 0.005 else 'NOT met'} (slowest query's p50 "
        f"{ms(max(ipkg_p50s))} ms, all queries {ms(single['ipkg'].total().percentile(0.5))} ms); "
        f"throughput at {eight} clients >= 3x rdflib-endpoint: "
        f"{'met' if speedup >= 3 else 'NOT met'} ({speedup:.1f}x).",
    ]
    return "\n\n".join(parts)


if __name__ == "__main__":
    main()
