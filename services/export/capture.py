"""Scored reviews out of data capture: each captured request's instances paired with the predictions the endpoint
answered (SageMaker's capture record, ``services/endpoints/capture.py``; the answer's shape is the inference
server's: ``{"predictions": [{"predicted_label", "probability", "probabilities", "explanation": {"tokens",
"scores"}}]}``). Pure: a record that is not JSON or CSV, or holds no prediction, gives nothing."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from services.endpoints.models import CapturedInvocation
from services.export.data import ScoredReview

MAX_TEXT_CHARS = 2_000  # of one review (or record) kept in the file
MAX_TOKENS = 600  # word attributions kept per review


def scored_reviews(endpoint: str, invocation: CapturedInvocation, text_model: bool = False) -> list[ScoredReview]:
    """The instances of one captured request with their predictions, in request order; ``text_model``: the endpoint
    serves a review model, so a record's longest text is its review (the others are extra columns)."""
    instances = request_instances(invocation.input_data, invocation.input_content_type)
    predictions = response_predictions(invocation.output_data, invocation.output_content_type)
    return [review(endpoint, invocation, instance_text(instance, text_model), prediction)
            for instance, prediction in zip(instances, predictions)]


def request_instances(text: str, content_type: str) -> list[Any]:
    """``{"instances": [...]}``, a JSON list, one JSON object, JSON lines, or CSV rows."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "text/csv":
        return list(csv.reader(io.StringIO(text)))
    if kind == "application/jsonlines":
        return [_json(line) for line in text.splitlines() if line.strip()]
    body = _json(text)
    if isinstance(body, dict) and isinstance(body.get("instances"), list):
        return list(body["instances"])
    return body if isinstance(body, list) else [] if body is None else [body]


def response_predictions(text: str, content_type: str) -> list[dict[str, Any]]:
    """``{"predictions": [...]}`` (JSON or JSON lines); a CSV answer's rows as label (, probability)."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "text/csv":
        return [{"predicted_label": row[0], "probability": _number(row[1]) if len(row) > 1 else None}
                for row in csv.reader(io.StringIO(text)) if row]
    lines = text.splitlines() if kind == "application/jsonlines" else [text]
    found: list[dict[str, Any]] = []
    for line in lines:
        body = _json(line)
        items = body.get("predictions") if isinstance(body, dict) else None
        found.extend(item if isinstance(item, dict) else {"predicted_label": item} for item in items or [])
    return found


def review(endpoint: str, invocation: CapturedInvocation, shown: tuple[str, bool], prediction: dict[str, Any]) -> ScoredReview:
    text, is_review = shown
    explanation = _mapping(prediction.get("explanation"))
    tokens = tuple(str(t) for t in list(explanation.get("tokens") or ())[:MAX_TOKENS])
    scores = _mapping(explanation.get("scores") or explanation.get("token_scores"))
    probabilities = _mapping(prediction.get("probabilities"))
    return ScoredReview(
        endpoint=endpoint, inference_time=invocation.inference_time, variant=invocation.variant,
        text=text[:MAX_TEXT_CHARS], text_cut=len(text) > MAX_TEXT_CHARS, is_review=is_review,
        predicted_label=str(prediction.get("predicted_label", "")), probability=_number(prediction.get("probability")),
        probabilities={str(k): v for k, v in ((k, _number(v)) for k, v in probabilities.items()) if v is not None},
        tokens=tokens,
        token_scores={str(k): tuple(float(x) for x in v[:len(tokens)]) for k, v in scores.items() if isinstance(v, list)},
    )


def instance_text(instance: Any, text_model: bool = False) -> tuple[str, bool]:
    """(the review, True) for a text, a record with one text field, or a text model's record (its longest text);
    (the record as JSON, False) otherwise."""
    if isinstance(instance, str):
        return instance, True
    if isinstance(instance, dict):
        texts = [v for v in instance.values() if isinstance(v, str)]
        if texts and (text_model or len(instance) == 1):
            return max(texts, key=len), True
    if isinstance(instance, list) and len(instance) == 1 and isinstance(instance[0], str):
        return instance[0], True
    return json.dumps(instance, ensure_ascii=False, default=str), False


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _number(value: Any) -> float | None:
    try:
        return None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None
