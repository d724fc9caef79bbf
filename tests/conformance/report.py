"""Writes docs/conformance.md: the W3C SPARQL 1.1 suite run over HTTP against ipkg on the memory
and disk stores and against Oxigraph's own server, counted per folder as passed / expected
failure / failed / not run.

    python tests/conformance/report.py            # every service it can start
    python tests/conformance/report.py memory oxigraph
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TESTS))

from conformance import services  # noqa: E402
from conformance.expected_failures import EXPECTED, deviation  # noqa: E402
from conformance.runner import applicable, loading_order, run  # noqa: E402
from conformance.suite import (  # noqa: E402
    FOLDERS,
    PROTOCOL_FOLDERS,
    QUERY_FOLDERS,
    UPDATE_FOLDERS,
    Case,
    cases_of,
)

DOC = TESTS.parent / "docs" / "conformance.md"
ALL = ("memory", "disk", "oxigraph")
GROUPS = (("query", QUERY_FOLDERS), ("update", UPDATE_FOLDERS), ("protocol", PROTOCOL_FOLDERS))


def start(name: str, tmp: Path) -> services.Running | None:
    if name == "oxigraph":
        return services.oxigraph(tmp) if services.oxigraph_binary() else None
    if name == "disk":
        return services.ipkg(tmp, f"disk:{tmp / 'store'}")
    return services.ipkg(tmp, name)


def outcomes(name: str, cases: list[Case], tmp: Path) -> tuple[dict[str, str], float] | None:
    """Each test's outcome on one service: pass, xfail (expected failure), FAIL, XPASS (an
    expected failure that passed) or skip (an optional feature not offered)."""
    running = start(name, tmp)
    if running is None:
        return None
    results: dict[str, str] = {}
    started = time.perf_counter()
    try:
        for case in loading_order(cases):
            if not applicable(case):
                results[case.id] = "skip"
                continue
            passed = run(case, running.service).passed
            expected = deviation(name, case.id) is not None
            results[case.id] = {
                (True, False): "pass",
                (False, False): "FAIL",
                (False, True): "xfail",
                (True, True): "XPASS",
            }[(passed, expected)]
    finally:
        running.stop()
    return results, time.perf_counter() - started


def cell(results: dict[str, str], ids: list[str]) -> str:
    counts = Counter(results[i] for i in ids)
    run_ = len(ids) - counts["skip"]
    text = f"{counts['pass']}/{run_}"
    extra = [
        f"{counts[k]} {label}"
        for k, label in (
            ("xfail", "expected"),
            ("FAIL", "**failed**"),
            ("XPASS", "**now passing**"),
        )
        if counts[k]
    ]
    return text + (f" ({', '.join(extra)})" if extra else "")


def table(measured: dict[str, dict[str, str]], cases: list[Case]) -> list[str]:
    names = list(measured)
    lines = [
        "| folder | tests | " + " | ".join(names) + " |",
        "| --- | --- | " + " | ".join("---" for _ in names) + " |",
    ]
    for group, folders in GROUPS:
        for folder in folders:
            ids = [c.id for c in cases if c.folder == folder]
            cells = [cell(measured[n], ids) for n in names]
            lines.append(f"| {folder} | {len(ids)} | " + " | ".join(cells) + " |")
        ids = [c.id for c in cases if c.folder in folders]
        cells = [f"**{cell(measured[n], ids)}**" for n in names]
        lines.append(f"| **all {group}** | {len(ids)} | " + " | ".join(cells) + " |")
    return lines


KINDS = (
    ("query evaluation", ("query",)),
    ("query syntax", ("positive-syntax", "negative-syntax")),
    ("update evaluation", ("update",)),
    ("update syntax", ("positive-update-syntax", "negative-update-syntax")),
    ("Graph Store Protocol", ("graph-store",)),
    ("service description", ("service-description",)),
)


def by_kind(measured: dict[str, dict[str, str]], cases: list[Case]) -> list[str]:
    names = list(measured)
    lines = [
        "| kind of test | tests | " + " | ".join(names) + " |",
        "| --- | --- | " + " | ".join("---" for _ in names) + " |",
    ]
    for label, kinds in KINDS:
        ids = [c.id for c in cases if c.kind in kinds]
        cells = []
        for n in names:
            counts = Counter(measured[n][i] for i in ids)
            ran = len(ids) - counts["skip"]
            cells.append(f"{counts['pass']}/{ran} ({100 * counts['pass'] / ran:.1f} %)")
        lines.append(f"| {label} | {len(ids)} | " + " | ".join(cells) + " |")
    return lines


def oxigraph_only(measured: dict[str, dict[str, str]]) -> list[str]:
    """Tests Oxigraph's server passes and an ipkg store does not, with the reason."""
    reference = measured.get("oxigraph")
    if reference is None:
        return []
    lines = []
    for test_id in sorted(reference):
        stores = [
            n
            for n, results in measured.items()
            if n != "oxigraph"
            and reference[test_id] == "pass"
            and results.get(test_id) not in ("pass", "skip")
        ]
        if stores:
            dev = deviation(stores[0], test_id)
            reason = dev.reason if dev else "**not explained**"
            lines.append(f"- `{test_id}` ({', '.join(stores)}): {reason}")
    return lines


