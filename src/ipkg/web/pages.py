"""What every page of the site shares, so that blueprints need not import each other: the
page formats (HTML and the RDF documents), the query runner pages read the store with, the
reader's languages, the site's URLs, and the catalogue of saved queries."""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app, request

from ipkg.linkeddata.describe import OxTerm, Row, Select, rows_from_json
from ipkg.linkeddata.dumps import BY_KEY
from ipkg.linkeddata.labels import preferred_languages
from ipkg.queries.saved import Catalogue
from ipkg.sparql.execution import QueryRequest
from ipkg.sparql.formats import ResultFormat
from ipkg.web.errors import status_of
from ipkg.web.state import state

API_EXTENSION_KEY = "ipkg.api"  # where the saved-query API keeps its state on the app
HTML = ResultFormat("html", "text/html", frozenset(), "html")
RDF_CHOICES = [
    ResultFormat(f.key, f.media_type, frozenset(), f.extension)
    for f in (BY_KEY["turtle"], BY_KEY["jsonld"], BY_KEY["ntriples"], BY_KEY["rdfxml"])
]
PAGE_CHOICES = [HTML, *RDF_CHOICES]
RESOURCE_406 = "Not Acceptable: this resource is available as {offered}"


class LookupFailed(Exception):
    """A query behind a page did not complete (deadline, busy workers)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def pool_select(max_rows: int | None = None) -> Select:
    """A runner that sends each query to the query workers, with the service's deadline (and
    its row cap unless ``max_rows`` is given)."""
    service = state()

    def run(query: str, bindings: Mapping[str, OxTerm]) -> list[Row]:
        job = QueryRequest(
            query=query,
            format_key="json",
            substitutions={name: str(term) for name, term in bindings.items()},
            max_rows=max_rows or service.settings.max_rows,
            max_bytes=service.settings.max_result_bytes,
        )
        outcome = service.pool.run(job, service.settings.query_timeout)
        if not outcome.ok:
            failed_here = status_of(outcome.failure) >= 500
            raise LookupFailed(503 if failed_here else 500, outcome.body.decode())
        return rows_from_json(outcome.body)

    return run


def languages() -> tuple[str, ...]:
    """The label languages the reader asked for, best first, then English."""
    return preferred_languages(request.headers.get("Accept-Language"))


def site(path: str = "") -> str:
    """The URL of a page of this service: under ``--public-base`` if set, else root-relative."""
    base = state().settings.public_base
    return (base or "/") + path.lstrip("/")


def absolute(path: str = "") -> str:
    """The absolute URL of a page of this service (for RDF and headers)."""
    base = state().settings.public_base or request.url_root
    return base + path.lstrip("/")


def link_header(links: list[tuple[str, str]]) -> str:
    return ", ".join(f'<{url}>; rel="alternate"; type="{media}"' for url, media in links)


def catalogue() -> Catalogue:
    """The saved queries the API of the current app serves."""
    return current_app.extensions[API_EXTENSION_KEY].catalogue
