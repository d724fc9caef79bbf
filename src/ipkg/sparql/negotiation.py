"""HTTP content negotiation (RFC 9110 section 12.5.1): choose the best result format for an
``Accept`` header, honouring q-values, wildcards and specificity."""

from __future__ import annotations

from dataclasses import dataclass

from ipkg.sparql.formats import SYNONYMS, ResultFormat


@dataclass(frozen=True)
class MediaRange:
    """One entry of an Accept header."""

    type: str
    subtype: str
    q: float

    def matches(self, media_type: str) -> int:
        """How specifically this range matches a media type: 2 exact, 1 type/*, 0 */*, -1 no."""
        main, _, sub = media_type.partition("/")
        if self.type == "*":
            return 0
        if self.type != main:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def quality(params: list[str]) -> float:
    """The ``q`` among the parameters of one Accept-style header entry (1 when absent,
    0 when unreadable), clamped to [0, 1]."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def parse_accept(header: str) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed entries are skipped."""
    ranges: list[MediaRange] = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        main, sep, sub = fields[0].lower().partition("/")
        if not sep or not main or not sub:
            continue
        ranges.append(MediaRange(main, sub, quality(fields[1:])))
    return ranges


def _quality(ranges: list[MediaRange], media_type: str, aliases: list[str]) -> float:
    """The q the ranges give a format. An alias counts only when named exactly: a wildcard
    such as ``text/*`` must not select a format sent as ``application/...`` through its
    ``text/xml`` alias."""
    best_specificity, best_q = -1, 0.0
    for media_range in ranges:
        specificity = media_range.matches(media_type)
        if any(media_range.matches(alias) == 2 for alias in aliases):
            specificity = 2
        if specificity > best_specificity:
            best_specificity, best_q = specificity, media_range.q
    return best_q if best_specificity >= 0 else 0.0


def choose(accept: str | None, candidates: list[ResultFormat]) -> ResultFormat | None:
    """The acceptable candidate with the highest q (earlier candidates win ties); None if none
    is acceptable. No or an empty Accept header accepts the first candidate."""
    if not accept or not accept.strip():
        return candidates[0] if candidates else None
    ranges = parse_accept(accept)
    best: ResultFormat | None = None
    best_q = 0.0
    for candidate in candidates:
        aliases = [m for m, keys in SYNONYMS.items() if candidate.key in keys]
        q = _quality(ranges, candidate.media_type, aliases)
        if q > best_q:
            best, best_q = candidate, q
    return best
