"""The ontology labels and defines every term, gives each property one domain and one range,
aligns to the standard vocabularies, and mints terms only in its own namespaces."""

from __future__ import annotations

import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from ipkg.build.sources import ArticleSources

IPKG = rdflib.Namespace("https://ipkg.example.org/ontology#")
OWN = ("https://ipkg.example.org/ontology", "https://ipkg.example.org/id/")
ORG = rdflib.Namespace("http://www.w3.org/ns/org#")
FOAF = rdflib.Namespace("http://xmlns.com/foaf/0.1/")
SCHEMA = rdflib.Namespace("http://schema.org/")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
QB = rdflib.Namespace("http://purl.org/linked-data/cube#")
TIME = rdflib.Namespace("http://www.w3.org/2006/time#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
PROPERTY_TYPES = (OWL.ObjectProperty, OWL.DatatypeProperty)


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(ArticleSources.embedded().ontology)


def terms(ontology: rdflib.Graph) -> set[rdflib.URIRef]:
    kinds = (OWL.Class, *PROPERTY_TYPES)
    return {s for k in kinds for s in ontology.subjects(RDF.type, k) if str(s).startswith(IPKG)}


def properties(ontology: rdflib.Graph) -> set[rdflib.URIRef]:
    return {s for k in PROPERTY_TYPES for s in ontology.subjects(RDF.type, k)}


def test_the_header_has_title_description_version_licence_and_creator(ontology):
    header = next(ontology.subjects(RDF.type, OWL.Ontology))
    for prop in (DCTERMS.title, DCTERMS.description, OWL.versionInfo, DCTERMS.license):
        assert ontology.value(header, prop) is not None, prop
    assert ontology.value(header, DCTERMS.creator) is not None


def test_the_five_core_classes_exist(ontology):
    for name in ("Person", "Institution", "Program", "Hub", "Statistic"):
        assert (IPKG[name], RDF.type, OWL.Class) in ontology


def test_every_term_has_an_english_label_and_definition(ontology):
    for term in terms(ontology):
        labels = [o for o in ontology.objects(term, RDFS.label) if o.language == "en"]
        definitions = [o for o in ontology.objects(term, SKOS.definition) if o.language == "en"]
        assert len(labels) == 1, term
        assert len(definitions) == 1, term


def test_every_property_has_exactly_one_domain_and_one_range(ontology):
    for prop in properties(ontology):
        assert len(list(ontology.objects(prop, RDFS.domain))) == 1, prop
        assert len(list(ontology.objects(prop, RDFS.range))) == 1, prop


def test_classes_and_properties_are_aligned_to_standard_vocabularies(ontology):
    expected = [
        (IPKG.Person, RDFS.subClassOf, FOAF.Person),
        (IPKG.Person, RDFS.subClassOf, SCHEMA.Person),
        (IPKG.Institution, RDFS.subClassOf, ORG.Organization),
        (IPKG.Department, RDFS.subClassOf, ORG.OrganizationalUnit),
        (IPKG.Post, RDFS.subClassOf, ORG.Post),
        (IPKG.Statistic, RDFS.subClassOf, QB.Observation),
        (IPKG.Statistic, RDFS.subClassOf, SCHEMA.Observation),
        (IPKG.Period, RDFS.subClassOf, TIME.ProperInterval),
        (IPKG.Program, RDFS.subClassOf, PROV.Activity),
        (IPKG.Measure, RDFS.subClassOf, SKOS.Concept),
        (IPKG.Qualifier, RDFS.subClassOf, SKOS.Concept),
        (IPKG.Status, RDFS.subClassOf, SKOS.Concept),
        (IPKG.holdsPost, RDFS.subPropertyOf, ORG.holds),
        (IPKG.heldBy, RDFS.subPropertyOf, ORG.heldBy),
        (IPKG.postIn, RDFS.subPropertyOf, ORG.postIn),
        (IPKG.worksFor, RDFS.subPropertyOf, ORG.memberOf),
        (IPKG.partOf, RDFS.subPropertyOf, ORG.transitiveSubOrganizationOf),
        (IPKG.hostedBy, RDFS.subPropertyOf, PROV.wasAssociatedWith),
        (IPKG.reportedBy, RDFS.subPropertyOf, PROV.wasAttributedTo),
    ]
    missing = [t for t in expected if t not in ontology]
    assert not missing


def test_works_for_is_inferred_through_posts_and_sub_organisations(ontology):
    chains = [
        list(rdflib.collection.Collection(ontology, c))
        for c in ontology.objects(IPKG.worksFor, OWL.propertyChainAxiom)
    ]
    assert sorted(chains) == sorted([[IPKG.holdsPost, IPKG.postIn], [IPKG.worksFor, IPKG.partOf]])


def test_inverses_pair_domains_and_ranges(ontology):
    pairs = list(ontology.subject_objects(OWL.inverseOf))
    assert (IPKG.holdsPost, IPKG.heldBy) in pairs
    assert (IPKG.partOf, IPKG.hasPart) in pairs
    assert (IPKG.hostedBy, IPKG.hosts) in pairs
    for prop, inverse in pairs:
        assert ontology.value(prop, RDFS.domain) == ontology.value(inverse, RDFS.range)
        assert ontology.value(prop, RDFS.range) == ontology.value(inverse, RDFS.domain)


def test_only_part_whole_properties_are_transitive(ontology):
    transitive = set(ontology.subjects(RDF.type, OWL.TransitiveProperty))
    assert transitive == {IPKG.partOf, IPKG.hasPart}
    assert not list(ontology.subjects(RDF.type, OWL.SymmetricProperty))


def test_core_classes_are_pairwise_disjoint(ontology):
    lists = [
        set(rdflib.collection.Collection(ontology, ontology.value(d, OWL.members)))
        for d in ontology.subjects(RDF.type, OWL.AllDisjointClasses)
    ]
    core = {IPKG.Person, IPKG.Institution, IPKG.Program, IPKG.Hub, IPKG.Statistic}
    assert any(core <= members for members in lists)


def test_terms_are_minted_only_in_own_namespaces(ontology):
    declared = {s for s in ontology.subjects() if isinstance(s, rdflib.URIRef)}
    assert all(str(s).startswith(OWN) for s in declared), [
        s for s in declared if not str(s).startswith(OWN)
    ]


def test_instances_are_not_classes(ontology):
    classes = set(ontology.subjects(RDF.type, OWL.Class))
    individuals = set(ontology.subjects(RDF.type, OWL.NamedIndividual))
    assert individuals
    assert not classes & individuals
    for individual in individuals:
        assert not list(ontology.objects(individual, RDFS.subClassOf))


def test_no_owl_same_as(ontology):
    assert not list(ontology.triples((None, OWL.sameAs, None)))
