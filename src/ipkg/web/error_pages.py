"""Error answers for people: a browser (one that prefers HTML) gets the site's layout, its
navigation and the message in plain words; every other client keeps the plain-text or JSON
answer. The one error handler calls :func:`for_browsers`; the page itself is
:func:`html_error_page`."""

from __future__ import annotations

import logging

from flask import Response, render_template, request
from werkzeug.exceptions import default_exceptions

log = logging.getLogger(__name__)

# A heading and a next step for each status, in the reader's words.
HEADINGS: dict[int, tuple[str, str]] = {
    400: ("The request could not be used", "Correct what the message names and try again."),
    403: ("Not allowed here", "This service does not do that for anyone."),
    404: ("Nothing at this address", "The address may be mistyped, or the page has moved."),
    405: ("This address does not take that kind of request", "Open it in a browser instead."),
    406: ("Not in a format you accept", "Ask for one of the formats the message lists."),
    413: ("Too large", "Send something smaller, or split it."),
    414: ("The address is too long", "Send the query in a POST body instead."),
    415: ("A body in a format this service cannot read", "Send one of the formats named."),
    422: ("The data would break its rules", "Correct what the message names and try again."),
    429: ("Too many requests at once", "Wait a few seconds and try again."),
    500: ("Something went wrong on our side", "Try again; if it keeps happening, tell us."),
    502: ("The store behind this service failed", "Try again in a moment."),
    503: ("Busy right now", "The service is at capacity or the query ran too long; try again."),
}


def html_error_page(
    status: int, message: str, *, headers: dict[str, str] | None = None
) -> Response:
    """The error as a page in the site's layout: a heading for the status, the message, a next
    step and the ways on (search, browse, the query page)."""
    heading, next_step = HEADINGS.get(status, ("The request failed", "Try again."))
    page = render_template(
        "error.html",
        status=status,
        heading=heading,
        message=message.strip(),
        next_step=next_step,
        path=request.path,
    )
    response = Response(page, status=status, content_type="text/html; charset=utf-8")
    response.headers.update(headers or {})
    return response


def prefers_html() -> bool:
    """Whether the request's client prefers an HTML page to plain text and JSON (a browser
    does; curl, scripts and the query page's own requests do not)."""
    accept = request.accept_mimetypes
    html = accept.quality("text/html")
    return html > 0 and html > max(accept.quality("text/plain"), accept.quality("application/json"))


def plain(response: Response) -> str:
    """The answer's message, the framework's stock sentences (404, 405) said for this request."""
    message = response.get_data(as_text=True)
    stock = default_exceptions.get(response.status_code)
    if stock is None or message.strip() != f"{stock().name}: {stock.description}":
        return message
    if response.status_code == 404:
        return f"There is no page at {request.path}."
    if response.status_code == 405:
        allowed = response.headers.get("Allow", "")
        return f"{request.path} does not take {request.method} requests" + (
            f"; it takes {allowed}." if allowed else "."
        )
    return message


def for_browsers(response: Response) -> Response:
    """A plain-text error answer turned into :func:`html_error_page` for a browser (the headers
    it carries, Allow or Retry-After among them, kept); any other answer as it is."""
    if response.status_code < 400 or response.mimetype != "text/plain" or request.method == "HEAD":
        return response
    response.vary.add("Accept")
    if not prefers_html():
        return response
    try:
        page = html_error_page(response.status_code, plain(response))
    except Exception:  # a page that cannot render must not hide the error itself
        log.exception("error page not rendered")
        return response
    for name, value in response.headers.items():
        if name.lower() not in ("content-type", "content-length"):
            page.headers.setdefault(name, value)
    return page
