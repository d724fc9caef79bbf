"""Load test of ``ipkg serve`` as deployed: a realistic mix (saved-query API, ad-hoc SPARQL,
resource pages, dumps — whichever of those routes the server has) at 64 connections for 60 s,
then the same with one hostile query started every second, then the same while 200 slow
clients (from 127.0.0.2) each hold a connection that sends half a request head, then under
each edge attack of bench/attacks.py (framing triggers, a crafted chunked body, clients that
never read, a 2,000-connection flood from 80 addresses).

Checks: zero errors; RSS of the server's process tree at the end within 10 % of after warm-up;
in every attacked run the other requests' p99 within 2x of the quiet run's, and every query worker
still there afterwards. ``python bench/load.py [--duration 60] [--connections 64]`` prints the
table and writes ``bench/results/load.md``.
"""

from __future__ import annotations

import argparse
import functools
import io
import re
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import loadgen
import rdflib
import requests
from attacks import ATTACKS, attack, closed
from harness import (
    ROOT,
    RunningServer,
    TreeMemory,
    adhoc_request,
    load_average,
    machine,
    saved_queries,
    shared_cache,
    start_server,
    tree_memory,
    wait_for_workers,
    write_results,
)
from loadgen import KindStats, LoadResult, Request, markdown_table, ms

from ipkg.config import Settings
from ipkg.namespaces import CANONICAL_BASE

CARTESIAN = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
HOSTILE = Request(
    "hostile",
    "GET",
    "/sparql?query=" + requests.utils.quote(CARTESIAN, safe=""),
    (("Accept", "application/sparql-results+json"),),
    expect=frozenset({429, 503}),  # stopped at its deadline, or over its client's share
)
# Shares of the mix; a group the server does not have is left out and said so.
WEIGHTS = {"saved-query API": 40, "ad-hoc SPARQL": 25, "resource page": 30, "dump": 5}
FALLBACK_QUERIES = [
    ("count", "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"),
    ("types", "SELECT ?type (COUNT(?s) AS ?n) { ?s a ?type } GROUP BY ?type"),
    ("labels", "SELECT ?s ?label { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }"),
]
SLOW_HEAD = b"GET /sparql HTTP/1.1\r\nHost: slow\r\n"  # and nothing more, ever
SLOW_CLIENTS = 200
VOID = "http://rdfs.org/ns/void#"
JSON = "application/json"


