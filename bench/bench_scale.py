"""The scale benchmark: synthetic graphs (bench/generate.py) at growing sizes, per store — build
time (parse, reason with ``reasonable``, load), peak RSS of the build, start-up time of
``ipkg serve`` on the built store, and the p50 latency of every saved query over HTTP against
raw pyoxigraph on the same data. With the store ``virtuoso``, the same saved queries also go
ad hoc to Virtuoso 7's own endpoint holding the same graphs, side by side with the memory
store (ABBA halves per query), answers compared, ratios per query and their geometric mean.
Prints the tables, writes bench/results/scale.md and docs/scale.png.

    python bench/bench_scale.py --sizes 10000 100000 --stores memory disk remote virtuoso
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
import requests
from bench_virtuoso import canonical_term
from generate import write as write_synthetic
from harness import start_server  # harness puts tests/ on the path, for support.*

from ipkg.namespaces import Namespaces
from ipkg.sparql.inspection import inspect_request

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

NS = Namespaces()
ONTOLOGY = ROOT / "ontology" / "ipkg.ttl"
QUERIES = sorted((ROOT / "queries").glob("*.rq"))
UNCAPPED = [  # every query runs to the end, as it does in raw pyoxigraph
    "--query-timeout",
    "300",
    "--max-rows",
    "100000000",
    "--max-result-bytes",
    str(8 << 30),
    "--query-memory",
    "16384",
    "--result-cache-bytes",  # a repeated text must run each time, as in raw pyoxigraph
    "0",
]
TARGETS = "targets at 1M: build <= 90 s, start-up <= 2 s, p50 <= 1.5x raw, peak RSS <= 3 GB"


def data_args(work: Path) -> list[str]:
    """The arguments every store of one size is built and served from: the synthetic data
    reasoned against the project's ontology by the fast reasoner."""
    return [
        "--ontology",
        str(ONTOLOGY),
        "--data",
        f"{NS.graph('asserted')}={work / 'asserted.nt'}",
        "--reasoner",
        "reasonable",
        "--cache-dir",
        str(work / "cache"),
    ]


PHASES = {
    "parse": re.compile(r"read \d+ triples in ([\d.]+) s"),
    "reason": re.compile(r"derived (\d+) new triples in ([\d.]+) s"),
    "load": re.compile(r"loaded \d+ quads into .* in ([\d.]+) s"),
}


