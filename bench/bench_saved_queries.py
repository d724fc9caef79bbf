"""The saved-query API with a warm cache against Virtuoso 7 answering the same SPARQL over its
own HTTP endpoint, with the same data loaded: latency p50/p99 and throughput at 8 and 32
clients, side by side in one run.

ipkg is called as ``GET /api/queries/<name>`` (parameters at their defaults; a paginated query's
first page). Virtuoso gets the same query text with the defaults bound by a ``VALUES`` block at
the top of the WHERE clause, a paginated query limited to its page size, and the article's three
named graphs as ``default-graph-uri`` (Virtuoso's own default graph also holds its system
graphs). ``python bench/bench_saved_queries.py [--duration 10] [--clients 8,32]`` prints the
table and writes ``bench/results/saved_queries.md``.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import rdflib
import requests
from harness import ROOT, load_average, machine, shared_cache, start_server, write_results
from loadgen import LoadResult, Request, markdown_table, ms, run_load, summary_row
from requests.auth import HTTPDigestAuth

from ipkg.namespaces import Namespaces
from ipkg.queries.binding import term_for
from ipkg.queries.saved import SavedQuery, read_catalogue
from support.virtuoso import RunningVirtuoso, start_virtuoso

GRAPHS = ("ontology", "asserted", "inferred")
SELECT_TYPE = "application/sparql-results+json"
GRAPH_TYPE = "text/turtle"
WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def accept_for(query: SavedQuery) -> str:
    return GRAPH_TYPE if query.form in ("CONSTRUCT", "DESCRIBE") else SELECT_TYPE


def bound_text(query: SavedQuery) -> str:
    """The query with its parameter defaults bound by VALUES at the top of its WHERE clause
    (what the API's pre-binding means), limited to one page if the API pages it."""
    text = query.sparql
    values = " ".join(
        f"VALUES ?{p.name} {{ {term_for(p, p.default)} }}"
        for p in query.params
        if p.default is not None
    )
    if values:
        found = WHERE.search(text)
        at = found.end() if found else text.index("{", text.upper().index(query.form)) + 1
        text = text[:at] + " " + values + " " + text[at:]
    if query.pagination and not re.search(r"\bLIMIT\b", text, re.IGNORECASE):
        text = text.rstrip() + f"\nLIMIT {query.pagination}"
    return text


def api_request(query: SavedQuery) -> Request:
    return Request(
        query.name, "GET", f"/api/queries/{query.name}", (("Accept", accept_for(query)),)
    )


def virtuoso_request(query: SavedQuery, namespaces: Namespaces) -> Request:
    graphs = [("default-graph-uri", namespaces.graph(g)) for g in GRAPHS]
    target = "/sparql?" + urlencode([("query", bound_text(query)), *graphs])
    return Request(query.name, "GET", target, (("Accept", accept_for(query)),))


def load_into_virtuoso(virtuoso: RunningVirtuoso, namespaces: Namespaces, tmp: Path) -> None:
    """Each named graph of the article exported by ``ipkg export`` and PUT through Virtuoso's
    Graph Store Protocol endpoint."""
    for graph in GRAPHS:
        target = tmp / f"{graph}.ttl"
        command = [sys.executable, "-m", "ipkg", "export", "--graph", graph, "--format", "turtle"]
        subprocess.run(
            [*command, "-o", str(target)], check=True, cwd=ROOT, env=os.environ | shared_cache()
        )
        answer = requests.put(
            f"http://127.0.0.1:{virtuoso.http_port}/sparql-graph-crud-auth",
            params={"graph-uri": namespaces.graph(graph)},
            data=target.read_bytes(),
            headers={"Content-Type": "text/turtle"},
            auth=HTTPDigestAuth(virtuoso.user, virtuoso.password),
            timeout=120,
        )
        if answer.status_code not in (200, 201, 204):
            raise RuntimeError(f"Virtuoso refused {graph}: {answer.status_code} {answer.text}")


def result_size(answer: requests.Response) -> int:
    if answer.headers.get("Content-Type", "").startswith(SELECT_TYPE):
        data = answer.json()
        return int(data["boolean"]) if "boolean" in data else len(data["results"]["bindings"])
    return len(rdflib.Graph().parse(io.BytesIO(answer.content), format="turtle"))


def check(request: Request, url: str) -> str:
    """Status and result size of one call (which also warms ipkg's cache)."""
    answer = requests.get(url + request.target, headers=dict(request.headers), timeout=120)
    size = result_size(answer) if answer.status_code == 200 else answer.text[:60]
    return f"{answer.status_code} / {size}"


POINT = "SELECT ?p ?o WHERE { <https://ipkg.example.org/id/cnipa> ?p ?o }"


def point_queries(ipkg_url: str, virtuoso_url: str, namespaces: Namespaces, duration: float) -> str:
    """A reference cell: one point query (a resource's triples) ad hoc on both servers at 8
    clients, showing each server's floor apart from the saved queries' cost."""
    graphs = [("default-graph-uri", namespaces.graph(g)) for g in GRAPHS]
    accept = (("Accept", SELECT_TYPE),)
    targets = {
        "ipkg `/sparql`": (ipkg_url, "/sparql?" + urlencode([("query", POINT)])),
        "Virtuoso `/sparql`": (virtuoso_url, "/sparql?" + urlencode([("query", POINT), *graphs])),
    }
    rows = []
    for name, (url, target) in targets.items():
        result = run_load(url, [(Request("point", "GET", target, accept), 1)], 8, duration / 2)
        rows.append(summary_row(8, name, result))
    header = ["clients", "server", "requests", "errors", "p50 ms", "p99 ms", "req/s", "client CPU"]
    return (
        f"Reference, not cached on either side: the point query `{POINT}` ad hoc, "
        f"{duration / 2:g} s at 8 clients:\n\n" + markdown_table(header, rows)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--clients", default="8,32", help="concurrent clients, comma-separated")
    parser.add_argument("--output", default="saved_queries", help="results file name")
    args = parser.parse_args()
    clients = [int(x) for x in args.clients.split(",")]
    namespaces = Namespaces()
    catalogue = read_catalogue(ROOT / "queries")
    queries = list(catalogue.queries)
    about = machine()
    with tempfile.TemporaryDirectory(prefix="ipkg-saved-") as folder:
        tmp = Path(folder)
        ipkg = start_server(tmp, env=shared_cache(), timeout=600)
        virtuoso = start_virtuoso(tmp)
        try:
            load_into_virtuoso(virtuoso, namespaces, tmp)
            sides = {
                "ipkg": (ipkg.url, [api_request(q) for q in queries]),
                "Virtuoso": (
                    f"http://127.0.0.1:{virtuoso.http_port}",
                    [virtuoso_request(q, namespaces) for q in queries],
                ),
            }
            checks = [
                [q.name, *(check(reqs[i], url) for url, reqs in sides.values())]
                for i, q in enumerate(queries)
            ]
            for url, reqs in sides.values():  # warm-up: caches on both sides
                run_load(url, [(r, 1) for r in reqs], connections=4, duration=1.0)
            results: dict[tuple[int, str], LoadResult] = {}
            for n in clients:
                for name, (url, reqs) in sides.items():
                    results[(n, name)] = run_load(url, [(r, 1) for r in reqs], n, args.duration)
                    print(*summary_row(n, name, results[(n, name)]), sep="  ", flush=True)
            reference = point_queries(ipkg.url, sides["Virtuoso"][0], namespaces, args.duration)
        finally:
            ipkg.stop()
            virtuoso.stop()
    report = render(about, args, queries, checks, results, clients, catalogue.errors)
    report += "\n\n" + reference
    report += f"\n\nLoad average at the end of the run: {load_average()}."
    print(report)
    print(f"written to {write_results(args.output, report)}")


def render(about, args, queries, checks, results, clients, left_out) -> str:
    header = ["clients", "server", "requests", "errors", "p50 ms", "p99 ms", "req/s", "client CPU"]
    rows = [summary_row(n, s, results[(n, s)]) for n in clients for s in ("ipkg", "Virtuoso")]
    ratios = []
    for n in clients:
        ours, theirs = results[(n, "ipkg")], results[(n, "Virtuoso")]
        ratios.append(
            [
                n,
                f"{ours.throughput() / theirs.throughput():.2f}x",
                f"{theirs.total().percentile(0.5) / ours.total().percentile(0.5):.2f}x",
                f"{theirs.total().percentile(0.99) / ours.total().percentile(0.99):.2f}x",
            ]
        )
    met = all(results[(n, "ipkg")].throughput() >= results[(n, "Virtuoso")].throughput()
              for n in clients)  # fmt: skip
    parts = [
        "# Saved-query API (warm cache) vs Virtuoso 7",
        f"Machine: {about}.",
        f"Queries: the {len(queries)} saved queries of `queries/`, each client cycling through "
        f"them in its own order, {args.duration:g} s per cell, one client program "
        "(bench/loadgen.py, closed loop, keep-alive) for both. ipkg: `ipkg serve` defaults, "
        "`GET /api/queries/<name>` (cache warmed by one call each). Virtuoso: Debian "
        "virtuoso-opensource 7 (tests/support/virtuoso.py settings), `GET /sparql` with the same "
        "query "
        "(defaults bound by VALUES, page size as LIMIT) over the same three named graphs."
        + (f" Left out of the catalogue: {'; '.join(left_out)}." if left_out else ""),
        markdown_table(header, rows),
        "Ratios (ipkg / Virtuoso throughput; Virtuoso / ipkg latency):",
        markdown_table(["clients", "throughput", "p50", "p99"], ratios),
        f"Median latency per query at {min(clients)} clients, ms:",
        markdown_table(
            ["query", "ipkg", "Virtuoso"],
            [
                [
                    q.name,
                    *(
                        ms(results[(min(clients), s)].by_kind[q.name].percentile(0.5))
                        for s in ("ipkg", "Virtuoso")
                    ),
                ]
                for q in queries
            ],
        ),
        "Check before timing — status / result size (rows, boolean, triples) per query:",
        markdown_table(["query", "ipkg", "Virtuoso"], checks),
        f"Target: ipkg's throughput on cached saved queries >= Virtuoso's: "
        f"{'met' if met else 'NOT met'} at {', '.join(map(str, clients))} clients.",
    ]
    return "\n\n".join(parts)


if __name__ == "__main__":
    main()
