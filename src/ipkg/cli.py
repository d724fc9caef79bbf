"""The ``ipkg`` command line: validate, reason, query, export and serve the knowledge graph.

Every failure a user can cause (a missing file, a syntax error, a SHACL violation, a bad
setting) prints one clear line and exits non-zero; no traceback.
"""

from __future__ import annotations

import argparse
import errno
import logging
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox

from ipkg.build.cache import InferenceCache
from ipkg.build.dataset import (
    InvalidData,
    article_quads,
    as_written,
    check_article,
    graph_sizes,
    store_of,
)
from ipkg.build.loading import RdfInputError
from ipkg.build.sources import ArticleSources
from ipkg.config import ConfigError, Reasoner, Settings, StoreKind, add_arguments, settings_from
from ipkg.errors import IpkgError
from ipkg.linkeddata.diagram import add_diagram_parser, cmd_diagram
from ipkg.namespaces import GRAPH_NAMES, apart_graphs
from ipkg.sparql.execution import QueryRequest, execute, run_query
from ipkg.sparql.inspection import RefusedQuery, inspect_request
from ipkg.sparql.plain_words import syntax_error
from ipkg.stores import StoreError, opened_store, remote_store, served_store
from ipkg.stores.remote import pushed

# ``ipkg export --format`` names, each a name of an RDF format of the one format registry.
EXPORT_FORMATS = ("turtle", "json-ld", "nt", "xml", "trig", "nquads")
DATA_SETTINGS = ("data", "ontology", "base", "public_base", "reasoner", "cache_dir")


class CommandError(IpkgError):
    """A user-facing failure: printed as one line, exit status 1."""


def _sources(args: argparse.Namespace) -> ArticleSources:
    sources = ArticleSources.embedded()
    facts = getattr(args, "facts", None)
    return replace(sources, facts=Path(facts)) if facts else sources


def _article_quads(
    settings: Settings,
    sources: ArticleSources,
    *,
    reasoner: Reasoner | None = None,
    use_cache: bool = True,
) -> list[ox.Quad]:
    cache = InferenceCache(settings.cache_dir) if use_cache else None
    return article_quads(
        sources, settings.namespaces(), reasoner=reasoner or settings.reasoner, cache=cache
    )


def cmd_validate(settings: Settings, args: argparse.Namespace) -> int:
    sources = _sources(args)
    ns = as_written(settings.namespaces())  # the shapes are written for the files' own IRIs
    quads = article_quads(sources, ns, reasoner=Reasoner.NONE)
    ontology = [q for q in quads if q.graph_name.value == ns.graph("ontology")]
    asserted = [q for q in quads if q.graph_name.value == ns.graph("asserted")]
    check_article(sources, ontology, asserted, cache=None)
    print(
        f"OK: {len(asserted)} asserted triples in {sources.facts.name} conform to the shapes; "
        f"every quote matches {sources.article.name}; every fact cites the sentences that "
        "state it and name its subject"
    )
    return 0


def cmd_reason(settings: Settings, args: argparse.Namespace) -> int:
    started = time.perf_counter()
    quads = _article_quads(settings, _sources(args), use_cache=not args.no_cache)
    sizes = graph_sizes(store_of(quads))
    ns = settings.namespaces()
    for name in GRAPH_NAMES:
        print(f"{name:10} {sizes.get(ns.graph(name), 0):8d} triples  <{ns.graph(name)}>")
    print(f"{'total':10} {sum(sizes.values()):8d} triples  ({time.perf_counter() - started:.2f} s)")
    return 0


def _read_query(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"{source}: no such file") from None
    except UnicodeDecodeError:
        raise CommandError(f"{source}: not UTF-8 text") from None


