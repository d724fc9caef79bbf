"""The README's prerequisites and counts stay true, checked against the files they describe
(fast: no server): every Debian package .ci/run installs is on the README's one apt-get line,
the quick loop it names is the one pyproject.toml documents, and each number it states is
counted from the repository."""

from __future__ import annotations

import re
from pathlib import Path

from ipkg.linkeddata.dumps import DUMP_FORMATS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}


def ci_packages() -> set[str]:
    """The Debian packages of every ``apt-get install`` in .ci/run (continued lines joined)."""
    joined = CI.replace("\\\n", " ")
    packages: set[str] = set()
    for command in re.findall(r"apt-get install ([^\n>|&;]*)", joined):
        packages |= {word for word in command.split() if not word.startswith("-")}
    return packages


def readme_apt_line() -> list[str]:
    lines = re.findall(r"`(?:sudo )?apt-get install ([^`]+)`", README)
    assert len(lines) == 1, "the README names its Debian packages on one apt-get line"
    return lines[0].split()


def test_the_ci_installs_debian_packages():
    assert {"chromium", "chromium-driver", "graphviz"} <= ci_packages()


def test_every_debian_package_ci_installs_is_on_the_readme_apt_get_line():
    assert ci_packages() <= set(readme_apt_line())


def test_the_readme_apt_get_line_names_only_packages_ci_installs():
    assert set(readme_apt_line()) <= ci_packages()


def test_the_readme_names_the_quick_loop_and_the_markers_exist():
    loop = re.search(r'`pytest -m "([^"]+)"[^`]*`', README)
    assert loop, "the README shows the quick loop"
    markers = set(re.findall(r"not (\w+)", loop[1]))
    declared = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for marker in markers:
        assert re.search(rf'"{marker}:', declared), f"marker {marker!r} is not declared"


def test_the_saved_query_count_is_the_number_of_files_in_queries():
    stated = re.search(r"The saved queries are in `queries/` \((\d+) of them", README)
    assert stated, "the README states how many saved queries there are"
    assert int(stated[1]) == len(list((ROOT / "queries").glob("*.rq")))


def test_the_dump_format_count_is_the_number_of_formats():
    stated = re.search(r"Take the whole graph home, in (\w+) formats", README)
    assert stated
    assert NUMBERS[stated[1]] == len(DUMP_FORMATS)
