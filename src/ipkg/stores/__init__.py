"""The stores the service can run on, chosen by ``--store``: ``memory`` (the default),
``disk:PATH`` (persistent, built once) or ``sparql+http://…`` (a remote SPARQL 1.1 store)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from ipkg.build.cache import cache_key
from ipkg.build.dataset import dataset_quads, dataset_title, store_of
from ipkg.build.loading import DataSpec, read_input
from ipkg.build.sources import ArticleSources
from ipkg.config import Settings, StoreKind
from ipkg.namespaces import GRAPH_NAMES, Namespaces
from ipkg.queries.catalogue_graph import served_catalogue
from ipkg.stores.base import DEFAULT_GRAPH, Store, StoreError
from ipkg.stores.disk import DiskStore
from ipkg.stores.memory import MemoryStore
from ipkg.stores.remote import Endpoint, RemoteStore

__all__ = ["DEFAULT_GRAPH", "DiskStore", "MemoryStore", "RemoteStore", "Store", "StoreError"]


def served_quads(settings: Settings, namespaces: Namespaces) -> list[ox.Quad]:
    """Every quad to serve: the dataset and the saved-query catalogue."""
    return dataset_quads(settings, namespaces) + served_catalogue(settings, namespaces)


def served_store(settings: Settings, namespaces: Namespaces) -> tuple[ox.Store, str]:
    """The store to serve, in memory, and a title for it."""
    return store_of(served_quads(settings, namespaces)), dataset_title(settings)


def input_files(settings: Settings) -> list[Path]:
    """Every file whose content decides what the store holds."""
    queries = sorted(Path(settings.queries).glob("*.rq")) if settings.queries else []
    if settings.data:
        ontology = [Path(settings.ontology)] if settings.ontology else []
        return [*ontology, *(DataSpec.parse(text).path for text in settings.data), *queries]
    sources = ArticleSources.embedded()
    return [*sources.inputs(), sources.shapes, sources.article, *queries]


def input_key(settings: Settings) -> str:
    """A hash of the inputs and of every setting that changes what is built from them."""
    files = input_files(settings)
    names = "\0".join([*settings.data, *(str(p) for p in files)])
    contents = [names.encode(), *map(read_input, files)]
    served = settings.namespaces()  # a store built for one base is not reused for another
    base = served.written + "\0" + served.base if served.moved else served.base
    return cache_key(contents, base=base, reasoner=settings.reasoner)


def dataset_graphs(settings: Settings, namespaces: Namespaces) -> list[str]:
    """The named graphs the dataset lives in (what a remote store's queries name)."""
    if settings.data:
        specs = map(DataSpec.parse, settings.data)
        graphs = {namespaces.rebase(spec.graph) for spec in specs if spec.graph}
        if settings.ontology:
            graphs |= {namespaces.graph("ontology"), namespaces.graph("inferred")}
        return sorted(graphs)
    return [namespaces.graph(name) for name in (*GRAPH_NAMES, "queries")]


def remote_store(settings: Settings, namespaces: Namespaces) -> RemoteStore:
    """The remote store ``settings.store`` names, with the dataset's graphs."""
    endpoint = Endpoint.parse(
        settings.store_spec.location,
        user=settings.store_user or None,
        password=settings.store_password or None,
    )
    return RemoteStore(endpoint, dataset_graphs(settings, namespaces), timeout=60)


def opened_store(settings: Settings, namespaces: Namespaces) -> tuple[Store, str]:
    """The store ``--store`` names, ready to start, and the title of its dataset."""
    spec = settings.store_spec
    if spec.kind is StoreKind.DISK:
        store = DiskStore.opened(
            spec.path, input_key(settings), lambda: served_quads(settings, namespaces)
        )
        return store, dataset_title(settings)
    if spec.kind is StoreKind.REMOTE:
        return remote_store(settings, namespaces), dataset_title(settings)
    store, title = served_store(settings, namespaces)
    return MemoryStore(store), title
