"""The one URL builder: every page, template, header, RDF link and the OpenAPI ``servers``
entry names this service through it, so with ``--public-base`` every link is under that base
(and without it, root-relative, under the WSGI script root)."""

from __future__ import annotations

from flask import Flask, request, url_for

from ipkg.web.state import state


def site(path: str = "") -> str:
    """The URL of a page of this service, for links: under ``--public-base`` when set, else
    root-relative."""
    base = state().settings.public_base or (request.script_root + "/")
    return base + path.lstrip("/")


def absolute(path: str = "") -> str:
    """The absolute URL of a page of this service (for RDF, headers, the OpenAPI servers)."""
    base = state().settings.public_base or request.url_root
    return base + path.lstrip("/")


def route(endpoint: str, **values: object) -> str:
    """:func:`site` of a Flask endpoint (``url_for``'s arguments), e.g. static files."""
    path = url_for(endpoint, **values)
    return site(path.removeprefix(request.script_root))


def href(iri: str) -> str | None:
    """Where a link to ``iri`` points: dataset IRIs at this service, other http(s) IRIs as
    they are, anything else (urn:, mailto:, javascript:, blank nodes) not a link at all."""
    base = state().namespaces.base
    if iri.startswith(base):
        return site(iri[len(base) :])
    if iri.startswith(("http://", "https://")):
        return iri
    return None


def install(app: Flask) -> None:
    """Gives every template the builder: ``site``, ``absolute``, ``href``, and ``url_for``
    answering under the public base."""
    app.jinja_env.globals.update(site=site, absolute=absolute, href=href, url_for=route)
