"""Ad-hoc SELECT queries against Virtuoso 7 and rdflib-endpoint, side by side in one run: the
article graph with its inferences in each, six held-out query shapes (point lookup, class
counts, a join with labels, a numeric filter, a provenance aggregate, a regex), answers checked
equal on every server first, then a closed loop at 1 and 8 clients.

Two workloads: *repeated* (the six texts again and again: Virtuoso's compiled-plan cache and
ipkg's result cache can help) and *distinct* (every request a new text: the six shapes each
behind an unused ``PREFIX vN: <urn:v#>`` with a new N, so no plan or result cache can help;
the answers are the same). ipkg and Virtuoso get the article's three graphs as
``default-graph-uri`` (ipkg also serves its saved-query catalogue as a graph, Virtuoso its
system graphs); rdflib-endpoint serves only the article, as the union of its graphs. ipkg
runs twice, with its result cache (the default) and with ``--result-cache-bytes 0``, and both
are reported. Each cell runs in ABBA order (every server once forward, once backward) so that
load from the rest of the machine falls on all of them.

``python bench/bench_virtuoso.py [--duration 6] [--clients 1,8]`` prints the tables and the
ratios and writes ``bench/results/virtuoso.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlencode

import pyoxigraph as ox
import requests
from bench_endpoint import export_article
from bench_saved_queries import GRAPHS, load_into_virtuoso
from harness import (
    free_port,
    load_average,
    machine,
    shared_cache,
    start_server,
    write_results,
)
from loadgen import KindStats, LoadResult, Request, markdown_table, ms, run_load
from rdflib_server import RdflibEndpoint

from ipkg.namespaces import Namespaces
from support.virtuoso import start_virtuoso  # tests/ is on the path through harness

JSON = "application/sparql-results+json"
PREFIXES = """PREFIX ipkg: <https://ipkg.example.org/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""
# Written for this benchmark (not the saved queries): shapes people send ad hoc.
SHAPES = {
    "point": "SELECT DISTINCT ?label WHERE { <https://ipkg.example.org/id/cnipa> rdfs:label "
    "?label }",
    "class-counts": "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } "
    "GROUP BY ?class",
    "join-labels": "SELECT DISTINCT ?name ?post WHERE { ?p a ipkg:Person ; rdfs:label ?name ; "
    'ipkg:holdsPost ?ps . ?ps rdfs:label ?post . FILTER (LANG(?name) = "en") }',
    "numeric-filter": "SELECT DISTINCT ?s ?value WHERE { ?s a ipkg:Statistic ; ipkg:value "
    "?value . FILTER (?value > 100) }",
    "provenance": "SELECT ?sentence (COUNT(DISTINCT ?st) AS ?facts) WHERE { ?st "
    "prov:wasDerivedFrom ?sentence } GROUP BY ?sentence",
    "regex": "SELECT DISTINCT ?s ?label WHERE { ?s rdfs:label ?label . "
    'FILTER (REGEX(STR(?label), "talent", "i")) }',
}
NUMERIC = ("integer", "decimal", "double", "float", "int", "long", "short")
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def text_of(shape: str, variant: int | None = None) -> str:
    """A shape's full text; a variant number puts a new unused prefix in front of it."""
    head = "" if variant is None else f"PREFIX v{variant}: <urn:v#>\n"
    return head + PREFIXES + SHAPES[shape]


class Target:
    """One server under test: its base URL and what its /sparql URL needs besides the query."""

    def __init__(self, name: str, url: str, extra: list[tuple[str, str]]) -> None:
        self.name, self.url, self.extra = name, url, extra

    def request(self, kind: str, text: str) -> Request:
        target = "/sparql?" + urlencode([("query", text), *self.extra])
        return Request(kind, "GET", target, (("Accept", JSON),))

    def repeated(self, seed: int) -> Iterator[Request]:
        requests_ = [self.request(shape, text_of(shape)) for shape in SHAPES]
        return itertools.cycle(requests_[seed % len(requests_) :] + requests_[: seed % 6])

    def distinct(self, seed: int) -> Iterator[Request]:
        # Seeds are apart by a billion so no two connections (or runs) ever share a text.
        counter = itertools.count(seed * 1_000_000_000 + int(time.time() * 1000) % 1_000_000)
        for shape in itertools.cycle(SHAPES):
            yield self.request(shape, text_of(shape, next(counter)))


