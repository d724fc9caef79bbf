"""The VoID description of the dataset (``/.well-known/void``, RFC 5785 and the VoID guide):
triple counts per graph, classes and properties with their partitions, example resources,
dumps, the SPARQL endpoint, licence and source. It describes exactly what ``/export/`` offers:
one subset per named graph with its dumps, and every dump format as a ``void:feature``.
Turtle, JSON-LD, N-Triples, RDF/XML or HTML."""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, render_template

from ipkg.linkeddata.describe import Select, prefixes
from ipkg.linkeddata.dumps import BY_KEY, DUMP_FORMATS, VIEWS, dump
from ipkg.namespaces import DCTERMS, OWL, RDF_TYPE, XSD, apart_graphs
from ipkg.web.errors import negotiate_or_406
from ipkg.web.pages import HTML, RDF_CHOICES, RESOURCE_406, graph_names, page_select
from ipkg.web.service_description import FORMAT_IRIS, default_graph_note
from ipkg.web.state import state
from ipkg.web.urls import absolute

blueprint = Blueprint("void", __name__)

VOID = "http://rdfs.org/ns/void#"
XSD_INTEGER = ox.NamedNode(XSD + "integer")
RDF_STATEMENT = "http://www.w3.org/1999/02/22-rdf-syntax-ns#Statement"
SD_NAME = ox.NamedNode("http://www.w3.org/ns/sparql-service-description#name")
CHOICES = [*RDF_CHOICES, HTML]

CLASSES = "SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a ?c } GROUP BY ?c ORDER BY ?c"
PROPERTIES = """SELECT ?p (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o { ?s ?p ?o } }
GROUP BY ?p ORDER BY ?p"""
DISTINCT = """SELECT (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?o) AS ?objects)
WHERE { ?s ?p ?o }"""
ENTITIES = """SELECT ?space (COUNT(DISTINCT ?x) AS ?n) WHERE {
  ?x ?p ?o . FILTER(isIRI(?x) && STRSTARTS(STR(?x), ?space)) } GROUP BY ?space"""
EXAMPLES = """SELECT ?c (MIN(STR(?x)) AS ?example) WHERE {
  VALUES ?c { ipkg:Person ipkg:GovernmentAgency ipkg:University ipkg:Statistic ipkg:Article }
  ?x a ?c . FILTER(isIRI(?x)) } GROUP BY ?c"""
SUPPORT_KINDS = """SELECT ?kind ?label (COUNT(DISTINCT ?st) AS ?n) WHERE {
  ?st ipkg:support ?kind . OPTIONAL { ?kind rdfs:label ?label FILTER(LANG(?label) = "en") } }
GROUP BY ?kind ?label ORDER BY ?kind"""
LICENCE = """SELECT ?licence WHERE {
  { ?x a owl:Ontology } UNION { ?x a ipkg:Article } ?x dcterms:license ?licence } LIMIT 1"""
SOURCE = """SELECT ?source WHERE {
  { ?x a ipkg:Article . BIND(?x AS ?source) } UNION { ?x a ipkg:Article ; dcterms:source ?source }
}"""


def _integer(n: int) -> ox.Literal:
    return ox.Literal(str(n), datatype=XSD_INTEGER)


def void_triples(run: Select) -> list[ox.Triple]:
    """The VoID description, built from counts the query workers make."""
    service = state()
    ns = service.namespaces
    head = prefixes(ns) + f"PREFIX owl: <{OWL}>\n"
    me = ox.NamedNode(absolute(".well-known/void") + "#dataset")
    triples: list[ox.Triple] = []

    def add(s, p: str, o) -> None:
        triples.append(ox.Triple(s, ox.NamedNode(p), o))

    add(me, RDF_TYPE, ox.NamedNode(VOID + "Dataset"))
    add(me, DCTERMS + "title", ox.Literal(service.title, language="en"))
    add(
        me,
        DCTERMS + "description",
        ox.Literal(
            "Facts of one China IP News article (2024-07-03) on China's intellectual-property "
            "talent, with sentence-level provenance, an OWL ontology and OWL 2 RL inferences.",
            language="en",
        ),
    )
    for row in run(head + LICENCE, {}):
        add(me, DCTERMS + "license", row["licence"])
    for row in run(head + SOURCE, {}):
        add(me, DCTERMS + "source", row["source"])
    add(me, VOID + "sparqlEndpoint", ox.NamedNode(absolute("sparql")))
    add(me, VOID + "rootResource", ox.NamedNode(absolute("id/")))
    add(me, VOID + "uriSpace", ox.Literal(ns.base))
    for fmt in DUMP_FORMATS:  # every RDF format the dumps and resource documents are in
        add(me, VOID + "feature", ox.NamedNode(str(FORMAT_IRIS[fmt.key])))
    for fmt in DUMP_FORMATS:
        add(me, VOID + "dataDump", ox.NamedNode(absolute(f"export/complete.{fmt.extension}")))
    add(me, VOID + "triples", _integer(service.triple_count))
    for row in run(DISTINCT, {}):
        add(me, VOID + "distinctSubjects", _integer(int(row["subjects"].value)))
        add(me, VOID + "distinctObjects", _integer(int(row["objects"].value)))
    for row in run(ENTITIES, {"space": ox.Literal(ns.base)}):
        add(me, VOID + "entities", _integer(int(row["n"].value)))
    for vocabulary in (ns.ontology, "http://www.w3.org/ns/org#", "http://www.w3.org/ns/prov#"):
        add(me, VOID + "vocabulary", ox.NamedNode(vocabulary))
    for row in run(head + EXAMPLES, {}):
        add(me, VOID + "exampleResource", ox.NamedNode(row["example"].value))
    classes = run(CLASSES, {})
    add(me, VOID + "classes", _integer(len(classes)))
    for i, row in enumerate(classes):
        part = ox.BlankNode(f"class{i}")
        add(me, VOID + "classPartition", part)
        add(part, VOID + "class", row["c"])
        add(part, VOID + "entities", _integer(int(row["n"].value)))
    properties = run(PROPERTIES, {})
    add(me, VOID + "properties", _integer(len(properties)))
    for i, row in enumerate(properties):
        part = ox.BlankNode(f"property{i}")
        add(me, VOID + "propertyPartition", part)
        add(part, VOID + "property", row["p"])
        add(part, VOID + "triples", _integer(int(row["n"].value)))
    for name in graph_names():  # every named graph /export/ offers, each with its dumps
        if name == "complete":
            continue
        size = service.graph_sizes.get(ns.graph(name), 0)
        subset = ox.NamedNode(absolute(".well-known/void") + "#" + name)
        add(me, VOID + "subset", subset)
        add(subset, RDF_TYPE, ox.NamedNode(VOID + "Dataset"))
        add(subset, DCTERMS + "title", ox.Literal(f"the {name} graph", language="en"))
        add(subset, SD_NAME.value, ox.NamedNode(ns.graph(name)))
        add(subset, VOID + "triples", _integer(size))
        if ns.graph(name) in apart_graphs(ns):  # the catalogue: not in the default graph
            note = default_graph_note([ns.graph(name)])
            add(subset, DCTERMS + "description", ox.Literal(note, language="en"))
        for fmt in DUMP_FORMATS:
            add(subset, VOID + "dataDump", ox.NamedNode(absolute(f"export/{name}.{fmt.extension}")))
    if "asserted" in graph_names():
        _support_subsets(run, head, ox.NamedNode(absolute(".well-known/void") + "#asserted"), add)
    _view_subsets(add)
    return triples


