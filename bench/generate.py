"""Deterministic synthetic IP-talent graphs in the project's own ontology, for the scale
benchmark: institutions in a part-of hierarchy, people holding posts, programmes, talent hubs,
statistics, and the article provenance model (sentences with text selectors, reified facts).

    python bench/generate.py 100000 --seed 7 -o /tmp/synthetic-100k.nt

The same size and seed always give the same bytes (N-Triples).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from pathlib import Path

BASE = "https://ipkg.example.org/"
ID = BASE + "id/"
IPKG = BASE + "ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OA = "http://www.w3.org/ns/oa#"
PROV = "http://www.w3.org/ns/prov#"
INSTITUTION_TYPES = (
    "University",
    "GovernmentAgency",
    "Department",
    "TrainingCentre",
    "Academy",
    "Committee",
)
PROGRAMME_TYPES = ("MastersProgram", "TrainingProgram", "Plan", "Evaluation")
MEASURES = ("ip-talent", "patent-agents", "trainees", "graduates", "experts", "academicians")
QUALIFIERS = ("exact", "over", "nearly", "more-than")
STATUSES = ("planned", "under-construction", "completed")
ROLES = ("director", "dean", "professor", "head", "deputy-director", "chair")
Triple = tuple[str, str, str]


def iri(value: str) -> str:
    return f"<{value}>"


def text(value: str, language: str = "en") -> str:
    return f'"{value}"@{language}'


def typed(value: object, datatype: str) -> str:
    return f'"{value}"^^<{XSD}{datatype}>'


class Generator:
    """Emits clusters of related triples until the target count is reached."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.blank = 0
        self.offset = 0

    def bnode(self) -> str:
        self.blank += 1
        return f"_:b{self.blank}"

    def sentence(self, doc: int, number: int, words: str) -> Iterator[Triple]:
        node = iri(f"{ID}doc{doc}/s{number:02d}")
        yield node, iri(RDF + "type"), iri(IPKG + "Sentence")
        yield node, iri(OA + "hasSource"), iri(f"{ID}doc{doc}")
        yield node, iri(IPKG + "sentenceNumber"), typed(number, "integer")
        quote, position = self.bnode(), self.bnode()
        yield node, iri(OA + "hasSelector"), quote
        yield quote, iri(RDF + "type"), iri(OA + "TextQuoteSelector")
        yield quote, iri(OA + "exact"), f'"{words}"'
        yield node, iri(OA + "hasSelector"), position
        yield position, iri(RDF + "type"), iri(OA + "TextPositionSelector")
        yield position, iri(OA + "start"), typed(self.offset, "nonNegativeInteger")
        self.offset += len(words) + 1
        yield position, iri(OA + "end"), typed(self.offset - 1, "nonNegativeInteger")

    def reified(self, fact: Triple, sentence: str) -> Iterator[Triple]:
        node = self.bnode()
        yield node, iri(RDF + "type"), iri(RDF + "Statement")
        yield node, iri(RDF + "subject"), fact[0]
        yield node, iri(RDF + "predicate"), fact[1]
        yield node, iri(RDF + "object"), fact[2]
        yield node, iri(PROV + "wasDerivedFrom"), sentence

    def cluster(self, n: int) -> Iterator[Triple]:
        """One institution with its people, a programme, a statistic and their provenance."""
        pick = self.random.choice
        inst = iri(f"{ID}institution-{n}")
        place = iri(f"{ID}place-{self.random.randrange(200)}")
        sentence = iri(f"{ID}doc{n // 20}/s{n % 20 + 1:02d}")
        facts: list[Triple] = [
            (inst, iri(RDF + "type"), iri(IPKG + pick(INSTITUTION_TYPES))),
            (inst, iri(RDFS + "label"), text(f"Institution {n}")),
            (inst, iri(IPKG + "locatedIn"), place),
        ]
        if n:
            facts.append((inst, iri(IPKG + "partOf"), iri(f"{ID}institution-{(n - 1) // 5}")))
        if self.random.random() < 0.3:
            facts.append((inst, iri(IPKG + "belongsToHub"), iri(f"{ID}hub-{n % 50}")))
        for k in range(self.random.randint(1, 3)):
            person, post = iri(f"{ID}person-{n}-{k}"), iri(f"{ID}post-{n}-{k}")
            facts += [
                (person, iri(RDF + "type"), iri(IPKG + "Person")),
                (person, iri(RDFS + "label"), text(f"Person {n}-{k}")),
                (person, iri(IPKG + "holdsPost"), post),
                (post, iri(RDF + "type"), iri(IPKG + "Post")),
                (post, iri(RDFS + "label"), text(f"post {k} at institution {n}")),
                (post, iri(IPKG + "postIn"), inst),
                (post, iri(IPKG + "role"), iri(f"{ID}role/{pick(ROLES)}")),
            ]
        programme = iri(f"{ID}programme-{n}")
        facts += [
            (programme, iri(RDF + "type"), iri(IPKG + pick(PROGRAMME_TYPES))),
            (programme, iri(RDFS + "label"), text(f"Programme {n}")),
            (programme, iri(IPKG + "hostedBy"), inst),
            (programme, iri(IPKG + "status"), iri(f"{ID}status/{pick(STATUSES)}")),
        ]
        statistic = iri(f"{ID}statistic-{n}")
        value = self.random.randrange(10, 1_000_000)
        facts += [
            (statistic, iri(RDF + "type"), iri(IPKG + "Statistic")),
            (statistic, iri(RDFS + "label"), text(f"Statistic {n}")),
            (statistic, iri(IPKG + "value"), typed(value, "integer")),
            (statistic, iri(IPKG + "measure"), iri(f"{ID}measure/{pick(MEASURES)}")),
            (statistic, iri(IPKG + "unit"), iri(f"{ID}unit/person")),
            (statistic, iri(IPKG + "refArea"), place),
            (statistic, iri(IPKG + "qualifier"), iri(f"{ID}qualifier/{pick(QUALIFIERS)}")),
            (statistic, iri(IPKG + "refDate"), typed(f"{2015 + n % 10}-12-31", "date")),
            (statistic, iri(IPKG + "lowerBound"), typed(value, "integer")),
        ]
        yield from facts
        yield from self.sentence(n // 20, n % 20 + 1, f"Institution {n} reports {value} people.")
        for fact in facts[:: max(1, len(facts) // 4)]:
            yield from self.reified(fact, sentence)

    def vocabulary(self) -> Iterator[Triple]:
        """Labels and types of the shared resources (places, hubs, measures, …)."""
        for i in range(200):
            yield iri(f"{ID}place-{i}"), iri(RDF + "type"), iri(IPKG + "Place")
            yield iri(f"{ID}place-{i}"), iri(RDFS + "label"), text(f"Place {i}")
        for i in range(50):
            yield iri(f"{ID}hub-{i}"), iri(RDF + "type"), iri(IPKG + "Hub")
            yield iri(f"{ID}hub-{i}"), iri(RDFS + "label"), text(f"Hub {i}")
        for name in MEASURES:
            yield iri(f"{ID}measure/{name}"), iri(RDF + "type"), iri(IPKG + "Measure")
            yield iri(f"{ID}measure/{name}"), iri(RDFS + "label"), text(name.replace("-", " "))


def triples(size: int, seed: int = 7) -> Iterator[Triple]:
    """About ``size`` triples (never fewer, at most one cluster more)."""
    generator = Generator(seed)
    count = 0
    for triple in generator.vocabulary():
        count += 1
        yield triple
    n = 0
    while count < size:
        for triple in generator.cluster(n):
            count += 1
            yield triple
        n += 1


def write(size: int, seed: int, out) -> int:
    """Writes the N-Triples; returns how many."""
    written = 0
    for s, p, o in triples(size, seed):
        out.write(f"{s} {p} {o} .\n")
        written += 1
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", type=int, help="asserted triples (about)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("-o", "--output", type=Path, help="file (default: standard output)")
    args = parser.parse_args(argv)
    if args.output:
        with args.output.open("w", encoding="utf-8") as out:
            count = write(args.size, args.seed, out)
    else:
        count = write(args.size, args.seed, sys.stdout)
    print(f"{count} triples", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
