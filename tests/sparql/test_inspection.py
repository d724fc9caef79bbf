"""The lexical scan finds the query form and refuses SERVICE and deep nesting, but is not
fooled by keywords inside strings, comments, IRIs or prefixed names."""

import pytest

from ipkg.errors import ErrorKind
from ipkg.sparql.inspection import MAX_NESTING, RefusedQuery, inspect_request


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("SELECT * { ?s ?p ?o }", "SELECT"),
        ("PREFIX ask: <http://x/> CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("BASE <http://x/> describe <y>", "DESCRIBE"),
        ("ask {}", "ASK"),
        ("INSERT DATA { <a> <b> <c> }", "UPDATE"),
        ("CLEAR ALL", "UPDATE"),
        ("{ broken", None),
    ],
)
def test_form_is_the_first_query_or_update_keyword(text, form):
    assert inspect_request(text).form == form


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }",
        "select * { service ?endpoint { ?s ?p ?o } }",
        "SELECT * {\n  Service\t<x> {} }",
    ],
)
def test_service_keyword_is_refused_as_forbidden(text):
    with pytest.raises(RefusedQuery) as refused:
        inspect_request(text)
    assert refused.value.kind is ErrorKind.FORBIDDEN
    assert "SERVICE" in str(refused.value)


@pytest.mark.parametrize(
    "text",
    [
        'SELECT * { ?s ?p "SERVICE" }',
        "SELECT * { ?s ?p '''a\nSERVICE b''' }",
        "SELECT * { ?s ?p ?o } # SERVICE <http://x>",
        "SELECT * { ?s <http://x/SERVICE> ?o }",
        "PREFIX service: <http://x/> SELECT * { service:SERVICE ?p ?service }",
    ],
)
def test_service_inside_literals_comments_iris_and_names_is_allowed(text):
    assert inspect_request(text).form == "SELECT"


def test_nesting_beyond_the_limit_is_refused_with_its_position():
    text = "SELECT * " + "{" * (MAX_NESTING + 1)
    with pytest.raises(RefusedQuery, match="line 1, column") as refused:
        inspect_request(text)
    assert refused.value.kind is ErrorKind.BAD_REQUEST


def test_from_clause_is_noticed_but_not_inside_a_string():
    assert inspect_request("SELECT * FROM <g> { ?s ?p ?o }").has_dataset_clause
    assert not inspect_request('SELECT * { ?s ?p "FROM" }').has_dataset_clause
