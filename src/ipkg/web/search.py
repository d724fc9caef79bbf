"""``/search?q=``: find resources by name, alternative name or a sentence of the article that
mentions them, as a page or JSON. The full-text index is built from the store when the app
starts (in the background) and again after a write changes the data."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import asdict

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from markupsafe import Markup, escape

from ipkg.errors import ErrorKind, IpkgError
from ipkg.linkeddata.search_index import SearchIndex
from ipkg.sparql.formats import HTML, JSON
from ipkg.sparql.negotiation import choose
from ipkg.web.pages import languages
from ipkg.web.state import ServiceState
from ipkg.web.urls import href

log = logging.getLogger(__name__)
blueprint = Blueprint("search", __name__)

EXTENSION_KEY = "ipkg.search"
CHOICES = [HTML, JSON]
MAX_QUERY = 200


class IndexHolder:
    """The app's search index and the lock that lets one thread (re)build it at a time."""

    def __init__(self, service: ServiceState) -> None:
        self.service = service
        self.index = SearchIndex()
        self.building = threading.Lock()

    def current(self) -> SearchIndex:
        """The index, rebuilt first if the data changed since it was built."""
        version = self.service.data_version
        if self.index.version != version:
            with self.building:
                if self.index.version != version:
                    self.index.build(
                        self.service.queries.index_select(), self.service.namespaces, version
                    )
                    log.info(
                        "search index: %d entries in %.2f s",
                        self.index.entries,
                        self.index.build_seconds,
                    )
        return self.index


def marked(text: str, query: str) -> Markup:
    """``text`` escaped, with the query's words (case-insensitive) in ``<mark>``."""
    words = sorted({w for w in query.split() if w}, key=len, reverse=True)
    if not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    pieces: list[str] = []
    last = 0
    for found in pattern.finditer(text):
        pieces += [escape(text[last : found.start()]), Markup("<mark>%s</mark>") % found[0]]
        last = found.end()
    pieces.append(escape(text[last:]))
    return Markup("").join(pieces)


def holder() -> IndexHolder:
    return current_app.extensions[EXTENSION_KEY]


@blueprint.get("/search")
def search() -> Response:
    """Resources matching ``q``, ranked; HTML or JSON by ``Accept`` or ``?format=json``."""
    query = request.args.get("q", "").strip()
    if len(query) > MAX_QUERY:
        raise IpkgError(
            f"the search text is {len(query)} characters; at most {MAX_QUERY}",
            ErrorKind.BAD_REQUEST,
        )
    wanted = request.args.get("format")
    fmt = next((c for c in CHOICES if c.key == wanted), None) or choose(
        request.headers.get("Accept"), CHOICES
    )
    if fmt is None:
        raise IpkgError(
            "the Accept header allows none of: text/html, application/json",
            ErrorKind.NOT_ACCEPTABLE,
        )
    try:
        hits = holder().current().search(query, languages()) if query else []
    except IpkgError as exc:
        raise IpkgError(f"the search index could not be built: {exc}", exc.kind) from None
    if fmt.key == "json":
        response = jsonify(
            query=query,
            results=[{**asdict(h), "href": href(h.iri)} for h in hits],
        )
    else:
        page = render_template("search.html", query=query, hits=hits, marked=marked)
        response = Response(page, content_type="text/html; charset=utf-8")
    response.vary.add("Accept")
    response.vary.add("Accept-Language")
    return response


def install(app: Flask, service: ServiceState) -> None:
    """Adds the route and starts building the index in the background."""
    index = IndexHolder(service)
    app.extensions[EXTENSION_KEY] = index
    app.register_blueprint(blueprint)

    def build() -> None:
        try:
            index.current()
        except IpkgError as exc:  # a worker lost mid-build, say: the first search builds again
            log.warning(
                "search index: building in the background failed (%s); the first search builds it",
                exc,
            )
        except Exception:  # a fault of ours: its trace is wanted
            log.exception("search index: building failed")

    threading.Thread(target=build, name="search-index", daemon=True).start()
