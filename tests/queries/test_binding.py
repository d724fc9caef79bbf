"""Parameter values become RDF terms of their declared type, written so that no value can end
the term it is in; a value that does not fit is refused with the parameter's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipkg.queries.binding import BindingError, rdf_term, substitutions, term_for
from ipkg.queries.saved import Parameter, read_saved_query

XSD = "http://www.w3.org/2001/XMLSchema#"
ECHO = read_saved_query(
    Path(__file__).resolve().parent.parent / "web" / "queries_fixture" / "echo.rq"
)
PAYLOADS = ['a"b', "a'b", "x> <y", "} DROP ALL {", "line\nbreak", '" . } #', "\\", "\x00"]


def parameter(kind: str, **more) -> Parameter:
    return Parameter("p", kind, **more)


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("iri", "https://ipkg.example.org/id/cnipa", "<https://ipkg.example.org/id/cnipa>"),
        ("string", "CNIPA", '"CNIPA"'),
        ("langstring", "国家知识产权局@zh", '"国家知识产权局"@zh'),
        ("langstring", "CNIPA", '"CNIPA"@en'),
        ("langstring", "a@b.com", '"a@b.com"@en'),
        ("integer", "+0690000", f'"690000"^^<{XSD}integer>'),
        ("decimal", "2.50", f'"2.50"^^<{XSD}decimal>'),
        ("decimal", "7", f'"7.0"^^<{XSD}decimal>'),
        ("date", "2024-07-03", f'"2024-07-03"^^<{XSD}date>'),
        ("date", "2024-02-29", f'"2024-02-29"^^<{XSD}date>'),
    ],
)
def test_values_become_terms_of_their_type(kind: str, value: str, expected: str) -> None:
    assert term_for(parameter(kind), value) == expected


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("iri", "cnipa"),
        ("iri", "http://a b"),
        ("iri", "http://x/>"),
        ("iri", "a:%zz"),
        ("integer", "1.5"),
        ("integer", "12e3"),
        ("decimal", "1e5"),
        ("decimal", "NaN"),
        ("date", "2023-02-29"),
        ("date", "2024-13-01"),
        ("date", "3 July 2024"),
    ],
)
def test_values_that_do_not_fit_name_the_parameter(kind: str, value: str) -> None:
    with pytest.raises(BindingError) as caught:
        term_for(parameter(kind), value)
    assert str(caught.value).startswith("parameter 'p': ")


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("kind", ["string", "langstring"])
def test_a_hostile_string_stays_one_literal_with_the_same_text(kind: str, payload: str) -> None:
    term = rdf_term(term_for(parameter(kind), payload))
    assert term.value == payload or term.value + "@" in payload


def test_only_the_allowed_values_are_accepted() -> None:
    allowed = parameter("integer", allowed=("1", "2"))
    assert term_for(allowed, "2") == f'"2"^^<{XSD}integer>'
    with pytest.raises(BindingError, match="one of: 1, 2"):
        term_for(allowed, "3")


def test_overlong_values_are_refused() -> None:
    with pytest.raises(BindingError, match="characters"):
        term_for(parameter("string"), "x" * 5_000)


def test_given_values_and_defaults_fill_the_substitutions() -> None:
    bound = substitutions(ECHO, {"count": ["3"], "name": [""]})
    assert bound == {"count": f'"3"^^<{XSD}integer>'}


def test_an_unknown_parameter_is_refused_with_the_known_ones() -> None:
    with pytest.raises(BindingError) as caught:
        substitutions(ECHO, {"nope": ["1"]})
    assert caught.value.name == "nope"
    assert "resource" in str(caught.value)


def test_a_repeated_parameter_is_refused() -> None:
    with pytest.raises(BindingError, match="2 times"):
        substitutions(ECHO, {"count": ["1", "2"]})
