"""RDF 1.2 provenance lookups in pyoxigraph: the naive ``<< <s> ?p ?o ~ ?r >>`` pattern against
the join-first form of queries/rdf12/ (the fact triple first, then its reifier through the
bound triple term), on synthetic graphs of N annotated facts. Runs ABBA rounds, prints a table
of median times and the ratio.

    python bench/bench_rdf12.py --sizes 10000 100000
"""

from __future__ import annotations

import argparse
import statistics
import time

import pyoxigraph as ox

EX = "http://example.org/"
PROV = "http://www.w3.org/ns/prov#"
NAIVE = f"""PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?p ?o ?sentence WHERE {{ << <{EX}s42> ?p ?o ~ ?r >> prov:wasDerivedFrom ?sentence }}"""
JOIN_FIRST = f"""PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT ?p ?o ?sentence WHERE {{
  <{EX}s42> ?p ?o .
  ?r rdf:reifies <<( <{EX}s42> ?p ?o )>> ; prov:wasDerivedFrom ?sentence }}"""


def store_of(size: int) -> ox.Store:
    """``size`` facts (about size/5 subjects), each annotated with its sentence."""
    lines = []
    for i in range(size):
        s, o = f"<{EX}s{i // 5}>", f'"v{i}"'
        source = f"<{PROV}wasDerivedFrom> <{EX}sentence{i % 29}>"
        lines.append(f"{s} <{EX}p{i % 5}> {o} ~ _:r{i} {{| {source} |}} .")
    store = ox.Store()
    store.load("\n".join(lines).encode(), format=ox.RdfFormat.TURTLE)
    return store


def timed(store: ox.Store, query: str) -> tuple[float, int]:
    started = time.perf_counter()
    rows = len(list(store.query(query)))
    return (time.perf_counter() - started) * 1000, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print("| facts | naive `<< s ?p ?o ~ ?r >>` ms | join-first ms | ratio | rows |")
    print("|---|---|---|---|---|")
    for size in args.sizes:
        store = store_of(size)
        naive, joined, rows = [], [], set()
        for _ in range(args.rounds):  # ABBA
            for query, into in (
                (NAIVE, naive),
                (JOIN_FIRST, joined),
                (JOIN_FIRST, joined),
                (NAIVE, naive),
            ):
                ms, n = timed(store, query)
                into.append(ms)
                rows.add(n)
        a, b = statistics.median(naive), statistics.median(joined)
        print(f"| {size:,} | {a:.3f} | {b:.3f} | {a / b:.0f}x | {sorted(rows)} |")


if __name__ == "__main__":
    main()
