"""Choosing the label to show for a resource: the one whose language the reader prefers most
(``Accept-Language``, RFC 4647 lookup), else English, else any, else a name made from the IRI."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from ipkg.namespaces import COMMON_PREFIXES
from ipkg.sparql.negotiation import quality

FALLBACK_LANGUAGE = "en"


@dataclass(frozen=True)
class LanguageRange:
    """One entry of an Accept-Language header."""

    tag: str
    q: float


def parse_accept_language(header: str | None) -> list[LanguageRange]:
    """The language ranges of a header, best first (equal q keeps header order)."""
    ranges: list[LanguageRange] = []
    for part in (header or "").split(","):
        fields = [f.strip() for f in part.split(";")]
        tag = fields[0].lower()
        if not tag or len(tag) > 35 or not all(c.isalnum() or c in "-*" for c in tag):
            continue
        q = quality(fields[1:])
        if q > 0:
            ranges.append(LanguageRange(tag, q))
    return sorted(ranges, key=lambda r: -r.q)


def preferred_languages(header: str | None) -> tuple[str, ...]:
    """The language tags to try in order: the header's, then English."""
    tags = [r.tag for r in parse_accept_language(header) if r.tag != "*"]
    if FALLBACK_LANGUAGE not in tags:
        tags.append(FALLBACK_LANGUAGE)
    return tuple(tags)


def _matches(wanted: str, tag: str) -> bool:
    """RFC 4647 lookup: ``zh-cn`` is served by ``zh-CN`` or, failing that, by ``zh``."""
    tag = tag.lower()
    candidate = wanted
    while candidate:
        if tag == candidate:
            return True
        candidate = candidate.rpartition("-")[0]
    return tag.startswith(wanted + "-")


def pick(labels: Iterable[tuple[str, str]], languages: tuple[str, ...]) -> tuple[str, str] | None:
    """The (text, language) pair the reader prefers among ``labels``, or None if none."""
    options = sorted(set(labels), key=lambda pair: (pair[1], pair[0]))
    if not options:
        return None
    for wanted in languages:
        exact = [p for p in options if p[1].lower() == wanted]
        if exact:
            return exact[0]
        near = [p for p in options if p[1] and _matches(wanted, p[1])]
        if near:
            return near[0]
    plain = [p for p in options if not p[1]]
    return plain[0] if plain else options[0]


def local_name(iri: str) -> str:
    """A readable name for an unlabelled IRI: ``foaf:Person`` in a well-known vocabulary, else
    the end of the IRI (after ``#`` or the last ``/``)."""
    for prefix, namespace in COMMON_PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    tail = iri.rstrip("/#")
    for sep in ("#", "/", ":"):
        if sep in tail:
            tail = tail.rsplit(sep, 1)[1]
            break
    return unquote(tail) or iri
