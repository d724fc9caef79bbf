"""The scale benchmark: synthetic graphs (bench/generate.py) at growing sizes, per store — build
time (parse, reason with ``reasonable``, load), peak RSS of the build, start-up time of
``ipkg serve`` on the built store, and the p50 latency of every saved query over HTTP against
raw pyoxigraph on the same data. Prints a table, writes bench/results/scale.md and
docs/scale.png.

    python bench/bench_scale.py --sizes 10000 100000 --stores memory disk remote
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
import requests

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(BENCH))

from generate import write as write_synthetic  # noqa: E402

from ipkg.inspection import inspect_request  # noqa: E402
from ipkg.namespaces import Namespaces  # noqa: E402
from servers import start_server  # noqa: E402

NS = Namespaces()
ONTOLOGY = ROOT / "ontology" / "ipkg.ttl"
QUERIES = sorted((ROOT / "queries").glob("*.rq"))
TARGETS = "targets at 1M: build <= 90 s, start-up <= 2 s, p50 <= 1.5x raw, peak RSS <= 3 GB"


def data_args(work: Path) -> list[str]:
    """The ``--data`` arguments every store of one size is served from."""
    return [
        "--data",
        f"{NS.graph('ontology')}={ONTOLOGY}",
        "--data",
        f"{NS.graph('asserted')}={work / 'asserted.nt'}",
        "--data",
        f"{NS.graph('inferred')}={work / 'inferred.nt'}",
        "--reasoner",
        "reasonable",
    ]


def build(work: Path) -> dict:
    """Parse, reason and load into a disk store (run in its own process: its RSS is the build's)."""
    from ipkg.config import settings_from
    from ipkg.dataset import article_graph_quads, inferred_quads
    from ipkg.loading import read_quads
    from ipkg.stores import DiskStore, input_key

    times = {}
    started = time.perf_counter()
    ontology = article_graph_quads(ONTOLOGY, NS.graph("ontology"), NS)
    asserted = read_quads(work / "asserted.nt", NS.graph("asserted"))
    times["parse"] = time.perf_counter() - started
    mark = time.perf_counter()
    inferred = inferred_quads(ontology, asserted, NS.graph("inferred"), "", None, "reasonable")
    times["reason"] = time.perf_counter() - mark
    with (work / "inferred.nt").open("wb") as out:
        ox.serialize([q.triple for q in inferred], out, format=ox.RdfFormat.N_TRIPLES)
    mark = time.perf_counter()
    parser = argparse.ArgumentParser()
    from ipkg.config import add_arguments

    add_arguments(parser)
    args = parser.parse_args(["--store", f"disk:{work / 'db'}", *data_args(work)])
    settings = settings_from(args, environ={})
    DiskStore.opened(work / "db", input_key(settings), lambda: ontology + asserted + inferred)
    times["load"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - started
    times["inferred"] = len(inferred)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    times["peak_rss_mb"] = max(own, children) / 1024
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


def http_p50(url: str, text: str, runs: int) -> tuple[float, int]:
    """Median milliseconds of ``runs`` POSTs of the query (after one warm-up), and the status."""
    session = requests.Session()
    headers = {"Accept": accept(text)}
    status = session.post(url, data={"query": text}, headers=headers, timeout=300).status_code
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        status = session.post(url, data={"query": text}, headers=headers, timeout=300).status_code
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), status


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
    store = ox.Store()
    for graph, path in (
        ("ontology", ONTOLOGY),
        ("asserted", work / "asserted.nt"),
        ("inferred", work / "inferred.nt"),
    ):
        store.load(path=path, to_graph=ox.NamedNode(NS.graph(graph)))
    return store


def serve_and_measure(work: Path, args: list[str], runs: int, env: dict | None = None) -> dict:
    started = time.perf_counter()
    server = start_server(work, [*args, "--query-timeout", "120"], env=env, timeout=1800)
    startup = time.perf_counter() - started
    try:
        per_query = {}
        for path in QUERIES:
            p50, status = http_p50(server.sparql, path.read_text(encoding="utf-8"), runs)
            per_query[path.stem] = (p50, status)
        return {"startup": startup, "queries": per_query, "log": server.output()[-2000:]}
    finally:
        server.stop()


def push_remote(virtuoso, work: Path) -> float:
    from ipkg.stores.remote import Endpoint, RemoteStore

    endpoint = Endpoint.parse(virtuoso.store_url, user=virtuoso.user, password=virtuoso.password)
    graphs = [NS.graph(g) for g in ("ontology", "asserted", "inferred")]
    remote = RemoteStore(endpoint, graphs, timeout=600)
    started = time.perf_counter()
    for graph, path in zip(
        graphs, (ONTOLOGY, work / "asserted.nt", work / "inferred.nt"), strict=True
    ):
        name = ox.NamedNode(graph)
        quads = [ox.Quad(q.subject, q.predicate, q.object, name) for q in ox.parse(path=path)]
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
    store = raw_store(work)
    result["raw"] = {p.stem: raw_p50(store, p.read_text(encoding="utf-8"), runs) for p in QUERIES}
    del store
    on_disk = ox.Store.read_only(str(work / "db" / "oxigraph"))
    result["raw_disk"] = {
        p.stem: raw_p50(on_disk, p.read_text(encoding="utf-8"), runs) for p in QUERIES
    }
    del on_disk
    for name in stores:
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
                    f"{statistics.median(raw.values()):.2f}",
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
        for q, raw in r["raw"].items():
            cells = []
            for s in stores:
                p50, status = r["stores"][s]["queries"][q]
                cells.append(f"{p50:.1f}" + ("" if status == 200 else f" ({status})"))
            disk = r["raw_disk"][q]
            lines.append(f"| {q} | {raw:.2f} | {disk:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["asserted"] for r in results]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(sizes, [r["build"]["total"] for r in results], "o-", label="build (disk, reasonable)")
    ax.plot(sizes, [r["build"]["reason"] for r in results], "o--", label="reasoning alone")
    for store in results[0]["stores"]:
        ax.plot(
            sizes,
            [r["stores"][store]["startup"] for r in results],
            "s-",
            label=f"start-up ({store})",
        )
        ax.plot(
            sizes,
            [
                statistics.median(v[0] for v in r["stores"][store]["queries"].values()) / 1000
                for r in results
            ],
            "^:",
            label=f"saved-query p50 ({store})",
        )
    ax.plot(
        sizes,
        [statistics.median(r["raw"].values()) / 1000 for r in results],
        "^-",
        label="saved-query p50 (raw pyoxigraph, memory)",
    )
    ax.plot(
        sizes,
        [statistics.median(r["raw_disk"].values()) / 1000 for r in results],
        "v-",
        label="saved-query p50 (raw pyoxigraph, RocksDB)",
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--stores", nargs="+", default=["memory", "disk", "remote"])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--plot", type=Path, default=ROOT / "docs" / "scale.png")
    parser.add_argument("--results", type=Path, default=BENCH / "results" / "scale.md")
    args = parser.parse_args(argv)
    virtuoso = None
    stores = list(args.stores)
    with tempfile.TemporaryDirectory(prefix="ipkg-scale-") as tmp:
        if "remote" in stores:
            from virtuoso import start_virtuoso, virtuoso_available

            if virtuoso_available():
                virtuoso = start_virtuoso(Path(tmp), max_rows=1_000_000, max_seconds=120)
            else:
                stores.remove("remote")
        try:
            results = []
            for size in args.sizes:
                print(f"size {size:,} ...", file=sys.stderr, flush=True)
                results.append(measure_size(size, stores, args.runs, Path(tmp), virtuoso))
        finally:
            if virtuoso is not None:
                virtuoso.stop()
    text = table(summary_rows(results))
    print(text)
    print(TARGETS)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(
        f"# Scale benchmark\n\n{TARGETS}\n\n{text}\n{per_query_table(results)}\n\n"
        f"Load average at the end: {os.getloadavg()}\n",
        encoding="utf-8",
    )
    (args.results.with_suffix(".json")).write_text(json.dumps(results, indent=1))
    plot(results, args.plot)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "build":
        print(json.dumps(build(Path(sys.argv[2]))))
    else:
        raise SystemExit(main())
