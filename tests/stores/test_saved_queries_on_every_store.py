"""Every saved query (queries/*.rq, through the saved-query API with its default parameters)
gives the same answer on the disk store and on a remote Virtuoso as on the in-memory store,
whose answers tests/test_query_answers.py checks against the article."""

from __future__ import annotations

import contextlib
from decimal import Decimal, InvalidOperation

import pytest
import requests

from ipkg.build.sources import ArticleSources
from support.servers import RunningServer

pytestmark = pytest.mark.slow  # starts the article on three stores

QUERY_NAMES = sorted(p.stem for p in ArticleSources.embedded().queries.glob("*.rq"))
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("integer", "decimal", "double", "float", "nonNegativeInteger")}


def normal_term(binding: dict | None) -> tuple:
    """A result term with the differences that carry no meaning taken out: number spelling
    (Virtuoso writes 1.50 as 1.5), language-tag case, blank-node labels, xsd:string."""
    if binding is None:
        return ()
    kind, value = binding["type"], binding["value"]
    if kind == "bnode":
        return ("bnode",)
    if kind == "uri":
        return ("uri", value)
    datatype = binding.get("datatype", "")
    if datatype in NUMERIC:
        with contextlib.suppress(InvalidOperation):
            value = str(Decimal(value).normalize())
        datatype = "number"
    if datatype == XSD + "string":
        datatype = ""
    return ("literal", value, binding.get("xml:lang", "").lower(), datatype)


def answer(server: RunningServer, name: str) -> object:
    """The query's answer, every page of it, in a form that ignores row order (engines may
    order ties and collate strings differently) and blank-node labels."""
    url = server.url + f"/api/queries/{name}.json"
    response = requests.get(url, timeout=60)
    if response.headers.get("Content-Type", "").startswith("application/sparql-results+json"):
        data = response.json()
        if "boolean" in data:
            return data["boolean"]
        names, rows, page = data["head"]["vars"], [], 1
        while True:
            bindings = data["results"]["bindings"]
            rows += [tuple(normal_term(row.get(n)) for n in names) for row in bindings]
            if 'rel="next"' not in response.headers.get("Link", ""):
                return names, sorted(rows)
            page += 1
            response = requests.get(url, params={"page": page}, timeout=60)
            data = response.json()
    graph = requests.get(server.url + f"/api/queries/{name}.nt", timeout=60)
    assert graph.status_code == 200, graph.text
    lines = {
        " ".join("_:b" if part.startswith("_:") else part for part in line.split(" "))
        for line in graph.text.splitlines()
        if line.strip()
    }
    return sorted(lines)


# Where an engine departs from SPARQL 1.1 itself (not a difference of spelling or order).
# (store, query) pairs whose answers differ by a known store quirk, with the reason. Empty: the
# one there was (Virtuoso dividing integers as integers) is avoided by a cast in the query.
KNOWN_DIFFERENCES: dict[tuple[str, str], str] = {}


def cases() -> list:
    return [
        pytest.param(
            store,
            name,
            id=f"{store}-{name}",
            marks=[
                *([pytest.mark.virtuoso] if store == "remote" else []),
                *(
                    [pytest.mark.xfail(reason=KNOWN_DIFFERENCES[store, name], strict=True)]
                    if (store, name) in KNOWN_DIFFERENCES
                    else []
                ),
            ],
        )
        for store in ("disk", "remote")
        for name in QUERY_NAMES
    ]


@pytest.mark.parametrize(("store", "name"), cases())
def test_saved_query_gives_the_memory_stores_answer(request, memory_server, store, name):
    other = request.getfixturevalue(f"{store}_server")
    expected = answer(memory_server, name)
    assert expected, f"{name}: no answer on the memory store"
    assert answer(other, name) == expected
