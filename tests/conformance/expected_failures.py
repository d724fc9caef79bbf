"""The W3C tests a service is known to fail, each with its reason and, for the engine's own
deviations, a minimal reproduction fit to send upstream (pyoxigraph in-process: data as TriG,
a query, and the answer it gives today as TSV). A listed test that starts passing fails the
run (strict xfail), and ``test_w3c_reproductions.py`` checks every reproduction still gives the
recorded answer."""

from __future__ import annotations

from dataclasses import dataclass

ENGINE = "pyoxigraph 0.5.13 (the engine of the memory and disk stores, and of Oxigraph's server)"


@dataclass(frozen=True)
class Reproduction:
    data: str  # TriG
    query: str
    observed: str  # the TSV pyoxigraph answers today
    expected: str  # what the suite says it should be


@dataclass(frozen=True)
class Deviation:
    reason: str
    reproduction: Reproduction | None = None


_GROUP_CONCAT = Deviation(
    f"{ENGINE}: GROUP_CONCAT over literals that share one language tag keeps the tag; the "
    "suite expects a simple literal",
    Reproduction(
        "",
        'SELECT (GROUP_CONCAT(?o) AS ?g) { VALUES ?o { "1"@en "2"@en } }',
        '?g\n"1 2"@en\n',
        '"1 2" (a simple literal)',
    ),
)
_ZERO_LENGTH = Deviation(
    f"{ENGINE}: a zero-length path (p* or p?) with a constant end on an empty dataset "
    "answers nothing; the suite expects the constant itself",
    Reproduction(
        "",
        "SELECT ?s { ?s <http://e/p>* <http://e/o> }",
        "?s\n",
        "one row, ?s = <http://e/o>",
    ),
)
_ENGINE = {
    "aggregates/agg-groupconcat-04": _GROUP_CONCAT,
    "aggregates/agg-groupconcat-06": _GROUP_CONCAT,
    "aggregates/agg-empty-group-count-graph": Deviation(
        f"{ENGINE}: GRAPH ?g around a subquery with an aggregate leaves ?g unbound (and "
        "answers no row for an empty graph)",
        Reproduction(
            "<http://e/g1> { <http://e/s> <http://e/p> <http://e/o> }",
            "SELECT ?g ?c { GRAPH ?g { SELECT (COUNT(*) AS ?c) { ?s ?p ?o } } }",
            "?g\t?c\n\t1\n",
            "?g = <http://e/g1>, ?c = 1",
        ),
    ),
    "bindings/graph": Deviation(
        f"{ENGINE}: GRAPH ?g around VALUES that leave ?g UNDEF does not bind ?g to each graph",
        Reproduction(
            "<http://e/g1> { <http://e/s> <http://e/p> <http://e/o> }",
            'SELECT ?g ?t { GRAPH ?g { VALUES (?g ?t) { (UNDEF "foo") } } }',
            '?g\t?t\n\t"foo"\n',
            '?g = <http://e/g1>, ?t = "foo"',
        ),
    ),
    "functions/bnode01": Deviation(
        f"{ENGINE}: BNODE(str) gives the same blank node in every solution; the suite wants "
        "one per solution (shared only within a solution)",
        Reproduction(
            '<http://e/a> <http://e/str> "x" . <http://e/b> <http://e/str> "x" .',
            "SELECT (COUNT(DISTINCT ?b) AS ?n) { ?s <http://e/str> ?x BIND(BNODE(?x) AS ?b) }",
            "?n\n1\n",
            "?n = 2",
        ),
    ),
    "csv-tsv-res/tsv03": Deviation(
        f"{ENGINE}: an xsd:negativeInteger literal comes back as xsd:integer (the store "
        "keeps integer-derived types as xsd:integer)",
        Reproduction(
            "",
            'SELECT ?o { VALUES ?o { "-3"^^<http://www.w3.org/2001/XMLSchema#negativeInteger> } }',
            "?o\n-3\n",
            '"-3"^^xsd:negativeInteger',
        ),
    ),
    "negation/graph-minus": Deviation(
        f"{ENGINE}: MINUS inside GRAPH ?g removes rows that share no variable with it",
        Reproduction(
            "<http://e/g1> { <http://e/a> <http://e/p> <http://e/o> }",
            "SELECT ?a { GRAPH ?g { ?a <http://e/p> <http://e/o> "
            "MINUS { ?b <http://e/p> <http://e/o> } } }",
            "?a\n",
            "?a = <http://e/a> (MINUS with no shared variable removes nothing)",
        ),
    ),
    "property-path/zero_or_more_set_start": _ZERO_LENGTH,
    "property-path/zero_or_more_set_end": _ZERO_LENGTH,
    "property-path/zero_or_one_set_start": _ZERO_LENGTH,
    "property-path/zero_or_one_set_end": _ZERO_LENGTH,
}

_LOAD = Deviation(
    "by design: LOAD is refused (403) before it runs, so that no request makes the service "
    "fetch from another server (docs/security.md); Oxigraph's server fetches the IRI"
)
_MALFORMED_LOAD = Deviation(
    "by design: the outbound check (sparql/outbound.py) reads the request's tokens and refuses "
    "any LOAD with 403 before the engine parses it (failing closed), so a malformed LOAD is "
    "refused as LOAD rather than answered 400 as malformed"
)
_POLICY = {
    **{f"syntax-update-1/test_{n}": _LOAD for n in (1, 2, 3, 4, 37)},
    **{f"syntax-update-1/test_{n}": _MALFORMED_LOAD for n in (41, 47, 48, 49)},
    "update-silent/load-silent": _LOAD,
    "update-silent/load-into-silent": _LOAD,
}

# Oxigraph's own server, measured beside ipkg (docs/conformance.md); not asserted.
_OXIGRAPH = {
    "graph-store-protocol/post_get_post_get_indirect": Deviation(
        "Oxigraph's server: a multipart/form-data POST to the Graph Store answers 415"
    ),
    "graph-store-protocol/head_existing_indirect": Deviation(
        "Oxigraph's server: HEAD on a graph answers without a Content-Type"
    ),
}

EXPECTED: dict[str, dict[str, Deviation]] = {
    "memory": {**_ENGINE, **_POLICY},
    "disk": {**_ENGINE, **_POLICY},
    "oxigraph": {**_ENGINE, **_OXIGRAPH},
}


def deviation(service: str, test_id: str) -> Deviation | None:
    """Why ``service`` is expected to fail the test, or None when it must pass."""
    return EXPECTED.get(service, {}).get(test_id)


def reproductions() -> dict[str, Reproduction]:
    """Every engine reproduction, once, by the first test it explains."""
    found: dict[str, Reproduction] = {}
    seen: set[int] = set()
    for test_id, dev in _ENGINE.items():
        if dev.reproduction is not None and id(dev) not in seen:
            seen.add(id(dev))
            found[test_id] = dev.reproduction
    return found