def build(work: Path) -> dict:
    """Runs ``ipkg build`` on a disk store (in its own process, so that the peak RSS of its
    process tree is the build's) and reads the time of each phase from its log."""
    command = [sys.executable, "-m", "ipkg", "build", "--store", f"disk:{work / 'db'}"]
    started = time.perf_counter()
    done = subprocess.run([*command, *data_args(work)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    times = {"total": time.perf_counter() - started}
    for phase, pattern in PHASES.items():
        match = pattern.search(done.stderr)
        if match is None:
            raise RuntimeError(f"no {phase} time in the log of ipkg build:\n{done.stderr}")
        times[phase] = float(match.groups()[-1])
        if phase == "reason":
            times["inferred"] = int(match.group(1))
    times["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return times


def timed_build(work: Path) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "build", str(work)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def accept(text: str) -> str:
    form = inspect_request(text).form
    if form in ("CONSTRUCT", "DESCRIBE"):
        return "application/n-triples"
    return "application/sparql-results+json"


def http_times(
    url: str, text: str, runs: int, extra: list[tuple[str, str]] | None = None
) -> tuple[list[float], requests.Response]:
    """Milliseconds of each of ``runs`` POSTs of the query (after one warm-up), and the last
    answer. ``extra`` are more form fields (Virtuoso's ``default-graph-uri``)."""
    session = requests.Session()
    headers = {"Accept": accept(text)}
    fields = [("query", text), *(extra or [])]
    answer = session.post(url, data=fields, headers=headers, timeout=300)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = session.post(url, data=fields, headers=headers, timeout=300)
        times.append((time.perf_counter() - started) * 1000)
    return times, answer


def http_p50(url: str, text: str, runs: int) -> tuple[float, int]:
    """Median milliseconds of ``runs`` POSTs of the query (after one warm-up), and the status."""
    times, answer = http_times(url, text, runs)
    return statistics.median(times), answer.status_code


def answer_of(response: requests.Response) -> object:
    """What a query answered, comparable across servers: canonical solution rows as a sorted
    list, or the set of N-Triples lines of a graph; None for an error."""
    if response.status_code != 200:
        return None
    if response.headers.get("Content-Type", "").startswith("application/sparql-results+json"):
        data = response.json()
        if "boolean" in data:
            return data["boolean"]
        rows = data["results"]["bindings"]
        return sorted(tuple(sorted((k, canonical_term(v)) for k, v in row.items())) for row in rows)
    return sorted({line.strip() for line in response.text.splitlines() if line.strip()})


def raw_p50(store: ox.Store, text: str, runs: int) -> float:
    """Median milliseconds of pyoxigraph evaluating the query and reading every result."""
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        result = store.query(text, use_default_graph_as_union=True)
        if not isinstance(result, ox.QueryBoolean):
            for _row in result:
                pass
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[1:])


def raw_store(work: Path) -> ox.Store:
    """The built dataset in an in-memory pyoxigraph store."""
    store = ox.Store()
    store.bulk_extend(ox.Store.read_only(str(work / "db" / "oxigraph")))
    return store


def serve_and_measure(work: Path, args: list[str], runs: int, env: dict | None = None) -> dict:
    started = time.perf_counter()
    server = start_server(work, [*args, *UNCAPPED], env=env, timeout=1800)
    startup = time.perf_counter() - started
    try:
        per_query = {}
        for path in QUERIES:
            p50, status = http_p50(server.sparql, path.read_text(encoding="utf-8"), runs)
            per_query[path.stem] = (p50, status)
        return {"startup": startup, "queries": per_query, "log": server.output()[-2000:]}
    finally:
        server.stop()


def side_by_side(work: Path, virtuoso, graphs: list[str], runs: int) -> tuple[dict, dict]:
    """ipkg serving the memory store and Virtuoso's own endpoint holding the same graphs, each
    saved query sent ad hoc to both in ABBA halves, answers compared. ipkg answers over its
    union default graph, as raw pyoxigraph does; Virtuoso gets every graph of the dataset as
    ``default-graph-uri`` (its own default graph also holds its system graphs). (A protocol
    dataset of several graphs makes pyoxigraph slower on large data than its union graph.)"""
    extra = [("default-graph-uri", g) for g in graphs]
    started = time.perf_counter()
    server = start_server(work, [*data_args(work), *UNCAPPED], timeout=1800)
    startup = time.perf_counter() - started
    ours: dict = {"startup": startup, "queries": {}}
    theirs: dict = {"startup": 0.0, "queries": {}, "agree": {}}
    half = max(runs // 2, 1)
    try:
        for path in QUERIES:
            text = path.read_text(encoding="utf-8")
            a1, mine = http_times(server.sparql, text, half)
            b1, other = http_times(virtuoso.sparql_url, text, half, extra)
            b2, other = http_times(virtuoso.sparql_url, text, half, extra)
            a2, mine = http_times(server.sparql, text, half)
            ours["queries"][path.stem] = (statistics.median(a1 + a2), mine.status_code)
            theirs["queries"][path.stem] = (statistics.median(b1 + b2), other.status_code)
            theirs["agree"][path.stem] = answer_of(mine) == answer_of(other) is not None
    finally:
        server.stop()
    return ours, theirs


def geometric_mean(values: list[float]) -> float:
    return statistics.geometric_mean(values) if values else float("nan")


def virtuoso_table(results: list[dict]) -> str:
    """Per saved query: ipkg (memory store) and Virtuoso p50, the ratio, whether the answers
    agree; the geometric mean of the ratios over the queries that agree."""
    lines = []
    for r in results:
        if "virtuoso" not in r["stores"] or "memory" not in r["stores"]:
            continue
        ours, theirs = r["stores"]["memory"]["queries"], r["stores"]["virtuoso"]
        lines.append(
            f"\n### {r['asserted']:,} asserted triples: ipkg vs Virtuoso 7, saved queries "
            "ad hoc (p50 ms)\n"
        )
        lines.append("| query | ipkg | Virtuoso | Virtuoso / ipkg | answers agree |")
        lines.append("|---|---|---|---|---|")
        ratios = []
        for q in (p.stem for p in QUERIES):
            (mine, s1), (other, s2) = ours[q], theirs["queries"][q]
            agree = theirs["agree"][q]
            ratio = other / max(mine, 0.001)
            if agree:
                ratios.append(ratio)
            status = "" if s1 == s2 == 200 else f" ({s1}/{s2})"
            lines.append(
                f"| {q} | {mine:.1f} | {other:.1f} | {ratio:.2f}x | "
                f"{'yes' if agree else '**no**'}{status} |"
            )
        lines.append(
            f"| **geometric mean** ({len(ratios)} queries that agree) | | | "
            f"**{geometric_mean(ratios):.2f}x** | |"
        )
    return "\n".join(lines)


def push_remote(virtuoso, work: Path) -> float:
    """Seconds to push every named graph of the built dataset to the remote store."""
    from ipkg.stores.remote import Endpoint, RemoteStore

    endpoint = Endpoint.parse(virtuoso.store_url, user=virtuoso.user, password=virtuoso.password)
    graphs: dict[str, list[ox.Quad]] = {}
    for quad in ox.Store.read_only(str(work / "db" / "oxigraph")):
        graphs.setdefault(quad.graph_name.value, []).append(quad)
    remote = RemoteStore(endpoint, sorted(graphs), timeout=600)
    started = time.perf_counter()
    for graph, quads in sorted(graphs.items()):
        remote.load_graph(graph, quads)
    return time.perf_counter() - started


def measure_size(size: int, stores: list[str], runs: int, root: Path, virtuoso) -> dict:
    work = root / f"n{size}"
    work.mkdir(parents=True, exist_ok=True)
    with (work / "asserted.nt").open("w", encoding="utf-8") as out:
        asserted = write_synthetic(size, 7, out)
    result: dict = {"size": size, "asserted": asserted, "stores": {}}
    built = timed_build(work)
    result["build"] = built
    result["raw"], result["raw_disk"] = {}, {}
    if {"memory", "remote"} & set(stores):
        store = raw_store(work)
        result["raw"] = {
            p.stem: raw_p50(store, p.read_text(encoding="utf-8"), runs) for p in QUERIES
        }
        del store
    if "disk" in stores:
        on_disk = ox.Store.read_only(str(work / "db" / "oxigraph"))
        result["raw_disk"] = {
            p.stem: raw_p50(on_disk, p.read_text(encoding="utf-8"), runs) for p in QUERIES
        }
        del on_disk
    if "virtuoso" in stores:  # Virtuoso's own endpoint, side by side with the memory store
        push = push_remote(virtuoso, work)
        graphs = sorted(
            {q.graph_name.value for q in ox.Store.read_only(str(work / "db" / "oxigraph"))}
        )
        ours, theirs = side_by_side(work, virtuoso, graphs, runs)
        theirs["push"] = push
        result["stores"]["memory"], result["stores"]["virtuoso"] = ours, theirs
    for name in stores:
        if name in result["stores"]:
            continue
        if name == "disk":
            measured = serve_and_measure(
                work, ["--store", f"disk:{work / 'db'}", *data_args(work)], runs
            )
            measured["reused"] = "reused (inputs unchanged)" in measured.pop("log")
        elif name == "memory":
            measured = serve_and_measure(work, data_args(work), runs)
            measured.pop("log")
        else:
            push = push_remote(virtuoso, work)
            env = {"IPKG_STORE_USER": virtuoso.user, "IPKG_STORE_PASSWORD": virtuoso.password}
            measured = serve_and_measure(
                work, ["--store", virtuoso.store_url, *data_args(work)], runs, env
            )
            measured.pop("log")
            measured["push"] = push
        result["stores"][name] = measured
    return result


def summary_rows(results: list[dict]) -> list[list[str]]:
    rows = []
    for r in results:
        build = r["build"]
        for store, m in r["stores"].items():
            raw = r["raw_disk"] if store == "disk" else r["raw"]
            ratios = [
                m["queries"][q][0] / max(raw[q], 0.001)
                for q in m["queries"]
                if m["queries"][q][1] == 200
            ]
            p50s = [v[0] for v in m["queries"].values() if v[1] == 200]
            failed = [q for q, v in m["queries"].items() if v[1] != 200]
            rows.append(
                [
                    f"{r['asserted']:,}",
                    store,
                    f"{build['total']:.1f}" if store == "disk" else "-",
                    f"{build['parse']:.1f}/{build['reason']:.1f}/{build['load']:.1f}"
                    if store == "disk"
                    else (f"push {m['push']:.1f}" if "push" in m else "-"),
                    f"{build['peak_rss_mb']:.0f}" if store == "disk" else "-",
                    f"{m['startup']:.2f}",
                    f"{statistics.median(p50s):.1f}" if p50s else "-",
                    f"{statistics.median(raw.values()):.2f}" if raw else "-",
                    f"{statistics.median(ratios):.1f}x" if ratios else "-",
                    f"{max(ratios):.1f}x" if ratios else "-",
                    ", ".join(failed) or "-",
                ]
            )
    return rows


HEADER = [
    "asserted",
    "store",
    "build s",
    "parse/reason/load s",
    "peak RSS MB",
    "start-up s",
    "query p50 ms (median)",
    "raw pyoxigraph p50 ms (median; same store kind)",
    "ratio (median)",
    "ratio (worst)",
    "failed queries",
]


def table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def per_query_table(results: list[dict]) -> str:
    lines = []
    for r in results:
        stores = list(r["stores"])
        lines.append(f"\n### {r['asserted']:,} asserted triples: p50 ms per saved query\n")
        lines.append("| query | raw memory | raw disk | " + " | ".join(stores) + " |")
        lines.append("|---|---|---|" + "---|" * len(stores))
        for q in (p.stem for p in QUERIES):
            cells = []
            for s in stores:
                p50, status = r["stores"][s]["queries"][q]
                cells.append(f"{p50:.1f}" + ("" if status == 200 else f" ({status})"))
            raw = [f"{r[kind][q]:.2f}" if q in r[kind] else "-" for kind in ("raw", "raw_disk")]
            lines.append(f"| {q} | {' | '.join(raw)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["asserted"] for r in results]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(sizes, [r["build"]["total"] for r in results], "o-", label="build (disk, reasonable)")
    ax.plot(sizes, [r["build"]["reason"] for r in results], "o--", label="reasoning alone")
    for store in sorted({store for r in results for store in r["stores"]}):
        having = [r for r in results if store in r["stores"]]
        sizes_of = [r["asserted"] for r in having]
        ax.plot(
            sizes_of,
            [r["stores"][store]["startup"] for r in having],
            "s-",
            label=f"start-up ({store})",
        )
        ax.plot(
            sizes_of,
            [
                statistics.median(v[0] for v in r["stores"][store]["queries"].values()) / 1000
                for r in having
            ],
            "^:",
            label=f"saved-query p50 ({store})",
        )
    for kind, marker, label in (("raw", "^-", "memory"), ("raw_disk", "v-", "RocksDB")):
        having = [r for r in results if r[kind]]
        ax.plot(
            [r["asserted"] for r in having],
            [statistics.median(r[kind].values()) / 1000 for r in having],
            marker,
            label=f"saved-query p50 (raw pyoxigraph, {label})",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("asserted triples")
    ax.set_ylabel("seconds")
    ax.set_title("ipkg at scale (2 shared cores)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def write_results(results: list[dict], path: Path, plot_path: Path) -> None:
    """The Markdown tables, the JSON of every measurement and the plot."""
    text = table(summary_rows(results))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"# Scale benchmark\n\n{TARGETS}\n\n{text}\n{per_query_table(results)}\n"
        f"{virtuoso_table(results)}\n\n"
        f"Load average at the end: {os.getloadavg()}\n",
        encoding="utf-8",
    )
    path.with_suffix(".json").write_text(json.dumps(results, indent=1))
    plot(results, plot_path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--stores", nargs="+", default=["memory", "disk", "remote"])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--plot", type=Path, default=ROOT / "docs" / "scale.png")
    parser.add_argument("--results", type=Path, default=BENCH / "results" / "scale.md")
    parser.add_argument(
        "--merge", action="store_true", help="keep the other sizes of the last results"
    )
    args = parser.parse_args(argv)
    virtuoso = None
    stores = list(args.stores)
    with tempfile.TemporaryDirectory(prefix="ipkg-scale-") as tmp:
        if {"remote", "virtuoso"} & set(stores):
            from support.virtuoso import start_virtuoso, virtuoso_available

            if virtuoso_available():
                virtuoso = start_virtuoso(Path(tmp), max_rows=1_000_000, max_seconds=120)
            else:
                stores = [s for s in stores if s not in ("remote", "virtuoso")]
        results_json = args.results.with_suffix(".json")
        kept = json.loads(results_json.read_text()) if args.merge and results_json.exists() else []
        results = [r for r in kept if r["size"] not in args.sizes]
        try:
            for size in args.sizes:
                print(f"size {size:,} ...", file=sys.stderr, flush=True)
                results.append(measure_size(size, stores, args.runs, Path(tmp), virtuoso))
                results.sort(key=lambda r: r["size"])
                write_results(results, args.results, args.plot)  # a later failure keeps these
        finally:
            if virtuoso is not None:
                virtuoso.stop()
    print(table(summary_rows(results)))
    print(virtuoso_table(results))
    print(TARGETS)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "build":
        print(json.dumps(build(Path(sys.argv[2]))))
    else:
        raise SystemExit(main())
