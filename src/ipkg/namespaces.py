"""The IRIs the dataset is built on: its base, the ontology namespace and the three graph names.

The canonical base is the one written in ``data/``, ``ontology/`` and ``queries/``; a deployment
may serve the same data under another base (``--base``, or the URL it is deployed at,
``--public-base``). Every input is moved onto the served base once, as it is loaded (see
:meth:`Namespaces.rebase`), so the store, and everything answered from it, only ever holds the
served spelling and nothing else hard-codes the canonical one.
"""

from __future__ import annotations

from dataclasses import dataclass

CANONICAL_BASE = "https://ipkg.example.org/"


@dataclass(frozen=True)
class Namespaces:
    """The dataset's IRIs under one base IRI (ending in ``/``), and the base its inputs are
    written under (``written``), which loading moves onto ``base``."""

    base: str = CANONICAL_BASE
    written: str = CANONICAL_BASE

    @property
    def moved(self) -> bool:
        """True when the inputs are written under another base than the one served."""
        return self.written != self.base

    @property
    def ontology(self) -> str:
        return self.base + "ontology#"

    @property
    def instances(self) -> str:
        return self.base + "id/"

    def graph(self, name: str) -> str:
        """The IRI of one of the dataset's named graphs: ontology, asserted or inferred."""
        return f"{self.base}graph/{name}"

    def rebase(self, iri: str) -> str:
        """Moves an IRI written under the inputs' base onto the served base."""
        if self.moved and iri.startswith(self.written):
            return self.base + iri[len(self.written) :]
        return iri

    def rebase_text(self, text: str) -> str:
        """Moves every IRI spelt in a text (a saved query) onto the served base."""
        return text.replace(self.written, self.base) if self.moved else text


GRAPH_NAMES = ("ontology", "asserted", "inferred")
# The saved-query catalogue's graph: a named graph only, kept out of the default graph (it
# describes the service's queries, not the data).
CATALOGUE_GRAPH = "queries"


def apart_graphs(namespaces: Namespaces) -> tuple[str, ...]:
    """The named graphs a query sees only with GRAPH or FROM, never in its default graph."""
    return (namespaces.graph(CATALOGUE_GRAPH),)


# The standard vocabularies, spelt out here once.
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SH = "http://www.w3.org/ns/shacl#"
SCHEMA = "http://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"
RDF_TYPE = RDF + "type"

COMMON_PREFIXES = {
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "schema": SCHEMA,
    "dcterms": DCTERMS,
    "oa": "http://www.w3.org/ns/oa#",
    "qb": "http://purl.org/linked-data/cube#",
    "time": "http://www.w3.org/2006/time#",
    "wd": "http://www.wikidata.org/entity/",
}
"""Prefixes written into Turtle output and used to shorten IRIs on pages."""
