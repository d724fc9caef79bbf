"""Where the time of one ad-hoc point query goes, layer by layer: pyoxigraph in process (the
floor), ipkg's own serialiser, the pickled hand-off to a query worker, the Flask app as a WSGI
call, and the whole HTTP round trip through ``ipkg serve`` (its asyncio and h11 front).

``python bench/profile_request.py [--runs 3000] [--profile]`` prints a table of medians (and,
with ``--profile``, the top functions of the app's own time under cProfile). The numbers in
``docs/performance.md`` come from it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pickle
import pstats
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
from bench_endpoint import export_article
from harness import load_average, machine, shared_cache, start_server, write_results
from loadgen import Request, markdown_table, run_load

from ipkg.config import Settings
from ipkg.sparql.execution import QueryRequest, execute
from ipkg.web.app import create_app

POINT = (
    "SELECT ?label WHERE { <https://ipkg.example.org/id/cnipa> "
    "<http://www.w3.org/2000/01/rdf-schema#label> ?label }"
)
ACCEPT = "application/sparql-results+json"


def median_us(step: Callable[[], object], runs: int) -> float:
    """Median microseconds of ``step`` over ``runs`` calls (after 50 warm-up calls)."""
    for _ in range(50):
        step()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e6


def wsgi_environ(query: str) -> dict:
    """A GET /sparql environ as the front (``web/front.py``) hands it to the app."""
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/sparql",
        "QUERY_STRING": "query=" + quote(query, safe=""),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ACCEPT": ACCEPT,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def call_app(app, query: str) -> bytes:
    status: list[str] = []
    body = b"".join(app(wsgi_environ(query), lambda s, h, e=None: status.append(s)))
    if not status[0].startswith("200"):
        raise RuntimeError(f"{status[0]}: {body[:200]!r}")
    return body


def pipe_round_trip(payload: bytes) -> Callable[[], object]:
    """A bare socketpair echo in this process: the floor of any hand-off over a socket."""
    ours, theirs = socket.socketpair()

    def step() -> None:
        ours.sendall(payload)
        theirs.sendall(theirs.recv(65536))
        ours.recv(65536)

    return step


def in_process(store: ox.Store, runs: int) -> dict[str, float]:
    job = QueryRequest(POINT, "json", max_rows=100_000, base_iri="http://127.0.0.1:8000/sparql")
    outcome = execute(store, job)
    request_bytes, outcome_bytes = pickle.dumps(job), pickle.dumps(outcome)
    return {
        "pyoxigraph query + JSON serialize (the floor)": median_us(
            lambda: store.query(POINT, use_default_graph_as_union=True).serialize(
                format=ox.QueryResultsFormat.JSON
            ),
            runs,
        ),
        "ipkg execute (query + capped JSON writer)": median_us(lambda: execute(store, job), runs),
        "pickle request + outcome (dumps + loads)": median_us(
            lambda: (
                pickle.loads(pickle.dumps(job)),
                pickle.loads(pickle.dumps(outcome)),
            ),
            runs,
        ),
        "socketpair echo, same process": median_us(
            pipe_round_trip(request_bytes + outcome_bytes), runs
        ),
    }


def app_layers(app, runs: int) -> dict[str, float]:
    pool = app.extensions["ipkg"].queries.runner
    job = QueryRequest(POINT, "json", base_iri="http://127.0.0.1:8000/sparql")
    return {
        "pool.run: hand-off to a worker and back": median_us(lambda: pool.run(job, 10.0), runs),
        "Flask app, WSGI call (no HTTP)": median_us(lambda: call_app(app, POINT), runs),
    }


def profile_app(app, runs: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        call_app(app, POINT)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    return out.getvalue()


def http_p50(runs_seconds: float, tmp: Path, extra: list[str]) -> tuple[float, float]:
    """p50 and req/s of the point query over HTTP, one keep-alive client, through the front."""
    server = start_server(tmp, extra, env=shared_cache(), timeout=600)
    try:
        target = "/sparql?query=" + quote(POINT, safe="")
        mix = [(Request("point", "GET", target, (("Accept", ACCEPT),)), 1)]
        run_load(server.sparql, mix, 1, 1.0)
        result = run_load(server.sparql, mix, 1, runs_seconds)
        return result.total().percentile(0.5) * 1e6, result.throughput()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=5.0, help="HTTP measurement length")
    parser.add_argument("--profile", action="store_true", help="print cProfile of the app")
    parser.add_argument("--output", default="profile", help="results file name (no suffix)")
    args = parser.parse_args()
    about = machine()
    rows: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="ipkg-profile-") as folder:
        tmp = Path(folder)
        article = export_article(tmp)
        store = ox.Store()
        store.bulk_load(path=str(article), format=ox.RdfFormat.N_QUADS)
        rows |= in_process(store, args.runs)
        has_cache = "result_cache_bytes" in {f.name for f in fields(Settings)}
        app = create_app(Settings(result_cache_bytes=0) if has_cache else Settings())
        rows |= app_layers(app, args.runs)
        if has_cache:
            cached = create_app(Settings())
            rows["Flask app, WSGI call, result cache hit"] = median_us(
                lambda: call_app(cached, POINT), args.runs
            )
        profile = profile_app(app, args.runs) if args.profile else ""
        servers = [(["--result-cache-bytes", "0"] if has_cache else [], "HTTP, 1 client (p50)")]
        if has_cache:
            servers.append(([], "HTTP, 1 client, cache hit (p50)"))
        for extra, label in servers:
            p50, rate = http_p50(args.seconds, tmp, extra)
            rows[label] = p50
            rows[label.replace("(p50)", "(1e6 / req/s)")] = 1e6 / rate
    floor = rows["pyoxigraph query + JSON serialize (the floor)"]
    table = markdown_table(
        ["step (point query, JSON)", "median µs", "over the floor µs"],
        [[name, f"{us:.0f}", f"{us - floor:+.0f}"] for name, us in rows.items()],
    )
    report = f"{about}\n\n{table}\n\nLoad average at the end: {load_average()}."
    print(report)
    if profile:
        print(profile)
    print(f"written to {write_results(args.output, report)}")


if __name__ == "__main__":
    main()
