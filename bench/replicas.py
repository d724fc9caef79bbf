"""Throughput and p99 against the number of replicas, with and without a shared HTTP cache in
front, on a repeated-query mix; the cache's hit ratio; how long a write takes to reach every
replica.

The deploy/ recipe runs for real on 127.0.0.1 (``tests/support/fleet.py``): a primary, two
replicas serving the published snapshot, HAProxy with ``deploy/haproxy.cfg`` (its per-address
limits lifted: the load comes from one address), and nginx with ``deploy/nginx-cache.conf``.
One replica is the same HAProxy file with both server lines on one replica. Each setting is
measured in ABBA rounds (forward, then backward) and the rounds are reported side by side.

    python bench/replicas.py [--duration 10] [--connections 16] [--rounds 2]

prints the table and writes ``bench/results/replicas.md``.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import requests
from harness import ROOT, load_average, machine, saved_queries, shared_cache, write_results
from loadgen import LoadResult, Request, markdown_table, run_load, summary_row

from support.fleet import TOKEN, Fleet, start_balancer, start_fleet
from support.servers import free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SELECT_TYPE = "application/sparql-results+json"
PAGES = ["cnipa", "wipo", "hub/beijing", "hub/shanghai", "hub/greater-bay-area"]


def mix() -> list[tuple[Request, int]]:
    """Repeated reads, each URL as likely as the next: every saved query through the API and as
    an ad-hoc GET /sparql, and a few resource pages."""
    requests_: list[tuple[Request, int]] = []
    for name, text in saved_queries(ROOT / "queries"):
        requests_.append((Request("api", "GET", f"/api/queries/{name}.csv"), 1))
        if "SELECT" in text.upper():
            target = "/sparql?query=" + quote(text, safe="")
            if len(target) < 6000:
                requests_.append((Request("sparql", "GET", target, (("Accept", SELECT_TYPE),)), 1))
    for page in PAGES:
        requests_.append((Request("page", "GET", f"/doc/{page}", (("Accept", "text/html"),)), 1))
    return requests_


@dataclass
class Cache:
    """A running nginx cache and its access log (one line per request, cache status first)."""

    process: subprocess.Popen
    url: str
    log: Path

    def statuses(self) -> Counter[str]:
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        return Counter(line.split(" ", 1)[0] for line in lines)

    def forget_log(self) -> None:
        self.log.write_text("")  # nginx appends to the same inode

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def start_cache(tmp: Path, upstream: str) -> Cache:
    """nginx from deploy/nginx-cache.conf in front of ``upstream`` (host:port)."""
    prefix = tmp / f"nginx-{free_port()}"
    prefix.mkdir()
    port = free_port()
    text = (ROOT / "deploy" / "nginx-cache.conf").read_text()
    for key, value in {
        "@LISTEN@": f"127.0.0.1:{port}",
        "@UPSTREAM@": upstream,
        "@PREFIX@": str(prefix),
    }.items():
        text = text.replace(key, value)
    conf = prefix / "nginx.conf"
    conf.write_text(text)
    process = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=(prefix / "stderr.log").open("wb"),
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        if process.poll() is not None:
            raise RuntimeError((prefix / "stderr.log").read_text())
        try:
            requests.get(url + "/healthz", timeout=2)
            return Cache(process, url, prefix / "access.log")
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError(f"nginx did not answer on {url}")


@dataclass
class Setting:
    name: str
    url: str
    cache: Cache | None = None


@dataclass
class Row:
    setting: str
    result: LoadResult
    hits: str


def measured(setting: Setting, duration: float, connections: int) -> Row:
    run_load(setting.url, mix(), connections, 2.0)  # warm-up: caches filled, workers forked
    if setting.cache:
        setting.cache.forget_log()
    result = run_load(setting.url, mix(), connections, duration)
    hits = "-"
    if setting.cache:
        counts = setting.cache.statuses()
        served = sum(counts.values()) or 1
        kept = counts["HIT"] + counts["REVALIDATED"]
        hits = f"{kept / served:.1%} ({counts['HIT']}, {counts['REVALIDATED']})"
    return Row(setting.name, result, hits)


def visibility(fleet: Fleet, trials: int) -> list[float]:
    """Seconds from a write's 204 through the balancer until every replica answers it."""
    times = []
    for trial in range(trials):
        marker = f"urn:bench:visible-{time.time_ns()}-{trial}"
        written = requests.post(
            fleet.url + "/sparql",
            data={"update": f"INSERT DATA {{ <{marker}> <urn:bench:p> {trial} }}"},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=150,
        )
        written.raise_for_status()
        started = time.monotonic()
        while not all(_has(replica.sparql, marker) for replica in fleet.replicas):
            time.sleep(0.1)
        times.append(time.monotonic() - started)
        time.sleep(1.0)
    return times


