"""The engine comparison (``bench/engine.py``) in its quickest mode: every server starts, every
answer agrees, and the ratio table has a number in every cell. Timings are never asserted."""

from __future__ import annotations

import re
from pathlib import Path

import engine  # bench/ is on pytest's pythonpath (pyproject.toml)
import pytest

pytestmark = pytest.mark.slow  # seven servers started, 8 cells of 0.4 s each


def table_after(report: str, title: str) -> list[list[str]]:
    """The body rows of the Markdown table that follows the paragraph starting ``title``."""
    section = report.split(title, 1)[1].split("\n\n", 2)[1]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def test_quick_engine_comparison_fills_every_ratio_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # The session's reasoning cache, as support.servers uses: only its first server reasons.
    monkeypatch.setenv("IPKG_CACHE_DIR", str(tmp_path.parent / "ipkg-cache"))
    report = engine.main(["--quick", "--output", ""])
    rows = table_after(report, f"Throughput against {engine.ANCHOR}")
    assert {(r[0], r[1]) for r in rows} == {(w, n) for w in engine.WORKLOADS for n in ("1", "8")}
    servers = 2 + 4  # Oxigraph in memory and on RocksDB; ipkg memory/disk x cache on/off
    for row in rows:
        assert len(row) == 2 + servers
        assert all(re.fullmatch(r"\d+\.\d\dx", cell) for cell in row[2:]), row
        assert row[2] == "1.00x"  # the anchor against itself
    assert "0 errors in all" in report
    for shape in engine.SHAPES:
        assert f"| {shape} |" in report
