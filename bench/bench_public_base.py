"""What ``--public-base`` costs: the dataset's IRIs are rewritten once, as it is loaded, so the
requests of a server deployed under another base must take as long as those of a server on the
canonical base. Measures the load (in process, best of 3) and the latency of a few typical
requests, sequentially over keep-alive, for both; prints a Markdown table and writes
``results/public_base.md``.

Run it with ``PYTHONPATH`` pointing at another checkout's ``src`` to compare two versions."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import free_port, machine, shared_cache, start_server, write_results
from loadgen import markdown_table

from ipkg.config import Settings
from ipkg.namespaces import Namespaces
from ipkg.stores import served_quads

SELECT = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 500"


def requests_for(base: str) -> list[tuple[str, str, dict, dict]]:
    """(name, path, params, headers) of the requests to time, in the base's spelling."""
    return [
        ("SPARQL SELECT 500 rows", "/sparql", {"query": SELECT}, {"Accept": "application/json"}),
        ("resource document, Turtle", "/doc/cnipa.ttl", {}, {}),
        ("resource page, HTML", "/doc/cnipa", {}, {"Accept": "text/html"}),
        (
            "saved query with an IRI parameter",
            "/api/queries/staff-of-organisation",
            {"organisation": base + "id/cnipa"},
            {"Accept": "application/sparql-results+json"},
        ),
        ("dump, N-Triples (cached)", "/export/complete.nt", {}, {}),
    ]


def namespaces_of(settings: Settings) -> Namespaces:
    """The served namespaces (a checkout before ``Settings.namespaces`` served ``--base``)."""
    if hasattr(settings, "namespaces"):
        return settings.namespaces()
    return Namespaces(settings.base)


def load_seconds(settings: Settings) -> float:
    """The best of three in-process loads of the dataset (reasoning read from the cache)."""
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        served_quads(settings, namespaces_of(settings))
        timings.append(time.perf_counter() - started)
    return min(timings)


def latencies(url: str, base: str, rounds: int) -> dict[str, tuple[float, float]]:
    """p50 and p90 in ms of each request, after one warm-up call."""
    session = requests.Session()
    found = {}
    for name, path, params, headers in requests_for(base):
        session.get(url + path, params=params, headers=headers, timeout=60).raise_for_status()
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            response = session.get(url + path, params=params, headers=headers, timeout=60)
            response.raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
        deciles = statistics.quantiles(times, n=10)
        found[name] = (statistics.median(times), deciles[8])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="calls per request kind")
    args = parser.parse_args()
    cache = shared_cache()
    tmp = Path(cache["IPKG_CACHE_DIR"]).parent / "ipkg-bench-public-base"
    tmp.mkdir(parents=True, exist_ok=True)
    columns: dict[str, dict[str, tuple[float, float]]] = {}
    loads: dict[str, float] = {}
    for label in ("canonical base", "--public-base"):
        port = free_port()
        public = f"http://127.0.0.1:{port}/"
        extra = ["--public-base", public] if label == "--public-base" else []
        deployed = public if extra else ""
        settings = Settings(cache_dir=Path(cache["IPKG_CACHE_DIR"]), public_base=deployed)
        loads[label] = load_seconds(settings)
        server = start_server(tmp, extra, env=cache, port=port)
        try:
            base = public if extra else settings.base
            columns[label] = latencies(server.url, base, args.rounds)
        finally:
            server.stop()
    labels = list(columns)
    rows = [["load of the dataset (s, best of 3)", *(f"{loads[x]:.3f}" for x in labels)]]
    for name in columns[labels[0]]:
        rows.append(
            [f"{name} p50 / p90 (ms)"]
            + [f"{columns[x][name][0]:.2f} / {columns[x][name][1]:.2f}" for x in labels]
        )
    table = markdown_table(["measure", *labels], rows)
    text = f"# --public-base\n\n{machine()}; {args.rounds} sequential calls each.\n\n{table}\n"
    print(text)
    write_results("public_base", text)


if __name__ == "__main__":
    main()
