"""What the benchmarks share: the machine's description, the memory of a server's process tree,
the saved queries, starting ``ipkg serve``, and writing a results file."""

from __future__ import annotations

import os
import platform
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
SELECT_TYPE = "application/sparql-results+json"
GRAPH_TYPE = "text/turtle"
# The one place bench/ reaches into tests/: support.servers is the launcher the tests use.
sys.path.insert(0, str(ROOT / "tests"))

from loadgen import Request  # noqa: E402

from ipkg.sparql.inspection import inspect_request  # noqa: E402
from support.servers import RunningServer, descendants, free_port, start_server  # noqa: E402

__all__ = ["RunningServer", "free_port", "start_server"]


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _ram_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1_048_576
    return float("nan")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: above the core count, other work shared the CPUs."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> str:
    """One paragraph naming the machine and the software versions, for a results file."""
    load = load_average()
    return (
        f"{os.cpu_count()} cores ({_cpu_model()}), {_ram_gib():.1f} GiB RAM, "
        f"Linux {platform.release()}; Python {platform.python_version()}, "
        f"pyoxigraph {_version('pyoxigraph')}, rdflib {_version('rdflib')}, "
        f"flask {_version('flask')}, h11 {_version('h11')}, "
        f"rdflib-endpoint {_version('rdflib-endpoint')}, uvicorn {_version('uvicorn')}; "
        f"load average at start {load}"
    )


@dataclass(frozen=True)
class TreeMemory:
    """Memory of a process and all its descendants, in MiB: RSS summed (counts pages shared
    between forked processes once per process) and PSS summed (shares them out)."""

    processes: int
    rss: float
    pss: float


def tree_memory(pid: int) -> TreeMemory:
    """The memory of ``pid``'s process tree right now."""
    rss = pss = 0
    pids = [pid, *descendants(pid)]
    for each in pids:
        try:
            for line in Path(f"/proc/{each}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            continue
    return TreeMemory(len(pids), rss / 1024, pss / 1024)


def query_workers(server: RunningServer) -> int:
    """Live query workers of an ``ipkg serve``: the server -> zygote -> workers."""
    return sum(1 for depth in descendants(server.process.pid).values() if depth == 2)


def wait_for_workers(server: RunningServer, expected: int, timeout: float = 15.0) -> int:
    """The number of query workers once it is ``expected`` (or after ``timeout``)."""
    deadline = time.monotonic() + timeout
    count = query_workers(server)
    while count != expected and time.monotonic() < deadline:
        time.sleep(0.2)
        count = query_workers(server)
    return count


def shared_cache() -> dict[str, str]:
    """Environment that points ipkg at the user's reasoning and validation cache (as a deployed
    ``ipkg serve`` would use), so a benchmark does not pay for validating the article again."""
    from ipkg.config import Settings

    return {"IPKG_CACHE_DIR": str(Settings().cache_dir)}


def saved_queries(folder: Path) -> list[tuple[str, str]]:
    """(name, text) of every ``*.rq`` in ``folder``, by name."""
    return [(path.stem, path.read_text()) for path in sorted(folder.glob("*.rq"))]


def adhoc_request(name: str, text: str) -> Request:
    """The saved query ``name`` as an ad-hoc POST to /sparql (direct, as the protocol allows)."""
    form = inspect_request(text).form
    accept = GRAPH_TYPE if form in ("CONSTRUCT", "DESCRIBE") else SELECT_TYPE
    headers = (("Content-Type", "application/sparql-query"), ("Accept", accept))
    return Request(name, "POST", "/sparql", headers, text.encode())


def write_results(name: str, text: str) -> Path:
    """Writes ``bench/results/<name>.md`` and returns its path."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.md"
    path.write_text(text.rstrip() + "\n")
    return path
