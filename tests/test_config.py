"""Settings come from flags over IPKG_* variables over defaults, and bad values are named."""

import argparse

import pytest

from ipkg.config import ConfigError, Settings, add_arguments, settings_from
from ipkg.namespaces import CANONICAL_BASE, Namespaces


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def test_defaults_apply_without_flags_or_environment():
    settings = settings_from(parse([]), environ={})
    assert settings.host == "127.0.0.1"
    assert settings.query_timeout == Settings().query_timeout


def test_environment_variable_sets_a_setting():
    settings = settings_from(parse([]), environ={"IPKG_PORT": "9123", "IPKG_QUERY_TIMEOUT": "2.5"})
    assert settings.port == 9123
    assert settings.query_timeout == 2.5


def test_flag_wins_over_environment_variable():
    settings = settings_from(parse(["--port", "9000"]), environ={"IPKG_PORT": "9123"})
    assert settings.port == 9000


def test_repeatable_data_flag_collects_every_file():
    settings = settings_from(parse(["--data", "a.ttl", "--data", "b.nq"]), environ={})
    assert settings.data == ("a.ttl", "b.nq")


def test_bad_environment_value_names_the_variable():
    with pytest.raises(ConfigError, match="IPKG_PORT"):
        settings_from(parse([]), environ={"IPKG_PORT": "eighty"})


def test_non_positive_timeout_is_refused_with_its_name():
    with pytest.raises(ConfigError, match="query_timeout"):
        settings_from(parse(["--query-timeout", "0"]), environ={})


def test_ontology_without_data_files_is_refused_with_its_name():
    with pytest.raises(ConfigError, match="ontology"):
        settings_from(parse(["--ontology", "onto.ttl"]), environ={})


def test_public_base_is_the_served_base_and_the_article_is_written_under_the_canonical_one():
    served = Settings(public_base="http://127.0.0.1:8792/").namespaces()
    assert served.base == "http://127.0.0.1:8792/"
    assert served.rebase(CANONICAL_BASE + "ontology#Person") == served.ontology + "Person"
    assert served.rebase("http://www.wikidata.org/entity/Q1") == "http://www.wikidata.org/entity/Q1"
    assert Settings().namespaces() == Namespaces(), "without --public-base nothing moves"


def test_data_files_are_moved_from_base_onto_public_base():
    settings = Settings(data=("x.ttl",), base="http://my.test/", public_base="http://k.test/")
    served = settings.namespaces()
    assert served.rebase("http://my.test/id/a") == "http://k.test/id/a"
    assert served.rebase(CANONICAL_BASE + "id/a") == CANONICAL_BASE + "id/a"


def test_saved_query_text_is_moved_onto_the_served_base():
    served = Settings(public_base="http://k.test/").namespaces()
    text = f"PREFIX ipkg: <{CANONICAL_BASE}ontology#>\n#+ default: {CANONICAL_BASE}id/cnipa\n"
    assert served.rebase_text(text) == (
        "PREFIX ipkg: <http://k.test/ontology#>\n#+ default: http://k.test/id/cnipa\n"
    )
