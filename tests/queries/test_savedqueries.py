"""Reading saved queries: the ``#+`` YAML header becomes typed, frozen dataclasses, and every bad
header is refused with the file and line of the mistake."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ipkg.build.sources import ArticleSources
from ipkg.queries.saved import SavedQueryError, read_catalogue, read_saved_query

FIXTURES = Path(__file__).resolve().parent.parent / "web" / "queries_fixture"
BODY = "SELECT ?x ?label WHERE { ?s ?p ?label }\n"


def write(tmp_path: Path, text: str, name: str = "q") -> Path:
    path = tmp_path / f"{name}.rq"
    path.write_text(text, encoding="utf-8")
    return path


def refusal(tmp_path: Path, text: str) -> SavedQueryError:
    path = write(tmp_path, text)
    with pytest.raises(SavedQueryError) as caught:
        read_saved_query(path)
    assert str(caught.value).startswith(f"{path}:{caught.value.line}: ")
    return caught.value


def test_a_full_header_is_read_into_typed_fields() -> None:
    query = read_saved_query(FIXTURES / "organisation.rq")
    assert query.name == "organisation"
    assert query.title == "One organisation's labels and staff"
    assert query.tags == ("organisations",)
    assert query.form == "SELECT"
    (parameter,) = query.params
    assert parameter.name == "organisation"
    assert parameter.type == "iri"
    assert parameter.default == "https://ipkg.example.org/id/cnipa"
    assert len(parameter.allowed) == 3
    assert query.sparql.startswith("PREFIX ipkg:")
    assert "#+" not in query.sparql


def test_saved_queries_are_frozen() -> None:
    query = read_saved_query(FIXTURES / "labels.rq")
    assert query.pagination == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        query.title = "changed"  # type: ignore[misc]


def test_every_parameter_type_is_understood() -> None:
    types = {p.name: p.type for p in read_saved_query(FIXTURES / "echo.rq").params}
    assert set(types.values()) == {"iri", "string", "langstring", "integer", "decimal", "date"}


def test_yaml_scalars_stay_text_so_defaults_are_not_reinterpreted(tmp_path: Path) -> None:
    query = read_saved_query(
        write(
            tmp_path,
            "#+ title: t\n#+ params:\n#+   x:\n#+     type: string\n#+     default: yes\n" + BODY,
        )
    )
    assert query.params[0].default == "yes"


def test_a_file_without_header_names_line_one(tmp_path: Path) -> None:
    assert refusal(tmp_path, BODY).line == 1


def test_invalid_yaml_names_the_file_line(tmp_path: Path) -> None:
    error = refusal(tmp_path, "#+ title: t\n#+ tags: [a, b\n#+ description: d\n" + BODY)
    assert error.line in (2, 3)
    assert "not valid YAML" in str(error)


def test_an_unknown_header_key_names_its_line(tmp_path: Path) -> None:
    error = refusal(tmp_path, "#+ title: t\n#+ description: d\n#+ endpoint: x\n" + BODY)
    assert error.line == 3
    assert "unknown key 'endpoint'" in str(error)


def test_a_missing_title_is_refused(tmp_path: Path) -> None:
    assert "no title" in str(refusal(tmp_path, "#+ description: d\n" + BODY))


def test_an_unknown_parameter_type_names_its_line(tmp_path: Path) -> None:
    text = "#+ title: t\n#+ params:\n#+   x:\n#+     type: number\n" + BODY
    error = refusal(tmp_path, text)
    assert error.line == 4
    assert "type 'number'" in str(error)


def test_a_default_that_does_not_fit_its_type_names_its_line(tmp_path: Path) -> None:
    text = "#+ title: t\n#+ params:\n#+   x:\n#+     type: integer\n#+     default: ten\n" + BODY
    error = refusal(tmp_path, text)
    assert error.line == 5
    assert "parameter 'x'" in str(error)


def test_a_default_outside_the_allowed_values_is_refused(tmp_path: Path) -> None:
    text = (
        "#+ title: t\n#+ params:\n#+   x:\n#+     type: integer\n"
        "#+     allowed: [1, 2]\n#+     default: 3\n" + BODY
    )
    assert refusal(tmp_path, text).line == 6


def test_a_parameter_that_is_not_a_variable_of_the_query_is_refused(tmp_path: Path) -> None:
    error = refusal(tmp_path, "#+ title: t\n#+ params:\n#+   year:\n#+     type: integer\n" + BODY)
    assert error.line == 3
    assert "?year" in str(error)


def test_a_parameter_must_be_projected_to_be_bound(tmp_path: Path) -> None:
    text = (
        "#+ title: t\n#+ params:\n#+   min:\n#+     type: integer\n"
        "SELECT ?s WHERE { ?s ?p ?o FILTER(?o > ?min) }\n"
    )
    error = refusal(tmp_path, text)
    assert error.line == 3
    assert "SELECT clause" in str(error)


def test_parameters_of_a_construct_query_are_refused(tmp_path: Path) -> None:
    text = (
        "#+ title: t\n#+ params:\n#+   s:\n#+     type: iri\n"
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }\n"
    )
    assert "SELECT queries only" in str(refusal(tmp_path, text))


def test_page_is_a_reserved_parameter_name(tmp_path: Path) -> None:
    text = "#+ title: t\n#+ params:\n#+   page:\n#+     type: integer\nSELECT ?page {}\n"
    assert "reserved" in str(refusal(tmp_path, text))


def test_pagination_must_be_a_positive_number(tmp_path: Path) -> None:
    error = refusal(tmp_path, "#+ title: t\n#+ pagination: fifty\n" + BODY)
    assert error.line == 2


def test_a_sparql_syntax_error_names_the_file_line(tmp_path: Path) -> None:
    error = refusal(tmp_path, "#+ title: t\nSELECT ?x\nWHERE { ?x foo:bar ?z }\n")
    assert error.line == 3
    assert "syntax error" in str(error)


def test_a_lenient_catalogue_leaves_out_bad_files_and_keeps_the_rest(tmp_path: Path) -> None:
    write(tmp_path, "#+ title: good\n" + BODY, "good")
    write(tmp_path, "#+ nonsense: 1\n" + BODY, "bad")
    catalogue = read_catalogue(tmp_path)
    assert catalogue.names == ("good",)
    assert len(catalogue.errors) == 1
    assert "bad.rq:1:" in catalogue.errors[0]
    with pytest.raises(SavedQueryError):
        read_catalogue(tmp_path, strict=True)


def test_the_fixture_queries_all_load() -> None:
    assert len(read_catalogue(FIXTURES, strict=True).queries) == 7


def test_the_project_saved_queries_all_load_strictly() -> None:
    folder = ArticleSources.embedded().queries
    if not any(folder.glob("*.rq")):
        pytest.skip("queries/ holds no saved queries yet")
    catalogue = read_catalogue(folder, strict=True)
    assert all(q.title for q in catalogue.queries)
