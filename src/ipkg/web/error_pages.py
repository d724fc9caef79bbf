"""The error page a person sees: the site's layout and navigation, a heading for the status in
plain words, the message, a next step and the ways on. The one error handler
(``errors.error_response``) calls :func:`html_error_page` when the client prefers HTML."""

from __future__ import annotations

from flask import current_app, render_template, request
from werkzeug.exceptions import default_exceptions

# A heading and a next step for each status, in the reader's words.
HEADINGS: dict[int, tuple[str, str]] = {
    400: ("The request could not be used", "Correct what the message names and try again."),
    401: ("A token is needed", "Send the bearer token this service gave you."),
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


def html_error_page(status: int, message: str) -> str:
    """The error as a page in the site's layout (the body; the handler makes the response)."""
    heading, next_step = HEADINGS.get(status, ("The request failed", "Try again."))
    return render_template(
        "error.html",
        status=status,
        heading=heading,
        message=plain(status, message.strip()),
        next_step=next_step,
    )


def plain(status: int, message: str) -> str:
    """The message, the framework's stock sentences (404, 405) said for this request."""
    stock = default_exceptions.get(status)
    if stock is None or message != f"{stock().name}: {stock.description}":
        return message
    if status == 404:
        return f"There is no page at {request.path}."
    if status == 405:
        adapter = current_app.url_map.bind_to_environ(request.environ)
        allowed = ", ".join(sorted(adapter.allowed_methods(request.path)))
        return f"{request.path} does not take {request.method} requests" + (
            f"; it takes {allowed}." if allowed else "."
        )
    return message
