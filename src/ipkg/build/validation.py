"""Checks that the data is what the ontology promises: SHACL shapes run with pyshacl, and every
quoted sentence compared with the source article at its character offsets."""

from __future__ import annotations

from dataclasses import dataclass

import pyshacl
import rdflib
from pyshacl.errors import ReportableRuntimeError
from rdflib.namespace import SH

OA = rdflib.Namespace("http://www.w3.org/ns/oa#")


@dataclass(frozen=True)
class Violation:
    """One thing wrong with the data: the node, the property path, and what is wrong."""

    focus: str
    path: str | None
    message: str
    severity: str = "Violation"

    def __str__(self) -> str:
        where = f"{self.focus} {self.path}" if self.path else self.focus
        return f"{self.severity}: {where}: {self.message}"


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else "unusable shapes graph"


def _text(node: rdflib.term.Node | None) -> str | None:
    return None if node is None else node.n3() if isinstance(node, rdflib.BNode) else str(node)


def shacl_violations(
    data: rdflib.Graph, shapes: rdflib.Graph, ontology: rdflib.Graph | None = None
) -> list[Violation]:
    """The SHACL results of validating ``data`` (with the class hierarchy of ``ontology``)."""
    try:
        _conforms, report, text_report = pyshacl.validate(
            data, shacl_graph=shapes, ont_graph=ontology, inference="none", allow_warnings=True
        )
    except ReportableRuntimeError as exc:  # the shapes themselves are broken
        return [Violation("shapes", None, _first_line(exc.message))]
    if not isinstance(report, rdflib.Graph):  # pyshacl returned a failure, not a report
        return [Violation("shapes", None, _first_line(str(text_report)))]
    violations = []
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        severity = report.value(result, SH.resultSeverity)
        violations.append(
            Violation(
                focus=_text(report.value(result, SH.focusNode)) or "?",
                path=_text(report.value(result, SH.resultPath)),
                message=str(report.value(result, SH.resultMessage) or "constraint not met"),
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
            )
        )
    return sorted(violations, key=lambda v: (v.focus, v.path or "", v.message))


def quote_violations(data: rdflib.Graph, source_text: str) -> list[Violation]:
    """Every text selector whose quote differs from the source at its offsets."""
    violations = []
    for target in set(data.subjects(OA.hasSelector, None)):
        exact = start = end = None
        for selector in data.objects(target, OA.hasSelector):
            exact = data.value(selector, OA.exact, default=exact)
            start = data.value(selector, OA.start, default=start)
            end = data.value(selector, OA.end, default=end)
        if exact is None or start is None or end is None:
            continue
        begin, stop = int(start), int(end)
        found = source_text[begin:stop]
        if not 0 <= begin <= stop <= len(source_text):
            message = f"offsets {begin}..{stop} lie outside the source ({len(source_text)} chars)"
        elif found != str(exact):
            message = f"quote differs from the source at {begin}..{stop}: {found[:60]!r}"
        else:
            continue
        violations.append(Violation(_text(target) or "?", str(OA.exact), message))
    return sorted(violations, key=lambda v: v.focus)


def article_violations(
    ontology: rdflib.Graph, asserted: rdflib.Graph, shapes: rdflib.Graph, source_text: str
) -> list[Violation]:
    """Everything wrong with the article graph: SHACL results, then mismatched quotes."""
    return shacl_violations(asserted, shapes, ontology) + quote_violations(asserted, source_text)
