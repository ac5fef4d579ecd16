"""Monitoring test helpers: engine inputs built from plain arrays, and a real endpoint whose captured reviews were
labelled through the labels port."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from services.endpoints.capture import Exchange, capture_path, capture_record
from services.endpoints.models import DeployRequest, Variant
from services.labels.models import LabelSource
from services.models import Column, ModelRecord
from services.monitoring.inputs import MonitorInputs
from services.monitoring.models import MonitorConfig, MonitorReport
from services.registry import Services
from tests.helpers.endpoints import TEXT_MODEL, wait_for

CREATED_AT = "2026-03-01T12:00:00.000+00:00"
REVIEW_CLASSES = ("-1", "0", "1")


def model_record(problem_type: str = "MulticlassClassification", classes: Sequence[str] = REVIEW_CLASSES,
                 metrics: dict[str, float] | None = None) -> ModelRecord:
    """A registry entry as a trained review model has it (the engine reads its type, classes and test metrics)."""
    return ModelRecord(model_id="reviews/1", name="reviews", version=1, framework="text-tfidf", problem_type=problem_type,
                       target="sentiment", input_schema=(Column("review_body", "string"),), classes=tuple(classes),
                       metrics=dict(metrics or {}), run_id="", job_name="", artifact_path="")


def captured_frame(predictions: Sequence[Any] | np.ndarray, probabilities: Sequence[float] | np.ndarray | None = None,
                   start: str = "2026-03-01T09:00:00Z", minutes_apart: int = 1) -> pd.DataFrame:
    """Captured rows as the gatherer builds them: event ids e0, e1, …, one a minute from ``start``."""
    n = len(predictions)
    return pd.DataFrame({
        "event_id": [f"e{i}" for i in range(n)],
        "captured_at": pd.date_range(start, periods=n, freq=f"{minutes_apart}min", tz="UTC"),
        "review_body": [f"review {i}" for i in range(n)],
        "prediction": pd.Series(list(predictions), dtype=object),
        "probability": np.asarray(probabilities if probabilities is not None else [np.nan] * n, dtype=float),
    })


def engine_inputs(record: ModelRecord, captured: pd.DataFrame, ground_truth: dict[str, str],
                  config: MonitorConfig | None = None) -> MonitorInputs:
    """What the model-quality engine receives (no training data or predictor: it needs neither)."""
    def no_training_data(_: int) -> pd.DataFrame:
        raise AssertionError("the model-quality engine reads no training data")

    def no_predictor() -> Any:
        raise AssertionError("the model-quality engine loads no model")

    return MonitorInputs(endpoint="reviews-live", model=record, captured=captured, ground_truth=ground_truth,
                         config=config or MonitorConfig(), training_sample=no_training_data, predictor=no_predictor,
                         created_at=CREATED_AT)


# -- a real endpoint with captured traffic and human labels ----------------------------------------------------------


@dataclass(frozen=True)
class LabelledEndpoint:
    """An endpoint that answered ``captured`` reviews (captured in SageMaker's format by its server), of which
    ``labelled`` have a ground-truth label submitted through the labels port; ``pairs`` are the labelled ones'
    (ground truth, captured prediction); ``before_labels`` the model-quality report run before any label was given."""

    services: Services
    endpoint: str
    captured: int
    labelled: int
    pairs: tuple[tuple[str, str], ...]
    before_labels: MonitorReport


def serve_labelled_reviews(services: Services, endpoint: str, reviews: int = 40, labelled: int = 30) -> LabelledEndpoint:
    """Deploy TEXT_MODEL as ``endpoint`` with full data capture, send it ``reviews`` held-out demo reviews, run the
    model-quality monitor once (no labels yet), then label ``labelled`` of the captured requests with their real
    sentiment through ``labels.queue`` / ``labels.submit``."""
    services.endpoints.deploy(DeployRequest(endpoint, (Variant("AllTraffic", TEXT_MODEL),), capture_percent=100))
    assert services.endpoints.wait_for_endpoint(endpoint, 120).status == "InService", services.endpoints.endpoint_logs(endpoint)
    sql = f"SELECT review_body, sentiment FROM demo.reviews_sentiment ORDER BY review_id DESC LIMIT {reviews}"
    rows = services.query.run(sql, max_rows=reviews).frame
    truth = {str(text): str(label) for text, label in zip(rows["review_body"], rows["sentiment"])}
    for text in truth:
        services.endpoints.invoke(endpoint, json.dumps({"instances": [{"review_body": text}]}).encode())
    source = LabelSource(endpoint=endpoint)
    wait_for(lambda: services.labels.queue(source, order="random", limit=0).total == len(truth), 30)
    before = services.monitoring.run_monitor(endpoint, "model-quality")
    items = services.labels.queue(source, order="random", limit=labelled).items
    for item in items:
        services.labels.submit(source, item.item_id, truth[item.text], "tester")
    pairs = tuple((truth[item.text], item.prediction) for item in items)
    return LabelledEndpoint(services, endpoint, len(truth), len(items), pairs, before)


# -- capture files written with the capture writer's own record format (no server) -------------------------------------


def write_endpoint_record(home: Path, name: str, record: ModelRecord, variant: str = "AllTraffic") -> Path:
    """``endpoints/<name>/endpoint.json`` as the endpoints port writes it, for an endpoint whose server is not running
    (its capture is written by ``write_capture``); returns the capture folder."""
    folder = Path(home) / "endpoints" / name
    capture = folder / "capture"
    capture.mkdir(parents=True, exist_ok=True)
    config = {"name": name, "host": "127.0.0.1", "port": 0, "capture_percent": 100, "capture_dir": str(capture),
              "variants": [{"name": variant, "model_id": record.model_id, "artifact_path": record.artifact_path,
                            "weight": 1.0, "shadow": False}]}
    (folder / "endpoint.json").write_text(json.dumps(config))
    return capture


def json_answer(scored: pd.DataFrame) -> bytes:
    """The inference server's JSON answer for scored rows (``predict_frame``'s output)."""
    classes = [c[len("probability_"):] for c in scored.columns if c.startswith("probability_")]
    return json.dumps({"predictions": [{"predicted_label": str(row["predicted_label"]), "probability": float(row["probability"]),
                                        "probabilities": {c: float(row[f"probability_{c}"]) for c in classes}}
                                       for _, row in scored.iterrows()]}).encode()


def write_capture(capture: Path, bodies: Sequence[tuple[bytes, bytes]], start: datetime, seconds_apart: float,
                  variant: str = "AllTraffic", request_type: str = "application/json") -> list[str]:
    """One capture record per (request, response) body pair, ``seconds_apart`` from ``start`` (UTC), in the files the
    capture writer would append to (one per hour); returns the event ids ("ev-<n>") in order."""
    batch: dict[Path, list[str]] = {}
    ids = []
    for n, (request, response) in enumerate(bodies):
        when = start + timedelta(seconds=n * seconds_apart)
        event_id = f"ev-{n}"
        exchange = Exchange(variant, request, request_type, response, "application/json")
        batch.setdefault(capture_path(capture, variant, when, "bench-0"), []).append(json.dumps(capture_record(exchange, when, event_id)))
        ids.append(event_id)
    for path, lines in batch.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write("".join(line + "\n" for line in lines))
    return ids


def review_request(text: str) -> bytes:
    return json.dumps({"instances": [{"review_body": text}]}).encode()
