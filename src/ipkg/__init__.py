"""ipkg: the China IP-talent article as a knowledge graph, served as a safe SPARQL 1.1 endpoint."""

__version__ = "0.1.0"