def deviations() -> list[str]:
    """Each reason once, with the tests and services it explains and its reproduction."""
    grouped: dict[int, tuple[object, list[str], list[str]]] = {}
    for name, table_ in EXPECTED.items():
        for test_id, dev in table_.items():
            _, tests, names = grouped.setdefault(id(dev), (dev, [], []))
            if test_id not in tests:
                tests.append(test_id)
            if name not in names:
                names.append(name)
    lines = [""]
    for dev, tests, names in grouped.values():
        listed = ", ".join(f"`{t}`" for t in tests)
        lines.append(f"- {listed} ({', '.join(names)}): {dev.reason}")
        if dev.reproduction:
            r = dev.reproduction
            data = f" on `{r.data}`" if r.data else " on an empty dataset"
            lines.append(
                f"  - reproduce in pyoxigraph: `{r.query}`{data} answers `{r.observed!r}`; "
                f"expected {r.expected}"
            )
    return lines


def write(measured: dict[str, dict[str, str]], seconds: dict[str, float]) -> str:
    cases = cases_of(FOLDERS)
    timing = ", ".join(f"{n} {s:.1f} s" for n, s in seconds.items())
    lines = [
        "# Conformance: the W3C SPARQL 1.1 test suite over HTTP",
        "",
        "Generated by `python tests/conformance/report.py` (do not edit by hand). The suite is",
        "the W3C's own (rdf-tests `sparql/sparql11` at `ad541a5`, copied with its licence to",
        "`tests/w3c/sparql11/`), read from its manifests. Each test runs over HTTP against a",
        "live server: its data loaded through the server's Graph Store Protocol (`PUT`, with",
        "the write token; on the disk store, where each write is durable and costly, in one",
        "SPARQL Update, `DROP ALL ; INSERT DATA`), the query or update sent through the SPARQL",
        "Protocol with its file's",
        "IRI as `BASE`, and the answer compared as the suite says (solutions as multisets up to",
        "a blank-node bijection, in order under ORDER BY; graphs and datasets up to isomorphism;",
        "numbers by value within their datatype). ipkg runs with `--default-graph separate`,",
        "the SPARQL dataset the suite assumes (the article is served with `union`, the default).",
        "",
        "Each cell: passed / run (expected failures, each explained below; failures). Not run:",
        "the Graph Store tests that need direct graph identification (`/store/path` as the",
        "graph IRI), an optional feature neither ipkg nor Oxigraph's server offers. Not in the",
        "table: entailment regimes, federation (SERVICE is refused by design) and the protocol",
        "folder (run by `tests/web/test_w3c_protocol.py`).",
        "",
        "The remote store is not in the table: it serves the fixed set of named graphs it was",
        "pushed (`ipkg push`) and refuses writes to the default graph (`stores/remote.py`),",
        "so the suite's data cannot be loaded into it through ipkg; running the suite there",
        "needs the remote store to hold a default graph and graphs created by writes.",
        "",
        "The memory run is part of the quick test loop (`tests/conformance/test_w3c_memory.py`),",
        "the disk run is marked slow (`test_w3c_disk.py`, data loaded by one SPARQL Update per",
        "dataset there: each disk write restarts the query workers). An expected failure that",
        "starts passing fails the run.",
        "",
        f"Last run: {time.strftime('%Y-%m-%d')}; time per service: {timing}.",
        "",
        *by_kind(measured, cases),
        "",
        "Per folder:",
        "",
        *table(measured, cases),
        "",
        "## What Oxigraph's server passes and ipkg does not",
        "",
        *(oxigraph_only(measured) or ["None."]),
        "",
        "## Expected failures, with their reasons and reproductions",
        *deviations(),
        "",
    ]
    return "\n".join(lines)


def main(names: list[str]) -> None:
    cases = cases_of(FOLDERS)
    measured, seconds = {}, {}
    for name in names or ALL:
        with tempfile.TemporaryDirectory() as tmp:
            found = outcomes(name, cases, Path(tmp))
        if found is None:
            print(f"{name}: not available, left out")
            continue
        measured[name], seconds[name] = found
        print(f"{name}: {Counter(found[0].values())} in {found[1]:.1f} s")
    DOC.write_text(write(measured, seconds))
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main(sys.argv[1:])
