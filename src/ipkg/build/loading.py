"""Reading RDF files into quads, with errors that name the file, line and column.

Every RDF input of the service passes through here, so the input defences live here too:
RDF/XML with a DOCTYPE (entity expansion, "billion laughs") is refused and JSON-LD never fetches
a remote ``@context``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ipkg.errors import IpkgError

FORMATS_BY_SUFFIX: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".ntriples": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".nquads": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_POSITION = re.compile(r"line (\d+) column (\d+)")


class RdfInputError(IpkgError, ValueError):
    """An RDF input cannot be read; the message says which file and where."""


@dataclass(frozen=True)
class DataSpec:
    """One ``--data`` argument: a file, and the graph its triples go into (None: the default)."""

    path: Path
    graph: str | None = None

    @classmethod
    def parse(cls, text: str) -> DataSpec:
        """Reads ``FILE`` or ``GRAPH_IRI=FILE``."""
        name, sep, rest = text.partition("=")
        if sep and re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", name):
            return cls(Path(rest), name)
        return cls(Path(text))


def format_of(path: Path) -> ox.RdfFormat:
    """The RDF format a file name says it holds."""
    try:
        return FORMATS_BY_SUFFIX[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(FORMATS_BY_SUFFIX))
        raise RdfInputError(
            f"{path}: unknown RDF file type {path.suffix!r} (known: {known})"
        ) from None


def parse_bytes(
    content: bytes,
    fmt: ox.RdfFormat,
    source: str,
    graph: str | None = None,
    base_iri: str | None = None,
) -> list[ox.Quad]:
    """Parses RDF text, its relative IRIs resolved against ``base_iri``; triples go into
    ``graph`` (or the default graph)."""
    if fmt == ox.RdfFormat.RDF_XML and _DOCTYPE.search(content):
        raise RdfInputError(f"{source}: RDF/XML with a DOCTYPE or ENTITY declaration is refused")
    try:
        quads = ox.parse(content, format=fmt, base_iri=base_iri)
        target = ox.NamedNode(graph) if graph else None
        return [_into(q, target) for q in quads]
    except SyntaxError as exc:
        raise RdfInputError(f"{source}:{_where(exc)} {exc.msg}") from None
    except ValueError as exc:
        raise RdfInputError(f"{source}: {exc}") from None


def read_input(path: Path) -> bytes:
    """The bytes of an input file, or an :class:`RdfInputError` naming it."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise RdfInputError(f"{path}: no such file") from None
    except OSError as exc:
        raise RdfInputError(f"{path}: cannot read ({exc.strerror})") from None


def read_quads(path: Path, graph: str | None = None, base_iri: str | None = None) -> list[ox.Quad]:
    """Parses one RDF file, relative IRIs resolved against ``base_iri`` (default: the file's
    own ``file:`` IRI, as RDF resolves a document's IRIs against where it was retrieved);
    its triples go into ``graph`` (or the default graph)."""
    fmt = format_of(path)
    base = base_iri or path.resolve().as_uri()
    return parse_bytes(read_input(path), fmt, str(path), graph, base)


def _into(quad: ox.Quad, graph: ox.NamedNode | None) -> ox.Quad:
    if graph is None or not isinstance(quad.graph_name, ox.DefaultGraph):
        return quad
    return ox.Quad(quad.subject, quad.predicate, quad.object, graph)


def _where(exc: SyntaxError) -> str:
    found = _POSITION.search(exc.msg or "")
    if found:
        return f"{found.group(1)}:{found.group(2)}:"
    if exc.lineno:
        return f"{exc.lineno}:{exc.offset or 0}:"
    return ""
