"""How a resource page names and groups what it shows: one kind of name for properties (a
friendly name, the IRI on hover), aligned properties (a sub- or equivalent property with the same
values, e.g. ``ipkg:worksFor`` and ``schema:worksFor``) folded into one row, formats by name."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ipkg.linkeddata.describe import PropertyGroup, Select, Term, TypeInfo, prefixes
from ipkg.linkeddata.labels import local_name
from ipkg.sparql.formats import DUMP_FORMATS, HTML
from ipkg.web.pages import labels_of, languages
from ipkg.web.state import state

ALIGNMENTS = """PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT DISTINCT ?p ?q WHERE {
  { ?p rdfs:subPropertyOf ?q } UNION { ?p owl:equivalentProperty ?q }
  UNION { ?q owl:equivalentProperty ?p }
  FILTER(isIRI(?p) && isIRI(?q) && ?p != ?q)
}"""
ALIGNMENTS_KEY = "ipkg.property-alignments"
INVERSES = """PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT DISTINCT ?p ?inverse WHERE {
  { ?p owl:inverseOf ?inverse } UNION { ?inverse owl:inverseOf ?p }
  FILTER(isIRI(?p) && isIRI(?inverse))
}"""
FORMAT_NAMES = {f.media_type: f.title for f in (HTML, *DUMP_FORMATS)}
# Words for the well-known properties whose local names read badly.
WORDS = {
    "http://www.w3.org/2004/02/skos/core#altLabel": "alternative name",
    "http://www.w3.org/2004/02/skos/core#prefLabel": "preferred name",
    "http://www.w3.org/2004/02/skos/core#exactMatch": "same thing elsewhere",
    "http://www.w3.org/2000/01/rdf-schema#seeAlso": "see also",
}
PREFIXED = re.compile(r"[A-Za-z][\w-]*:[A-Za-z_][\w.-]*")


@dataclass(frozen=True)
class PropertyRow:
    """One row of a page's property table: a property, its friendly name, its values, and the
    aligned properties with the same values that the row stands for too."""

    group: PropertyGroup
    name: str
    also: tuple[Term, ...] = ()
    inverse: Term | None = None  # for a "Referenced by" row: the property read the other way


def friendly_name(term: Term) -> str:
    """A property's label, or for an unlabelled one its local name in words ("has part" for
    ``dcterms:hasPart``), so a page never mixes labels with prefixed names."""
    if term.value in WORDS:
        return WORDS[term.value]
    if is_prefixed(term):
        local = term.label.split(":", 1)[1]
        return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", local).replace("_", " ").lower()
    return term.label


def alignments(run: Select) -> dict[str, set[str]]:
    """Each property's super- and equivalent properties (transitively), read once per data
    version."""
    service = state()

    def closed() -> dict[str, set[str]]:
        above: dict[str, set[str]] = {}
        for row in run(prefixes(service.namespaces) + ALIGNMENTS, {}):
            above.setdefault(row["p"].value, set()).add(row["q"].value)
        changed = True
        while changed:  # transitive closure; the ontology has a few dozen alignments
            changed = False
            for supers in above.values():
                more = set().union(*(above.get(q, set()) for q in supers)) - supers
                if more:
                    supers |= more
                    changed = True
        return above

    return service.caches.page_data("property alignments", service.data_version, closed)


def _values(group: PropertyGroup) -> frozenset[tuple[str, str]]:
    return frozenset((link.value.kind, link.value.value) for link in group.links)


def _aligned(a: str, b: str, above: dict[str, set[str]]) -> bool:
    return b in above.get(a, ()) or a in above.get(b, ())


def folded(groups: Sequence[PropertyGroup], above: dict[str, set[str]]) -> list[PropertyRow]:
    """The groups as rows, each set of aligned properties with equal values shown once, under
    its most specific property (the one the others are super-properties of)."""
    rows: list[PropertyRow] = []
    taken: set[int] = set()
    for i, group in enumerate(groups):
        if i in taken:
            continue
        values = _values(group)
        cluster = [i]
        for member in cluster:  # grows while it runs: aligned with any member so far
            for j in range(i + 1, len(groups)):
                fits = j not in taken and j not in cluster and _values(groups[j]) == values
                if fits and _aligned(
                    groups[member].predicate.value, groups[j].predicate.value, above
                ):
                    cluster.append(j)
        taken.update(cluster)
        members = [groups[j] for j in cluster]
        keep = max(
            members,
            key=lambda g: sum(
                1 for other in members if other.predicate.value in above.get(g.predicate.value, ())
            ),
        )
        also = tuple(g.predicate for g in members if g is not keep)
        rows.append(PropertyRow(keep, friendly_name(keep.predicate), also))
    return rows


def is_prefixed(term: Term) -> bool:
    """Whether a term is shown by a prefixed name (it has no label of its own)."""
    return bool(PREFIXED.fullmatch(term.label)) and term.label == local_name(term.value)


def split_types(types: Sequence[TypeInfo]) -> tuple[list[TypeInfo], list[TypeInfo]]:
    """The classes with a name of their own, and the other vocabularies' classes (shown apart,
    by prefixed name, so names and prefixed names are not mixed in one list). With no named
    class, all are shown as they are."""
    named = [t for t in types if not is_prefixed(t.term)]
    other = [t for t in types if is_prefixed(t.term)]
    return (named, other) if named else (other, [])


def inverses(run: Select) -> dict[str, str]:
    """Each property's inverse (``owl:inverseOf``, either way round), read once per data
    version."""
    service = state()

    def read() -> dict[str, str]:
        found: dict[str, str] = {}
        for row in run(prefixes(service.namespaces) + INVERSES, {}):
            found.setdefault(row["p"].value, row["inverse"].value)
        return found

    return service.caches.page_data("property inverses", service.data_version, read)


def referenced_by(
    groups: Sequence[PropertyGroup],
    above: dict[str, set[str]],
    run: Select,
    outgoing: Sequence[PropertyGroup] = (),
) -> list[PropertyRow]:
    """The "Referenced by" rows: each named by its property's inverse where the ontology has one
    ("has part" for the things ``is part of`` points here from), else shown as "subject —
    property — this" by the template; never "is … of" glued around a label. A row the
    Properties table already shows under the inverse (same links, read the other way) is left
    out."""
    rows = folded(groups, above)
    shown = {(g.predicate.value, _values(g)) for g in outgoing}
    other_way = inverses(run)
    wanted = {
        other_way[r.group.predicate.value] for r in rows if r.group.predicate.value in other_way
    }
    named = labels_of(run, wanted, languages())
    turned = []
    for row in rows:
        inverse = other_way.get(row.group.predicate.value)
        if inverse is None:
            turned.append(row)
            continue
        if (inverse, _values(row.group)) in shown:
            continue
        label = named.get(inverse, (local_name(inverse), ""))[0]
        term = Term("iri", inverse, label)
        turned.append(replace(row, name=friendly_name(term), inverse=term))
    return turned
