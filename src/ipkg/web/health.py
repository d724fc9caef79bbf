"""Liveness and readiness for orchestrators: ``/healthz`` answers while the process runs,
``/readyz`` once the data is loaded and reasoned and the query workers answer."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from ipkg.sparql.execution import QueryRequest
from ipkg.web.state import state

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> Response:
    return jsonify(status="alive")


@blueprint.get("/readyz")
def readyz() -> Response:
    service = state()
    outcome = service.pool.run(QueryRequest("ASK {}", "json"), timeout=2.0)
    ready = outcome.ok
    response = jsonify(
        status="ready" if ready else "not ready",
        triples=service.triple_count,
        graphs=len([g for g in service.graph_sizes if g]),
    )
    response.status_code = 200 if ready else 503
    return response
