"""The engine's parser messages said in SPARQL words, with line, column and a caret: read
from real pyoxigraph errors, so an engine upgrade that changes its wording shows up here."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from ipkg.sparql.plain_words import LARGEST_COUNT, syntax_error


def message_for(query: str, update: bool = False) -> str:
    store = ox.Store()
    with pytest.raises(SyntaxError) as raised:
        store.update(query) if update else store.query(query)
    return syntax_error(str(raised.value), query, update=update)


def caret_column(message: str) -> int:
    """The column (1-based) the message's caret points at."""
    return message.splitlines()[-1].index("^") + 1


def test_a_misspelt_query_form_names_the_four_forms_at_the_word():
    message = message_for("PREFIX a: <http://x/>\nSELCT * WHERE { ?s ?p ?o }")
    assert message.startswith("SPARQL syntax error at line 2, column 1: ")
    assert "expected a query form: SELECT, ASK, CONSTRUCT or DESCRIBE, not 'SELCT'" in message
    assert message.splitlines()[-2:] == ["SELCT * WHERE { ?s ?p ?o }", "^"]


def test_a_misspelt_update_operation_names_the_operations():
    message = message_for("INSRT DATA { <urn:a> <urn:b> <urn:c> }", update=True)
    assert "expected an update operation: INSERT, DELETE" in message and "'INSRT'" in message


@pytest.mark.parametrize("clause", ["LIMIT", "OFFSET"])
@pytest.mark.parametrize("number", [str(LARGEST_COUNT + 1), "-1"])
def test_limit_and_offset_bounds_are_said_plainly(clause, number):
    query = f"SELECT * WHERE {{ ?s ?p ?o }} {clause} {number}"
    message = message_for(query)
    assert f"{clause} takes a whole number from 0 to {LARGEST_COUNT}" in message
    assert "non negative integer" not in message and "['0'" not in message
    assert caret_column(message) == query.index(number) + 1


def test_the_largest_limit_the_message_names_is_accepted():
    ox.Store().query(f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {LARGEST_COUNT}")


def test_an_undeclared_prefix_is_named_with_the_line_to_add():
    message = message_for("SELECT * WHERE {\n  ?s rdfs:label ?o }")
    assert message.startswith("SPARQL syntax error at line 2, column 16: prefix 'rdfs:' is ")
    assert "add PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>" in message
    assert message.splitlines()[-2] == "  ?s rdfs:label ?o }"


def test_an_unfinished_query_says_it_ends_too_soon_and_what_is_open():
    message = message_for("SELECT * WHERE { ?s ?p ?o")
    assert "the query ends too soon ('{' is not closed)" in message


def test_a_stray_word_is_unexpected_and_the_caret_is_at_its_start():
    query = "SELECT * WHERE { ?s ?p ?o } garbage"
    message = message_for(query)
    assert "unexpected text here" in message
    assert caret_column(message) == query.index("garbage") + 1


def test_an_empty_query_asks_for_a_query_form():
    message = message_for("   ")
    assert message == (
        "SPARQL syntax error: the query is empty: expected a query form: "
        "SELECT, ASK, CONSTRUCT or DESCRIBE"
    )


BROKEN = [
    "ASK {",
    "SELECT * WHERE { ?s ?p ?o . FILTER( }",
    "DESCRIBE",
    "SELECT * WHERE { ?s ?p }",
    "SELECT * WHERE { ?s ?p ?o } GROUP",
    "SELECT ?x WHERE { ?x <urn:p> 'unterminated }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o ",
]


@pytest.mark.parametrize("query", BROKEN)
def test_no_message_leaks_the_parser_grammar(query):
    message = message_for(query)
    assert "\\u{" not in message and "..=" not in message and "[_]" not in message
    assert not re.search(r"error at \d+:\d+", message)
    first = message.splitlines()[0]
    assert first.startswith("SPARQL syntax error at line 1, column ")
    assert message.splitlines()[-2] == query  # the line itself, then the caret
    assert len(first) < 300


def test_a_long_line_is_cut_around_the_caret():
    query = "SELECT * WHERE { " + "?s ?p ?o . " * 40 + "FILTER( }"
    message = message_for(query)
    excerpt, caret = message.splitlines()[-2:]
    assert len(excerpt) <= 102 and excerpt.startswith("…")
    assert excerpt.endswith("FILTER( }")
    assert caret.index("^") == len(excerpt)  # just after the text, where the engine stopped
