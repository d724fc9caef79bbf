"""The outbound check refuses exactly what the engine would send to another server: each
spelling below is first shown to be SERVICE or LOAD to pyoxigraph itself (it refuses port 9,
the discard port, before opening any connection), then shown refused with 403; and queries the
engine runs without reaching out pass, whatever they name."""

import re

import pyoxigraph as ox
import pytest

from ipkg.errors import ErrorKind
from ipkg.sparql.inspection import inspect_request
from ipkg.sparql.outbound import RefusedQuery, refuse_outbound

PORT_9 = "<http://127.0.0.1:9/sparql>"
P9 = "PREFIX s: <http://127.0.0.1:9/> PREFIX : <http://127.0.0.1:9/> PREFIX ex: <http://e/> "

OUTBOUND_QUERIES = [
    f"SELECT * WHERE {{ SERVICE {PORT_9} {{ ?s ?p ?o }} }}",
    f"select * where {{ service {PORT_9} {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ SERVICE SILENT {PORT_9} {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ SERVICESILENT{PORT_9}{{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE {PORT_9} {{ ?s ?p ?o }} }} }} }}",
    P9 + "SELECT * WHERE { SERVICE:x { ?s ?p ?o } }",
    P9 + "SELECT * WHERE { SERVICEs:x { ?s ?p ?o } }",
    P9 + f"SELECT * WHERE {{ {{ ex:a\\# ?p ?o }} UNION {{ SERVICE {PORT_9} {{ ?s ?p ?o }} }} }}",
    P9 + f"SELECT * WHERE {{ {{ ex:a\\' ?p ?o }} UNION {{ SERVICE {PORT_9} {{ ?s ?p ?o }} }} }}",
    f'SELECT * WHERE {{ BIND("a\\u0022 # " AS ?x) SERVICE {PORT_9} {{ ?s ?p ?o }} }}',
    f"SELECT * WHERE {{ BIND(1 AS ?a) BIND(2 AS ?b) BIND({PORT_9} AS ?v) "
    "FILTER(?a<?b)SERVICE?v#>\n{ ?s ?p ?o } }",
    f"SELECT * WHERE {{ FILTER(true)SERVICE {PORT_9} {{ ?s ?p ?o }} }}",
]
OUTBOUND_UPDATES = [
    f"LOAD {PORT_9}",
    f"load silent {PORT_9}",
    f"LOADSILENT{PORT_9}",
    P9 + "LOADs:x",
    f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE {PORT_9} {{ ?s ?p ?o }} }}",
    f"CLEAR ALL ; LOAD {PORT_9} INTO GRAPH <http://g>",
]
MISSPELLED = [  # malformed for the engine, but they spell SERVICE or LOAD: refused as such
    f"SELECT * WHERE {{ \\u0053ERVICE {PORT_9} {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ \\U00000053ERVICE {PORT_9} {{ ?s ?p ?o }} }}",
]
PASSING_QUERIES = [
    "SELECT * WHERE { ?s ?p 'download' }",
    'SELECT * WHERE { ?s ?p "SERVICE" }',
    "SELECT * WHERE { ?s ?p '''a\nSERVICE <x> {}''' }",
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x> { }",
    "SELECT * WHERE { ?s ?p ?o } # \\u000A SERVICE <http://x> { }",
    "SELECT * WHERE { ?s <http://x/service> ?o }",
    "SELECT ?service ?load ?download WHERE { ?service ?load ?download }",
    "PREFIX service: <http://x/> SELECT * WHERE { service:SERVICE ?p ?service }",
    "PREFIX load: <http://x/> SELECT * WHERE { ?s load:x ?o }",
    "PREFIX ex: <http://e/> SELECT * WHERE { ex:ip-service-task-list ?p ?o }",
    "PREFIX ex: <http://e/> SELECT * WHERE { ex:a\\#service ?p ?o }",
    'SELECT * WHERE { BIND("say \\u0022service\\u0022" AS ?x) }',
    "SELECT * WHERE { BIND(1 AS ?a) BIND(2 AS ?b) FILTER(?a<?b&&?b>?a) }",
    'SELECT * WHERE { BIND("x"@en-service AS ?l) }',
    "SELECT ?payload WHERE { BIND(<<( <http://a> <http://b> <http://c> )>> AS ?payload) }",
    "SELECT * WHERE { <<( <http://a> <http://b> <http://c> )>> ?p ?payload }",
    "SELECT ?x WHERE { ?x <http://e/serviceType> ?y }",
]


def _engine_reaches_out(text: str, update: bool) -> bool:
    """Whether pyoxigraph tries port 9 for ``text`` (SILENT dropped: it would hide the try)."""
    text = re.sub("silent", " ", text, flags=re.IGNORECASE)
    store = ox.Store()
    try:
        if update:
            store.update(text)
        else:
            list(store.query(text))
    except OSError as exc:
        return "port 9" in str(exc)
    except RuntimeError as exc:  # SERVICE ?v read as SERVICE, before ?v is known
        return "service name" in str(exc)
    return False


def _refused(text: str, update: bool) -> RefusedQuery:
    with pytest.raises(RefusedQuery) as refused:
        refuse_outbound(text, update=update)
    assert refused.value.kind is ErrorKind.FORBIDDEN
    with pytest.raises(RefusedQuery):
        inspect_request(text)
    return refused.value


@pytest.mark.parametrize("text", OUTBOUND_QUERIES)
def test_every_query_the_engine_sends_out_is_refused_403(text):
    assert _engine_reaches_out(text, update=False), "the engine does not read SERVICE here"
    assert "SERVICE" in str(_refused(text, update=False))


@pytest.mark.parametrize("text", OUTBOUND_UPDATES)
def test_every_update_the_engine_sends_out_is_refused_403(text):
    assert _engine_reaches_out(text, update=True), "the engine does not read LOAD/SERVICE here"
    _refused(text, update=True)


@pytest.mark.parametrize("text", MISSPELLED)
def test_unicode_escaped_keywords_are_refused_403_though_the_engine_rejects_them(text):
    with pytest.raises(SyntaxError):
        ox.Store().query(text)
    _refused(text, update=False)


@pytest.mark.parametrize("text", PASSING_QUERIES)
def test_queries_the_engine_runs_without_reaching_out_pass(text):
    assert not _engine_reaches_out(text, update=False)
    ox.Store().query(text)  # the engine accepts it (SyntaxError fails the test)
    refuse_outbound(text, update=False)
    inspect_request(text)


def test_a_120_pattern_query_with_a_download_variable_passes():
    patterns = " UNION ".join(f"{{ ?download <http://e/p{i}> ?o }}" for i in range(120))
    text = f"SELECT ?download WHERE {{ {patterns} }}"
    ox.Store().query(text)
    refuse_outbound(text, update=False)


def test_a_prefix_named_download_may_be_declared_in_an_update():
    text = "PREFIX download: <http://e/> INSERT DATA { download:a download:b download:c }"
    ox.Store().update(text)
    refuse_outbound(text, update=True)
