"""Writes to the dataset (SPARQL Update, Graph Store Protocol), all or nothing: the change runs
on a scratch copy; for the article graph it may only touch the asserted facts, which must still
pass the SHACL shapes and quote the article exactly, and the inferences are derived again;
then the store replaces the changed graphs in one step.

In the article dataset the update's default graph is the asserted graph, so
``INSERT DATA { id:x rdfs:label "X"@en }`` adds an asserted fact.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib

from ipkg.build.dataset import inferred_quads
from ipkg.build.loading import read_quads
from ipkg.build.sources import ArticleSources
from ipkg.build.terms import rdflib_graph
from ipkg.build.validation import Violation, article_violations
from ipkg.config import Reasoner, Settings
from ipkg.errors import ErrorKind, IpkgError
from ipkg.namespaces import SH, XSD, Namespaces
from ipkg.sparql.execution import QueryOutcome, short
from ipkg.sparql.lexer import tokens
from ipkg.sparql.plain_words import syntax_error
from ipkg.stores.base import DEFAULT_GRAPH, Store, changed_graphs, graph_key

log = logging.getLogger(__name__)

Change = Callable[[ox.Store], None]


# Oxigraph stores every integer-derived datatype as xsd:integer; these bounds keep their meaning.
STORED_AS_INTEGER = {
    "nonNegativeInteger": ("minInclusive", 0),
    "positiveInteger": ("minInclusive", 1),
    "nonPositiveInteger": ("maxInclusive", 0),
    "negativeInteger": ("maxInclusive", -1),
    **{name: None for name in ("long", "int", "short", "byte")},
    **{f"unsigned{name}": ("minInclusive", 0) for name in ("Long", "Int", "Short", "Byte")},
}


def shapes_as_stored(shapes: rdflib.Graph) -> rdflib.Graph:
    """The shapes with ``sh:datatype`` of an integer-derived type read as xsd:integer plus its
    bound: the data of a write comes from the store, which keeps only xsd:integer."""
    adjusted = rdflib.Graph()
    for s, p, o in shapes:
        name = str(o)[len(XSD) :] if str(o).startswith(XSD) else None
        if p == rdflib.URIRef(SH + "datatype") and name in STORED_AS_INTEGER:
            adjusted.add((s, p, rdflib.URIRef(XSD + "integer")))
            bound = STORED_AS_INTEGER[name]
            if bound:
                adjusted.add((s, rdflib.URIRef(SH + bound[0]), rdflib.Literal(bound[1])))
        else:
            adjusted.add((s, p, o))
    return adjusted


class WriteRefused(IpkgError):
    """A write the service will not make; ``kind`` says why."""

    def __init__(self, kind: ErrorKind, message: str, violations: Sequence[Violation] = ()) -> None:
        if violations:
            message += "\n" + "\n".join(f"  {v}" for v in violations)
        super().__init__(message, kind)
        self.violations = list(violations)


@dataclass(frozen=True)
class WritePolicy:
    """What decides how a write is checked: the article graph (validated and reasoned), the
    user's own files reasoned against ``--ontology``, or the user's files as they are."""

    settings: Settings
    namespaces: Namespaces

    @property
    def is_article(self) -> bool:
        return not self.settings.data

    @property
    def derived_graphs(self) -> tuple[str, ...]:
        """Graphs a write may not touch because they are derived (or given) for the data."""
        if self.is_article or not self.settings.ontology:
            return ()
        return (self.namespaces.graph("ontology"), self.namespaces.graph("inferred"))

    def writable_graph(self, key: str) -> str:
        """The graph a write aimed at ``key`` changes; refuses read-only graphs."""
        if key in self.derived_graphs:
            raise WriteRefused(
                ErrorKind.FORBIDDEN,
                f"<{key}> is the ontology or its inferences; write the data graphs",
            )
        if not self.is_article:
            return key
        asserted = self.namespaces.graph("asserted")
        if key in (DEFAULT_GRAPH, asserted):
            return DEFAULT_GRAPH
        raise WriteRefused(
            ErrorKind.FORBIDDEN,
            f"only the asserted facts are writable (<{asserted}> or the default graph)",
        )


def with_using(update: str, using: Sequence[str], using_named: Sequence[str]) -> str:
    """The update with the protocol's ``using-graph-uri``/``using-named-graph-uri`` applied as
    ``USING`` clauses before each ``WHERE``; refuses them next to a USING or WITH of its own."""
    if not using and not using_named:
        return update
    clauses = " ".join(
        [*(f"USING <{g}>" for g in using), *(f"USING NAMED <{g}>" for g in using_named)]
    )
    out, last, previous = [], 0, ""
    for token in tokens(update):
        word = token.text.upper() if token.kind == "word" else ""
        if token.depth == 0 and word in ("USING", "WITH"):
            raise WriteRefused(
                ErrorKind.BAD_REQUEST,
                f"the update has its own {word} clause and the request also names "
                "using-graph-uri/using-named-graph-uri: send one or the other",
            )
        if token.depth == 0 and word == "WHERE" and previous != "DELETE":
            out.append(update[last : token.start] + clauses + " ")
            last = token.start
        previous = token.text.upper()
    out.append(update[last:])
    return "".join(out)


def _scratch(quads: Sequence[ox.Quad], dataset: WritePolicy) -> ox.Store:
    """A copy of the dataset to change; the article's asserted facts in its default graph."""
    asserted = dataset.namespaces.graph("asserted") if dataset.is_article else None
    scratch = ox.Store()
    scratch.extend(
        ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph())
        if asserted and graph_key(q.graph_name) == asserted
        else q
        for q in quads
    )
    return scratch


