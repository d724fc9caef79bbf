"""Every dump format reads back into the graph it was written from; JSON-LD expands to the
same triples with a document loader that refuses to fetch anything; ``ipkg export`` writes
the same files as the service."""

from __future__ import annotations

import json
import subprocess
import sys

import pyoxigraph as ox
import pytest
from pyld import jsonld as pyld

from ipkg.build.cache import InferenceCache
from ipkg.build.dataset import article_quads
from ipkg.build.sources import ArticleSources
from ipkg.linkeddata.dumps import DUMP_FORMATS, GRAPHS, context, dump, read_back, selected
from ipkg.namespaces import Namespaces

NS = Namespaces()


@pytest.fixture(scope="module")
def quads(inference_cache: InferenceCache) -> list[ox.Quad]:
    cache = inference_cache
    return article_quads(ArticleSources.embedded(), NS, cache=cache)


def canonical(quads: list[ox.Quad], keep_graphs: bool = True) -> set[str]:
    """The quads with blank nodes canonically labelled (RDFC-1.0): equal sets mean isomorphic
    datasets. Without ``keep_graphs`` graph names are dropped (and duplicates merged)."""
    if not keep_graphs:
        quads = [ox.Quad(q.subject, q.predicate, q.object) for q in quads]
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return {str(q) for q in dataset}


def refuse_remote(url: str, options: dict | None = None):
    raise AssertionError(f"the JSON-LD processor tried to load {url}")


@pytest.mark.slow
@pytest.mark.parametrize("graph", GRAPHS)
@pytest.mark.parametrize("fmt", DUMP_FORMATS, ids=lambda f: f.key)
def test_dump_reads_back_isomorphic(quads, graph, fmt):
    chosen = selected(quads, graph, NS)
    assert chosen
    back = read_back(dump(chosen, fmt, NS), fmt)
    keep = fmt.keeps_graphs
    assert canonical(back, keep) == canonical(chosen, keep)


@pytest.mark.parametrize("graph", ("asserted", "complete"))
def test_jsonld_expands_offline_to_the_same_triples(quads, graph):
    chosen = selected(quads, graph, NS)
    document = json.loads(dump(chosen, next(f for f in DUMP_FORMATS if f.key == "jsonld"), NS))
    nquads = pyld.to_rdf(
        document, {"format": "application/n-quads", "documentLoader": refuse_remote}
    )
    back = list(ox.parse(nquads.encode(), format=ox.RdfFormat.N_QUADS))
    assert canonical(back, False) == canonical(chosen, False)


def test_jsonld_is_compacted_with_the_published_context(quads):
    fmt = next(f for f in DUMP_FORMATS if f.key == "jsonld")
    document = json.loads(dump(selected(quads, "asserted", NS), fmt, NS))
    assert document["@context"] == context(NS)["@context"]
    nodes = {node["@id"]: node for node in document["@graph"]}
    cnipa = nodes["id:cnipa"]
    assert cnipa["@type"] == "ipkg:GovernmentAgency"
    assert "rdfs:label" in cnipa


def test_turtle_dump_is_prefixed(quads):
    fmt = next(f for f in DUMP_FORMATS if f.key == "turtle")
    text = dump(selected(quads, "asserted", NS), fmt, NS).decode()
    assert "@prefix ipkg: <https://ipkg.example.org/ontology#>" in text
    assert "id:cnipa" in text


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "key"), [("turtle", "turtle"), ("json-ld", "jsonld"), ("nquads", "nquads")]
)
def test_cli_export_writes_the_same_dump(quads, tmp_path, name, key):
    out = tmp_path / "dump"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ipkg",
            "export",
            "--format",
            name,
            "--graph",
            "asserted",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        env={"IPKG_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    fmt = next(f for f in DUMP_FORMATS if f.key == key)
    back = read_back(out.read_bytes(), fmt)
    assert canonical(back) == canonical(
        read_back(dump(selected(quads, "asserted", NS), fmt, NS), fmt)
    )