def canonical_term(term: dict) -> tuple:
    """A JSON result term with the differences engines are allowed: numbers by value, language
    tags lower-cased, ``xsd:string`` as a plain literal, Virtuoso's ``typed-literal``."""
    kind = "literal" if term["type"] in ("literal", "typed-literal") else term["type"]
    value, datatype = term["value"], term.get("datatype", "")
    if datatype == XSD_STRING:
        datatype = ""
    if datatype.rsplit("#", 1)[-1] in NUMERIC:
        with contextlib.suppress(InvalidOperation):
            value, datatype = str(Decimal(value).normalize()), "number"
    return (kind, value, datatype, term.get("xml:lang", "").lower())


def answer(target: Target, text: str) -> list[tuple]:
    request = target.request("check", text)
    response = requests.get(target.url + request.target, headers=dict(request.headers), timeout=120)
    response.raise_for_status()
    rows = response.json()["results"]["bindings"]
    return sorted(tuple(sorted((k, canonical_term(v)) for k, v in row.items())) for row in rows)


def check_answers(targets: list[Target]) -> list[list]:
    """Every shape (and one variant of it) on every server: row counts, and whether all agree."""
    rows = []
    for shape in SHAPES:
        base = answer(targets[0], text_of(shape))
        agree = all(
            answer(t, text) == base for t in targets for text in (text_of(shape), text_of(shape, 7))
        )
        rows.append([shape, len(base), "yes" if agree else "**no**"])
        if not agree:
            sys.exit(f"answers differ on {shape}: fix the query or the data first")
    return rows


def merged(results: list[LoadResult]) -> LoadResult:
    by_kind: dict[str, KindStats] = {}
    for result in results:
        for kind, stats in result.by_kind.items():
            by_kind.setdefault(kind, KindStats()).merge(stats)
    return LoadResult(
        duration=sum(r.duration for r in results),
        connections=results[0].connections,
        by_kind=by_kind,
        client_cpu=sum(r.client_cpu for r in results),
    )


def abba(
    targets: list[Target], plan: Callable[[Target], Callable], clients: int, duration: float
) -> dict[str, LoadResult]:
    """Each target for ``duration`` / 2 in order, then again in reverse order."""
    runs: dict[str, list[LoadResult]] = {t.name: [] for t in targets}
    for order in (targets, targets[::-1]):
        for target in order:
            runs[target.name].append(
                run_load(target.url, [], clients, duration / 2, plans=plan(target))
            )
    return {name: merged(results) for name, results in runs.items()}


def in_process_medians(article: Path, runs: int = 200) -> dict[str, float]:
    """Median seconds of each shape in pyoxigraph in this process, serialised to JSON: the
    floor under any server."""
    store = ox.Store()
    store.bulk_load(path=str(article), format=ox.RdfFormat.N_QUADS)
    medians = {}
    for shape in SHAPES:
        text = text_of(shape)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            store.query(text, use_default_graph_as_union=True).serialize(
                format=ox.QueryResultsFormat.JSON
            )
            times.append(time.perf_counter() - started)
        medians[shape] = statistics.median(times)
    return medians


def measure(targets: list[Target], clients: list[int], duration: float) -> dict:
    results = {}
    for mode in ("repeated", "distinct"):
        for n in clients:
            cell = abba(targets, lambda t, m=mode: getattr(t, m), n, duration)
            for name, result in cell.items():
                results[(mode, n, name)] = result
                total = result.total()
                print(
                    f"{mode:9} {n:2} {name:18} {result.throughput():7.0f} req/s "
                    f"p50 {ms(total.percentile(0.5))} ms errors {total.errors}",
                    flush=True,
                )
    return results