def _article_graphs(
    before: ox.Store, after: ox.Store, dataset: WritePolicy
) -> dict[str, list[ox.Quad]]:
    """The new asserted and inferred graphs, once the change passed every check."""
    ns = dataset.namespaces
    changed = changed_graphs(before, after)
    others = sorted(key for key in changed if key != DEFAULT_GRAPH)
    if others:
        raise WriteRefused(
            ErrorKind.FORBIDDEN,
            f"only the asserted facts are writable; the write changed <{others[0]}>",
        )
    if not changed:
        return {}
    ontology_iri, asserted_iri = ns.graph("ontology"), ns.graph("asserted")
    ontology = [q for q in after if graph_key(q.graph_name) == ontology_iri]
    asserted = [
        ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(asserted_iri))
        for q in after.quads_for_pattern(None, None, None, ox.DefaultGraph())
    ]
    sources = ArticleSources.embedded()
    violations = article_violations(
        rdflib_graph(ontology),
        rdflib_graph(asserted),
        shapes_as_stored(rdflib_graph(read_quads(sources.shapes))),
        sources.article.read_text(encoding="utf-8"),
    )
    if violations:
        raise WriteRefused(
            ErrorKind.INVALID, "the write breaks the shapes; nothing was changed", violations
        )
    graphs: dict[str, list[ox.Quad]] = {asserted_iri: asserted}
    if dataset.settings.reasoner != Reasoner.NONE:
        graphs[ns.graph("inferred")] = inferred_quads(
            ontology, asserted, ns.graph("inferred"), "", None, dataset.settings.reasoner
        )
    return graphs


def _reasoned_file_graphs(
    before: ox.Store, after: ox.Store, dataset: WritePolicy
) -> dict[str, list[ox.Quad]]:
    """The changed data graphs and the inferences derived again from the ontology and every
    data graph, for ``--data`` files served with ``--ontology``."""
    changed = changed_graphs(before, after)
    derived = [key for key in changed if key in dataset.derived_graphs]
    if derived:
        raise WriteRefused(
            ErrorKind.FORBIDDEN,
            f"<{derived[0]}> is the ontology or its inferences; write the data graphs",
        )
    if not changed or dataset.settings.reasoner == Reasoner.NONE:
        return changed
    ontology_iri, inferred_iri = dataset.derived_graphs
    ontology = [q for q in after if graph_key(q.graph_name) == ontology_iri]
    data = [q for q in after if graph_key(q.graph_name) not in dataset.derived_graphs]
    inferred = inferred_quads(ontology, data, inferred_iri, "", None, dataset.settings.reasoner)
    return {**changed, inferred_iri: inferred}


def checked_graphs(
    quads: Iterable[ox.Quad], dataset: WritePolicy, change: Change
) -> dict[str, list[ox.Quad]]:
    """The graphs to replace once ``change`` ran on a copy of ``quads`` and passed every check
    (shapes, inferences derived again). Raises :class:`WriteRefused` or SyntaxError."""
    before = _scratch(quads, dataset)
    after = ox.Store()
    after.extend(before)
    change(after)
    if dataset.is_article:
        return _article_graphs(before, after, dataset)
    if dataset.derived_graphs:
        return _reasoned_file_graphs(before, after, dataset)
    return changed_graphs(before, after)


