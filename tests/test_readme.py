"""The README stays true: its two fresh-machine commands are the ones CI runs, every command
of its CLI table exists, and the example query outputs are what ipkg prints today."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs every README command, a live server among them

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


def tour_commands() -> list[tuple[str, str | None]]:
    """Each ``curl`` block of the quick tour, with the output block that follows it (if any)."""
    blocks = code_blocks(section("Quick tour"))
    pairs, index = [], 0
    while index < len(blocks):
        command = blocks[index]
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        shown = following if following and not following.startswith("curl") else None
        pairs.append((command, shown))
        index += 2 if shown is not None else 1
    return pairs


def test_the_quick_tour_shows_a_sparql_query_with_curl():
    assert any("/sparql" in command for command, shown in tour_commands() if shown)


@pytest.mark.parametrize("number", range(len(tour_commands())))
def test_every_quick_tour_command_answers_on_a_live_server_as_shown(
    number, article_server, tmp_path
):
    command, shown = tour_commands()[number]
    assert command.startswith("curl ")
    done = subprocess.run(
        ["bash", "-c", command.replace("http://127.0.0.1:8000", article_server.url)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    if shown is None:
        assert done.stdout or any(tmp_path.iterdir()), "the command printed and saved nothing"
    else:
        assert done.stdout.strip().splitlines() == shown.splitlines()


def test_the_readme_stays_one_screen_deep_and_every_page_it_links_exists():
    assert len(README) <= 20_000
    links = re.findall(r"\]\(((?:docs/)?[\w./-]+\.(?:md|svg|png)|LICENSE)\)", README)
    assert any(link.startswith("docs/") for link in links)
    missing = [link for link in links if not (ROOT / link).is_file()]
    assert not missing
