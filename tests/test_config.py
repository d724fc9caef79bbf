"""Settings come from flags over IPKG_* variables over defaults, and bad values are named."""

import argparse

import pytest

from ipkg.config import ConfigError, Settings, add_arguments, settings_from


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
