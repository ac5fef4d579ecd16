"""Assemble the local backend: workspace, metadata store, catalog and query engine."""

from __future__ import annotations

from services.catalog.local import LocalCatalog
from services.config import Settings
from services.embedded.metadata import MetadataStore
from services.embedded.workspace import Workspace
from services.query.local import LocalQuery


def build_local(settings: Settings) -> tuple[LocalCatalog, LocalQuery]:
    """The local adapters over ``settings.home``, seeded with demo data on first start if enabled."""
    workspace = Workspace(settings.home).create()
    store = MetadataStore(workspace.metadata_path)
    catalog = LocalCatalog(workspace, store, settings)
    query = LocalQuery(workspace, store, catalog, settings)
    if settings.seed_on_start:
        from services.embedded.seed import seed_workspace

        seed_workspace(catalog, query)
    return catalog, query
