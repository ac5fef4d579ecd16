"""Label-capability test helpers: a deployed review endpoint with real captured requests, small tables to
label or append to, and label files in the three import formats (built here, never read from a test module)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from services.registry import Services
from tests.helpers.endpoints import TEXT_MODEL, hosting_services, stop_everything, trained_template
from tests.helpers.label_pages import deploy_with_captures
from tests.helpers.workspace import close_services

ENDPOINT = "labels-contract"
SOURCE_TABLE = ("contract", "label_rows")
TRAIN_TABLE = ("contract", "label_train")


@dataclass
class LabelsWorld:
    services: Services
    endpoint: str
    event_ids: list[str]  # the captured requests' eventIds, in capture order


def deployed_world(tmp_path_factory: pytest.TempPathFactory, seeded_home: Path) -> LabelsWorld:
    """TEXT_MODEL deployed as ENDPOINT with 100% capture and a dozen reviews scored through it, plus the two
    contract tables; stop it with ``stop_world``."""
    template = trained_template(tmp_path_factory, seeded_home)
    home = tmp_path_factory.mktemp("labels") / "workspace"
    services = hosting_services(template, home)
    event_ids = deploy_with_captures(services, TEXT_MODEL, endpoint=ENDPOINT)
    import_tables(services, home.parent)
    return LabelsWorld(services, ENDPOINT, event_ids)


def stop_world(world: LabelsWorld) -> None:
    stop_everything(world.services)
    close_services(world.services)


def source_rows() -> pd.DataFrame:
    """Four rows to label: ``prob`` puts r3 (0.40) first, then r1, r4, and r2 (no probability) last; ``label``
    offers the classes good and bad."""
    return pd.DataFrame({"review_id": ["r1", "r2", "r3", "r4"],
                         "review_body": ["fits well", "too small", "colour faded", "lovely fabric"],
                         "prob": [0.55, None, 0.40, 0.90], "label": ["good", "bad", "bad", "good"]})


def train_rows() -> pd.DataFrame:
    return pd.DataFrame({"review_body": ["great", "poor", "fine"], "sentiment": ["positive", "negative", "neutral"],
                         "rating": [5, 1, 3]})


def import_tables(services: Services, folder: Path) -> None:
    for (database, table), frame in ((SOURCE_TABLE, source_rows()), (TRAIN_TABLE, train_rows())):
        path = folder / f"{table}.csv"
        frame.to_csv(path, index=False)
        services.catalog.import_path(path, database, table)


def ground_truth_lines(labels: dict[str, str]) -> bytes:
    return b"".join(json.dumps({"groundTruthData": {"data": label, "encoding": "CSV"},
                                "eventMetadata": {"eventId": event}, "eventVersion": "0"}).encode() + b"\n"
                    for event, label in labels.items())


def labels_csv(labels: dict[str, str]) -> bytes:
    return ("eventId,label\n" + "".join(f"{event},{label}\n" for event, label in labels.items())).encode()


def ground_truth_manifest(labels: dict[str, str], classes: tuple[str, ...], job: str = "sentiment") -> bytes:
    """A SageMaker Ground Truth text-classification output manifest: the label attribute named after the job holds
    the class index, ``<job>-metadata`` its class-name (and the other fields Ground Truth writes)."""
    lines = []
    for event, label in labels.items():
        lines.append(json.dumps({"source": f"review {event}", "eventId": event, job: classes.index(label),
                                 f"{job}-metadata": {"confidence": 0.91, "job-name": f"labeling-job/{job}",
                                                     "class-name": label, "human-annotated": "yes",
                                                     "creation-date": "2026-12-05T10:00:00.000000",
                                                     "type": "groundtruth/text-classification"}}))
    return ("\n".join(lines) + "\n").encode()
