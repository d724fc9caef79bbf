"""Assembles the dataset to serve: the article graph (ontology, asserted and inferred named
graphs) or the user's own RDF files, into one in-memory pyoxigraph store."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyoxigraph as ox

from ipkg.build.cache import InferenceCache, cache_key
from ipkg.build.loading import DataSpec, RdfInputError, read_input, read_quads
from ipkg.build.materialisation import fast_inferred
from ipkg.build.reasoning import inferred_by
from ipkg.build.sources import ArticleSources
from ipkg.build.terms import map_iris, oxigraph_quads, rdflib_graph
from ipkg.build.validation import Violation, article_violations
from ipkg.config import Reasoner, Settings
from ipkg.errors import ErrorKind, IpkgError
from ipkg.namespaces import Namespaces

log = logging.getLogger(__name__)


def rebased(quads: Sequence[ox.Quad], namespaces: Namespaces) -> list[ox.Quad]:
    """The quads with every IRI written under the inputs' base moved onto the served base: the
    one rewrite, done at load, after which nothing answers in the written spelling."""
    if not namespaces.moved:
        return list(quads)
    return [map_iris(q, namespaces.rebase) for q in quads]


def as_written(namespaces: Namespaces) -> Namespaces:
    """The namespaces of the inputs as written (their graph names, the reasoner's cache key)."""
    return Namespaces(namespaces.written, namespaces.written)


def inferred_quads(
    ontology: Sequence[ox.Quad],
    asserted: Sequence[ox.Quad],
    graph: str,
    key: str,
    cache: InferenceCache | None,
    reasoner: Reasoner = Reasoner.OWLRL,
) -> list[ox.Quad]:
    """What OWL-RL derives (with owlrl or reasonable), from the cache when this exact input
    was reasoned before."""
    name = ox.NamedNode(graph)
    cached = cache.get(key) if cache else None
    if cached is not None:
        log.info("inferences read from cache (%d triples)", len(cached))
        return [ox.Quad(t.subject, t.predicate, t.object, name) for t in cached]
    started = time.perf_counter()
    if reasoner == Reasoner.REASONABLE:
        triples = fast_inferred([q.triple for q in ontology], [q.triple for q in asserted])
        quads = [ox.Quad(t.subject, t.predicate, t.object, name) for t in triples]
    else:
        inferred = inferred_by(reasoner, rdflib_graph(ontology), rdflib_graph(asserted))
        quads = list(oxigraph_quads(inferred, graph))
    if cache:
        cache.put(key, (q.triple for q in quads))
    log.info(
        "%s derived %d new triples in %.1f s", reasoner, len(quads), time.perf_counter() - started
    )
    return quads


class InvalidData(IpkgError, ValueError):
    """The data breaks its shapes or misquotes its source; the message lists every violation."""

    kind = ErrorKind.INVALID

    def __init__(self, source: Path, violations: Sequence[Violation]) -> None:
        lines = "\n".join(f"  {v}" for v in violations)
        super().__init__(f"{source}: {len(violations)} violation(s)\n{lines}")
        self.violations = list(violations)


def check_article(
    sources: ArticleSources,
    ontology: Sequence[ox.Quad],
    asserted: Sequence[ox.Quad],
    cache: InferenceCache | None,
) -> None:
    """Raises :class:`InvalidData` unless the facts conform to the shapes and quote the article
    exactly. A passing set of inputs is remembered in the cache and not checked again."""
    files = (*sources.inputs(), sources.shapes, sources.article)
    contents = [read_input(p) for p in files]
    key = cache_key(contents, base="", reasoner="shacl")
    if cache and cache.is_marked(key):
        return
    violations = article_violations(
        rdflib_graph(ontology),
        rdflib_graph(asserted),
        rdflib_graph(read_quads(sources.shapes)),
        contents[-1].decode("utf-8", errors="replace"),
    )
    if violations:
        raise InvalidData(sources.facts, violations)
    if cache:
        cache.mark(key)


def article_quads(
    sources: ArticleSources,
    namespaces: Namespaces,
    *,
    reasoner: Reasoner = Reasoner.OWLRL,
    cache: InferenceCache | None = None,
    validate: bool = False,
) -> list[ox.Quad]:
    """The article dataset: ontology, asserted facts and (unless reasoner is 'none') inferences,
    under the served base. With ``validate``, data that breaks the shapes or misquotes the
    article is refused. Validation and reasoning see the files as written (so the shapes apply
    and one cached inference serves every base); the result is rebased once, at the end."""
    written = as_written(namespaces)
    ontology = read_quads(sources.ontology, written.graph("ontology"))
    asserted = read_quads(sources.facts, written.graph("asserted"))
    if validate:
        check_article(sources, ontology, asserted, cache)
    if reasoner == Reasoner.NONE:
        return rebased(ontology + asserted, namespaces)
    key = cache_key((read_input(p) for p in sources.inputs()), base=written.base, reasoner=reasoner)
    inferred = inferred_quads(
        ontology, asserted, written.graph("inferred"), key, cache, reasoner=reasoner
    )
    return rebased(ontology + asserted + inferred, namespaces)


def file_quads(specs: Iterable[DataSpec], allow_empty: bool = False) -> list[ox.Quad]:
    """The quads of the user's ``--data`` files, graph names of TriG/N-Quads kept. A file
    with no triples is refused unless ``allow_empty``: a truncated or emptied file must not
    replace good data with nothing."""
    started = time.perf_counter()
    quads: list[ox.Quad] = []
    for spec in specs:
        read = read_quads(spec.path, spec.graph)
        if not read and not allow_empty:
            raise RdfInputError(
                f"data: {spec.path} has no triples (give --allow-empty-data to serve it anyway)"
            )
        quads.extend(read)
    log.info("read %d triples in %.1f s", len(quads), time.perf_counter() - started)
    return quads


def reasoned_files(
    specs: Sequence[DataSpec], ontology: Path, namespaces: Namespaces, settings: Settings
) -> list[ox.Quad]:
    """The ``--data`` files, the ontology in its named graph, and (unless the reasoner is
    'none') what OWL-RL derives from both, cached by the content of every input."""
    written = as_written(namespaces)
    data = file_quads(specs, settings.allow_empty_data)
    schema = read_quads(ontology, written.graph("ontology"))
    if settings.reasoner == Reasoner.NONE:
        return rebased(schema + data, namespaces)
    contents = (read_input(p) for p in (ontology, *(spec.path for spec in specs)))
    key = cache_key(contents, base=written.base, reasoner=settings.reasoner)
    cache = InferenceCache(settings.cache_dir)
    graph = written.graph("inferred")
    inferred = inferred_quads(schema, data, graph, key, cache, settings.reasoner)
    return rebased(schema + data + inferred, namespaces)


def store_of(quads: Iterable[ox.Quad]) -> ox.Store:
    """An in-memory store holding the quads."""
    store = ox.Store()
    store.extend(quads)
    return store


def graph_sizes(store: ox.Store) -> dict[str, int]:
    """Triples per graph: the default graph under '' and each named graph under its IRI."""
    sizes: dict[str, int] = {}
    for quad in store:
        key = "" if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name.value
        sizes[key] = sizes.get(key, 0) + 1
    return sizes


ARTICLE_TITLE = "ipkg: China's IP talent (China IP News, 2024-07-03)"


def dataset_title(settings: Settings) -> str:
    """The title of the dataset the settings describe."""
    if settings.data:
        return "ipkg: " + ", ".join(DataSpec.parse(text).path.name for text in settings.data)
    return ARTICLE_TITLE


def dataset_quads(settings: Settings, namespaces: Namespaces) -> list[ox.Quad]:
    """The dataset's quads: the user's files (reasoned when ``--ontology`` is given) or else the
    article graph (the stores add the saved-query catalogue)."""
    if not settings.data:
        quads = article_quads(
            ArticleSources.embedded(),
            namespaces,
            reasoner=settings.reasoner,
            cache=InferenceCache(settings.cache_dir),
            validate=True,
        )
    elif settings.ontology:
        specs = [DataSpec.parse(text) for text in settings.data]
        quads = reasoned_files(specs, Path(settings.ontology), namespaces, settings)
    else:
        specs = (DataSpec.parse(text) for text in settings.data)
        quads = rebased(file_quads(specs, settings.allow_empty_data), namespaces)
    return quads
