"""The tree shows the pipeline and the imports follow it: no module imports a later stage,
Flask and Werkzeug stay in ``web/``, and few modules sit at the top of the package
(the stage order is the one docs/architecture.md gives)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "src" / "ipkg"
# Earlier stages first; a module may import its own stage or an earlier one.
STAGES = ("foundation", "build", "sparql", "queries", "stores", "linkeddata", "web", "entry")
FOUNDATION = {"ipkg", "ipkg.config", "ipkg.namespaces", "ipkg.errors"}
ENTRY = {"ipkg.cli", "ipkg.__main__"}
HTTP_LIBRARIES = {"flask", "werkzeug"}


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, own: str) -> set[str]:
    """Every module ``path`` (the module ``own``) imports, anywhere in it (a function-level
    import counts too), relative imports resolved."""
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                base = node.module or ""
            found.add(base)
    return found


def stage_of(module: str) -> str:
    if module in FOUNDATION:
        return "foundation"
    if module in ENTRY:
        return "entry"
    return module.split(".")[1]


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(SOURCE.rglob("*.py"))}


def test_every_module_belongs_to_a_known_stage():
    unknown = sorted(name for name in modules() if stage_of(name) not in STAGES)
    assert not unknown, f"modules outside the stages {STAGES}: {unknown}"


def test_no_module_imports_a_later_stage():
    backwards = []
    for name, path in modules().items():
        rank = STAGES.index(stage_of(name))
        for imported in imported_modules(path, name):
            if imported.split(".")[0] != "ipkg":
                continue
            if STAGES.index(stage_of(imported)) > rank:
                backwards.append(f"{name} imports {imported}")
    assert not backwards, "imports against the pipeline:\n" + "\n".join(sorted(backwards))


def test_flask_and_werkzeug_are_imported_only_in_web():
    outside = sorted(
        f"{name} imports {imported}"
        for name, path in modules().items()
        if stage_of(name) != "web"
        for imported in imported_modules(path, name)
        if imported.split(".")[0] in HTTP_LIBRARIES
    )
    assert not outside, "HTTP libraries outside web/:\n" + "\n".join(outside)


def test_blueprints_do_not_import_each_other():
    """Shared page helpers live in web/pages.py; a blueprint module imports no other one.
    (The SPARQL endpoint hands updates to the Graph Store module, the one edge left.)"""
    web = {name: path for name, path in modules().items() if stage_of(name) == "web"}
    blueprints = {name for name, path in web.items() if "Blueprint(" in path.read_text()}
    allowed = {("ipkg.web.protocol", "ipkg.web.graph_store")}
    crossing = sorted(
        f"{name} imports {imported}"
        for name in blueprints
        for imported in imported_modules(web[name], name)
        if imported in blueprints - {name} and (name, imported) not in allowed
    )
    assert not crossing, "blueprints importing blueprints:\n" + "\n".join(crossing)


def test_the_package_top_holds_at_most_twelve_modules():
    top = sorted(p.name for p in SOURCE.glob("*.py"))
    assert len(top) <= 12, f"{len(top)} modules directly in src/ipkg: {top}"


def test_the_checks_see_a_backward_import_behind_a_relative_one(tmp_path):
    module = tmp_path / "probe.py"
    module.write_text("from ..web import app\nfrom . import terms\nimport flask\n")
    assert imported_modules(module, "ipkg.build.probe") == {"ipkg.web", "ipkg.build", "flask"}


QUERY_SERVICE = "ipkg.web.query_service"
# The names through which the query workers are reached: the runner a store starts, its
# ``run``, and the pool module itself.
RUNNER_NAMES = {"pool", "runner", "start"}


def reaches_the_runner(path: Path, own: str) -> list[str]:
    """Where a module touches the query runner directly: an attribute named ``pool`` or
    ``runner``, a call of ``.start(...)`` on the store, or an import of ``ipkg.sparql.pool``."""
    found = [f"imports {m}" for m in imported_modules(path, own) if m == "ipkg.sparql.pool"]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in RUNNER_NAMES - {"start"}:
            found.append(f"line {node.lineno}: .{node.attr}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "start"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in ("backend", "store")
        ):
            found.append(f"line {node.lineno}: {node.func.value.id}.start()")
    return found


def test_only_the_query_service_calls_the_query_workers():
    """Every query of every room takes one road (deadline, fair share, errors): no module of
    web/ but the query service reaches the runner; the app factory only starts it and hands
    it to the service."""
    allowed = {QUERY_SERVICE, "ipkg.web.app"}
    direct = sorted(
        f"{name}: {where}"
        for name, path in modules().items()
        if stage_of(name) == "web" and name not in allowed
        for where in reaches_the_runner(path, name)
    )
    assert not direct, "web modules calling the query workers directly:\n" + "\n".join(direct)


def test_the_query_service_rule_sees_a_direct_call(tmp_path):
    module = tmp_path / "probe.py"
    module.write_text("def f(service):\n    return service.pool.run(job, 1.0)\n")
    assert reaches_the_runner(module, "ipkg.web.probe") == ["line 2: .pool"]


STORE_CLASSES = {"WorkerPool", "RemoteRunner", "RemoteStore", "MemoryStore", "DiskStore"}


def sniffs_the_store(path: Path) -> list[str]:
    """Where a module guesses what the store can do instead of asking its ``capabilities``:
    ``isinstance`` on a store or runner class, ``getattr``/``hasattr`` of a runner method,
    or the ``sparql+`` prefix of a store setting."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        if node.func.id == "isinstance" and names & STORE_CLASSES:
            found.append(f"line {node.lineno}: isinstance on a store class")
        constants = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant)]
        if node.func.id in ("getattr", "hasattr") and {"heal", "pool", "exclusive"} & set(
            constants
        ):
            found.append(f"line {node.lineno}: {node.func.id} of a runner method")
    text = path.read_text(encoding="utf-8")
    found += ["a 'sparql+' prefix test" for _ in re.findall(r"startswith\(\s*\"sparql\+", text)]
    return found


def test_no_web_module_sniffs_what_the_store_can_do():
    sniffing = sorted(
        f"{name}: {where}"
        for name, path in modules().items()
        if stage_of(name) in ("web", "entry")
        for where in sniffs_the_store(path)
    )
    assert not sniffing, "store capabilities sniffed:\n" + "\n".join(sniffing)


def test_the_sniffing_rule_sees_each_kind_of_guess(tmp_path):
    module = tmp_path / "probe.py"
    module.write_text(
        "a = isinstance(pool, WorkerPool)\nb = getattr(pool, 'heal', None)\n"
        'c = settings.store.startswith("sparql+")\n'
    )
    assert len(sniffs_the_store(module)) == 3