def commit(store: Store, graphs: Mapping[str, Sequence[ox.Quad]]) -> dict[str, int]:
    """Replaces the checked graphs in ``store``; the triples now in each."""
    if graphs:
        store.replace_graphs(graphs)
        log.info("write committed: %s", {k or "default": len(v) for k, v in graphs.items()})
    return {key: len(quads) for key, quads in graphs.items()}


def committed(store: Store, dataset: WritePolicy, change: Change) -> dict[str, int]:
    """Runs ``change`` on a copy of the data, checks the result and commits it to ``store``
    here, in this process; returns the triples now in each graph it replaced."""
    return commit(store, checked_graphs(store.quads(), dataset, change))


@dataclass(frozen=True)
class UpdateChange:
    """A SPARQL Update as a change (plain data: it crosses to a query worker)."""

    text: str
    base_iri: str | None = None

    def __call__(self, scratch: ox.Store) -> None:
        scratch.update(self.text, base_iri=self.base_iri)


@dataclass(frozen=True)
class PutChange:
    """Triples (as N-Triples) put in one graph ('' the default), replacing it or adding."""

    target: str
    ntriples: bytes
    replace: bool

    def __call__(self, scratch: ox.Store) -> None:
        name = ox.DefaultGraph() if self.target == DEFAULT_GRAPH else ox.NamedNode(self.target)
        if self.replace:
            _clear(scratch, self.target)
        triples = ox.parse(self.ntriples, format=ox.RdfFormat.N_TRIPLES)
        scratch.extend(ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)


@dataclass(frozen=True)
class DeleteChange:
    """One graph removed ('' empties the default graph)."""

    target: str

    def __call__(self, scratch: ox.Store) -> None:
        _clear(scratch, self.target)


def graph_put(target: str, triples: Sequence[ox.Triple], *, replace: bool) -> PutChange:
    """A change that puts triples in one graph ('' the default), replacing it or adding."""
    return PutChange(target, ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), replace)


def graph_delete(target: str) -> DeleteChange:
    """A change that removes one graph ('' empties the default graph)."""
    return DeleteChange(target)


GRAPHS_TYPE = "application/x-ipkg-graphs"  # a write job's answer: graph -> N-Quads


@dataclass(frozen=True)
class WriteJob:
    """Everything a write does but the commit, run by a query worker: the change on a copy
    of the worker's data (or of ``nquads`` when given: a remote store's), the shapes, the
    reasoning, all under the worker's deadline, memory cap and lack of network. Its answer
    carries the graphs to replace, for the HTTP process to commit."""

    dataset: WritePolicy
    change: UpdateChange | PutChange | DeleteChange
    nquads: bytes | None = None

    def run(self, store: ox.Store) -> QueryOutcome:
        quads: Iterable[ox.Quad] = (
            store if self.nquads is None else ox.parse(self.nquads, format=ox.RdfFormat.N_QUADS)
        )
        try:
            graphs = checked_graphs(quads, self.dataset, self.change)
        except WriteRefused as exc:
            return QueryOutcome.error(exc.kind, str(exc))
        except SyntaxError as exc:
            text = self.change.text if isinstance(self.change, UpdateChange) else ""
            return QueryOutcome.error(
                ErrorKind.BAD_REQUEST, syntax_error(str(exc), text, update=True)
            )
        except (OSError, ValueError, RuntimeError) as exc:
            kind = ErrorKind.UNSUPPORTED if "is not supported" in str(exc) else ErrorKind.ENGINE
            return QueryOutcome.error(kind, f"the update failed: {short(str(exc))}")
        body = pickle.dumps(
            {key: ox.serialize(quads, format=ox.RdfFormat.N_QUADS) for key, quads in graphs.items()}
        )
        return QueryOutcome(body, GRAPHS_TYPE, sum(len(q) for q in graphs.values()))


def graphs_of(outcome: QueryOutcome) -> dict[str, list[ox.Quad]]:
    """The graphs a :class:`WriteJob` answered, to commit."""
    encoded: dict[str, bytes] = pickle.loads(outcome.body)
    return {
        key: list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS)) if nquads else []
        for key, nquads in encoded.items()
    }


def _clear(scratch: ox.Store, target: str) -> None:
    if target == DEFAULT_GRAPH:
        scratch.clear_graph(ox.DefaultGraph())
    elif scratch.contains_named_graph(ox.NamedNode(target)):
        scratch.remove_graph(ox.NamedNode(target))
