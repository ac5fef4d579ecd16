"""Model registry entries for the model dashboard's tests: a tiny real model (a script's LinearSVC) registered under
several groups and versions through the local registry, as a training job registers it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from services.models import ModelRecord
from services.registry import Services
from tests.helpers.models import register_svc


def register_versions(services: Services, folder: Path, versions: dict[str, int],
                      metrics: dict[str, float] | None = None) -> list[ModelRecord]:
    """``versions`` (group → count) registered in that order, each a copy of one real LinearSVC with ``metrics``."""
    first = services.training.get_model(register_svc(services, folder / "svc"))
    records = [first]
    for group, count in versions.items():
        for _ in range(count):
            draft = replace(first, name=group, metrics=dict(metrics or {}))
            records.append(services.stack.models.register(draft, folder / "svc"))
    return records
