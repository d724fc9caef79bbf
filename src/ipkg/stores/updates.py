"""Writes to the dataset (SPARQL Update, Graph Store Protocol), all or nothing: the change runs
on a scratch copy; for the article graph it may only touch the asserted facts, which must still
pass the SHACL shapes and quote the article exactly, and the inferences are derived again;
then the store replaces the changed graphs in one step.

In the article dataset the update's default graph is the asserted graph, so
``INSERT DATA { id:x rdfs:label "X"@en }`` adds an asserted fact.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
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
from ipkg.sparql.lexer import tokens
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


def committed(store: Store, dataset: WritePolicy, change: Change) -> dict[str, int]:
    """Runs ``change`` on a copy of the data, checks the result and commits it to ``store``;
    returns the triples now in each graph it replaced. Raises :class:`WriteRefused` (nothing
    written) or SyntaxError for a malformed update."""
    before = _scratch(store.quads(), dataset)
    after = ox.Store()
    after.extend(before)
    change(after)
    if dataset.is_article:
        graphs = _article_graphs(before, after, dataset)
    elif dataset.derived_graphs:
        graphs = _reasoned_file_graphs(before, after, dataset)
    else:
        graphs = changed_graphs(before, after)
    if graphs:
        store.replace_graphs(graphs)
        log.info("write committed: %s", {k or "default": len(v) for k, v in graphs.items()})
    return {key: len(quads) for key, quads in graphs.items()}


def graph_put(target: str, triples: Sequence[ox.Triple], *, replace: bool) -> Change:
    """A change that puts triples in one graph ('' the default), replacing it or adding."""
    name = ox.DefaultGraph() if target == DEFAULT_GRAPH else ox.NamedNode(target)

    def change(scratch: ox.Store) -> None:
        if replace:
            _clear(scratch, target)
        scratch.extend(ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)

    return change


def graph_delete(target: str) -> Change:
    """A change that removes one graph ('' empties the default graph)."""
    return lambda scratch: _clear(scratch, target)


def _clear(scratch: ox.Store, target: str) -> None:
    if target == DEFAULT_GRAPH:
        scratch.clear_graph(ox.DefaultGraph())
    elif scratch.contains_named_graph(ox.NamedNode(target)):
        scratch.remove_graph(ox.NamedNode(target))
