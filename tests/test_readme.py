"""The README stays true: its two fresh-machine commands are the ones CI runs, every command
of its CLI table exists, and the example query outputs are what ipkg prints today."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The text of a ``## title`` section, up to the next section of the same level."""
    found = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert found, f"README has no section {title!r}"
    return found.group(1)


def code_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"^```\w*\n(.*?)^```", text, re.S | re.M)]


def ipkg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ipkg", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def test_a_fresh_machine_needs_exactly_two_commands_serve_and_test():
    blocks = code_blocks(section("On a fresh machine"))
    assert len(blocks) == 2
    serve, test = blocks
    assert serve.startswith("pip install") and serve.endswith("ipkg serve")
    assert test.startswith("pip install") and test.endswith("pytest")


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "grep -m1 -E '^pip install .*&& pytest' README.md" in ci
    first = next(
        line for line in README.splitlines() if re.match(r"^pip install .*&& pytest", line)
    )
    assert first == code_blocks(section("On a fresh machine"))[1]


def test_every_command_in_the_cli_table_exists():
    commands = set(re.findall(r"^\| `ipkg (\w+)", section("Command line"), re.M))
    assert {"validate", "reason", "query", "export", "serve"} <= commands
    for command in sorted(commands):
        done = ipkg(command, "--help")
        assert done.returncode == 0, (command, done.stderr)


EXAMPLES = re.findall(
    r"\(`ipkg query (queries/[\w-]+\.rq)`\):\n\n```\n(.*?)```", section("Example queries"), re.S
)


def test_the_readme_shows_example_queries():
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize(("query", "shown"), EXAMPLES, ids=[q for q, _ in EXAMPLES])
def test_example_output_is_what_ipkg_query_prints(query, shown):
    done = ipkg("query", query)
    assert done.returncode == 0, done.stderr

    def lines(text: str) -> list[str]:
        return [line.rstrip() for line in text.strip().splitlines()]

    assert lines(done.stdout) == lines(shown)
