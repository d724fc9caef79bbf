"""Linked data built from query results: resource descriptions, "why" explanations, labels,
dumps and the ontology diagram."""
