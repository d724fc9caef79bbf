"""Reading SPARQL JSON results back into terms (the inverse of the JSON writer in
``serialisation.py``): the saved-query API, the resource pages and the remote store all read
results this way, so there is one parser."""

from __future__ import annotations

from collections.abc import Mapping

import pyoxigraph as ox

Term = ox.NamedNode | ox.BlankNode | ox.Literal


def term_from_json(binding: Mapping[str, str]) -> Term:
    """The term of one SPARQL JSON results binding (1.1 ``literal`` or 1.0 ``typed-literal``)."""
    kind, value = binding["type"], binding["value"]
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(value)
    if "xml:lang" in binding:
        return ox.Literal(value, language=binding["xml:lang"])
    if "datatype" in binding:
        return ox.Literal(value, datatype=ox.NamedNode(binding["datatype"]))
    return ox.Literal(value)