def _has(endpoint: str, marker: str) -> bool:
    answer = requests.get(
        endpoint,
        params={"query": f"ASK {{ <{marker}> ?p ?o }}"},
        headers={"Accept": SELECT_TYPE},
        timeout=10,
    )
    return answer.status_code == 200 and answer.json()["boolean"]


def report(rows: list[list[Row]], times: list[float], args: argparse.Namespace) -> str:
    out = io.StringIO()
    print(f"# Replicas and a shared cache (`python bench/replicas.py`), {time.ctime()}", file=out)
    print(f"\n{machine()}; {os.cpu_count()} cores. Load average before: {args.load}", file=out)
    print(
        f"after: {load_average()}. {args.connections} closed-loop connections, "
        f"{args.duration:.0f} s per run, {len(mix())} distinct URLs in turn, ABBA rounds.\n",
        file=out,
    )
    header = ["setting", "round", "requests", "errors", "p50 ms", "p99 ms", "req/s"]
    header += ["client CPU", "nginx: kept (hit, 304)"]
    table = []
    for number, round_ in enumerate(rows, start=1):
        for row in round_:
            # summary_row: (round, setting, requests, errors, p50, p99, req/s, client CPU)
            cells = summary_row(number, row.setting, row.result)
            table.append([cells[1], cells[0], *cells[2:], row.hits])
    print(markdown_table(header, table), file=out)
    print("\nRatios (mean of the rounds) against ipkg alone:\n", file=out)
    names = [row.setting for row in rows[0]]
    base = sum(r.result.throughput() for round_ in rows for r in round_ if r.setting == names[0])
    for name in names:
        mine = sum(r.result.throughput() for round_ in rows for r in round_ if r.setting == name)
        print(f"- {name}: {mine / base:.2f}x", file=out)
    shown = ", ".join(f"{t:.1f}" for t in times)
    print(f"\nWrite visible on every replica after (s): {shown}", file=out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--visibility-trials", type=int, default=3)
    args = parser.parse_args()
    args.load = load_average()
    os.environ.update(shared_cache())
    with tempfile.TemporaryDirectory(prefix="ipkg-replicas-") as folder:
        tmp = Path(folder)
        fleet = start_fleet(
            tmp,
            replica_args=("--client-queries", "64"),
            client_queries=100_000,
            rate=100_000_000,
        )
        stoppers: list[Callable[[], None]] = [fleet.stop]
        try:
            one = fleet.replicas[0].url.removeprefix("http://")
            primary = fleet.primary.url.removeprefix("http://")
            single, single_url = start_balancer(
                tmp, primary, [one, one], client_queries=100_000, rate=100_000_000
            )
            stoppers.append(single.terminate)
            direct_cache = start_cache(tmp, one)
            one_cache = start_cache(tmp, single_url.removeprefix("http://"))
            two_cache = start_cache(tmp, fleet.url.removeprefix("http://"))
            stoppers += [direct_cache.stop, one_cache.stop, two_cache.stop]
            settings = [
                Setting("ipkg alone", fleet.replicas[0].url),
                Setting("nginx → ipkg", direct_cache.url, direct_cache),
                Setting("HAProxy → 1 replica", single_url),
                Setting("HAProxy → 2 replicas", fleet.url),
                Setting("nginx → HAProxy → 1 replica", one_cache.url, one_cache),
                Setting("nginx → HAProxy → 2 replicas", two_cache.url, two_cache),
            ]
            rounds = []
            for number in range(args.rounds):
                order = settings if number % 2 == 0 else list(reversed(settings))
                done = {s.name: measured(s, args.duration, args.connections) for s in order}
                rounds.append([done[s.name] for s in settings])
                print(f"round {number + 1} done", flush=True)
            times = visibility(fleet, args.visibility_trials)
        finally:
            for stop in reversed(stoppers):
                stop()
    text = report(rounds, times, args)
    print(text)
    print(f"written to {write_results('replicas', text)}")


if __name__ == "__main__":
    main()
