"""Results are well-formed in every format, whatever characters the literals hold."""

import csv
import io
import json
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest

from ipkg.sparql.formats import BY_KEY
from ipkg.sparql.serialisation import (
    ResultTooLarge,
    write_graph,
    write_query_solutions,
    write_solutions,
)

NASTY = 'a\x01b\x08c\x1fd <script>alert("x")</script>, "quoted"\nline\ttab'
ROWS = [
    [ox.Literal(NASTY), ox.NamedNode("http://x/a")],
    [ox.Literal("42", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")), None],
    [ox.Literal("北京", language="zh"), ox.BlankNode("b0")],
]


def solutions(key: str) -> bytes:
    body, count = write_solutions(BY_KEY[key], ["v", "w"], ROWS, 100, 10**6)
    assert count == len(ROWS)
    return body


def test_json_keeps_control_characters_exactly():
    bindings = json.loads(solutions("json"))["results"]["bindings"]
    assert bindings[0]["v"]["value"] == NASTY
    assert bindings[2]["v"]["xml:lang"] == "zh"
    assert "w" not in bindings[1]


def test_xml_stays_well_formed_with_control_characters():
    root = ET.fromstring(solutions("xml"))
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    literals = root.findall(".//r:literal", ns)
    assert literals[0].text.startswith("a\ufffdb\ufffdc\ufffdd <script>")


def test_csv_rows_survive_commas_quotes_and_newlines():
    rows = list(csv.reader(io.StringIO(solutions("csv").decode(), newline="")))
    assert rows[0] == ["v", "w"]
    assert rows[1][0] == NASTY
    assert rows[2] == ["42", ""]


def test_tsv_has_one_line_per_row():
    lines = solutions("tsv").decode().splitlines()
    assert lines[0] == "?v\t?w"
    assert len(lines) == 1 + len(ROWS)


def test_row_cap_raises_instead_of_truncating():
    with pytest.raises(ResultTooLarge, match="more than 2 rows"):
        write_solutions(BY_KEY["json"], ["v", "w"], ROWS, 2, 10**6)


def test_byte_cap_raises():
    with pytest.raises(ResultTooLarge, match="bytes"):
        write_solutions(BY_KEY["csv"], ["v", "w"], ROWS, 100, 20)


def test_rdf_xml_graph_with_control_characters_is_well_formed():
    triple = ox.Triple(ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p"), ox.Literal(NASTY))
    body, count = write_graph(BY_KEY["rdfxml"], [triple], 10, 10**6)
    assert count == 1
    ET.fromstring(body)


# The same rows from a store, written by pyoxigraph through write_query_solutions.
TRICKY = ['},{"', '"},{"}', "{}", '},{",', "x\r\ny", '"', ""]
STORE_ROWS = "SELECT ?v ?w { ?r <http://x/v> ?v OPTIONAL { ?r <http://x/w> ?w } } ORDER BY ?r"


@pytest.fixture(scope="module")
def store() -> ox.Store:
    data = ox.Store()
    s = [ox.NamedNode(f"http://x/r{i}") for i in range(3)]
    v, w, g = ox.NamedNode("http://x/v"), ox.NamedNode("http://x/w"), ox.DefaultGraph()
    data.add(ox.Quad(s[0], v, ROWS[0][0], g))
    data.add(ox.Quad(s[0], w, ROWS[0][1], g))
    data.add(ox.Quad(s[1], v, ROWS[1][0], g))
    data.add(ox.Quad(s[2], v, ROWS[2][0], g))
    data.add(ox.Quad(s[2], w, ROWS[2][1], g))
    for i, text in enumerate(TRICKY):
        data.add(ox.Quad(ox.NamedNode(f"http://x/t{i}"), v, ox.Literal(text), ox.NamedNode("g:t")))
    return data


def from_store(store: ox.Store, key: str, query: str = STORE_ROWS, **caps) -> tuple[bytes, int]:
    limits = {"max_rows": 100, "max_bytes": 10**6, **caps}
    return write_query_solutions(BY_KEY[key], store.query(query), **limits)


@pytest.mark.parametrize("key", ["json", "csv"])
def test_store_solutions_are_written_byte_for_byte_as_before(store, key):
    body, count = from_store(store, key)
    assert count == 3
    blank = store.query(STORE_ROWS).serialize(format=ox.QueryResultsFormat.TSV).split(b"_:")[1]
    rows = [list(r) for r in ROWS]
    rows[2][1] = ox.BlankNode(blank.split(b"\n")[0].decode())  # the store's own label
    assert body == write_solutions(BY_KEY[key], ["v", "w"], rows, 100, 10**6)[0]


def test_store_solutions_in_xml_stay_well_formed_with_control_characters(store):
    body, count = from_store(store, "xml")
    assert count == 3
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    literals = ET.fromstring(body).findall(".//r:literal", ns)
    assert literals[0].text.startswith("a\ufffdb\ufffdc\ufffdd <script>")


def test_store_solutions_in_tsv_have_one_line_per_row(store):
    body, count = from_store(store, "tsv")
    lines = body.decode().split("\n")
    assert lines[0] == "?v\t?w" and lines[-1] == ""
    assert count == len(lines) - 2 == 3


@pytest.mark.parametrize("key", ["json", "xml", "csv", "tsv"])
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT ?v { GRAPH <g:t> { ?s ?p ?v } }", len(TRICKY)),
        ("SELECT ?x { VALUES ?x { UNDEF UNDEF UNDEF } }", 3),  # rows with nothing bound
        ("SELECT ?x { VALUES ?x { } }", 0),
        ('SELECT ?x ?v { VALUES (?x ?v) { (UNDEF "{}") (UNDEF UNDEF) } }', 2),
        ("SELECT * { }", 1),
    ],
)
def test_store_solutions_are_counted_exactly_whatever_the_strings_hold(store, key, query, expected):
    body, count = from_store(store, key, query)
    assert count == expected
    if key == "json":
        assert len(json.loads(body)["results"]["bindings"]) == expected
    if key == "csv":
        assert len(list(csv.reader(io.StringIO(body.decode(), newline="")))) == expected + 1


def test_store_solutions_past_the_row_cap_are_refused(store):
    with pytest.raises(ResultTooLarge, match="more than 2 rows"):
        from_store(store, "json", max_rows=2)


@pytest.mark.parametrize("key", ["json", "xml", "csv", "tsv"])
def test_store_solutions_past_the_byte_cap_are_refused_while_written(store, key):
    many = "SELECT ?n { VALUES ?x { 1 2 3 4 5 6 7 8 9 10 } VALUES ?y { 1 2 3 4 5 6 7 8 9 10 } "
    many += "VALUES ?z { 1 2 3 4 5 6 7 8 9 10 } BIND(?x * 100 + ?y * 10 + ?z AS ?n) }"
    assert from_store(store, key, many, max_rows=10**4)[1] == 1000
    with pytest.raises(ResultTooLarge, match="bytes"):
        from_store(store, key, many, max_rows=10**4, max_bytes=200)
