"""The one format registry (issue 19): RDF formats seeded from pyoxigraph, found by media
type and extension, and every user of formats (dumps, Graph Store bodies, CLI export) reads
it."""

from __future__ import annotations

from ipkg.cli import EXPORT_FORMATS
from ipkg.linkeddata.dumps import DUMP_FORMATS as DUMPS
from ipkg.sparql.formats import (
    BY_KEY,
    DUMP_FORMATS,
    GRAPH,
    GRAPH_BODY_FORMATS,
    by_name,
    from_extension,
    from_media_type,
)


def test_every_rdf_format_takes_its_media_type_extension_and_title_from_pyoxigraph():

    assert DUMP_FORMATS
    for fmt in DUMP_FORMATS:
        assert fmt.rdf is not None
        assert (fmt.media_type, fmt.extension, fmt.title) == (
            fmt.rdf.media_type,
            fmt.rdf.file_extension,
            fmt.rdf.name,
        )


def test_a_format_is_found_by_its_media_type_a_synonym_or_its_extension():

    assert from_media_type("text/turtle; charset=utf-8") is BY_KEY["turtle"]
    assert from_media_type("application/x-turtle", GRAPH_BODY_FORMATS) is BY_KEY["turtle"]
    assert from_media_type("text/plain", GRAPH_BODY_FORMATS) is BY_KEY["ntriples"]
    assert from_media_type("application/trig", GRAPH_BODY_FORMATS) is None  # a dataset
    assert from_extension("NQ") is BY_KEY["nquads"]


def test_the_dumps_and_the_cli_export_use_the_registrys_formats():

    assert DUMPS is DUMP_FORMATS
    assert {by_name(name, GRAPH) for name in EXPORT_FORMATS} == set(DUMP_FORMATS)
