"""The local composition root: one EmbeddedStack, and the catalog, query and storage adapters over it."""

from __future__ import annotations

from dataclasses import dataclass, replace

from services.catalog.local import LocalCatalog
from services.config import Settings
from services.embedded.embedded_stack import EmbeddedStack
from services.query.local import LocalQuery
from services.storage.local import LocalStorage


@dataclass
class LocalCore:
    """What every other local adapter is built from."""

    stack: EmbeddedStack
    catalog: LocalCatalog
    query: LocalQuery
    storage: LocalStorage


def build_local(settings: Settings) -> LocalCore:
    """The local adapters over ``settings.home``, seeded with the demo tables on first start if enabled
    (``seed_on_start``, and ``WORKBENCH_DEMO`` not ``none``). The models and endpoint of ``WORKBENCH_DEMO=full``
    are built elsewhere: in the app's background (``services.demo.background``) or by ``python -m services seed``."""
    stack = EmbeddedStack.open(settings)
    catalog = LocalCatalog(stack.workspace, stack.store, settings)
    query = LocalQuery(stack.workspace, stack.store, catalog, settings)
    if settings.seed_on_start and settings.demo != "none":
        from services.demo.seed import seed_workspace

        seed_workspace(catalog, query)
    return LocalCore(stack, catalog, query, LocalStorage(catalog, query))


def open_local(settings: Settings) -> LocalCore:
    """The local adapters for code that runs outside the app (job workers, endpoint servers, the CLI's
    local-only commands): the same workspace, never seeded from here."""
    return build_local(replace(settings, backend="local", seed_on_start=False))
