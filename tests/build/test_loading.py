"""RDF inputs are parsed with errors that name file, line and column, and the input defences
hold: no DOCTYPE entity expansion, no remote JSON-LD context."""

import contextlib
import socket
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest

from ipkg.build.loading import DataSpec, RdfInputError, read_quads


def test_turtle_syntax_error_names_file_line_and_column(tmp_path: Path):
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://ex/> .\nex:a ex:b ex:c .\nex:a ex:b "open .\n')
    with pytest.raises(RdfInputError) as error:
        read_quads(bad)
    assert str(error.value).startswith(f"{bad}:3:")


def test_missing_file_is_named(tmp_path: Path):
    with pytest.raises(RdfInputError, match="no such file"):
        read_quads(tmp_path / "absent.ttl")


def test_unknown_extension_lists_the_known_ones(tmp_path: Path):
    odd = tmp_path / "data.xyz"
    odd.write_text("")
    with pytest.raises(RdfInputError, match=r"\.ttl"):
        read_quads(odd)


def test_triples_go_into_the_named_graph_and_quads_keep_theirs(tmp_path: Path):
    turtle = tmp_path / "a.ttl"
    turtle.write_text("<http://x/s> <http://x/p> <http://x/o> .\n")
    trig = tmp_path / "b.trig"
    trig.write_text("<http://x/g> { <http://x/s> <http://x/p> 1 }\n")
    (quad,) = read_quads(turtle, "http://x/target")
    assert quad.graph_name == ox.NamedNode("http://x/target")
    (kept,) = read_quads(trig, "http://x/target")
    assert kept.graph_name == ox.NamedNode("http://x/g")


def test_rdf_xml_with_doctype_is_refused(tmp_path: Path):
    laughs = tmp_path / "laughs.rdf"
    laughs.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE rdf [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="http://x"><rdf:value>&b;</rdf:value>'
        "</rdf:Description></rdf:RDF>"
    )
    with pytest.raises(RdfInputError, match="DOCTYPE"):
        read_quads(laughs)


def test_json_ld_remote_context_is_never_fetched(tmp_path: Path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    accepted: list[object] = []

    def watch() -> None:
        with contextlib.suppress(OSError):
            accepted.append(listener.accept())

    watcher = threading.Thread(target=watch)
    watcher.start()
    document = tmp_path / "remote.jsonld"
    document.write_text(f'{{"@context": "http://127.0.0.1:{port}/ctx", "@id": "http://x/a"}}')
    with pytest.raises(RdfInputError):
        read_quads(document)
    watcher.join()
    listener.close()
    assert accepted == []


def test_data_spec_reads_graph_iri_before_the_equals_sign():
    assert DataSpec.parse("http://g/1=data.nt") == DataSpec(Path("data.nt"), "http://g/1")
    assert DataSpec.parse("dir/a=b.ttl") == DataSpec(Path("dir/a=b.ttl"))


def test_relative_iris_of_a_data_file_resolve_against_its_own_file_iri(tmp_path: Path):
    data = tmp_path / "people.ttl"
    data.write_text('<#alice> <name> "Alice" . <> <about> <#alice> .\n')
    quads = read_quads(data)
    here = data.resolve().as_uri()
    assert {q.subject.value for q in quads} == {here + "#alice", here}
    assert ox.NamedNode(tmp_path.resolve().as_uri() + "/name") in {q.predicate for q in quads}


def test_a_base_given_for_a_data_file_wins_over_its_file_iri(tmp_path: Path):
    data = tmp_path / "people.ttl"
    data.write_text('<#alice> <name> "Alice" .\n')
    (quad,) = read_quads(data, base_iri="http://example.org/people")
    assert quad.subject.value == "http://example.org/people#alice"
