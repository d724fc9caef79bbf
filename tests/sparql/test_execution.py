"""Query execution turns every failure of the engine into an outcome of its kind, never an exception
that would end a query worker."""

from __future__ import annotations

import pyoxigraph as ox

from ipkg.errors import ErrorKind
from ipkg.sparql.execution import QueryRequest, execute


def test_substituting_a_variable_outside_the_projection_is_a_bad_request_not_a_crash():
    outcome = execute(
        ox.Store(),
        QueryRequest(
            "SELECT ?p { ?x ?p ?o FILTER(?x = <http://example.org/y>) }",
            "json",
            substitutions={"x": "<http://example.org/x>"},
        ),
    )
    assert outcome.failure is ErrorKind.BAD_REQUEST
    assert b"?x" in outcome.body


def test_a_syntax_error_is_a_bad_request_naming_the_position():
    outcome = execute(ox.Store(), QueryRequest("SELECT * { ?s ?p }", "json"))
    assert outcome.failure is ErrorKind.BAD_REQUEST
    assert outcome.body.startswith(b"SPARQL syntax error")
