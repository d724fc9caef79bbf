"""The application factory: loads the dataset, starts the query workers, and wires the
blueprints. Everything a request needs hangs off the app object (see ``state.py``)."""

from __future__ import annotations

import logging
import re

import pyoxigraph as ox
from flask import Flask, Response
from markupsafe import Markup

from ipkg.config import Settings
from ipkg.namespaces import apart_graphs
from ipkg.stores import MemoryStore, Store, opened_store
from ipkg.web import (
    answer_cache,
    api,
    article,
    export,
    graph_store,
    health,
    home,
    http_caching,
    labelling,
    limits,
    observability,
    ontology_page,
    openapi,
    protocol,
    resources,
    search,
    urls,
    void,
)
from ipkg.web.caches import CacheRegistry
from ipkg.web.errors import register_error_handlers
from ipkg.web.query_service import QueryService, stamp_arrival
from ipkg.web.state import EXTENSION_KEY, ServiceState

log = logging.getLogger(__name__)

# C0 controls (but tab, newline, carriage return) and DEL: raw in HTML they are invalid, and an
# ESC could drive a terminal that shows the page source.
CONTROL_BYTES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(value: object) -> object:
    """A template value with control characters replaced by U+FFFD (Jinja's ``finalize``)."""
    if isinstance(value, Markup):
        return Markup(CONTROL_BYTES.sub("\ufffd", value))
    if isinstance(value, str):
        return CONTROL_BYTES.sub("\ufffd", value)
    return value


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


def create_app(
    settings: Settings | None = None, built: tuple[ox.Store | Store, str] | None = None
) -> Flask:
    """A ready-to-serve app over ``built`` (a store and its title) or the store the settings
    name. Call it while the process is single-threaded: it forks the query workers."""
    settings = settings or Settings()
    namespaces = settings.namespaces()
    store, title = built or opened_store(settings, namespaces)
    backend = MemoryStore(store) if isinstance(store, ox.Store) else store  # --store
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    app.json.sort_keys = False
    app.jinja_env.finalize = printable
    sizes = backend.graph_sizes()
    pool = backend.start(
        settings.query_workers,
        settings.query_memory,
        network_namespace=settings.network_namespace == "on",
    )
    pool.apart_graphs = apart_graphs(namespaces)  # the catalogue: only by GRAPH or FROM
    service = ServiceState(
        settings=settings,
        namespaces=namespaces,
        queries=QueryService(settings, backend, pool),
        graph_sizes=sizes,
        title=title,
        union_size=backend.union_size(),
        backend=backend,
        # A store that can change behind our back (remote) declares its answers uncacheable:
        # then every cache of the registry, the /sparql answers' too, has no room.
        caches=CacheRegistry(enabled=backend.capabilities.cacheable),
        result_cache_bytes=settings.result_cache_bytes,
    )
    app.extensions[EXTENSION_KEY] = service
    service.metrics = observability.install(app, service)
    limits.install(app, settings.rate_limit, settings.rate_burst, settings.trusted_proxy)
    app.wsgi_app = limits.capped_bodies(app.wsgi_app, settings.max_body)  # type: ignore[method-assign]
    app.register_blueprint(protocol.blueprint)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(graph_store.blueprint)  # /store: Graph Store Protocol
    api.install(app, service)  # saved-query API: /api/queries
    app.register_blueprint(openapi.blueprint)
    app.register_blueprint(home.blueprint)
    for module in (resources, article, ontology_page, export, void):  # linked data
        app.register_blueprint(module.blueprint)
    app.register_blueprint(labelling.blueprint)  # /labels for the query page
    search.install(app, service)  # /search over a full-text index
    register_error_handlers(app)
    urls.install(app)  # every template links through the one URL builder
    http_caching.install(app, service)  # ETag, Cache-Control, 304 and Vary on every answer
    answer_cache.install(app, service)  # repeated /sparql queries answered before Flask
    app.wsgi_app = stamp_arrival(app.wsgi_app)  # type: ignore[method-assign]  # outermost

    @app.after_request
    def _security_headers(response: Response) -> Response:
        present = {name.lower() for name, _ in response.headers.items()}  # one scan, not three
        response.headers.extend(
            (name, value) for name, value in SECURITY_HEADERS.items() if name.lower() not in present
        )
        return response

    log.info("serving %d triples in %d graphs", sum(sizes.values()), len(sizes))
    return app
