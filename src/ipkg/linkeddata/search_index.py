"""A full-text index over the dataset's names and the article's sentences (SQLite FTS5 with the
trigram tokenizer, from the standard library), so a person who does not know SPARQL can find
"Tongji" in either language, and so it stays fast at a million triples."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ipkg.linkeddata.describe import Select, prefixes
from ipkg.linkeddata.labels import local_name, pick
from ipkg.namespaces import Namespaces

NAMES = """SELECT ?x ?text ?p WHERE {
  VALUES ?p { rdfs:label skos:prefLabel skos:altLabel <http://schema.org/name>
              <http://schema.org/alternateName> <http://xmlns.com/foaf/0.1/name> }
  ?x ?p ?text . FILTER(isIRI(?x) && isLiteral(?text))
  FILTER NOT EXISTS { ?x a ipkg:Sentence }
}"""
TYPES = """SELECT ?x ?class WHERE { ?x a ?class . FILTER(isIRI(?x) && isIRI(?class))
  FILTER(STRSTARTS(STR(?class), STR(ipkg:))) }"""
SUBCLASSES = """SELECT ?sub ?super WHERE { ?sub rdfs:subClassOf ?super .
  FILTER(isIRI(?sub) && isIRI(?super) && ?sub != ?super) }"""
SENTENCES = """SELECT ?sentence ?exact WHERE {
  ?sentence a ipkg:Sentence ; oa:hasSelector ?q . ?q a oa:TextQuoteSelector ; oa:exact ?exact }"""
# A sentence cited only for a reading of its context (a heading) does not mention the resource.
MENTIONS = """SELECT DISTINCT ?sentence ?x WHERE {
  ?st prov:wasDerivedFrom ?sentence ; rdf:subject ?x . FILTER(isIRI(?x))
  FILTER NOT EXISTS { ?st ipkg:support id:support\\/read } }"""
ALTERNATIVE = ("/core#altLabel", "/alternateName")
# Label hits rank above alternative names, which rank above sentences that mention a resource.
FIELD_RANK = {"label": 0, "alt": 1, "sentence": 2}
TRIGRAM = 3  # the trigram tokenizer matches only terms of three characters or more
RANKED = 5000  # matches ranked by BM25 per search


@dataclass(frozen=True)
class Hit:
    """One resource found: its name in the reader's language, its class and a sentence."""

    iri: str
    label: str
    language: str
    class_iri: str | None
    class_label: str | None
    sentence: str | None
    sentence_iri: str | None
    matched: str  # "label", "alt" or "sentence": what matched the query


def fts_phrase(term: str) -> str:
    """A user's term as one FTS5 string (quoted, inner quotes doubled): no query syntax of the
    user's (``OR``, ``NEAR``, ``*``, ``column:``) reaches the FTS5 parser."""
    return '"' + term.replace('"', '""') + '"'


def like_pattern(term: str) -> str:
    """A user's term as a LIKE pattern matching it anywhere, its wildcards escaped."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def field_of(predicate: str) -> str:
    """Whether a naming predicate gives a label or an alternative name."""
    return "alt" if predicate.endswith(ALTERNATIVE) else "label"


def most_specific(classes: set[str], supers: dict[str, set[str]]) -> str:
    """The class of ``classes`` that no other of them is a subclass of (ties by IRI)."""
    general = {s for c in classes for s in supers.get(c, ())}
    narrow = sorted(classes - general) or sorted(classes)
    return narrow[0]


class SearchIndex:
    """An in-memory FTS5 index of one version of the data; ``build`` fills it again."""

    def __init__(self) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._lock = threading.Lock()
        self.version: object = None
        self.build_seconds = 0.0
        self.entries = 0
        self._create()

    def _create(self) -> None:
        self._db.executescript(
            """
            CREATE VIRTUAL TABLE entries USING fts5(
                text, iri UNINDEXED, field UNINDEXED, lang UNINDEXED, tokenize='trigram');
            CREATE TABLE labels(iri TEXT, text TEXT, lang TEXT);
            CREATE INDEX labels_iri ON labels(iri);
            CREATE TABLE classes(iri TEXT PRIMARY KEY, class TEXT);
            CREATE TABLE sentences(iri TEXT PRIMARY KEY, text TEXT);
            CREATE TABLE mentions(sentence TEXT, resource TEXT);
            CREATE INDEX mentions_resource ON mentions(resource);
            CREATE INDEX mentions_sentence ON mentions(sentence);
            """
        )

    def build(self, run: Select, ns: Namespaces, version: object) -> None:
        """Reads names, classes, sentences and mentions from the store and indexes them."""
        started = time.perf_counter()
        head = prefixes(ns)
        names = [
            (
                r["x"].value,
                r["text"].value,
                getattr(r["text"], "language", None) or "",
                r["p"].value,
            )
            for r in run(head + NAMES, {})
        ]
        supers: dict[str, set[str]] = defaultdict(set)
        for r in run(head + SUBCLASSES, {}):
            supers[r["sub"].value].add(r["super"].value)
        typed: dict[str, set[str]] = defaultdict(set)
        for r in run(head + TYPES, {}):
            typed[r["x"].value].add(r["class"].value)
        sentences = [(r["sentence"].value, r["exact"].value) for r in run(head + SENTENCES, {})]
        mentions = [(r["sentence"].value, r["x"].value) for r in run(head + MENTIONS, {})]
        with self._lock:
            self._db.executescript(
                "DELETE FROM entries; DELETE FROM labels; DELETE FROM classes;"
                "DELETE FROM sentences; DELETE FROM mentions;"
            )
            self._db.executemany(
                "INSERT INTO entries(text, iri, field, lang) VALUES (?, ?, ?, ?)",
                [
                    (t, x, "alt" if p.endswith(ALTERNATIVE) else "label", lang)
                    for x, t, lang, p in names
                ]
                + [(text, s, "sentence", "") for s, text in sentences],
            )
            self._db.executemany(
                "INSERT INTO labels VALUES (?, ?, ?)",
                [(x, t, lang) for x, t, lang, p in names if not p.endswith(ALTERNATIVE)],
            )
            self._db.executemany(
                "INSERT INTO classes VALUES (?, ?)",
                [(x, most_specific(cs, supers)) for x, cs in typed.items()],
            )
            self._db.executemany("INSERT OR IGNORE INTO sentences VALUES (?, ?)", sentences)
            self._db.executemany("INSERT INTO mentions VALUES (?, ?)", mentions)
            self._db.commit()
            self.entries = len(names) + len(sentences)
            self.version = version
            self.build_seconds = time.perf_counter() - started

    def _matches(self, terms: list[str], limit: int) -> list[tuple[str, str, str, float]]:
        """(iri, field, text, bm25) of the entries holding the whole query as written, then of
        those holding every term, best first."""
        phrase = " ".join(terms)
        found = self._matching([phrase], limit) if len(terms) > 1 and len(phrase) >= TRIGRAM else []
        if len(found) < limit:
            found += self._matching(terms, limit)
        return found

    def _matching(self, terms: list[str], limit: int) -> list[tuple[str, str, str, float]]:
        long_terms = [t for t in terms if len(t) >= TRIGRAM]
        short = [like_pattern(t) for t in terms if len(t) < TRIGRAM]
        if long_terms:
            # BM25 ranks the first RANKED matches (labels come before sentences in the index):
            # a frequent word stays fast at a million triples.
            sql = (
                "SELECT iri, field, text, score FROM (SELECT iri, field, text, "
                "bm25(entries) AS score FROM entries WHERE entries MATCH ?"
                + " AND text LIKE ? ESCAPE '\\'" * len(short)
                + " LIMIT ?) ORDER BY score LIMIT ?"
            )
            args = [" ".join(fts_phrase(t) for t in long_terms), *short, RANKED, limit]
        else:  # only one- or two-character terms (a Chinese word often is): a scan
            sql = (
                "SELECT iri, field, text, 0.0 FROM entries WHERE "
                + " AND ".join(["text LIKE ? ESCAPE '\\'"] * len(terms))
                + " LIMIT ?"
            )
            args = [*short, limit]
        return list(self._db.execute(sql, args))

    def _labels(self, iris: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
        found: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for iri in set(iris):
            for text, lang in self._db.execute(
                "SELECT text, lang FROM labels WHERE iri = ?", (iri,)
            ):
                found[iri].append((text, lang))
        return found

    def search(self, query: str, languages: tuple[str, ...], limit: int = 30) -> list[Hit]:
        """The resources whose names or mentioning sentences hold every word of ``query``,
        ranked: a whole-name match first, then label hits, alternative names, sentences; by BM25."""
        printable = "".join(c if c.isprintable() else " " for c in query)  # no NUL into SQLite
        terms = [t for t in printable.split() if t][:8]
        if not terms:
            return []
        with self._lock:
            ranked: dict[str, tuple[tuple, str, str | None]] = {}
            for iri, field, text, score in self._matches(terms, limit * 10):
                exact = 0 if text.casefold() == query.strip().casefold() else 1
                targets = [iri]
                sentence = None
                if field == "sentence":
                    sentence = iri
                    targets = [
                        r
                        for (r,) in self._db.execute(
                            "SELECT resource FROM mentions WHERE sentence = ?", (iri,)
                        )
                    ]
                for target in targets:
                    key = (exact, FIELD_RANK[field], score)
                    if target not in ranked or key < ranked[target][0]:
                        ranked[target] = (key, field, sentence)
            best = sorted(ranked.items(), key=lambda item: item[1][0])[:limit]
            labels = self._labels(iri for iri, _ in best)
            classes = [self._class(iri) for iri, _ in best]
            labels.update(self._labels(c for c in classes if c))
            return [
                self._hit(iri, field, sentence, classes[i], labels, languages)
                for i, (iri, (_, field, sentence)) in enumerate(best)
            ]

    def _class(self, iri: str) -> str | None:
        row = self._db.execute("SELECT class FROM classes WHERE iri = ?", (iri,)).fetchone()
        return row[0] if row else None

    def _sentence(self, iri: str, sentence: str | None) -> tuple[str | None, str | None]:
        if sentence is None:
            row = self._db.execute(
                "SELECT sentence FROM mentions WHERE resource = ? ORDER BY sentence LIMIT 1",
                (iri,),
            ).fetchone()
            sentence = row[0] if row else None
        if sentence is None:
            return None, None
        row = self._db.execute("SELECT text FROM sentences WHERE iri = ?", (sentence,)).fetchone()
        return (row[0] if row else None), sentence

    def _hit(
        self,
        iri: str,
        field: str,
        sentence: str | None,
        class_iri: str | None,
        labels: dict[str, list[tuple[str, str]]],
        languages: tuple[str, ...],
    ) -> Hit:
        name = pick(labels.get(iri, ()), languages) or (local_name(iri), "")
        class_name = pick(labels.get(class_iri, ()), languages) if class_iri else None
        text, sentence_iri = self._sentence(iri, sentence)
        return Hit(
            iri=iri,
            label=name[0],
            language=name[1],
            class_iri=class_iri,
            class_label=class_name[0] if class_name else (class_iri and local_name(class_iri)),
            sentence=text,
            sentence_iri=sentence_iri,
            matched=field,
        )