def _support_subsets(run: Select, head: str, asserted: ox.NamedNode, add) -> None:
    """One subset of the asserted graph per kind of support (stated, read from context,
    derived): how many of the article's facts it supports that way (``void:entities``, the
    reified statements)."""
    for row in run(head + SUPPORT_KINDS, {}):
        key = row["kind"].value.rsplit("/", 1)[-1]
        label = row["label"].value if row.get("label") is not None else key
        subset = ox.NamedNode(absolute(".well-known/void") + "#support-" + key)
        add(asserted, VOID + "subset", subset)
        add(subset, RDF_TYPE, ox.NamedNode(VOID + "Dataset"))
        add(subset, DCTERMS + "title", ox.Literal(f"facts {label}", language="en"))
        add(subset, DCTERMS + "subject", row["kind"])
        add(subset, VOID + "entities", _integer(int(row["n"].value)))
        add(subset, VOID + "class", ox.NamedNode(RDF_STATEMENT))


def view_sizes() -> dict[str, int]:
    """How many triples each view /export/ offers holds (its dump's, triple terms counted as
    the triples that hold them); counted once per data version."""
    service = state()

    def counted() -> dict[str, int]:
        graphs = graph_names()
        return {
            view.name: len(
                view.quads(
                    service.backend.graph_quads(service.namespaces.graph(view.source)),
                    service.namespaces,
                )
            )
            for view in VIEWS.values()
            if view.source in graphs
        }

    return service.caches.page_data("view sizes", service.data_version, counted)


def _view_subsets(add) -> None:
    """One subset per view /export/ offers (the inferred graph split, the RDF 1.2 view), under
    the subset of the graph it is made from, with its size."""
    for name, size in view_sizes().items():
        view = VIEWS[name]
        subset = ox.NamedNode(absolute(".well-known/void") + "#" + view.name)
        source = ox.NamedNode(absolute(".well-known/void") + "#" + view.source)
        add(source, VOID + "subset", subset)
        add(subset, RDF_TYPE, ox.NamedNode(VOID + "Dataset"))
        add(subset, DCTERMS + "title", ox.Literal(view.title, language="en"))
        add(subset, VOID + "triples", _integer(size))
        for fmt in DUMP_FORMATS:
            if fmt.key in view.formats:
                dump_iri = absolute(f"export/{view.name}.{fmt.extension}")
                add(subset, VOID + "dataDump", ox.NamedNode(dump_iri))


@blueprint.get("/.well-known/void")
def void() -> Response:
    """The dataset's VoID description, by Accept (Turtle when anything goes)."""
    fmt = negotiate_or_406(CHOICES, RESOURCE_406)
    quads = [ox.Quad(t.subject, t.predicate, t.object) for t in void_triples(page_select())]
    turtle = dump(quads, BY_KEY["turtle"], state().namespaces)
    if fmt is HTML:
        html = render_template("void.html", turtle=turtle.decode("utf-8"))
        response = Response(html, content_type="text/html; charset=utf-8")
    else:
        chosen = BY_KEY[fmt.key]
        body = turtle if chosen.key == "turtle" else dump(quads, chosen, state().namespaces)
        response = Response(body, content_type=f"{chosen.media_type}; charset=utf-8")
        response.headers["Access-Control-Allow-Origin"] = "*"
    response.vary.add("Accept")
    return response
