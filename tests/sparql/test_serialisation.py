"""Results are well-formed in every format, whatever characters the literals hold."""

import csv
import io
import json
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest

from ipkg.sparql.formats import BY_KEY
from ipkg.sparql.serialisation import ResultTooLarge, write_graph, write_solutions

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
