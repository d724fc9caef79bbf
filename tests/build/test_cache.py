"""Reasoning results are cached by the hash of their inputs: a restart reuses them, and any
changed input gives a different key."""

from pathlib import Path

import pyoxigraph as ox

from ipkg.build.cache import InferenceCache, cache_key
from ipkg.build.dataset import inferred_quads
from ipkg.build.loading import read_quads

ONTOLOGY = "<http://x/U> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <http://x/I> .\n"
FACTS = "<http://x/t> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://x/U> .\n"
INSTITUTION = ox.Triple(
    ox.NamedNode("http://x/t"),
    ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
    ox.NamedNode("http://x/I"),
)


def test_key_changes_with_any_input_byte_or_base():
    key = cache_key([b"a", b"b"], base="http://x/", reasoner="owlrl")
    assert key == cache_key([b"a", b"b"], base="http://x/", reasoner="owlrl")
    assert key != cache_key([b"a", b"c"], base="http://x/", reasoner="owlrl")
    assert key != cache_key([b"a", b"b"], base="http://y/", reasoner="owlrl")


def test_second_build_reads_the_cache_instead_of_reasoning(tmp_path: Path):
    (tmp_path / "o.ttl").write_text(ONTOLOGY)
    (tmp_path / "f.ttl").write_text(FACTS)
    ontology = read_quads(tmp_path / "o.ttl", "http://g/o")
    facts = read_quads(tmp_path / "f.ttl", "http://g/a")
    cache = InferenceCache(tmp_path / "cache")
    key = cache_key([ONTOLOGY.encode(), FACTS.encode()], base="http://x/", reasoner="owlrl")
    first = inferred_quads(ontology, facts, "http://g/i", key, cache)
    assert INSTITUTION in [q.triple for q in first]
    # Plant a marker in the cached file: a second build that reads the cache returns it.
    marker = ox.Triple(ox.NamedNode("http://x/m"), ox.NamedNode("http://x/p"), ox.Literal("m"))
    cache.put(key, [*(q.triple for q in first), marker])
    second = inferred_quads(ontology, facts, "http://g/i", key, cache)
    assert marker in [q.triple for q in second]
    assert all(q.graph_name == ox.NamedNode("http://g/i") for q in second)


def test_unwritable_cache_directory_is_skipped(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = InferenceCache(blocker / "cache")
    cache.put("k", [INSTITUTION])
    assert cache.get("k") is None
