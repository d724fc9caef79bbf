"""Where the embedded article graph lives: the ontology, the facts, the shapes, the source text
and the saved queries, whether ipkg runs from a checkout or from an installed wheel."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ipkg.config import project_root


@dataclass(frozen=True)
class ArticleSources:
    """The files the article graph is built from."""

    ontology: Path
    shapes: Path
    facts: Path
    article: Path
    queries: Path

    @classmethod
    def embedded(cls) -> ArticleSources:
        root = project_root()
        return cls(
            ontology=root / "ontology" / "ipkg.ttl",
            shapes=root / "ontology" / "shapes.ttl",
            facts=root / "data" / "triples.ttl",
            article=root / "data" / "article.txt",
            queries=root / "queries",
        )

    def inputs(self) -> tuple[Path, ...]:
        """The files whose content decides what the reasoner derives."""
        return (self.ontology, self.facts)
