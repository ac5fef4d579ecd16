"""What the step executors are built from: the ports they use and, locally, the embedded stack."""

from __future__ import annotations

from dataclasses import dataclass

from services.catalog.base import CatalogPort
from services.config import Settings
from services.embedded.embedded_stack import EmbeddedStack
from services.endpoints.base import EndpointsPort
from services.storage.base import StoragePort
from services.training.base import TrainingPort


@dataclass(frozen=True)
class StepDeps:
    settings: Settings
    stack: EmbeddedStack
    catalog: CatalogPort
    storage: StoragePort
    training: TrainingPort
    endpoints: EndpointsPort
