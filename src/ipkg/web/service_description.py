"""The SPARQL 1.1 Service Description that a bare ``GET /sparql`` returns: what the endpoint
speaks and which dataset it serves, with VoID triple counts, as RDF or as an HTML page."""

from __future__ import annotations

import rdflib
from flask import Request, Response, render_template
from rdflib.namespace import DCTERMS, RDF, VOID, XSD

from ipkg.namespaces import apart_graphs
from ipkg.sparql.formats import FORMATS, by_name
from ipkg.web.errors import negotiate_or_406
from ipkg.web.pages import HTML
from ipkg.web.state import ServiceState, state
from ipkg.web.urls import absolute

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
W3C_FORMATS = rdflib.Namespace("http://www.w3.org/ns/formats/")
FORMAT_IRIS = {
    "json": W3C_FORMATS.SPARQL_Results_JSON,
    "xml": W3C_FORMATS.SPARQL_Results_XML,
    "csv": W3C_FORMATS.SPARQL_Results_CSV,
    "tsv": W3C_FORMATS.SPARQL_Results_TSV,
    "turtle": W3C_FORMATS.Turtle,
    "ntriples": W3C_FORMATS["N-Triples"],
    "jsonld": W3C_FORMATS["JSON-LD"],
    "rdfxml": W3C_FORMATS.RDF_XML,
    "trig": W3C_FORMATS.TriG,
    "nquads": W3C_FORMATS["N-Quads"],
}
RDFLIB_NAMES = {"turtle": "turtle", "jsonld": "json-ld", "rdfxml": "xml", "ntriples": "nt11"}
DESCRIPTION_FORMATS = [by_name(k, "graph") for k in RDFLIB_NAMES] + [HTML]


def description_graph(endpoint: str, service: ServiceState) -> rdflib.Graph:
    """The service description of the endpoint at ``endpoint``."""
    graph = rdflib.Graph()
    graph.bind("sd", SD)
    graph.bind("void", VOID)
    graph.bind("formats", W3C_FORMATS)
    me = rdflib.URIRef(endpoint)
    dataset = rdflib.BNode("dataset")
    default = rdflib.BNode("defaultGraph")
    graph.add((me, RDF.type, SD.Service))
    graph.add((me, SD.endpoint, me))
    graph.add((me, DCTERMS.title, rdflib.Literal(service.title)))
    graph.add((me, SD.supportedLanguage, SD.SPARQL11Query))
    union = service.settings.union_default_graph
    apart = [g for g in apart_graphs(service.namespaces) if g in service.graph_sizes]
    if union and not apart:  # else the default graph is the union of all graphs but these
        graph.add((me, SD.feature, SD.UnionDefaultGraph))
    for fmt in FORMATS:
        graph.add((me, SD.resultFormat, FORMAT_IRIS[fmt.key]))
    graph.add((me, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    size = rdflib.Literal(service.default_graph_size, datatype=XSD.integer)
    graph.add((default, VOID.triples, size))
    if union and apart:
        note = rdflib.Literal(default_graph_note(apart), lang="en")
        graph.add((default, DCTERMS.description, note))
    for number, (name, size) in enumerate(sorted(service.graph_sizes.items())):
        if not name:
            continue
        # Labelled by position, so the same data is always written in the same bytes (the
        # ETag of this answer promises that).
        named, described = rdflib.BNode(f"named{number}"), rdflib.BNode(f"graph{number}")
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, rdflib.URIRef(name)))
        graph.add((named, SD.graph, described))
        graph.add((described, RDF.type, SD.Graph))
        graph.add((described, VOID.triples, rdflib.Literal(size, datatype=XSD.integer)))
    return graph


def default_graph_note(apart: list[str]) -> str:
    """What the default graph holds when some named graphs are kept out of it."""
    names = ", ".join(f"<{g}>" for g in apart)
    return (
        f"The union of every named graph but {names} (the saved-query catalogue), which is "
        "a named graph only: query it with GRAPH or FROM."
    )


def service_description(req: Request) -> Response:
    """The description in the format the client accepts (406 if none)."""
    fmt = negotiate_or_406(DESCRIPTION_FORMATS, "Not Acceptable: available: {offered}")
    service = state()
    endpoint = absolute("sparql")  # the endpoint's IRI where it is deployed
    if fmt is HTML:
        html = render_template("service.html", service=service, endpoint=endpoint, formats=FORMATS)
        return Response(html, content_type="text/html; charset=utf-8")
    body = description_graph(endpoint, service).serialize(format=RDFLIB_NAMES[fmt.key])
    return Response(body, content_type=fmt.content_type)