@dataclass
class Mix:
    """The requests of each group, and what was left out and why."""

    groups: dict[str, list[Request]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def weighted(self, deck: int = 1000) -> list[tuple[Request, int]]:
        """(request, weight) so each group gets its share of ``deck`` requests."""
        shares = {g: WEIGHTS[g] for g, members in self.groups.items() if members}
        total = sum(shares.values())
        return [
            (request, max(1, round(deck * share / total / len(self.groups[group]))))
            for group, share in shares.items()
            for request in self.groups[group]
        ]


def _get(url: str, accept: str, **kwargs) -> requests.Response | None:
    try:
        return requests.get(url, headers={"Accept": accept}, timeout=60, **kwargs)
    except requests.RequestException:
        return None


def _local(url: str, base: str, server: str) -> str:
    """A dataset IRI as a path on the server (its base mapped onto the server's root)."""
    return "/" + url[len(base) :] if url.startswith(base) else url.removeprefix(server)


def saved_api_requests(server: str, mix: Mix) -> None:
    catalogue = _get(server + "/api/queries", JSON)
    if catalogue is None or catalogue.status_code != 200:
        status = catalogue.status_code if catalogue is not None else "no answer"
        mix.notes.append(f"saved-query API skipped: GET /api/queries answered {status}")
        return
    body = catalogue.json()
    entries = body if isinstance(body, list) else body.get("queries", [])
    found = []
    for entry in entries:
        path = f"/api/queries/{entry['name']}"
        answer = _get(server + path, JSON)
        if answer is not None and answer.status_code == 200:
            found.append(Request("saved-query API", "GET", path, (("Accept", JSON),)))
        else:
            status = answer.status_code if answer is not None else "no answer"
            mix.notes.append(f"saved query {entry['name']} left out: it answered {status}")
    mix.groups["saved-query API"] = found


def adhoc_requests(queries: list[tuple[str, str]], mix: Mix) -> None:
    if not queries:
        queries = FALLBACK_QUERIES
        mix.notes.append("no queries/*.rq: ad-hoc SPARQL uses 3 built-in queries")
    mix.groups["ad-hoc SPARQL"] = [
        replace(adhoc_request(name, text), kind="ad-hoc SPARQL") for name, text in queries
    ]


def resource_requests(server: str, base: str, mix: Mix, limit: int = 20) -> None:
    query = (
        f"SELECT DISTINCT ?s {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), '{base}id/')) }} "
        f"ORDER BY ?s LIMIT {limit}"
    )
    answer = requests.get(server + "/sparql", params={"query": query, "format": "json"}, timeout=60)
    iris = [row["s"]["value"] for row in answer.json()["results"]["bindings"]]
    found, refused = [], 0
    for n, iri in enumerate(iris):
        accept = "text/html" if n % 2 == 0 else "text/turtle"
        page = _get(server + _local(iri, base, server), accept)
        if page is not None and page.status_code == 200:
            final = _local(page.url, base, server)  # after any 303 to a page or data document
            found.append(Request("resource page", "GET", final, (("Accept", accept),)))
        else:
            refused += 1
    if not iris:
        mix.notes.append(f"resource pages skipped: no subject under {base}id/ in the data")
    elif not found:
        mix.notes.append(f"resource pages skipped: none of {len(iris)} /id/… IRIs answered 200")
    elif refused:
        mix.notes.append(f"{refused} of {len(iris)} resource pages left out (not 200)")
    mix.groups["resource page"] = found


def dump_requests(server: str, base: str, mix: Mix) -> None:
    void = _get(server + "/.well-known/void", "text/turtle")
    if void is None or void.status_code != 200:
        status = void.status_code if void is not None else "no answer"
        mix.notes.append(f"dumps skipped: GET /.well-known/void answered {status}")
        return
    graph = rdflib.Graph().parse(io.StringIO(void.text), format="turtle", publicID=server + "/")
    found = []
    for dump in sorted({str(o) for o in graph.objects(None, rdflib.URIRef(VOID + "dataDump"))}):
        path = _local(dump, base, server)
        answer = _get(server + path, "*/*")
        if answer is not None and answer.status_code == 200:
            headers = (("Accept", "*/*"), ("Accept-Encoding", "gzip"))
            found.append(Request("dump", "GET", path, headers))
        else:
            mix.notes.append(f"dump {path} left out: it answered {answer and answer.status_code}")
    if not found:
        mix.notes.append("dumps skipped: the VoID description links no dump that answers 200")
    mix.groups["dump"] = found


def discover(server: str, queries: list[tuple[str, str]], base: str = CANONICAL_BASE) -> Mix:
    """The mix this server can take: each group from the routes that answer 200 right now."""
    mix = Mix()
    saved_api_requests(server, mix)
    adhoc_requests(queries, mix)
    resource_requests(server, base, mix)
    dump_requests(server, base, mix)
    return mix


@dataclass
class Phase:
    """One measured run and the memory of the server's process tree before and after."""

    name: str
    result: LoadResult
    before: TreeMemory
    after: TreeMemory

    @property
    def rss_change(self) -> float:
        return self.after.rss / self.before.rss - 1


@dataclass
class Scenario:
    """The quiet run, the hostile run (if any), and the query workers left afterwards."""

    phases: list[Phase]
    workers_expected: int
    workers_after: int
    metrics: dict[str, float]

    def phase(self, name: str) -> Phase | None:
        return next((p for p in self.phases if p.name == name), None)


def metric_values(server: RunningServer) -> dict[str, float]:
    """The pool counters from ``/metrics``."""
    text = requests.get(server.url + "/metrics", timeout=10).text
    wanted = re.compile(r"^(ipkg_quer\w+_total) (\S+)$", re.M)
    return {name: float(value) for name, value in wanted.findall(text)}


@contextmanager
def slow_clients(url: str, count: int = SLOW_CLIENTS, source: str = "127.0.0.2") -> Iterator[None]:
    """Keeps ``count`` connections from ``source`` open, each having sent half a request head;
    one the server closes is opened again at once (a slowloris attacker)."""
    host, port = url.split("://", 1)[1].rsplit(":", 1)
    stop = threading.Event()

    def opened() -> socket.socket | None:
        sock = socket.socket()
        sock.bind((source, 0))
        sock.settimeout(2)
        try:
            sock.connect((host, int(port)))
            sock.sendall(SLOW_HEAD)
        except OSError:
            sock.close()
            return None
        sock.setblocking(False)
        return sock

    def attack() -> None:
        socks: list[socket.socket] = []
        while not stop.is_set():
            alive = [s for s in socks if not closed(s) or s.close()]
            socks = alive + [s for _ in range(count - len(alive)) if (s := opened())]
            stop.wait(0.2)
        for sock in socks:
            sock.close()

    thread = threading.Thread(target=attack, name="slow-clients", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def run_scenario(
    server: RunningServer,
    mix: Mix,
    connections: int,
    duration: float,
    warmup: float,
    workers: int,
    hostile: bool = True,
    edge: bool = False,
    addresses: int = 1,
) -> Scenario:
    """Warm-up, the quiet run, then (optionally) the hostile run, on one server; the innocent
    connections come from ``addresses`` loopback addresses."""
    deck = mix.weighted()
    run_load = functools.partial(loadgen.run_load, addresses=addresses)
    run_load(server.url, deck, connections, warmup)
    memory = tree_memory(server.process.pid)
    phases = []
    quiet = run_load(server.url, deck, connections, duration)
    phases.append(Phase("quiet", quiet, memory, tree_memory(server.process.pid)))
    if hostile:
        attacked = run_load(server.url, deck, connections, duration, hostile=HOSTILE)
        phases.append(Phase("hostile", attacked, memory, tree_memory(server.process.pid)))
        with slow_clients(server.url):
            slowed = run_load(server.url, deck, connections, duration)
        phases.append(Phase("slow clients", slowed, memory, tree_memory(server.process.pid)))
        port = int(server.url.rsplit(":", 1)[1])
        for name in ATTACKS if edge else ():  # issue 20's edge attacks
            with attack(name, port):
                attacked = run_load(server.url, deck, connections, duration)
            phases.append(Phase(name, attacked, memory, tree_memory(server.process.pid)))
    left = wait_for_workers(server, workers)
    return Scenario(phases, workers, left, metric_values(server))


def latency_cells(stats: KindStats) -> list[str]:
    return [ms(stats.percentile(0.5)), ms(stats.percentile(0.99))]


def within(ok: bool) -> str:
    return "within" if ok else "NOT within"


def render(scenario: Scenario, mix: Mix, args: argparse.Namespace, about: str) -> str:
    header = ["run", "kind", "requests", "errors", "p50 ms", "p99 ms", "req/s"]
    rows = []
    for phase in scenario.phases:
        result = phase.result
        for kind in [*sorted(k for k in result.by_kind if k != "hostile"), "all", "hostile"]:
            if kind == "hostile" and kind not in result.by_kind:
                continue
            stats = result.total(exclude=["hostile"]) if kind == "all" else result.by_kind[kind]
            label = f"**{kind}** (not hostile)" if kind == "all" else kind
            rate = f"{stats.count / result.duration:.0f}"
            rows.append([phase.name, label, stats.count, stats.errors, *latency_cells(stats), rate])
    memory = [
        [
            p.name,
            f"{p.before.rss:.0f}",
            f"{p.after.rss:.0f}",
            f"{p.rss_change * 100:+.1f} %",
            f"{p.before.pss:.0f} -> {p.after.pss:.0f}",
            p.after.processes,
            f"{p.result.client_cpu / p.result.duration * 100:.0f} %",
        ]
        for p in scenario.phases
    ]
    parts = [
        "# Load test: realistic mix, quiet and under attack",
        f"Machine: {about}.",
        f"Server: `ipkg serve {' '.join(args.server_args)}` "
        "(ipkg's h11 front, "
        f"{args.query_workers} query workers, {args.query_timeout:g} s deadline). "
        f"Client: bench/loadgen.py, {args.connections} keep-alive connections from "
        f"{args.addresses or args.connections} loopback addresses (127.0.1.x), closed loop, "
        f"{args.duration:g} s per run after {args.warmup:g} s of warm-up. Mix shares: "
        + ", ".join(
            f"{group} {WEIGHTS[group]} ({len(members)} distinct requests)"
            for group, members in mix.groups.items()
            if members
        )
        + ". Hostile run: the 4-way cartesian product "
        "(tests/web/test_hostile.py) started every second on its own connection, "
        "expected 503 at the deadline (or 429 over its address's share; it connects "
        "from 127.0.0.2). Slow-client run: the same mix while "
        f"{SLOW_CLIENTS} connections from 127.0.0.2 each send half a request head and "
        "nothing more (reopened as soon as the server closes one). Edge runs (bench/attacks.py, "
        "each attack in a process of its own): 16 connections for each of the five framing "
        "triggers from 127.0.0.3; the 90 KB crafted chunked body sent again and again; 16 "
        "clients from 127.0.0.4 with a 4 KB receive buffer asking for a ~9 MB answer and never "
        "reading; 2,000 silent connections from 80 addresses (127.0.0.10-89), each reopened "
        "when closed.",
        "Left out: " + ("; ".join(mix.notes) if mix.notes else "nothing") + ".",
        markdown_table(header, rows),
        "Memory of the server's process tree (MiB; RSS summed over processes, PSS shares "
        "copy-on-write pages out), after warm-up and at the end of each run:",
        markdown_table(
            ["run", "RSS after warm-up", "RSS at end", "change", "PSS", "processes", "client CPU"],
            memory,
        ),
        verdicts(scenario),
    ]
    return "\n\n".join(parts)


def verdicts(scenario: Scenario) -> str:
    quiet = scenario.phase("quiet")
    lines = []
    for phase in scenario.phases:
        errors = phase.result.total(exclude=["hostile"]).errors
        line = f"- {phase.name}: {errors} errors"
        if phase.result.errors:
            line += f" ({phase.result.failure_summary()})"
        if "hostile" in phase.result.by_kind:
            line += f", hostile queries not answered 503: {phase.result.by_kind['hostile'].errors}"
        change = phase.rss_change
        lines.append(line + f"; RSS {change * 100:+.1f} % ({within(abs(change) <= 0.10)} 10 %)")
    if quiet:
        a = quiet.result.total(exclude=["hostile"]).percentile(0.99)
        for attack in (p for p in scenario.phases if p is not quiet):
            b = attack.result.total(exclude=["hostile"]).percentile(0.99)
            lines.append(
                f"- p99 during '{attack.name}' / quiet: {b / a:.2f}x ({within(b <= 2 * a)} 2x)"
            )
    lines.append(
        f"- query workers after the runs: {scenario.workers_after} of "
        f"{scenario.workers_expected}; pool counters: "
        + ", ".join(f"{k} {v:g}" for k, v in scenario.metrics.items())
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before measuring")
    parser.add_argument("--query-timeout", type=float, default=2.0, help="server's deadline")
    parser.add_argument("--query-workers", type=int, default=4, help="server's query workers")
    parser.add_argument("--data", action="append", type=Path, help="serve these files instead")
    parser.add_argument("--queries", type=Path, default=ROOT / "queries")
    parser.add_argument(
        "--defaults",
        action="store_true",
        help="serve with the shipped defaults (ignores --query-timeout and --query-workers)",
    )
    parser.add_argument("--quiet-only", action="store_true", help="skip the hostile run")
    parser.add_argument(
        "--addresses",
        type=int,
        default=0,
        help="loopback addresses the innocent connections come from (default: one each, as "
        "separate users; 1: every connection from one client)",
    )
    parser.add_argument("--output", default="load", help="results file name (no suffix)")
    args = parser.parse_args()
    args.server_args = [
        "--query-timeout", str(args.query_timeout), "--query-workers", str(args.query_workers),
        *[a for path in args.data or [] for a in ("--data", str(path))],
    ]  # fmt: skip
    if args.defaults:
        args.server_args = [a for path in args.data or [] for a in ("--data", str(path))]
        args.query_timeout, args.query_workers = Settings().query_timeout, Settings().query_workers
    about = machine()
    with tempfile.TemporaryDirectory(prefix="ipkg-load-") as folder:
        server = start_server(Path(folder), args.server_args, env=shared_cache(), timeout=600)
        try:
            mix = discover(server.url, saved_queries(args.queries))
            print("mix:", {g: len(m) for g, m in mix.groups.items()}, *mix.notes, sep="\n  ")
            started = time.monotonic()
            scenario = run_scenario(
                server, mix, args.connections, args.duration, args.warmup,
                args.query_workers, hostile=not args.quiet_only, edge=not args.quiet_only,
                addresses=args.addresses or args.connections,
            )  # fmt: skip
            print(f"ran for {time.monotonic() - started:.0f} s")
        finally:
            server.stop()
    report = render(scenario, mix, args, about)
    report += f"\n\nLoad average at the end of the run: {load_average()}."
    print(report)
    print(f"written to {write_results(args.output, report)}")
    failed = any(p.result.total(exclude=["hostile"]).errors for p in scenario.phases)
    sys.exit(1 if failed or scenario.workers_after != scenario.workers_expected else 0)


if __name__ == "__main__":
    main()
