"""The article as a page (``/article``): its text with every sentence that supports a fact
highlighted, anchored (``#s07``) and linked to the resources it supports. ``/id/article/s07``
redirects here; ``/data/article.txt`` is the plain source text the offsets count in."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from flask import Blueprint, Response, render_template

from ipkg.build.sources import ArticleSources
from ipkg.errors import ErrorKind, IpkgError
from ipkg.linkeddata.describe import Select, Sentence, prefixes, sentence_of, sentence_order
from ipkg.linkeddata.labels import local_name, pick
from ipkg.web.pages import languages, page_select
from ipkg.web.state import state

blueprint = Blueprint("article", __name__)

SENTENCES = """SELECT ?sentence ?n ?exact ?start ?end WHERE {
  ?sentence a ipkg:Sentence .
  OPTIONAL { ?sentence ipkg:sentenceNumber ?n }
  OPTIONAL { ?sentence oa:hasSelector ?q . ?q a oa:TextQuoteSelector ; oa:exact ?exact }
  OPTIONAL { ?sentence oa:hasSelector ?pos . ?pos a oa:TextPositionSelector ;
             oa:start ?start ; oa:end ?end }
}"""
SUPPORTED = """SELECT DISTINCT ?sentence ?x ?xl WHERE {
  ?st prov:wasDerivedFrom ?sentence ; rdf:subject ?x . FILTER(isIRI(?x))
  OPTIONAL { ?x rdfs:label ?xl }
}"""
METADATA = """SELECT ?p ?o WHERE {
  ?article a ipkg:Article ; ?p ?o . FILTER(isLiteral(?o))
}"""


@dataclass(frozen=True)
class Piece:
    """A run of the article's text, highlighted when it is a supporting sentence."""

    text: str
    sentence: Sentence | None = None
    supports: tuple[tuple[str, str], ...] = ()


def article_text() -> str | None:
    """The source text the sentence offsets count in, if this service has it."""
    try:
        return ArticleSources.embedded().article.read_text(encoding="utf-8")
    except OSError:
        return None


def paragraphs(
    text: str, located: list[tuple[int, int, Sentence]], supports: dict[str, tuple]
) -> list[list[Piece]]:
    """The text as paragraphs of pieces, sentences cut out at their offsets."""
    pieces: list[Piece] = []
    position = 0
    for start, end, sentence in sorted(located, key=lambda item: item[0]):
        if start < position:
            continue
        pieces.append(Piece(text[position:start]))
        pieces.append(Piece(text[start:end], sentence, supports.get(sentence.iri, ())))
        position = end
    pieces.append(Piece(text[position:]))
    result: list[list[Piece]] = [[]]
    for piece in pieces:
        if piece.sentence is not None:
            result[-1].append(piece)
            continue
        lines = piece.text.split("\n")
        for i, line in enumerate(lines):
            if i:
                result.append([])
            if line:
                result[-1].append(Piece(line))
    return [p for p in result if p]


def article_page(run: Select) -> str:
    ns = state().namespaces
    head = prefixes(ns)
    sentences: dict[str, Sentence] = {}
    offsets: dict[str, tuple[int, int]] = {}
    for row in run(head + SENTENCES, {}):
        sentence = sentence_of(row)
        sentences.setdefault(sentence.iri, sentence)
        if "start" in row and "end" in row:
            with contextlib.suppress(ValueError):
                offsets[sentence.iri] = (int(row["start"].value), int(row["end"].value))
    labels: dict[str, set[tuple[str, str]]] = {}
    supported: dict[str, set[str]] = {}
    for row in run(head + SUPPORTED, {}):
        x = row["x"].value
        supported.setdefault(row["sentence"].value, set()).add(x)
        if "xl" in row:
            labels.setdefault(x, set()).add((row["xl"].value, row["xl"].language or ""))
    wanted = languages()

    def label(iri: str) -> str:
        chosen = pick(labels.get(iri, ()), wanted)
        return chosen[0] if chosen else local_name(iri)

    supports = {
        s: tuple(sorted(((x, label(x)) for x in xs), key=lambda p: p[1].lower()))
        for s, xs in supported.items()
    }
    text = article_text()
    located = []
    if text is not None:
        for iri, (start, end) in offsets.items():
            sentence = sentences[iri]
            if 0 <= start < end <= len(text) and text[start:end] == sentence.text:
                located.append((start, end, sentence))
    placed = {s.iri for _, _, s in located}
    unplaced = sorted((s for s in sentences.values() if s.iri not in placed), key=sentence_order)
    metadata: dict[str, str] = {}
    for row in run(head + METADATA, {}):
        metadata.setdefault(local_name(row["p"].value), row["o"].value)
    return render_template(
        "article.html",
        paragraphs=paragraphs(text, located, supports) if text is not None else [],
        unplaced=[(s, supports.get(s.iri, ())) for s in unplaced],
        metadata=metadata,
        count=len(sentences),
    )


@blueprint.get("/article")
def article() -> Response:
    """The article, sentences that support facts highlighted and linked."""
    response = Response(article_page(page_select()), content_type="text/html; charset=utf-8")
    response.vary.add("Accept-Language")
    return response


@blueprint.get("/data/article.txt")
def article_source() -> Response:
    """The article's plain text, as the sentence offsets count it."""
    text = article_text()
    if text is None:
        raise IpkgError("The article's text is not installed.", ErrorKind.NOT_FOUND)
    return Response(text, content_type="text/plain; charset=utf-8")
