"""Saved queries: the ``.rq`` files with their YAML headers, typed parameter binding, and the
catalogue as RDF."""
