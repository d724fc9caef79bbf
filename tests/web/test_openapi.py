"""``/api/openapi.json``: generated from the saved queries' headers, valid OpenAPI 3, and true to
the live server: a bounded schemathesis run finds no 5xx and no response that breaks it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests
from openapi_spec_validator import validate

from ipkg.build.sources import ArticleSources
from ipkg.queries.binding import IRI_PATTERN
from support.servers import RunningServer

# A URL longer than the front reads (an 8 KiB request line, web/front.py) is refused with 414
# before the app sees it: for schemathesis that is a rejection of too-long data like 400.
SCHEMATHESIS_CONFIG = """\
[checks.negative_data_rejection]
expected-statuses = [400, 404, 406, 414]
"""


def document(server: RunningServer) -> dict:
    response = requests.get(server.url + "/api/openapi.json", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()


def test_the_document_is_valid_openapi_3(saved_queries_server) -> None:
    spec = document(saved_queries_server)
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert spec["servers"] == [{"url": saved_queries_server.url}]


def test_every_saved_query_is_an_operation_with_its_header(saved_queries_server) -> None:
    paths = document(saved_queries_server)["paths"]
    assert "/api/queries" in paths
    talent = paths["/api/queries/ip-talent"]["get"]
    assert talent["summary"] == "IP talent in China, 2020 and 2023"
    assert talent["tags"] == ["statistics", "talent"]
    assert "text/csv" in talent["responses"]["200"]["content"]
    labels = paths["/api/queries/labels"]["get"]
    assert [p["name"] for p in labels["parameters"]] == ["page"]
    assert "Link" in labels["responses"]["200"]["headers"]


def test_parameter_schemas_follow_the_declared_types(saved_queries_server) -> None:
    paths = document(saved_queries_server)["paths"]
    schemas = {p["name"]: p["schema"] for p in paths["/api/queries/echo"]["get"]["parameters"]}
    assert schemas["resource"]["pattern"] == IRI_PATTERN
    assert schemas["count"]["type"] == "integer"
    assert schemas["day"]["format"] == "date"
    assert "pattern" in schemas["ratio"]
    organisation = paths["/api/queries/organisation"]["get"]["parameters"][0]["schema"]
    assert organisation["enum"][0] == "https://ipkg.example.org/id/cnipa"
    assert organisation["default"] == "https://ipkg.example.org/id/cnipa"
    threshold = paths["/api/queries/bigger-than"]["get"]["parameters"][0]["schema"]
    assert threshold == {"type": "integer", "default": 350}


def test_construct_operations_offer_rdf_formats(saved_queries_server) -> None:
    content = document(saved_queries_server)["paths"]["/api/queries/organisation-graph"]["get"][
        "responses"
    ]["200"]["content"]
    assert {"text/turtle", "application/ld+json", "application/n-triples"} <= set(content)
    assert "text/csv" not in content


def schemathesis(server: RunningServer, tmp_path: Path, examples: int) -> str:
    config = tmp_path / "schemathesis.toml"
    config.write_text(SCHEMATHESIS_CONFIG)
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "run",
        server.url + "/api/openapi.json",
        "--phases",
        "examples,fuzzing",
        "--max-examples",
        str(examples),
        "--seed",
        "20240703",
        "--workers",
        "2",
        "--no-color",
        "--generation-database",
        "none",
    ]
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    return output


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_or_schema_mismatch(
    saved_queries_server, tmp_path: Path
) -> None:
    output = schemathesis(saved_queries_server, tmp_path, examples=60)
    assert " passed" in output
    assert "failed" not in output.split("SUMMARY")[-1]


@pytest.mark.slow
@pytest.mark.skipif(
    not any(ArticleSources.embedded().queries.glob("*.rq")),
    reason="queries/ holds no saved queries yet",
)
def test_schemathesis_on_the_real_saved_queries(article_server, tmp_path: Path) -> None:
    validate(document(article_server))
    schemathesis(article_server, tmp_path, examples=25)
