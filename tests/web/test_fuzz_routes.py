"""Property-based fuzzing of every route of the article server: random path segments, query
parameters and headers never give a 5xx other than a 503 at the deadline, never take longer than
the deadline plus one second, and never show a traceback."""

from __future__ import annotations

import importlib
import pkgutil
import time

import pytest
import requests
from flask import Blueprint, Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ipkg.web
from support.servers import RunningServer

pytestmark = pytest.mark.slow  # fuzzing

DEADLINE = 10.0  # the default --query-timeout the article server runs with
FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Each route of the app, with its variable part written as {}.
ROUTES = [
    "/",
    "/sparql",
    "/store",
    "/api/queries",
    "/api/queries.{}",
    "/api/queries/{}",
    "/api/openapi.json",
    "/id",
    "/id/",
    "/id/{}",
    "/doc/{}",
    "/why",
    "/graph/{}",
    "/export/",
    "/export/{}",
    "/context.jsonld",
    "/.well-known/void",
    "/ontology",
    "/ontology.{}",
    "/ontology/{}",
    "/article",
    "/data/article.txt",
    "/metrics",
    "/healthz",
    "/readyz",
    "/static/{}",
    "/search",
    "/labels",
    "/query/terms.json",
    "/query/chart.svg",
    "/favicon.ico",
    "/api/docs",
]
SEGMENTS = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "cnipa",
            "zhang-zhicheng",
            "article/s02",
            "talent-growth",
            "people-and-posts.csv",
            "complete.ttl",
            "asserted.jsonld",
            "ttl",
            "../../etc/passwd",
            "%00",
            "a" * 300,
        ]
    ),
)
PARAM_NAMES = st.sampled_from(
    [
        "query",
        "format",
        "page",
        "s",
        "p",
        "o",
        "organisation",
        "hub",
        "year",
        "lang",
        "q",
        "iri",
        "x",
    ]
)
ACCEPTS = st.sampled_from(
    ["", "*/*", "text/html", "text/turtle", "application/ld+json", "text/csv;q=0", "x/y", "??"]
)


def route_templates() -> set[str]:
    """Every URL rule the ipkg blueprints declare, with variables written as {}."""
    app = Flask("route-listing")
    for module in pkgutil.iter_modules(ipkg.web.__path__):
        blueprint = getattr(importlib.import_module(f"ipkg.web.{module.name}"), "blueprint", None)
        if isinstance(blueprint, Blueprint):
            app.register_blueprint(blueprint)
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    return {_template(rule) for rule in rules}


def _template(rule: str) -> str:
    out, depth = "", 0
    for char in rule:
        if char == "<":
            depth += 1
            out += "{}" if depth == 1 else ""
        elif char == ">":
            depth -= 1
        elif depth == 0:
            out += char
    return out


def test_the_fuzzed_routes_are_every_route_of_the_app():
    assert route_templates() <= set(ROUTES)


def check(response: requests.Response, elapsed: float) -> None:
    assert elapsed < DEADLINE + 1.0
    assert "Traceback" not in response.text
    if response.status_code >= 500:
        assert response.status_code == 503, (response.url, response.text[:300])


@FUZZ
@given(
    route=st.sampled_from(ROUTES),
    segment=SEGMENTS,
    params=st.lists(st.tuples(PARAM_NAMES, st.text(max_size=40)), max_size=4),
    accept=ACCEPTS,
    language=st.sampled_from(["", "zh", "en;q=0.1, zh", "*", "x" * 50]),
)
def test_every_route_answers_random_input_without_a_server_error(
    article_server: RunningServer, route, segment, params, accept, language
):
    path = route.format(requests.utils.quote(segment, safe="/"))
    headers = {"Accept": accept, "Accept-Language": language}
    started = time.monotonic()
    response = requests.get(
        article_server.url + path,
        params=params,
        headers=headers,
        timeout=DEADLINE + 5,
        allow_redirects=False,
    )
    check(response, time.monotonic() - started)
