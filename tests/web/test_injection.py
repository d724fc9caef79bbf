"""Injection: quotes, ``>``, ``}``, newlines and whole SPARQL fragments sent in every parameter
type stay values. Each call either is refused with 400 naming the parameter, or answers the
query as written (same variables, same one row) with the value bound as one literal or IRI.
(grlc pastes values into the query text and has had an open injection bug since 2018.)"""

from __future__ import annotations

import csv
import io

import pytest
import requests

from support.servers import RunningServer

ECHO_VARIABLES = ["resource", "name", "label", "count", "ratio", "day", "matches"]
TYPES = {
    "resource": "iri",
    "name": "string",
    "label": "langstring",
    "count": "integer",
    "ratio": "decimal",
    "day": "date",
}
# Each payload is tried alone and after a value that is valid for the parameter's type.
VALID = {
    "resource": "https://ipkg.example.org/id/cnipa",
    "name": "CNIPA",
    "label": "CNIPA",
    "count": "690000",
    "ratio": "2.5",
    "day": "2024-07-03",
}
PAYLOADS = [
    '"',
    "'",
    ">",
    "}",
    "\n",
    '" . } UNION { ?s ?p ?o } #',
    "> ?p ?o } UNION { ?s ?p ?o",
    "'''",
    '"@en } ; DROP ALL ; SELECT * { "',
    "}\nSELECT * WHERE { ?s ?p ?o }\n#",
    '\\" } #',
    ")) } #",
    '"^^<http://www.w3.org/2001/XMLSchema#integer> } #',
]


def echo(server: RunningServer, name: str, value: str) -> requests.Response:
    return requests.get(server.url + "/api/queries/echo.json", params={name: value}, timeout=30)


def cases() -> list[tuple[str, str]]:
    return [
        (name, prefix + payload)
        for name in TYPES
        for payload in PAYLOADS
        for prefix in ("", VALID[name])
    ]


@pytest.mark.parametrize(("name", "value"), cases())
def test_a_payload_is_a_value_or_a_400_naming_its_parameter(
    saved_queries_server, name: str, value: str
) -> None:
    response = echo(saved_queries_server, name, value)
    if response.status_code == 400:
        assert response.text.startswith(f"parameter '{name}':"), response.text
        return
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["head"]["vars"] == ECHO_VARIABLES
    (row,) = result["results"]["bindings"]
    term = row[name]
    assert term["type"] == ("uri" if TYPES[name] == "iri" else "literal")
    if TYPES[name] == "string":
        assert term["value"] == value
        assert "datatype" not in term and "xml:lang" not in term
    elif TYPES[name] == "langstring":
        assert term["value"] in (value, value.rpartition("@")[0])
        assert "xml:lang" in term
    assert set(row) == {name, "matches"}


@pytest.mark.parametrize("name", ["resource", "count", "ratio", "day"])
def test_structured_types_refuse_every_payload(saved_queries_server, name: str) -> None:
    # An apostrophe is a legal IRI character (RFC 3987 sub-delims): those cases are above.
    for payload in [p for p in PAYLOADS if not (name == "resource" and set(p) == {"'"})]:
        response = echo(saved_queries_server, name, VALID[name] + payload)
        assert response.status_code == 400, (payload, response.text)
        assert response.text.startswith(f"parameter '{name}':")


def test_string_payloads_come_back_unchanged_in_every_format(saved_queries_server) -> None:
    payload = '" . } UNION { ?s ?p ?o } #\n>'
    url = saved_queries_server.url + "/api/queries/echo"
    tsv = requests.get(url + ".tsv", params={"name": payload}, timeout=30).text
    assert tsv.splitlines()[1].split("\t")[1] == '"\\" . } UNION { ?s ?p ?o } #\\n>"'
    csv_text = requests.get(url + ".csv", params={"name": payload}, timeout=30).text
    header, row = csv.reader(io.StringIO(csv_text, newline=""))
    assert header == ECHO_VARIABLES
    assert row[1] == payload


def test_an_injected_union_does_not_add_rows(saved_queries_server) -> None:
    url = saved_queries_server.url + "/api/queries/organisation.json"
    for payload in ("> ?p ?o } UNION { ?s ?p ?o", "https://ipkg.example.org/id/cnipa> } #"):
        response = requests.get(url, params={"organisation": payload}, timeout=30)
        assert response.status_code == 400
        assert response.text.startswith("parameter 'organisation':")


def test_markup_in_a_value_is_escaped_in_the_html_view(saved_queries_server) -> None:
    payload = '<script>alert("x")</script>'
    page = requests.get(
        saved_queries_server.url + "/api/queries/echo.html", params={"name": payload}, timeout=30
    ).text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page
