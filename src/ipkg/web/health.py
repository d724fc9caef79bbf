"""Liveness and readiness for orchestrators: ``/healthz`` answers 200 while the process can
serve queries (it restarts a dead worker zygote, and answers 503 when that fails, so an
orchestrator restarts the service), ``/readyz`` once the data is loaded and reasoned and the
query workers answer; it also says how the workers are isolated (network namespace, memory
cap), so an operator sees a host that runs them on its own network."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from ipkg.errors import ErrorKind
from ipkg.sparql.isolation import described
from ipkg.web.errors import retry_after
from ipkg.web.state import state

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> Response:
    if not state().queries.heal():
        response = jsonify(status="query workers cannot be started")
        response.status_code = 503
        response.headers["Retry-After"] = retry_after(ErrorKind.UNAVAILABLE) or "1"
        return response
    return jsonify(status="alive")


@blueprint.get("/readyz")
def readyz() -> Response:
    service = state()
    ready = service.queries.ready()
    response = jsonify(
        status="ready" if ready else "not ready",
        triples=service.triple_count,
        graphs=len([g for g in service.graph_sizes if g]),
        isolation=described(service.queries.isolation, service.settings.network_namespace == "on"),
    )
    if not ready:
        response.status_code = 503
        response.headers["Retry-After"] = retry_after(ErrorKind.UNAVAILABLE) or "1"
    return response
