"""Saved queries: ``.rq`` files whose leading ``#+ `` comment lines hold a YAML header (title,
description, tags, pagination, typed parameters), read into frozen dataclasses with errors that
name the file and line."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import yaml

from ipkg.build.loading import RdfInputError
from ipkg.queries.binding import PARAMETER_TYPES, SAMPLES, BindingError, rdf_term, term_for
from ipkg.sparql.inspection import RefusedQuery, inspect_request

log = logging.getLogger(__name__)

HEADER_KEYS = ("title", "description", "tags", "pagination", "params")
PARAMETER_KEYS = ("type", "default", "allowed", "description")
RESERVED_NAMES = frozenset({"page"})
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
Entries = dict[str, tuple[yaml.Node, yaml.Node]]


class SavedQueryError(RdfInputError):
    """A saved query file that cannot be used; the message starts with ``file:line:``.

    It is an input of the served dataset (the catalogue is RDF in the store), so it is reported
    and refused wherever an unreadable RDF input is.
    """

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line


@dataclass(frozen=True)
class Parameter:
    """One parameter of a saved query: the value of the SPARQL variable ``?name``."""

    name: str
    type: str
    description: str = ""
    default: str | None = None
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class SavedQuery:
    """A saved query: its header, its full text, and the query form (SELECT, CONSTRUCT, ...)."""

    name: str
    path: Path
    title: str
    text: str
    form: str
    description: str = ""
    tags: tuple[str, ...] = ()
    params: tuple[Parameter, ...] = ()
    pagination: int | None = None

    @property
    def sparql(self) -> str:
        """The query without its header comment lines."""
        lines = self.text.splitlines(keepends=True)
        return "".join(lines[_header_end(lines) :]).lstrip("\n")

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.params if p.name == name), None)


@dataclass(frozen=True)
class Catalogue:
    """The saved queries of a folder, by name; ``errors`` lists the files left out."""

    queries: tuple[SavedQuery, ...] = ()
    errors: tuple[str, ...] = field(default=())

    def get(self, name: str) -> SavedQuery | None:
        return next((q for q in self.queries if q.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(q.name for q in self.queries)


def _header_end(lines: Sequence[str]) -> int:
    """Index of the first line after the header (leading blank, ``#`` and ``#+`` lines)."""
    end = 0
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("#+"):
            end = index + 1
        elif stripped and not stripped.startswith("#"):
            break
    return end


@dataclass(frozen=True)
class _Header:
    """The YAML of a header and, for each of its lines, the file line it came from."""

    path: Path
    yaml_text: str
    file_lines: tuple[int, ...]

    def error(self, message: str, node: yaml.Node | None = None) -> SavedQueryError:
        line = self.line_of(node) if node is not None else self.first_line
        return SavedQueryError(self.path, line, message)

    @property
    def first_line(self) -> int:
        return self.file_lines[0] if self.file_lines else 1

    def line_of(self, node: yaml.Node) -> int:
        index = node.start_mark.line
        if 0 <= index < len(self.file_lines):
            return self.file_lines[index]
        return self.file_lines[-1] if self.file_lines else 1


def _header(path: Path, text: str) -> _Header:
    lines = text.splitlines()
    yaml_lines: list[str] = []
    numbers: list[int] = []
    for number, line in enumerate(lines[: _header_end(lines)], start=1):
        stripped = line.lstrip()
        if stripped.startswith("#+"):
            content = stripped[2:]
            yaml_lines.append(content[1:] if content.startswith(" ") else content)
            numbers.append(number)
    return _Header(path, "\n".join(yaml_lines), tuple(numbers))


def _mapping(header: _Header, node: yaml.Node, what: str) -> Entries:
    if not isinstance(node, yaml.MappingNode):
        raise header.error(f"{what} must be a mapping of 'key: value' lines", node)
    entries: Entries = {}
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            raise header.error(f"{what} has a key that is not a plain word", key)
        if key.value in entries:
            raise header.error(f"{what} has '{key.value}' twice", key)
        entries[key.value] = (key, value)
    return entries


def _scalar(header: _Header, node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise header.error(f"{what} must be a single value, not a list or mapping", node)
    return str(node.value).strip()


def _optional_text(header: _Header, entries: Entries, key: str) -> str:
    return _scalar(header, entries[key][1], key) if key in entries else ""


def _scalars(header: _Header, node: yaml.Node, what: str) -> tuple[str, ...]:
    if isinstance(node, yaml.ScalarNode):
        return (str(node.value).strip(),) if str(node.value).strip() else ()
    if not isinstance(node, yaml.SequenceNode):
        raise header.error(f"{what} must be a list such as [a, b]", node)
    return tuple(_scalar(header, item, f"an item of {what}") for item in node.value)


def _unknown_keys(
    header: _Header,
    entries: Entries,
    known: Sequence[str],
    what: str,
) -> None:
    for name, (key, _value) in entries.items():
        if name not in known:
            raise header.error(
                f"unknown key '{name}' in {what}; the keys are: {', '.join(known)}", key
            )


def _checked_value(
    header: _Header, parameter: Parameter, value: str, node: yaml.Node, what: str
) -> None:
    try:
        term_for(parameter, value, check_allowed=False)
    except BindingError as exc:
        raise header.error(f"{what} of parameter '{parameter.name}': {exc.reason}", node) from None


def _parameter(header: _Header, key: yaml.Node, node: yaml.Node, body: str) -> Parameter:
    name = _scalar(header, key, "a parameter name")
    if not _VARIABLE.match(name):
        raise header.error(
            f"parameter name '{name}' is not a SPARQL variable name (letters, digits, _)", key
        )
    if name in RESERVED_NAMES:
        raise header.error(f"parameter name '{name}' is reserved by the API", key)
    if not re.search(rf"[?$]{name}(?![A-Za-z0-9_])", body):
        raise header.error(f"parameter '{name}' is not a variable ?{name} of the query", key)
    entries = _mapping(header, node, f"parameter '{name}'")
    _unknown_keys(header, entries, PARAMETER_KEYS, f"parameter '{name}'")
    if "type" not in entries:
        raise header.error(
            f"parameter '{name}' has no type; one of: {', '.join(PARAMETER_TYPES)}", key
        )
    kind = _scalar(header, entries["type"][1], "type").lower()
    if kind not in PARAMETER_TYPES:
        raise header.error(
            f"parameter '{name}' has type '{kind}'; the types are: {', '.join(PARAMETER_TYPES)}",
            entries["type"][1],
        )
    description = _optional_text(header, entries, "description")
    parameter = Parameter(name, kind, description)
    allowed: tuple[str, ...] = ()
    if "allowed" in entries:
        allowed_node = entries["allowed"][1]
        allowed = _scalars(header, allowed_node, "allowed")
        for value in allowed:
            _checked_value(header, parameter, value, allowed_node, f"allowed value '{value}'")
    default: str | None = None
    if "default" in entries:
        default_node = entries["default"][1]
        default = _scalar(header, default_node, "default")
        _checked_value(header, parameter, default, default_node, "the default")
        if allowed and default not in allowed:
            raise header.error(
                f"the default of parameter '{name}' is not one of its allowed values", default_node
            )
    return Parameter(name, kind, description, default, allowed)


def _check_bindable(
    header: _Header, text: str, form: str, params: Sequence[tuple[Parameter, yaml.Node]]
) -> None:
    """pyoxigraph binds only variables of a SELECT clause (or in scope of ``SELECT *``)."""
    for parameter, key in params:
        if form != "SELECT":
            raise header.error(
                f"parameter '{parameter.name}': parameters work on SELECT queries only "
                "(a parameter is bound to a variable of the SELECT clause)",
                key,
            )
        value = parameter.default or (parameter.allowed or (SAMPLES[parameter.type],))[0]
        term = rdf_term(term_for(parameter, value, check_allowed=False))
        try:
            ox.Store().query(
                text,
                substitutions={ox.Variable(parameter.name): term},
                use_default_graph_as_union=True,
            )
        except RuntimeError:
            raise header.error(
                f"parameter '{parameter.name}' must be a variable of the SELECT clause "
                f"(SELECT ... ?{parameter.name} ...): only those can be bound to a value",
                key,
            ) from None


def _pagination(header: _Header, node: yaml.Node) -> int:
    text = _scalar(header, node, "pagination")
    if not re.fullmatch(r"[0-9]{1,6}", text) or int(text) < 1:
        raise header.error(
            f"pagination must be a page size (a positive integer), not '{text}'", node
        )
    return int(text)


def _form(path: Path, text: str) -> str:
    try:
        form = inspect_request(text).form
    except RefusedQuery as exc:
        raise SavedQueryError(path, 1, str(exc)) from None
    if form not in ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK"):
        raise SavedQueryError(path, 1, "not a SPARQL query (SELECT, CONSTRUCT, DESCRIBE or ASK)")
    try:
        ox.Store().query(text, use_default_graph_as_union=True)
    except SyntaxError as exc:
        position = re.search(r"error at (\d+):(\d+)", str(exc))
        line = int(position.group(1)) if position else 1
        raise SavedQueryError(path, line, f"SPARQL syntax error: {exc}") from None
    return form


def read_saved_query(path: Path, rebase: Callable[[str], str] | None = None) -> SavedQuery:
    """The saved query in ``path``; raises :class:`SavedQueryError` naming the file and line.
    ``rebase`` moves the IRIs its text spells (query, defaults, allowed values) onto the
    served base (see :meth:`ipkg.namespaces.Namespaces.rebase_text`)."""
    name = path.stem
    if not _NAME.match(name):
        raise SavedQueryError(path, 1, "the file name must be letters, digits, '-' and '_'")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SavedQueryError(path, 1, f"not UTF-8 text (byte {exc.start})") from None
    if rebase is not None:
        text = rebase(text)
    header = _header(path, text)
    if not header.file_lines:
        raise SavedQueryError(path, 1, "no '#+ title: ...' header at the top of the file")
    try:
        root = yaml.compose(header.yaml_text, Loader=yaml.BaseLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        index = mark.line if mark is not None else 0
        line = header.file_lines[min(index, len(header.file_lines) - 1)]
        problem = getattr(exc, "problem", None) or str(exc)
        raise SavedQueryError(path, line, f"the header is not valid YAML: {problem}") from None
    if root is None:
        raise SavedQueryError(path, header.first_line, "the header is empty")
    entries = _mapping(header, root, "the header")
    _unknown_keys(header, entries, HEADER_KEYS, "the header")
    if "title" not in entries or not _scalar(header, entries["title"][1], "title"):
        raise header.error("the header has no title ('#+ title: ...')")
    form = _form(path, text)
    body = "".join(text.splitlines(keepends=True)[_header_end(text.splitlines()) :])
    params: list[Parameter] = []
    if "params" in entries:
        params_node = entries["params"][1]
        if not (isinstance(params_node, yaml.ScalarNode) and not params_node.value):
            keyed = [
                (_parameter(header, key, node, body), key)
                for key, node in _mapping(header, params_node, "params").values()
            ]
            _check_bindable(header, text, form, keyed)
            params = [parameter for parameter, _key in keyed]
    pagination = None
    if "pagination" in entries:
        pagination = _pagination(header, entries["pagination"][1])
        if form != "SELECT":
            raise header.error("pagination works on SELECT queries only", entries["pagination"][1])
    return SavedQuery(
        name=name,
        path=path,
        title=_scalar(header, entries["title"][1], "title"),
        text=text,
        form=form,
        description=_optional_text(header, entries, "description"),
        tags=_scalars(header, entries["tags"][1], "tags") if "tags" in entries else (),
        params=tuple(params),
        pagination=pagination,
    )


def query_files(folder: Path) -> list[Path]:
    """The ``.rq`` files of a folder, by name; none if it does not exist."""
    return sorted(folder.glob("*.rq")) if folder.is_dir() else []


def read_catalogue(
    folder: Path, *, strict: bool = False, rebase: Callable[[str], str] | None = None
) -> Catalogue:
    """Every saved query in ``folder``. With ``strict`` the first bad file raises; otherwise
    bad files are logged with file and line, listed in ``errors``, and left out."""
    queries: list[SavedQuery] = []
    errors: list[str] = []
    for path in query_files(folder):
        try:
            queries.append(read_saved_query(path, rebase))
        except SavedQueryError as exc:
            if strict:
                raise
            log.error("saved query left out: %s", exc)
            errors.append(str(exc))
    return Catalogue(tuple(queries), tuple(errors))


def catalogue_of(paths: Iterable[Path]) -> Catalogue:
    """The saved queries in the given files (strict)."""
    return Catalogue(tuple(read_saved_query(p) for p in paths))
