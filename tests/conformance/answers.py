"""Answers compared as the W3C suite specifies: solution sequences as multisets up to a
bijection of blank nodes (in order when the query orders them), graphs and datasets up to
isomorphism, numbers by value within their datatype, language tags without case.

Solutions are compared by writing each one as triples about a fresh blank node (its position
too, for an ordered result) and comparing the canonical forms of the two datasets
(pyoxigraph's canonicalization finds the blank-node bijection)."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

XSD = "http://www.w3.org/2001/XMLSchema#"
RS = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"
ROW = ox.NamedNode("urn:conformance:row")
INDEX = ox.NamedNode("urn:conformance:index")
BOOLEAN = ox.NamedNode("urn:conformance:boolean")
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def _number(literal: ox.Literal) -> ox.Literal:
    kind = literal.datatype.value[len(XSD) :] if literal.datatype.value.startswith(XSD) else None
    try:
        if kind in ("integer", "int", "long", "short", "byte") or (kind or "").endswith("Integer"):
            return ox.Literal(str(int(literal.value)), datatype=literal.datatype)
        if kind == "decimal":
            value = Decimal(literal.value).normalize()
            return ox.Literal(format(value, "f"), datatype=literal.datatype)
        if kind in ("double", "float"):
            return ox.Literal(repr(float(literal.value)), datatype=literal.datatype)
        if kind == "boolean" and literal.value in ("0", "1"):
            return ox.Literal(("false", "true")[int(literal.value)], datatype=literal.datatype)
    except (ValueError, InvalidOperation):
        pass
    return literal


def normal(term: Term) -> Term:
    """A term as it is compared: numbers in one lexical form per value, lowercase language."""
    if isinstance(term, ox.Literal):
        if term.language:
            return ox.Literal(term.value, language=term.language.lower())
        return _number(term)
    return term


class Solutions:
    """A query answer: a boolean, or variables and rows (None for an unbound variable)."""

    def __init__(
        self, variables: list[str], rows: list[dict[str, Term]], boolean: bool | None = None
    ):
        self.variables = variables
        self.rows = rows
        self.boolean = boolean

    @classmethod
    def parsed(cls, data: bytes, fmt: ox.QueryResultsFormat) -> Solutions:
        result = ox.parse_query_results(data, format=fmt)
        if isinstance(result, ox.QueryBoolean):
            return cls([], [], bool(result))
        variables = [v.value for v in result.variables]
        rows = [
            {v: value for v, value in zip(variables, solution, strict=True) if value is not None}
            for solution in result
        ]
        return cls(variables, rows)

    @classmethod
    def from_csv(cls, data: bytes) -> Solutions:
        """CSV keeps no types: every value is a plain string, ``_:x`` a blank node."""
        reader = csv.reader(io.StringIO(data.decode("utf-8")))
        header = next(reader, [])
        rows = []
        for record in reader:
            row: dict[str, Term] = {}
            for variable, value in zip(header, record, strict=False):
                if value.startswith("_:"):
                    row[variable] = ox.BlankNode(_label(value[2:]))
                elif value:
                    row[variable] = ox.Literal(_csv_number(value))
            rows.append(row)
        return cls(header, rows)

    @classmethod
    def from_result_graph(cls, quads: list[ox.Quad]) -> Solutions:
        """The suite's RDF encoding of results (``rs:ResultSet``)."""
        by_subject: dict = {}
        for q in quads:
            by_subject.setdefault(q.subject, {}).setdefault(q.predicate.value, []).append(q.object)
        result_set = next(
            s
            for s, p in by_subject.items()
            if ox.NamedNode(RS + "ResultSet")
            in p.get("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", [])
        )
        props = by_subject[result_set]
        if RS + "boolean" in props:
            return cls([], [], props[RS + "boolean"][0].value == "true")
        variables = [v.value for v in props.get(RS + "resultVariable", [])]
        rows = []
        for solution in props.get(RS + "solution", []):
            row = {}
            for binding in by_subject.get(solution, {}).get(RS + "binding", []):
                b = by_subject[binding]
                row[b[RS + "variable"][0].value] = b[RS + "value"][0]
            rows.append(row)
        return cls(variables, rows)

    def as_strings(self) -> Solutions:
        """What a CSV writer keeps of these solutions: lexical forms, blank nodes."""
        return Solutions(
            self.variables,
            [
                {
                    v: t if isinstance(t, ox.BlankNode) else ox.Literal(_csv_number(t.value))
                    for v, t in r.items()
                }
                for r in self.rows
            ],
            self.boolean,
        )

    def dataset(self, ordered: bool) -> ox.Dataset:
        quads = []
        if self.boolean is not None:
            quads.append(ox.Quad(BOOLEAN, BOOLEAN, ox.Literal(str(self.boolean).lower())))
        for position, row in enumerate(self.rows):
            node = ox.BlankNode()
            quads.append(ox.Quad(node, ROW, ROW))
            if ordered:
                quads.append(ox.Quad(node, INDEX, ox.Literal(str(position))))
            for variable, term in row.items():
                quads.append(ox.Quad(node, ox.NamedNode("urn:var:" + variable), normal(term)))
        return ox.Dataset(quads)


def _csv_number(text: str) -> str:
    """A CSV value that is a number, in one form per value ("1.0E6" and "1000000" alike)."""
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
        return text
    return format(Decimal(text).normalize(), "f")


def _label(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text) or "b"


def canonical(dataset: ox.Dataset) -> set[str]:
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return {str(q) for q in dataset}


def same_solutions(expected: Solutions, actual: Solutions, *, ordered: bool) -> bool:
    if expected.boolean is not None or actual.boolean is not None:
        return expected.boolean == actual.boolean
    if len(expected.rows) != len(actual.rows):
        return False
    return canonical(expected.dataset(ordered)) == canonical(actual.dataset(ordered))


def quads_dataset(quads: list[ox.Quad]) -> ox.Dataset:
    return ox.Dataset(
        ox.Quad(normal(q.subject), q.predicate, normal(q.object), q.graph_name) for q in quads
    )


def isomorphic(expected: list[ox.Quad], actual: list[ox.Quad]) -> bool:
    """Graphs or datasets equal up to a blank-node bijection (numbers by value)."""
    if len(set(expected)) != len(set(actual)):
        return False
    return canonical(quads_dataset(expected)) == canonical(quads_dataset(actual))


def difference(expected: Solutions, actual: Solutions, limit: int = 6) -> str:
    """A short account of two answers for a failure message."""

    def show(s: Solutions) -> str:
        if s.boolean is not None:
            return str(s.boolean)
        rows = [" ".join(f"{k}={v}" for k, v in sorted(r.items())) for r in s.rows[:limit]]
        more = f" … ({len(s.rows)} rows)" if len(s.rows) > limit else f" ({len(s.rows)} rows)"
        return "; ".join(rows) + more

    return f"expected {show(expected)}\n  got {show(actual)}"
