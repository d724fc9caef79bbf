"""Assembles the dataset to serve: the article graph (ontology, asserted and inferred named
graphs) or the user's own RDF files, into one in-memory pyoxigraph store."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyoxigraph as ox

from ipkg.cache import InferenceCache, cache_key
from ipkg.catalogue import with_catalogue
from ipkg.config import Settings
from ipkg.loading import DataSpec, read_input, read_quads
from ipkg.namespaces import Namespaces
from ipkg.reasoning import inferred_by
from ipkg.sources import ArticleSources
from ipkg.terms import map_iris, oxigraph_quads, rdflib_graph, to_rdflib
from ipkg.validation import Violation, article_violations

log = logging.getLogger(__name__)


def article_graph_quads(path: Path, graph: str, namespaces: Namespaces) -> list[ox.Quad]:
    """The triples of one of the article's files, rebased, in the named graph ``graph``."""
    return [map_iris(q, namespaces.rebase) for q in read_quads(path, graph)]


def inferred_quads(
    ontology: Sequence[ox.Quad],
    asserted: Sequence[ox.Quad],
    graph: str,
    key: str,
    cache: InferenceCache | None,
    reasoner: str = "owlrl",
) -> list[ox.Quad]:
    """What OWL-RL derives (with owlrl or reasonable), from the cache when this exact input
    was reasoned before."""
    name = ox.NamedNode(graph)
    cached = cache.get(key) if cache else None
    if cached is not None:
        log.info("inferences read from cache (%d triples)", len(cached))
        return [ox.Quad(t.subject, t.predicate, t.object, name) for t in cached]
    facts = (
        [(to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)) for q in asserted]
        if reasoner == "reasonable"
        else rdflib_graph(asserted)
    )
    inferred = inferred_by(reasoner, rdflib_graph(ontology), facts)
    quads = list(oxigraph_quads(inferred, graph))
    if cache:
        cache.put(key, (q.triple for q in quads))
    log.info("OWL-RL derived %d new triples", len(quads))
    return quads


class InvalidData(ValueError):
    """The data breaks its shapes or misquotes its source; the message lists every violation."""

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
    reasoner: str = "owlrl",
    cache: InferenceCache | None = None,
    validate: bool = False,
) -> list[ox.Quad]:
    """The article dataset: ontology, asserted facts and (unless reasoner is 'none') inferences.
    With ``validate``, data that breaks the shapes or misquotes the article is refused."""
    ontology = article_graph_quads(sources.ontology, namespaces.graph("ontology"), namespaces)
    asserted = article_graph_quads(sources.facts, namespaces.graph("asserted"), namespaces)
    if validate:
        check_article(sources, ontology, asserted, cache)
    if reasoner == "none":
        return ontology + asserted
    key = cache_key(
        (read_input(p) for p in sources.inputs()), base=namespaces.base, reasoner=reasoner
    )
    inferred = inferred_quads(
        ontology, asserted, namespaces.graph("inferred"), key, cache, reasoner=reasoner
    )
    return ontology + asserted + inferred


def file_quads(specs: Iterable[DataSpec]) -> list[ox.Quad]:
    """The quads of the user's ``--data`` files, graph names of TriG/N-Quads kept."""
    quads: list[ox.Quad] = []
    for spec in specs:
        quads.extend(read_quads(spec.path, spec.graph))
    return quads


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


def served_store(settings: Settings, namespaces: Namespaces) -> tuple[ox.Store, str]:
    """The store to serve, and a title for it: the user's files, or else the article graph."""
    if settings.data:
        specs = [DataSpec.parse(text) for text in settings.data]
        title = "ipkg: " + ", ".join(spec.path.name for spec in specs)
        return with_catalogue(store_of(file_quads(specs)), settings, namespaces), title
    quads = article_quads(
        ArticleSources.embedded(),
        namespaces,
        reasoner=settings.reasoner,
        cache=InferenceCache(settings.cache_dir),
        validate=True,
    )
    store = with_catalogue(store_of(quads), settings, namespaces)  # saved queries graph
    return store, "ipkg: China's IP talent (China IP News, 2024-07-03)"
