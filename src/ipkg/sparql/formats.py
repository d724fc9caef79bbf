"""The one format registry: every format the service reads or writes (query results, RDF
graphs and datasets, dumps, Graph Store bodies, the CLI's export, and the documents pages are
in), with its media type, file extension, ``format=`` names and, for RDF, the pyoxigraph
``RdfFormat`` it is seeded from. Adding a format is an entry here and its writer in
``serialisation.py``."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

SOLUTIONS = "solutions"
BOOLEAN = "boolean"
GRAPH = "graph"


@dataclass(frozen=True)
class ResultFormat:
    """One serialisation: ``key`` names it in code, the rest is what HTTP clients see."""

    key: str
    media_type: str
    kinds: frozenset[str]
    extension: str
    names: tuple[str, ...] = ()
    text: bool = True
    title: str = ""  # what people call it ("Turtle", "HTML page")
    rdf: ox.RdfFormat | None = None  # the engine's name of an RDF format
    keeps_graphs: bool = False  # an RDF format that carries named graphs (a dataset)

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8" if self.text else self.media_type


def _fmt(key: str, media_type: str, kinds: set[str], ext: str, *names: str) -> ResultFormat:
    return ResultFormat(key, media_type, frozenset(kinds), ext, (key, ext, *names))


def _rdf(key: str, rdf: ox.RdfFormat, *names: str, keeps_graphs: bool = False) -> ResultFormat:
    """An RDF format as pyoxigraph names it: its media type, extension and title."""
    ext = rdf.file_extension
    return ResultFormat(
        key,
        rdf.media_type,
        frozenset({GRAPH}),
        ext,
        (key, ext, *names),
        title=rdf.name,
        rdf=rdf,
        keeps_graphs=keeps_graphs,
    )


# In order of preference: the first acceptable one wins a tie.
FORMATS: tuple[ResultFormat, ...] = (
    _fmt("json", "application/sparql-results+json", {SOLUTIONS, BOOLEAN}, "json", "srj"),
    _fmt("xml", "application/sparql-results+xml", {SOLUTIONS, BOOLEAN}, "xml", "srx"),
    _fmt("csv", "text/csv", {SOLUTIONS}, "csv"),
    _fmt("tsv", "text/tab-separated-values", {SOLUTIONS}, "tsv"),
    _rdf("turtle", ox.RdfFormat.TURTLE),
    _rdf("jsonld", ox.RdfFormat.JSON_LD, "json-ld"),
    _rdf("ntriples", ox.RdfFormat.N_TRIPLES, "n-triples"),
    _rdf("rdfxml", ox.RdfFormat.RDF_XML, "rdf/xml", "xml"),
    _rdf("trig", ox.RdfFormat.TRIG, keeps_graphs=True),
    _rdf("nquads", ox.RdfFormat.N_QUADS, "n-quads", keeps_graphs=True),
)
BY_KEY = {f.key: f for f in FORMATS}
RDF_FORMATS = {f.key: f.rdf for f in FORMATS if f.rdf is not None}
# The RDF formats, in the order pages and dumps list them; those a graph body may come in.
DUMP_FORMATS = tuple(f for f in FORMATS if f.rdf is not None)
GRAPH_BODY_FORMATS = tuple(f for f in DUMP_FORMATS if not f.keeps_graphs)

# Documents the pages are in (not query results): HTML, plain text, JSON.
HTML = ResultFormat("html", "text/html", frozenset(), "html", title="HTML page")
PLAIN = ResultFormat("text", "text/plain", frozenset(), "txt", title="plain text")
JSON = ResultFormat("json", "application/json", frozenset(), "json", title="JSON")

# Media types that some clients send for the same thing.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "application/json": ("json", "jsonld"),
    "application/xml": ("xml", "rdfxml"),
    "text/xml": ("xml", "rdfxml"),
    "text/plain": ("ntriples",),
    "application/x-turtle": ("turtle",),
    "text/n3": ("turtle",),
    "application/x-trig": ("trig",),
}


def formats_for(kind: str) -> list[ResultFormat]:
    """The formats that can carry a result of this kind, most preferred first."""
    return [f for f in FORMATS if kind in f.kinds]


def kind_of_form(form: str | None) -> str:
    """The kind of result a query form produces (SELECT when the form is unknown)."""
    if form == "ASK":
        return BOOLEAN
    if form in ("CONSTRUCT", "DESCRIBE"):
        return GRAPH
    return SOLUTIONS


def by_name(name: str, kind: str) -> ResultFormat | None:
    """The format a ``format=`` value or media type names, if it can carry this kind."""
    lowered = name.strip().lower()
    for f in formats_for(kind):
        if lowered in f.names or lowered == f.media_type:
            return f
    for key in SYNONYMS.get(lowered, ()):
        if kind in BY_KEY[key].kinds:
            return BY_KEY[key]
    return None


def from_media_type(
    media_type: str, among: tuple[ResultFormat, ...] = FORMATS
) -> ResultFormat | None:
    """The format of ``among`` a media type (or a synonym clients send for it) names."""
    lowered = media_type.split(";")[0].strip().lower()
    for f in among:
        if lowered == f.media_type:
            return f
    for key in SYNONYMS.get(lowered, ()):
        if BY_KEY[key] in among:
            return BY_KEY[key]
    return None


def from_extension(
    extension: str, among: tuple[ResultFormat, ...] = FORMATS
) -> ResultFormat | None:
    """The format of ``among`` a file extension names."""
    lowered = extension.lower()
    return next((f for f in among if f.extension == lowered), None)


def media_types_of(among: tuple[ResultFormat, ...]) -> list[str]:
    """The media types a request may name one of ``among`` by, synonyms included."""
    found = [f.media_type for f in among]
    found += [m for m, keys in SYNONYMS.items() if any(BY_KEY[k] in among for k in keys)]
    return list(dict.fromkeys(found))
