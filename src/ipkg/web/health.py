"""Liveness and readiness for orchestrators: ``/healthz`` answers 200 while the process can
serve queries (it restarts a dead worker zygote, and answers 503 when that fails, so an
orchestrator restarts the service), ``/readyz`` once the data is loaded and reasoned and the
query workers answer; it also says how the workers are isolated (network namespace, memory
cap), so an operator sees a host that runs them on its own network."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from ipkg.sparql.execution import QueryRequest
from ipkg.sparql.isolation import described
from ipkg.web.state import state

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> Response:
    heal = getattr(state().pool, "heal", None)  # a remote store has no local workers
    if heal is not None and not heal():
        response = jsonify(status="query workers cannot be started")
        response.status_code = 503
        return response
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
        isolation=described(service.pool.isolation, service.settings.network_namespace == "on"),
    )
    response.status_code = 200 if ready else 503
    return response
