"""Content negotiation picks what the client prefers among what the server can produce."""

from ipkg.sparql.formats import BOOLEAN, GRAPH, SOLUTIONS, by_name, formats_for
from ipkg.sparql.negotiation import choose, parse_accept


def pick(accept: str | None, kind: str = SOLUTIONS) -> str | None:
    chosen = choose(accept, formats_for(kind))
    return chosen.key if chosen else None


def test_missing_accept_header_gets_the_preferred_format():
    assert pick(None) == "json"
    assert pick(None, GRAPH) == "turtle"


def test_highest_q_value_wins():
    assert pick("application/sparql-results+json;q=0.5, text/csv") == "csv"


def test_more_specific_range_overrides_a_wildcard():
    assert pick("*/*;q=0.9, text/*;q=0.1, text/tab-separated-values") == "tsv"
    assert pick("text/*;q=0.1, */*") == "json"


def test_q_zero_excludes_a_format():
    assert pick("application/sparql-results+json;q=0, */*") == "xml"


def test_nothing_acceptable_gives_none():
    assert pick("image/png") is None
    assert pick("text/csv", BOOLEAN) is None


def test_plain_json_means_sparql_json_for_select_and_json_ld_for_graphs():
    assert pick("application/json") == "json"
    assert pick("application/json", GRAPH) == "jsonld"


def test_malformed_entries_are_skipped():
    assert [r.type for r in parse_accept("garbage, text/csv;q=abc, text/turtle")] == [
        "text",
        "text",
    ]


def test_format_names_resolve_per_kind():
    assert by_name("csv", SOLUTIONS).key == "csv"
    assert by_name("csv", GRAPH) is None
    assert by_name("xml", GRAPH).key == "rdfxml"
    assert by_name("text/turtle", GRAPH).key == "turtle"
