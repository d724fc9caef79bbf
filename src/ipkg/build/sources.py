"""Where the embedded article graph lives: the ontology, the facts, the shapes, the source text
and the saved queries, whether ipkg runs from a checkout or from an installed wheel."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # src/ipkg


def project_root() -> Path:
    """The folder holding ``ontology/``, ``data/`` and ``queries/``.

    An installed wheel carries them inside the package (``ipkg/embedded``); an editable install
    or a checkout reads them from the repository, two levels above ``src/ipkg``.
    """
    embedded = _PACKAGE / "embedded"
    if (embedded / "data").is_dir():
        return embedded
    return _PACKAGE.parent.parent


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
