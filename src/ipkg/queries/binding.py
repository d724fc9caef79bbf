"""Parameter values of saved queries, checked against their declared type and written as RDF
terms in N-Triples syntax, ready to be bound to the query's variables (never spliced)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

import pyoxigraph as ox

from ipkg.errors import IpkgError
from ipkg.namespaces import XSD

if TYPE_CHECKING:
    from ipkg.queries.saved import SavedQuery

PARAMETER_TYPES = ("iri", "string", "langstring", "integer", "decimal", "date")
DEFAULT_LANGUAGE = "en"
MAX_VALUE_LENGTH = 500
_SEGMENT = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})"
_TAIL = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*"
# An absolute IRI in URI syntax (non-ASCII characters percent-encoded): scheme, then either an
# authority (host and port) and a path, or a path; then an optional query and fragment. The
# OpenAPI document publishes this same pattern.
IRI_PATTERN = (
    rf"^[A-Za-z][A-Za-z0-9+.-]*:"
    rf"(?://[A-Za-z0-9._~-]*(?::[0-9]*)?(?:/{_SEGMENT}*)*"
    rf"|/(?:{_SEGMENT}+(?:/{_SEGMENT}*)*)?"
    rf"|{_SEGMENT}+(?:/{_SEGMENT}*)*"
    rf"|)"
    rf"(?:\?{_TAIL})?(?:#{_TAIL})?$"
)
_IRI = re.compile(IRI_PATTERN)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class BindingError(IpkgError, ValueError):
    """A parameter value that does not fit its type; the message names the parameter."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"parameter '{name}': {reason}")
        self.name = name
        self.reason = reason


def _literal(value: str, datatype: str) -> str:
    return str(ox.Literal(value, datatype=ox.NamedNode(XSD + datatype)))


def _iri(value: str) -> str:
    if not _SCHEME.match(value):
        raise ValueError("expected an absolute IRI such as http://host/id/cnipa")
    bad = _IRI_FORBIDDEN.search(value)
    if bad:
        raise ValueError(f"an IRI cannot contain {bad.group()!r} (at character {bad.start() + 1})")
    if not _IRI.fullmatch(value):
        raise ValueError(
            "not an IRI in URI syntax (scheme:, host, path; other characters %-encoded)"
        )
    try:
        return str(ox.NamedNode(value))
    except ValueError as exc:
        raise ValueError(f"not a valid IRI: {exc}") from None


def _integer(value: str) -> str:
    if not _INTEGER.fullmatch(value):
        raise ValueError("expected an integer such as 2023")
    return _literal(str(int(value)), "integer")


def _decimal(value: str) -> str:
    if not _DECIMAL.fullmatch(value):
        raise ValueError("expected a decimal number such as 2.5 (digits, one '.', no exponent)")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError("expected a decimal number such as 2.5") from None
    text = format(number, "f")
    if "." not in text:
        text += ".0"
    return _literal(text, "decimal")


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _date(value: str) -> str:
    match = _DATE.fullmatch(value)
    if not match:
        raise ValueError("expected a date as YYYY-MM-DD, such as 2024-07-03")
    year, month, day = (int(g) for g in match.groups())
    if not 1 <= month <= 12:
        raise ValueError(f"month {month:02d} does not exist (YYYY-MM-DD)")
    last = 28 if month == 2 and not _is_leap(year) else _DAYS[month - 1]
    if not 1 <= day <= last:
        raise ValueError(f"day {day:02d} does not exist in month {month:02d} of {year}")
    return _literal(value, "date")


def _langstring(value: str) -> str:
    text, sep, tag = value.rpartition("@")
    if not sep or not _LANGUAGE_TAG.fullmatch(tag):
        text, tag = value, DEFAULT_LANGUAGE
    return str(ox.Literal(text, language=tag.lower()))


def _string(value: str) -> str:
    return str(ox.Literal(value))


SAMPLES = {
    "iri": "urn:ipkg:sample",
    "string": "sample",
    "langstring": "sample@en",
    "integer": "0",
    "decimal": "0.0",
    "date": "2000-01-01",
}


def rdf_term(text: str) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """The term an N-Triples term ``text`` denotes."""
    quads = ox.parse(f"<urn:s> <urn:p> {text} .", format=ox.RdfFormat.N_TRIPLES)
    return next(iter(quads)).object


WRITERS = {
    "iri": _iri,
    "string": _string,
    "langstring": _langstring,
    "integer": _integer,
    "decimal": _decimal,
    "date": _date,
}


def term_for(parameter, value: str, *, check_allowed: bool = True) -> str:
    """``value`` as an RDF term in N-Triples syntax for ``parameter`` (a
    :class:`ipkg.queries.saved.Parameter`); raises :class:`BindingError` naming it."""
    if len(value) > MAX_VALUE_LENGTH:
        raise BindingError(
            parameter.name, f"the value has {len(value)} characters; at most {MAX_VALUE_LENGTH}"
        )
    try:
        term = WRITERS[parameter.type](value)
    except ValueError as exc:
        raise BindingError(parameter.name, f"{exc} ({parameter.type})") from None
    if check_allowed and parameter.allowed and value not in parameter.allowed:
        raise BindingError(
            parameter.name, "the value must be one of: " + ", ".join(parameter.allowed)
        )
    return term


def substitutions(
    query: SavedQuery, given: Mapping[str, Sequence[str]], reserved: Sequence[str] = ("page",)
) -> dict[str, str]:
    """The variable bindings for a call of ``query``: given values, else defaults. A parameter
    neither given (an empty value counts as not given) nor defaulted stays unbound. Unknown or
    repeated parameters are refused."""
    for name, values in given.items():
        if name in reserved:
            continue
        if query.parameter(name) is None:
            known = ", ".join(p.name for p in query.params) or "none"
            raise BindingError(name, f"'{query.name}' has no such parameter (parameters: {known})")
        if len(values) > 1:
            raise BindingError(name, f"given {len(values)} times; give it once")
    bound: dict[str, str] = {}
    for parameter in query.params:
        values = given.get(parameter.name)
        if values and values[0] != "":
            bound[parameter.name] = term_for(parameter, values[0])
        elif parameter.default is not None:
            bound[parameter.name] = term_for(parameter, parameter.default)
    return bound
