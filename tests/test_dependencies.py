"""Every module the service imports at run time is a declared core dependency, so the README's
first command (``pip install -e . && ipkg serve``, no extras) cannot fail on an import."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "ipkg"


def imported_top_level_modules() -> set[str]:
    found: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"ipkg"}


def distribution_of(requirement: str) -> str:
    """The normalised distribution name of a requirement such as ``"rdflib>=7.1,<8"``."""
    return normalised(re.match(r"[A-Za-z0-9_.-]+", requirement).group(0))


def declared_core_distributions() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {distribution_of(spec) for spec in project["dependencies"]}


def normalised(name: str) -> str:
    return name.lower().replace("_", "-")


def installed_with(distributions: set[str]) -> set[str]:
    """The distributions and everything they require (without extras): what a plain install
    of the project brings."""
    closure, todo = set(), list(distributions)
    while todo:
        name = todo.pop()
        if name in closure:
            continue
        closure.add(name)
        try:
            needs = requires(name) or []
        except PackageNotFoundError:
            continue
        todo += [distribution_of(need) for need in needs if "extra" not in need]
    return closure


def test_every_third_party_import_of_the_service_is_a_core_dependency():
    owners = packages_distributions()
    installed = installed_with(declared_core_distributions())
    undeclared = {
        module
        for module in imported_top_level_modules()
        if not {normalised(d) for d in owners.get(module, [module])} & installed
    }
    assert not undeclared, f"imported by src/ipkg but not in [project].dependencies: {undeclared}"


def test_the_project_has_its_licence_file():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0" in text
