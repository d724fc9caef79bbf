"""The result formats the endpoint speaks: media types, file extensions and ``format=`` names,
per kind of result (solutions of SELECT, the boolean of ASK, the graph of CONSTRUCT/DESCRIBE)."""

from __future__ import annotations

from dataclasses import dataclass

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

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8" if self.text else self.media_type


def _fmt(key: str, media_type: str, kinds: set[str], ext: str, *names: str) -> ResultFormat:
    return ResultFormat(key, media_type, frozenset(kinds), ext, (key, ext, *names))


# In order of preference: the first acceptable one wins a tie.
FORMATS: tuple[ResultFormat, ...] = (
    _fmt("json", "application/sparql-results+json", {SOLUTIONS, BOOLEAN}, "json", "srj"),
    _fmt("xml", "application/sparql-results+xml", {SOLUTIONS, BOOLEAN}, "xml", "srx"),
    _fmt("csv", "text/csv", {SOLUTIONS}, "csv"),
    _fmt("tsv", "text/tab-separated-values", {SOLUTIONS}, "tsv"),
    _fmt("turtle", "text/turtle", {GRAPH}, "ttl", "ttl"),
    _fmt("jsonld", "application/ld+json", {GRAPH}, "jsonld", "json-ld"),
    _fmt("ntriples", "application/n-triples", {GRAPH}, "nt", "n-triples"),
    _fmt("rdfxml", "application/rdf+xml", {GRAPH}, "rdf", "rdf/xml", "xml"),
    _fmt("trig", "application/trig", {GRAPH}, "trig"),
    _fmt("nquads", "application/n-quads", {GRAPH}, "nq", "n-quads"),
)
BY_KEY = {f.key: f for f in FORMATS}

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
