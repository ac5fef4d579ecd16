"""Ready-made pipelines: definitions written by the sagemaker 3.x SDK (``build_templates.py``) and the code
objects the SDK uploaded while writing them.

``generated/<key>/definition.json`` is ``Pipeline.definition()`` as the SDK wrote it; ``generated/<key>/
objects.json`` maps each ``s3://`` URI the SDK uploaded (scripts, ModelTrainer's ``code`` and ``sm_drivers``
channels) to its content. Locally ``s3://BUCKET/KEY`` is ``WORKBENCH_HOME/lake/BUCKET/KEY``, so
``install_template_objects`` copying the objects into the lake is all the definition needs to run unchanged.
Regenerate both with ``python -m services.pipelines.templates.build_templates``.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

from services.errors import InvalidInput, NotFound
from services.pipelines.models import PipelineTemplate

GENERATED = Path(__file__).resolve().parent / "generated"
TEMPLATES = {
    "review-sentiment": (
        "Review sentiment",
        "Feature engineering from demo.reviews (review_body, sentiment from the rating, balanced classes, a seeded "
        "train/validation/test split) → a TF-IDF text model (Algorithm: tfidf-logistic or tfidf-naive-bayes) → "
        "evaluation (macro-F1, DPPL of predictions across product_category) → quality gates (macro-F1 ≥ MinMacroF1 "
        "and |DPPL| ≤ MaxAbsDPPL) → register for approval (PendingManualApproval), else fail with the reason.",
    ),
    "tabular-autopilot": (
        "Tabular Autopilot",
        "A seeded train / held-out split of a table (demo.wine; TargetColumn target, the cultivar) → Autopilot in ENSEMBLING mode "
        "(MaxRuntimeSeconds, MaxCandidates) → the best candidate scores the held-out rows in a batch transform → "
        "evaluation (accuracy, weighted F1) → quality gate (accuracy ≥ MinAccuracy) → register for approval "
        "(PendingManualApproval), else fail with the reason. On AWS, Autopilot wants at least 500 rows and a "
        "longer MaxRuntimeSeconds.",
    ),
}
# Parameters whose default is a catalog table's Location when the template was generated: (database, table).
# A table's current files can move to a new version folder (an import), so whoever installs a template may
# read the table's Location from the catalog and pass it with with_parameter_defaults.
INPUT_TABLES = {"review-sentiment": {"InputData": ("demo", "reviews")}, "tabular-autopilot": {"InputData": ("demo", "wine")}}
# S3's bucket naming rules (lower case, digits, dots, hyphens; 3-63 characters).
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def load_templates() -> list[PipelineTemplate]:
    """Every ready-made pipeline with its SDK-written definition."""
    return [PipelineTemplate(key, title, description, _read_json(key, "definition.json"))
            for key, (title, description) in TEMPLATES.items()]


def with_parameter_defaults(definition: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """A copy of the definition whose named parameters default to the given values; ``InvalidInput`` for a
    name the definition does not declare."""
    declared = {p["Name"] for p in definition.get("Parameters", [])}
    unknown = sorted(set(defaults) - declared)
    if unknown:
        raise InvalidInput(f"The pipeline has no parameter {', '.join(unknown)}.", hint=f"Its parameters: {', '.join(sorted(declared))}.")
    parameters = [{**p, "DefaultValue": defaults[p["Name"]]} if p["Name"] in defaults else dict(p)
                  for p in definition.get("Parameters", [])]
    return {**definition, "Parameters": parameters}


def template_objects(template_key: str) -> dict[str, bytes]:
    """The objects the SDK uploaded for this template, by ``s3://`` URI; ``NotFound`` for an unknown key."""
    return {uri: _decode(entry) for uri, entry in _read_json(template_key, "objects.json").items()}


def install_template_objects(template_key: str, lake_root: Path) -> list[Path]:
    """Copy the template's recorded S3 objects into the local lake (``s3://B/K`` → ``lake_root/B/K``); the
    files written. ``NotFound`` for an unknown key; ``InvalidInput`` for a URI that would land outside the lake."""
    return install_objects(template_objects(template_key), lake_root)


def install_objects(objects: dict[str, bytes], lake_root: Path) -> list[Path]:
    """Write each object at its place in the lake; every path is checked before anything is written."""
    targets = {lake_path(uri, lake_root): body for uri, body in objects.items()}
    for path, body in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_bytes() != body:
            path.write_bytes(body)
    return sorted(targets)


def lake_path(uri: str, lake_root: Path) -> Path:
    """``s3://BUCKET/KEY`` → ``lake_root/BUCKET/KEY``, refusing anything that is not plainly inside the lake."""
    match = re.fullmatch(r"s3://([^/]+)/(.+)", uri)
    if match is None or not BUCKET_NAME.match(match.group(1)):
        raise InvalidInput(f"{uri!r} is not an s3://bucket/key URI.", hint="Regenerate the templates.")
    parts = match.group(2).split("/")
    if any(part in ("", ".", "..") or "\\" in part or "\0" in part for part in parts):
        raise InvalidInput(f"{uri!r} has an empty, '.' or '..' part and could land outside the lake.",
                           hint="Object keys must be plain relative paths.")
    root = lake_root.resolve()
    path = root.joinpath(match.group(1), *parts)
    if not path.resolve().is_relative_to(root):  # a symlink inside the lake pointing out of it
        raise InvalidInput(f"{uri!r} resolves outside the lake.", hint="Remove the link in the lake's folder.")
    return path


def _read_json(template_key: str, name: str) -> Any:
    if template_key not in TEMPLATES:
        raise NotFound(f"No ready-made pipeline {template_key!r}.", hint=f"Pick one of: {', '.join(TEMPLATES)}.")
    return json.loads((GENERATED / template_key / name).read_text())


def _decode(entry: dict[str, str]) -> bytes:
    return entry["text"].encode("utf-8") if "text" in entry else base64.b64decode(entry["base64"])
