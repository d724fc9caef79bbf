"""The search index at the scale benchmark's sizes: synthetic graphs (bench/generate.py) loaded
into pyoxigraph, the SQLite FTS5 index of ``ipkg.linkeddata.search_index`` built from them (time,
entries, peak RSS), and the latency of typical searches (p50/p95 over repeated runs). Prints a
table and writes bench/results/search.md.

    python bench/bench_search.py --sizes 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import io
import resource
import statistics
import sys
import time
from pathlib import Path

import pyoxigraph as ox

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from generate import write as write_synthetic  # noqa: E402
from harness import machine, write_results  # noqa: E402

from ipkg.linkeddata.describe import store_select  # noqa: E402
from ipkg.linkeddata.search_index import SearchIndex  # noqa: E402
from ipkg.namespaces import Namespaces  # noqa: E402

# A name, a phrase of a sentence, a frequent word, a miss, and a two-character word (a scan).
SEARCHES = ("Institution 42", "reports people", "Programme", "nothing-like-this", "In")
LANGUAGES = ("en",)


def loaded(size: int) -> ox.Store:
    text = io.StringIO()
    write_synthetic(size, 7, text)
    store = ox.Store()
    store.bulk_load(text.getvalue().encode(), format=ox.RdfFormat.N_TRIPLES)
    return store


def measure(size: int, runs: int) -> dict:
    store = loaded(size)
    index = SearchIndex()
    index.build(store_select(store), Namespaces(), version=1)
    latencies = {}
    for query in SEARCHES:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            hits = index.search(query, LANGUAGES)
            times.append((time.perf_counter() - started) * 1000)
        latencies[query] = (statistics.median(times), sorted(times)[int(0.95 * (runs - 1))], hits)
    return {
        "size": size,
        "build": index.build_seconds,
        "entries": index.entries,
        "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "latencies": latencies,
    }


def table(results: list[dict]) -> str:
    head = "| triples | index build (s) | entries | peak RSS (MiB) | " + " | ".join(
        f"“{q}” p50 / p95 ms (hits)" for q in SEARCHES
    )
    lines = [head + " |", "|" + " --- |" * (4 + len(SEARCHES))]
    for r in results:
        cells = [
            f"{r['size']:,}",
            f"{r['build']:.2f}",
            f"{r['entries']:,}",
            f"{r['rss']:.0f}",
            *(f"{p50:.2f} / {p95:.2f} ({len(h)})" for p50, p95, h in r["latencies"].values()),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    results = [measure(size, args.runs) for size in args.sizes]
    text = f"{table(results)}\n\nMachine: {machine()}\n"
    print(text)
    write_results("search", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
