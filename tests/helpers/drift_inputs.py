"""Real ``MonitorInputs`` for the bias-drift and feature-attribution-drift engines' tests.

Three small models, fitted in the test's process by the built-in algorithms (well under a second each): a
text-tfidf review model of sentiment on a few hundred demo reviews (``services.demo.demo_reviews``, shaped like
demo.reviews_sentiment, with ``product_category`` and ``age`` beside the text), an xgboost model of
``label`` on ``signal_frame`` (``signal``, ``noise``, ``colour``), and an xgboost model whose deciding feature
depends on the row's segment (``gated_frame``: traffic that moves to the other segment drifts in attribution).
Captured traffic is made by really predicting rows with the model, as data capture records them: event id,
capture time, the request's columns, prediction and top probability; ground truth is the rows' true label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from services.demo.demo_reviews import generate_reviews
from services.models import Column, ModelRecord
from services.monitoring.inputs import MonitorInputs
from services.monitoring.models import MonitorConfig
from services.training.algorithms.common import get_algorithm
from services.training.algorithms.dataset import prepare_dataset
from tests.helpers.data import signal_frame
from tests.helpers.recording import RecordingReporter

CREATED_AT = "2026-01-01T00:00:00Z"


@dataclass(frozen=True)
class TrainedModel:
    """A fitted model, its registry record and the table it was trained on."""

    record: ModelRecord
    predictor: Any
    training: pd.DataFrame


def demo_sentiment(rows: int, seed: int) -> pd.DataFrame:
    """Demo reviews as demo.reviews_sentiment has them: review_body, sentiment (-1/0/1), product_category, age."""
    reviews = generate_reviews(rows, seed)
    reviews = reviews[reviews["Review Text"].notna()]
    body = (reviews["Title"].fillna("") + " " + reviews["Review Text"]).str.strip()
    sentiment = np.select([reviews["Rating"] <= 2, reviews["Rating"] == 3], [-1, 0], 1)
    return pd.DataFrame({"review_body": body.to_numpy(), "sentiment": sentiment,
                         "product_category": reviews["Department Name"].to_numpy(),
                         "age": reviews["Age"].to_numpy()})


def train(frame: pd.DataFrame, target: str, algorithm: str, inputs: list[Column], text_column: str = "") -> TrainedModel:
    """Fit ``algorithm`` on ``frame``'s ``inputs`` columns; the record as the registry would hold it."""
    columns = [c.name for c in inputs]
    data = prepare_dataset(frame[[*columns, target]], target, text_column=text_column, seed=3)
    fitted = get_algorithm(algorithm).fit(data, {}, RecordingReporter())
    record = ModelRecord(model_id=f"{algorithm}-model/1", name=f"{algorithm}-model", version=1, framework=algorithm,
                         problem_type=data.problem_type, target=target, input_schema=tuple(inputs),
                         classes=tuple(data.classes), metrics=fitted.metrics, run_id="", job_name="", artifact_path="")
    return TrainedModel(record, fitted.predictor, frame)


def review_model(rows: int = 400) -> TrainedModel:
    """text-tfidf of sentiment from review_body on ``rows`` demo reviews."""
    return train(demo_sentiment(rows, seed=1), "sentiment", "text-tfidf", [Column("review_body", "string")],
                 text_column="review_body")


def signal_model(rows: int = 300) -> TrainedModel:
    """xgboost of label (yes/no) from signal, noise and colour."""
    inputs = [Column("signal", "double"), Column("noise", "double"), Column("colour", "string")]
    return train(signal_frame(rows, seed=0), "label", "xgboost", inputs)


def gated_frame(rows: int, share_b: float, seed: int) -> pd.DataFrame:
    """``label`` follows ``x1`` in segment A and ``x2`` in segment B; ``share_b`` of the rows are in B."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=rows).round(4), rng.normal(size=rows).round(4)
    segment = np.where(rng.random(rows) < share_b, "B", "A")
    label = np.where(np.where(segment == "A", x1, x2) > 0, "yes", "no")
    return pd.DataFrame({"x1": x1, "x2": x2, "segment": segment, "label": label})


def gated_model(rows: int = 400) -> TrainedModel:
    """xgboost of label from x1, x2 and segment, trained on traffic that is 70 % segment A (x1 matters most)."""
    inputs = [Column("x1", "double"), Column("x2", "double"), Column("segment", "string")]
    return train(gated_frame(rows, share_b=0.3, seed=0), "label", "xgboost", inputs)


def captured(model: TrainedModel, requests: pd.DataFrame, flip: pd.Series | None = None) -> pd.DataFrame:
    """Capture records of ``requests`` really predicted by the model; where ``flip`` is True the prediction is
    replaced by the other of a binary model's two classes (traffic whose predictions drifted)."""
    scored = model.predictor.predict_frame(requests[[c.name for c in model.record.input_schema]])
    prediction = scored["predicted_label"]
    if model.record.classes:
        prediction = prediction.astype(str)
    if flip is not None:
        first, second = model.record.classes[0], model.record.classes[-1]
        swapped = prediction.map({first: second, second: first}).fillna(prediction)
        prediction = prediction.where(~flip.to_numpy(), swapped)
    frame = requests.drop(columns=[model.record.target], errors="ignore").reset_index(drop=True)
    frame.insert(0, "event_id", [f"event-{i:05d}" for i in range(len(frame))])
    frame.insert(1, "captured_at", pd.date_range("2026-01-01", periods=len(frame), freq="min", tz="UTC"))
    frame["prediction"] = prediction.to_numpy()
    frame["probability"] = scored["probability"].to_numpy() if "probability" in scored else np.nan  # NaN: regression
    return frame


def ground_truth(capture: pd.DataFrame, labels: pd.Series, every: int = 1) -> dict[str, str]:
    """eventId -> true label for every ``every``-th captured row (as ``labels import`` stores them)."""
    values = labels.reset_index(drop=True)
    return {capture["event_id"][i]: str(values[i]) for i in range(0, len(capture), every)}


def monitor_inputs(model: TrainedModel, capture: pd.DataFrame, truth: dict[str, str], config: MonitorConfig,
                   cache: dict[str, Any] | None = None) -> MonitorInputs:
    """What the local adapter hands an engine: the training sample is a seeded sample of the training table."""
    training = model.training

    def training_sample(n: int) -> pd.DataFrame:
        return training if len(training) <= n else training.sample(n=n, random_state=0)

    return MonitorInputs(endpoint="reviews-endpoint", model=model.record, captured=capture, ground_truth=truth,
                         config=config, training_sample=training_sample, predictor=lambda: model.predictor,
                         created_at=CREATED_AT, cache={} if cache is None else cache)
