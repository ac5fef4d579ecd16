"""The local backend's shared infrastructure, handed to every local adapter instead of the whole app.

One ``EmbeddedStack`` per workspace: the folders, the metadata store (SQLite, WAL), one job runner (so
every capability sees the same worker processes) and the model registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from services.config import Settings
from services.embedded.jobs import JobRunner
from services.embedded.metadata import MetadataStore
from services.embedded.model_registry import ModelRegistry
from services.embedded.workspace import Workspace


@dataclass
class EmbeddedStack:
    settings: Settings
    workspace: Workspace
    store: MetadataStore

    @classmethod
    def open(cls, settings: Settings) -> EmbeddedStack:
        """The stack over ``settings.home`` (folders created on first use)."""
        workspace = Workspace(settings.home).create()
        return cls(settings, workspace, MetadataStore(workspace.metadata_path))

    @cached_property
    def runner(self) -> JobRunner:
        return JobRunner(self.settings.home, self.store, self.settings.max_heavy_jobs)

    @cached_property
    def models(self) -> ModelRegistry:
        return ModelRegistry(self.store, self.settings.home / "models")