def _table(store: ox.Store, text: str, *, has_from: bool, apart: tuple[str, ...]) -> str:
    request = QueryRequest(text, "json", union_default_graph=not has_from, apart_graphs=apart)
    result = run_query(store, request)
    if isinstance(result, ox.QueryBoolean):
        return "true" if bool(result) else "false"
    if not isinstance(result, ox.QuerySolutions):
        return "\n".join(str(t) + " ." for t in result)
    names = [v.value for v in result.variables]
    rows = [[_cell(s[n]) for n in names] for s in result]
    widths = [max([len(n), *(len(r[i]) for r in rows)]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.append(f"({len(rows)} rows)")
    return "\n".join(lines)


def _cell(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        return term.value + (f"@{term.language}" if term.language else "")
    return term.value if isinstance(term, ox.NamedNode) else str(term)


def cmd_query(settings: Settings, args: argparse.Namespace) -> int:
    text = _read_query(args.file)
    try:
        inspection = inspect_request(text)
    except RefusedQuery as exc:
        raise CommandError(str(exc)) from None
    namespaces = settings.namespaces()
    store, _title = served_store(settings, namespaces)
    apart = apart_graphs(namespaces)
    if args.format == "table":
        try:
            print(_table(store, text, has_from=inspection.has_dataset_clause, apart=apart))
        except SyntaxError as exc:
            raise CommandError(f"{args.file}: {syntax_error(str(exc), text)}") from None
        return 0
    is_graph = inspection.form in ("CONSTRUCT", "DESCRIBE")
    key = {"json": "jsonld" if is_graph else "json", "csv": "ntriples" if is_graph else "csv"}
    request = QueryRequest(
        text,
        key[args.format],
        union_default_graph=not inspection.has_dataset_clause,
        apart_graphs=apart,
        max_rows=10**9,
        max_bytes=2**40,
    )
    outcome = execute(store, request)
    if not outcome.ok:
        raise CommandError(f"{args.file}: {outcome.body.decode()}")
    sys.stdout.buffer.write(outcome.body)
    return 0


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from ipkg.linkeddata.dumps import VIEWS, dump, selected
    from ipkg.sparql.formats import GRAPH, by_name

    graph = "complete" if args.graph == "all" else args.graph
    fmt = by_name(args.format, GRAPH)  # one of the registry's RDF formats (argparse choices)
    if graph not in (*GRAPH_NAMES, "complete", *VIEWS):
        known = ", ".join((*GRAPH_NAMES, "all", *VIEWS))
        print(
            f"ipkg export: no graph or view named {args.graph!r} (one of {known})", file=sys.stderr
        )
        return 2
    if graph in VIEWS and fmt.key not in VIEWS[graph].formats:
        formats = ", ".join(VIEWS[graph].formats)
        print(f"ipkg export: {graph} is written only as {formats}", file=sys.stderr)
        return 2
    ns = settings.namespaces()
    quads = _article_quads(settings, _sources(args))
    body = dump(selected(quads, graph, ns), fmt, ns)
    if args.output:
        Path(args.output).write_bytes(body)
    else:
        sys.stdout.buffer.write(body)
    return 0


def bind_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on ``host:port``, with the likely cause, found by binding
    a socket the way the server will (before any data is loaded); None when it can."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        )[0]
    except socket.gaierror as exc:
        return f"cannot listen on {host}:{port}: the host name does not resolve ({exc.strerror})"
    where = f"{host}:{port}"
    try:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
            probe.bind(address)
    except PermissionError:
        return (
            f"cannot listen on {where}: ports below 1024 need administrator privileges; "
            f"use a port such as 8000 (--port 8000), or a proxy in front"
        )
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return (
                f"cannot listen on {where}: the address is already in use (another ipkg serve "
                f"or another server is listening there); stop it or choose another --port"
            )
        if exc.errno == errno.EADDRNOTAVAIL:
            return f"cannot listen on {where}: {host} is not an address of this machine"
        return f"cannot listen on {where}: {exc.strerror}"
    return None


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from ipkg.web.serving import serve

    problem = bind_problem(settings.host, settings.port)
    if problem:
        raise CommandError(problem)
    try:
        store, title = opened_store(settings, settings.namespaces())  # --store
    except OSError as exc:
        raise CommandError(f"store: cannot open {settings.store}: {exc}") from None
    serve(settings, store, title)
    return 0


def cmd_push(settings: Settings, args: argparse.Namespace) -> int:
    if settings.store_spec.kind is not StoreKind.REMOTE:
        raise CommandError("push needs --store sparql+http://host:port/path (a remote store)")
    started = time.perf_counter()
    namespaces = settings.namespaces()
    store, _title = served_store(settings, namespaces)
    graphs: dict[str, list[ox.Quad]] = {}
    for quad in store:
        if isinstance(quad.graph_name, ox.DefaultGraph):
            raise CommandError("push loads named graphs only; give --data as GRAPH_IRI=FILE")
        graphs.setdefault(quad.graph_name.value, []).append(quad)
    remote = remote_store(settings, namespaces)
    for graph, count in pushed(remote, sorted(graphs.items())).items():
        print(f"{count:9d} triples  <{graph}>")
    print(f"pushed to {remote.endpoint.query_url} in {time.perf_counter() - started:.2f} s")
    return 0


def cmd_build(settings: Settings, args: argparse.Namespace) -> int:
    if settings.store_spec.kind is not StoreKind.DISK:
        raise CommandError("build needs --store disk:PATH (a persistent store)")
    started = time.perf_counter()
    store, _title = opened_store(settings, settings.namespaces())
    sizes = store.graph_sizes()
    for graph, count in sorted(sizes.items()):
        print(f"{count:9d} triples  <{graph or 'default graph'}>")
    print(f"{settings.store}: ready in {time.perf_counter() - started:.2f} s")
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    top = argparse.ArgumentParser(prog="ipkg", description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = sub.add_parser(
        "validate", help="check the data against the SHACL shapes and the source"
    )
    validate.add_argument("facts", nargs="?", help="facts file (default: data/triples.ttl)")
    add_arguments(validate, ("base", "cache_dir"))
    reason = sub.add_parser("reason", help="materialise OWL-RL inferences; print counts per graph")
    add_arguments(reason, DATA_SETTINGS)
    reason.add_argument("facts", nargs="?", help="facts file (default: data/triples.ttl)")
    reason.add_argument("--no-cache", action="store_true", help="reason even if cached")
    query = sub.add_parser("query", help="run a SPARQL query file (or - for stdin)")
    query.add_argument("file")
    query.add_argument("--format", choices=("table", "csv", "json"), default="table")
    add_arguments(query, DATA_SETTINGS)
    export = sub.add_parser("export", help="write the graph in an RDF format")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="turtle")
    export.add_argument(
        "--graph",
        default="all",
        help=f"{', '.join(GRAPH_NAMES)}, all, or a view: inferred-new, inferred-alignments, "
        "provenance-rdf12 (Turtle or N-Triples, RDF 1.2)",
    )
    export.add_argument("--output", "-o", help="file to write (default: standard output)")
    add_arguments(export, ("base", "public_base", "reasoner", "cache_dir"))
    serve = sub.add_parser("serve", help="serve the SPARQL endpoint")
    add_arguments(serve)
    push = sub.add_parser(
        "push", help="load the dataset's named graphs into a remote store (--store sparql+…)"
    )
    add_arguments(push, (*DATA_SETTINGS, "store", "store_user", "store_password", "queries"))
    build = sub.add_parser("build", help="build a persistent store (--store disk:PATH) once")
    add_arguments(build, (*DATA_SETTINGS, "store", "queries"))
    add_diagram_parser(sub)
    return top


COMMANDS = {
    "validate": cmd_validate,
    "reason": cmd_reason,
    "query": cmd_query,
    "export": cmd_export,
    "serve": cmd_serve,
    "push": cmd_push,
    "build": cmd_build,
    "diagram": cmd_diagram,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = settings_from(args)
        logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(message)s")
        return COMMANDS[args.command](settings, args)
    except InvalidData as exc:
        print(exc, file=sys.stderr)
        return 1
    except (CommandError, ConfigError, RdfInputError, StoreError) as exc:
        print(f"ipkg: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
