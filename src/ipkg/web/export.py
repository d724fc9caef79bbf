"""Downloads of the dataset (``/export/``): the asserted, inferred, ontology and complete graphs
in every dump format, with gzip when the client accepts it; the project's JSON-LD context at
``/context.jsonld``. (ETag and 304: ``http_caching``.)"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request

from ipkg.linkeddata.dumps import BY_EXTENSION, DUMP_FORMATS, VIEWS, DumpFormat, context, dump
from ipkg.web.pages import graph_names
from ipkg.web.state import state

blueprint = Blueprint("export", __name__)


@dataclass(frozen=True)
class Dump:
    """One dump, ready to send: its bytes and their gzip."""

    body: bytes
    gzipped: bytes


def dump_bytes(made: Dump) -> int:
    return len(made.body) + len(made.gzipped)


def data_version() -> tuple:
    """Changes whenever the served data does (a write replaces the store, changes counts)."""
    service = state()
    return (service.data_version, service.union_size, tuple(sorted(service.graph_sizes.items())))


def quads_of(graph: str) -> list[ox.Quad]:
    """The quads of a dump (every graph for ``complete``; a view made from its graph), read
    whole from the store."""
    service = state()
    view = VIEWS.get(graph)
    name = view.source if view else graph
    quads = service.backend.graph_quads(
        None if name == "complete" else service.namespaces.graph(name)
    )
    return view.quads(quads, service.namespaces) if view else quads


def view_names() -> list[str]:
    """The views /export/ offers: those whose graph this service has."""
    graphs = graph_names()
    return [name for name, view in VIEWS.items() if view.source in graphs]


def cached_dump(graph: str, fmt: DumpFormat) -> Dump:
    service = state()
    cache = service.caches.cache("dumps", service.settings.result_cache_bytes // 4, dump_bytes)
    version = data_version()
    found = cache.get((graph, fmt.key), version)
    if found is not None:
        return found
    body = dump(quads_of(graph), fmt, service.namespaces)
    made = Dump(body, gzip.compress(body, 6, mtime=0))
    cache.put((graph, fmt.key), version, made)
    return made


def accepts_gzip() -> bool:
    for part in request.headers.get("Accept-Encoding", "").split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "x-gzip", "*"):
            q = params.strip().removeprefix("q=").strip() if "q=" in params else "1"
            try:
                return float(q) > 0
            except ValueError:
                return False
    return False


def _not_found(what: str) -> Response:
    graphs = ", ".join(graph_names())
    extensions = ", ".join(f.extension for f in DUMP_FORMATS)
    return Response(
        f"Not found: {what}. Dumps are /export/GRAPH.EXT with GRAPH one of {graphs} "
        f"and EXT one of {extensions}.\n",
        404,
        mimetype="text/plain",
    )


@blueprint.get("/export/<name>")
def export_file(name: str) -> Response:
    """One dump, e.g. ``/export/complete.ttl``."""
    graph, _, ext = name.partition(".")
    if graph not in graph_names() and graph not in view_names():
        return _not_found(f"no graph named {graph!r}")
    fmt = BY_EXTENSION.get(ext)
    if fmt is None:
        return _not_found(f"no dump format with extension {ext!r}")
    if graph in VIEWS and fmt.key not in VIEWS[graph].formats:
        return _not_found(f"no {fmt.title} dump of {graph!r}")
    made = cached_dump(graph, fmt)
    zipped = accepts_gzip()
    body = made.gzipped if zipped else made.body
    response = Response(
        body,
        content_type=f"{fmt.media_type}; charset=utf-8",
        headers={"Access-Control-Allow-Origin": "*"},  # ETag, 304: http_caching
    )
    if zipped:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


@blueprint.get("/export/")
def export_index() -> Response:
    """The list of dumps."""
    sizes = state().graph_sizes
    ns = state().namespaces
    graphs = graph_names()
    counts = {g: sizes.get(ns.graph(g), 0) for g in graphs if g != "complete"}
    counts["complete"] = state().union_size
    views = [VIEWS[name] for name in view_names()]
    html = render_template(
        "export.html", graphs=graphs, formats=DUMP_FORMATS, counts=counts, views=views
    )
    return Response(html, content_type="text/html; charset=utf-8")


@blueprint.get("/context.jsonld")
def jsonld_context() -> Response:
    """The JSON-LD context the dumps are compacted with."""
    body = json.dumps(context(state().namespaces), indent=1) + "\n"
    return Response(
        body,
        content_type="application/ld+json; charset=utf-8",
        headers={"Access-Control-Allow-Origin": "*"},
    )