def render(about, checks, results, clients, floors, duration) -> str:
    names = ["ipkg (result cache)", "ipkg (no cache)", "Virtuoso 7", "rdflib-endpoint"]
    header = ["workload", "clients", *[f"{n} req/s (p50 ms)" for n in names]]
    header += ["cache / Virtuoso", "no cache / Virtuoso"]
    rows = []
    for mode in ("repeated", "distinct"):
        for n in clients:
            cells = [results[(mode, n, name)] for name in names]
            rates = [c.throughput() for c in cells]
            rows.append(
                [
                    mode,
                    n,
                    *[
                        f"{r:,.0f} ({ms(c.total().percentile(0.5))})"
                        for r, c in zip(rates, cells, strict=True)
                    ],
                    f"**{rates[0] / rates[2]:.2f}x**",
                    f"**{rates[1] / rates[2]:.2f}x**",
                ]
            )
    errors = sum(r.total().errors for r in results.values())
    single = {name: results[("repeated", 1, name)] for name in names}
    missing = KindStats()
    per_shape = [
        [
            shape,
            *[ms(single[name].by_kind.get(shape, missing).percentile(0.5)) for name in names],
            f"{floors[shape] * 1000:.2f}",
        ]
        for shape in SHAPES
    ]
    cpu = max(r.client_cpu / r.duration for r in results.values()) * 100
    return "\n\n".join(
        [
            f"Machine: {about}",
            "Answers, checked before timing (each shape and a variant of it, on every "
            "server; numbers by value, language tags case-blind):\n\n"
            + markdown_table(["shape", "rows", "all servers agree"], [*checks]),
            f"Throughput and p50 latency, {duration:g} s per cell in ABBA halves, "
            f"{errors} errors in all:\n\n" + markdown_table(header, rows),
            "p50 ms per shape, repeated texts, 1 client (the last column: pyoxigraph in "
            "process, query + JSON, no HTTP):\n\n"
            + markdown_table(["shape", *names, "in-process ms"], per_shape),
            f"The client (one Python process, asyncio) used at most {cpu:.0f} % of a core.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=6.0, help="seconds per cell")
    parser.add_argument("--clients", default="1,8", help="concurrent clients, comma-separated")
    parser.add_argument("--output", default="virtuoso", help="results file name (no suffix)")
    args = parser.parse_args()
    clients = [int(x) for x in args.clients.split(",")]
    about = machine()
    namespaces = Namespaces()
    graphs = [("default-graph-uri", namespaces.graph(g)) for g in GRAPHS]
    with tempfile.TemporaryDirectory(prefix="ipkg-bench-virtuoso-") as folder:
        tmp = Path(folder)
        article = export_article(tmp)
        floors = in_process_medians(article)
        virtuoso = start_virtuoso(tmp)
        started = []
        try:
            load_into_virtuoso(virtuoso, namespaces, tmp)
            cached = start_server(tmp, [], env=shared_cache(), timeout=600)
            started.append(cached)
            plain = start_server(
                tmp, ["--result-cache-bytes", "0"], env=shared_cache(), timeout=600
            )
            started.append(plain)
            rdflib_endpoint = RdflibEndpoint([article], free_port(), tmp / "rdflib.log")
            started.append(rdflib_endpoint)
            targets = [
                Target("ipkg (result cache)", cached.url, graphs),
                Target("ipkg (no cache)", plain.url, graphs),
                Target("Virtuoso 7", virtuoso.sparql_url.removesuffix("/sparql"), graphs),
                Target("rdflib-endpoint", rdflib_endpoint.url, []),
            ]
            checks = check_answers(targets)
            for target in targets:  # warm-up on other texts (Virtuoso gathers statistics)
                run_load(target.url, [], 2, 2.0, plans=target.distinct)
                run_load(target.url, [], 2, 1.0, plans=target.repeated)
            results = measure(targets, clients, args.duration)
        finally:
            for server in started:
                server.stop()
            virtuoso.stop()
    report = render(about, checks, results, clients, floors, args.duration)
    report += f"\n\nLoad average at the end of the run: {load_average()}."
    print(report)
    print(f"written to {write_results(args.output, report)}")


if __name__ == "__main__":
    main()
