"""The IRIs the dataset is built on: its base, the ontology namespace and the three graph names.

The canonical base is the one written in ``data/`` and ``ontology/``; a deployment may serve the
same data under another base (see :func:`rebase`), so nothing else hard-codes it.
"""

from __future__ import annotations

from dataclasses import dataclass

CANONICAL_BASE = "https://ipkg.example.org/"


@dataclass(frozen=True)
class Namespaces:
    """The dataset's IRIs under one base IRI (ending in ``/``)."""

    base: str = CANONICAL_BASE

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
        """Moves an IRI written under the canonical base onto this base."""
        if self.base != CANONICAL_BASE and iri.startswith(CANONICAL_BASE):
            return self.base + iri[len(CANONICAL_BASE) :]
        return iri


GRAPH_NAMES = ("ontology", "asserted", "inferred")


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
