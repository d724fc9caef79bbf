"""Write latency against Oxigraph's own server, in one run: a Graph Store PUT of a 100-triple
graph and a small ``INSERT DATA``, on ``oxigraph serve`` (in memory, loaded with the article
export through its ``/store``) and on ipkg (``--data`` files as they are, and the article,
whose writes are SHACL-validated and reasoned again), ABBA rounds, median latency of each.

Run: ``python bench/bench_writes.py [--rounds N]``; prints the table and writes
``bench/results/writes.md``. Timings are never asserted in tests.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench_endpoint import export_article
from engine import Target, ipkg, oxigraph_in_memory
from harness import load_average, machine, write_results
from loadgen import markdown_table

TOKEN = "bench-writes-token"
GRAPH = "urn:ipkg:bench:written"
ID = "https://ipkg.example.org/id/"


def hundred_triples(round_number: int) -> bytes:
    lines = [
        f'<{ID}bench-{round_number}-{i}> <http://www.w3.org/2000/01/rdf-schema#label> "n {i}"@en .'
        for i in range(100)
    ]
    return ("\n".join(lines) + "\n").encode()


def small_insert(round_number: int) -> str:
    return (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        f'INSERT DATA {{ <{ID}bench-node-{round_number}> rdfs:label "Bench {round_number}"@en }}'
    )


def _send(target: Target, method: str, path: str, body: bytes, content_type: str) -> float:
    host, port = target.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=600)
    headers = {"Content-Type": content_type, "Authorization": f"Bearer {TOKEN}"}
    started = time.perf_counter()
    conn.request(method, path, body, headers)
    response = conn.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    if response.status not in (200, 201, 204):
        raise RuntimeError(f"{target.name}: {method} {path} answered {response.status}")
    return elapsed


def put_graph(target: Target, n: int, graph_path: str) -> float:
    return _send(target, "PUT", graph_path, hundred_triples(n), "application/n-triples")


def insert(target: Target, n: int, update_path: str) -> float:
    return _send(target, "POST", update_path, small_insert(n).encode(), "application/sparql-update")


Operation = Callable[[Target, int], float]


def abba(anchor: Target, other: Target, op_a: Operation, op_b: Operation, rounds: int):
    """Median seconds of ``op_a`` on the anchor and ``op_b`` on the other, in ABBA order."""
    times: dict[str, list[float]] = {anchor.name: [], other.name: []}
    n = 0
    for _ in range(rounds):
        for target, op in ((anchor, op_a), (other, op_b), (other, op_b), (anchor, op_a)):
            n += 1
            times[target.name].append(op(target, n))
    return statistics.median(times[anchor.name]), statistics.median(times[other.name])


def main(argv: Sequence[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="ABBA rounds per pair")
    parser.add_argument("--article-rounds", type=int, default=1, help="rounds on the article")
    parser.add_argument("--output", default="writes", help="results file name ('' not written)")
    args = parser.parse_args(argv)
    about = machine()  # names the load average at the start
    rows = []
    with tempfile.TemporaryDirectory(prefix="ipkg-bench-writes-") as folder:
        tmp = Path(folder)
        export = export_article(tmp, "nt")
        targets: list[Target] = []
        try:
            oxigraph = oxigraph_in_memory(export, tmp)
            targets.append(oxigraph)
            files = ipkg(
                tmp,
                "ipkg --data (no shapes)",
                ["--data", f"{GRAPH}-data={export}", "--update-token", TOKEN],
            )
            targets.append(files)
            article = ipkg(
                tmp,
                "ipkg article (SHACL + OWL-RL)",
                ["--update-token", TOKEN, "--query-timeout", "600"],
            )
            targets.append(article)

            def ox_put(t: Target, n: int) -> float:
                return put_graph(t, n, f"/store?graph={GRAPH}")

            def ox_insert(t: Target, n: int) -> float:
                return insert(t, n, "/update")

            def ipkg_put(t: Target, n: int) -> float:
                return put_graph(t, n, f"/store?graph={GRAPH}")

            def ipkg_insert(t: Target, n: int) -> float:
                return insert(t, n, "/sparql")

            cases = [
                ("PUT 100 triples", files, ox_put, ipkg_put, args.rounds),
                ("INSERT DATA, 1 triple", files, ox_insert, ipkg_insert, args.rounds),
                ("INSERT DATA, 1 triple", article, ox_insert, ipkg_insert, args.article_rounds),
            ]
            for label, other, op_a, op_b, rounds in cases:
                theirs, ours = abba(oxigraph, other, op_a, op_b, rounds)
                rows.append(
                    [
                        label,
                        other.name,
                        f"{theirs * 1000:.1f}",
                        f"{ours * 1000:.1f}",
                        f"{ours / theirs:.0f}x",
                    ]
                )
        finally:
            for target in targets:
                target.stop()
    header = ["write", "ipkg", "oxigraph serve, ms", "ipkg, ms", "ipkg / oxigraph"]
    table = markdown_table(header, rows)
    report = f"{table}\n\n{about}; load average at the end {load_average()}"
    print(report)
    if args.output:
        write_results(args.output, report)
    return report


if __name__ == "__main__":
    main()
