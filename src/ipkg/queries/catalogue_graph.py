"""The saved-query catalogue as RDF, in its own named graph: each query a ``sh:SPARQLExecutable``
and ``schema:SoftwareSourceCode`` with its title, text and parameters, so the saved queries can
themselves be queried."""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox

from ipkg.build.sources import ArticleSources
from ipkg.config import Settings
from ipkg.namespaces import DCTERMS, RDF, SCHEMA, SH, XSD, Namespaces
from ipkg.queries.saved import Catalogue, Parameter, SavedQuery, read_catalogue

EXECUTABLE_TYPES = {
    "SELECT": (SH + "SPARQLSelectExecutable", SH + "select"),
    "CONSTRUCT": (SH + "SPARQLConstructExecutable", SH + "construct"),
    "DESCRIBE": (SH + "SPARQLExecutable", SCHEMA + "text"),
    "ASK": (SH + "SPARQLAskExecutable", SH + "ask"),
}
VALUE_CONSTRAINTS = {
    "iri": (SH + "nodeKind", SH + "IRI"),
    "string": (SH + "datatype", XSD + "string"),
    "langstring": (SH + "datatype", RDF + "langString"),
    "integer": (SH + "datatype", XSD + "integer"),
    "decimal": (SH + "datatype", XSD + "decimal"),
    "date": (SH + "datatype", XSD + "date"),
}


def query_iri(namespaces: Namespaces, name: str) -> str:
    """The IRI of a saved query: its URL in the API under the dataset base."""
    return f"{namespaces.base}api/queries/{name}"


def _nn(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _text(value: str) -> ox.Literal:
    return ox.Literal(value)


def _parameter_triples(
    subject: ox.NamedNode, parameter: Parameter
) -> Iterator[tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode, ox.Term]]:
    node = ox.BlankNode()
    yield subject, _nn(SH + "parameter"), node
    yield node, _nn(RDF + "type"), _nn(SH + "Parameter")
    yield node, _nn(SH + "path"), _nn(f"{subject.value}#{parameter.name}")
    yield node, _nn(SH + "name"), _text(parameter.name)
    yield node, _nn(SCHEMA + "name"), _text(parameter.name)
    yield node, _nn(SCHEMA + "valueType"), _text(parameter.type)
    constraint, value = VALUE_CONSTRAINTS[parameter.type]
    yield node, _nn(constraint), _nn(value)
    if parameter.description:
        yield node, _nn(SH + "description"), ox.Literal(parameter.description, language="en")
    if parameter.default is None:
        yield node, _nn(SH + "optional"), ox.Literal("true", datatype=_nn(XSD + "boolean"))
    else:
        yield node, _nn(SH + "defaultValue"), _text(parameter.default)
    for allowed in parameter.allowed:
        yield node, _nn(SCHEMA + "valueReference"), _text(allowed)


def query_triples(
    query: SavedQuery, namespaces: Namespaces
) -> Iterator[tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode, ox.Term]]:
    """The description of one saved query."""
    subject = _nn(query_iri(namespaces, query.name))
    kind, text_property = EXECUTABLE_TYPES[query.form]
    yield subject, _nn(RDF + "type"), _nn(SH + "SPARQLExecutable")
    yield subject, _nn(RDF + "type"), _nn(kind)
    yield subject, _nn(RDF + "type"), _nn(SCHEMA + "SoftwareSourceCode")
    yield subject, _nn(SCHEMA + "name"), ox.Literal(query.title, language="en")
    yield subject, _nn(DCTERMS + "identifier"), _text(query.name)
    if query.description:
        yield subject, _nn(SCHEMA + "description"), ox.Literal(query.description, language="en")
    for tag in query.tags:
        yield subject, _nn(SCHEMA + "keywords"), _text(tag)
    yield subject, _nn(text_property), _text(query.sparql)
    yield subject, _nn(SCHEMA + "text"), _text(query.text)
    yield subject, _nn(SCHEMA + "programmingLanguage"), _text("SPARQL")
    yield subject, _nn(SCHEMA + "encodingFormat"), _text("application/sparql-query")
    yield subject, _nn(SCHEMA + "url"), subject
    if query.pagination:
        page_size = ox.Literal(str(query.pagination), datatype=_nn(XSD + "integer"))
        yield subject, _nn(SCHEMA + "numberOfItems"), page_size
    for parameter in query.params:
        yield from _parameter_triples(subject, parameter)


def catalogue_quads(catalogue: Catalogue, namespaces: Namespaces) -> list[ox.Quad]:
    """Every saved query's description, in the named graph ``<base>graph/queries``."""
    graph = _nn(namespaces.graph("queries"))
    return [
        ox.Quad(s, p, o, graph)
        for query in catalogue.queries
        for s, p, o in query_triples(query, namespaces)
    ]


def served_catalogue(settings: Settings, namespaces: Namespaces) -> list[ox.Quad]:
    """The saved-query catalogue to serve: always for the article graph, and for the user's
    ``--data`` only when ``--queries`` names a folder of its own."""
    if settings.data and settings.queries == ArticleSources.embedded().queries:
        return []
    catalogue = read_catalogue(settings.queries, rebase=namespaces.rebase_text)
    return list(catalogue_quads(catalogue, namespaces))
