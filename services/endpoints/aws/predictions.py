"""What SageMaker's containers answer, read into our predictions (pure functions over bodies and lines).

Shapes, as documented for the built-in algorithms:

* XGBoost (``Accept: text/csv``): one line per row, ``binary:logistic`` the positive class's probability
  (``0.73``), ``multi:softprob`` every class's probability (``[0.1, 0.2, 0.7]``), regression the value (``4.2``).
* Linear Learner (``Accept: application/json``): ``{"predictions": [{"score": 0.4, "predicted_label": 0}]}``
  (binary), ``"score": [0.1, 0.2, 0.4, 0.3]`` (multiclass) and ``{"score": 0.4}`` alone (regression).
* Autopilot's inference pipeline (CSV): the label, or ``label,probability``.
* The workbench's own JSON (script-mode and local containers): ``{"predictions": [{"predicted_label": ...}]}``.

Class indices are the positions in the model's ``classes`` (the target was encoded that way for training).
"""

from __future__ import annotations

import json
from typing import Any

from services.endpoints.models import ScoreResult
from services.errors import InternalError

FORMAT_HINT = ("The endpoint's container answered in a format the workbench does not read; use Invoke with the "
               "content type the container reads.")
JSON_FORMAT_HINT = ("This endpoint's container does not answer in the workbench's JSON format "
                    '({"predictions": [{"predicted_label": ...}]}); use Invoke with the content type the container reads.')


def prediction_of(line: str, classes: list[str]) -> tuple[str, float | None, str]:
    """One output line: a score per class, a binary classifier's one score, ``label,probability``, or a label as it is."""
    scores = _numbers(line)
    if classes and scores and len(scores) == len(classes) >= 2:
        best = max(range(len(scores)), key=scores.__getitem__)
        return classes[best], scores[best], line
    if len(classes) == 2 and scores and len(scores) == 1 and 0.0 <= scores[0] <= 1.0:
        positive = scores[0] >= 0.5
        return classes[int(positive)], scores[0] if positive else 1.0 - scores[0], line
    label, _, probability = line.strip().partition(",")
    if scores is None and _numbers(probability):
        return label, float(probability), line
    return line.strip(), None, line


def class_probabilities(line: str, classes: list[str]) -> dict[str, float]:
    """Every class's probability when the line has them (a score per class, or a binary classifier's one score)."""
    scores = _numbers(line) or []
    if classes and len(scores) == len(classes) >= 2:
        return dict(zip(classes, scores, strict=True))
    if len(classes) == 2 and len(scores) == 1 and 0.0 <= scores[0] <= 1.0:
        return {classes[0]: 1.0 - scores[0], classes[1]: scores[0]}
    return {}


def _numbers(line: str) -> list[float] | None:
    try:
        return [float(part) for part in line.strip().strip("[]").split(",")]
    except ValueError:
        return None


def score_from_answer(body: bytes, classes: list[str], variant: str, latency_ms: float) -> ScoreResult:
    """The first prediction of a container's answer, whichever of the documented shapes it has."""
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if not isinstance(document, dict):  # CSV: "0.73", "[0.1, 0.2, 0.7]" and "4.2" parse as JSON too
        return _score_from_line(body, classes, variant, latency_ms)
    try:
        prediction = document["predictions"][0]
        if "score" in prediction:
            return _linear_learner_score(prediction, classes, variant, latency_ms)
        return _workbench_score(prediction, variant, latency_ms)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise unexpected_answer(body) from exc


def _score_from_line(body: bytes, classes: list[str], variant: str, latency_ms: float) -> ScoreResult:
    lines = [line for line in body.decode(errors="replace").splitlines() if line.strip()]
    if not lines:
        raise unexpected_answer(body)
    label, probability, _ = prediction_of(lines[0], classes)
    return ScoreResult(label, probability, class_probabilities(lines[0], classes), latency_ms, variant)


def _linear_learner_score(prediction: dict[str, Any], classes: list[str], variant: str, latency_ms: float) -> ScoreResult:
    """``score`` (a list per class, or the positive class's) and ``predicted_label`` (a class index); a regressor has
    no label, so its score is the prediction."""
    score = prediction["score"]
    if "predicted_label" not in prediction:
        return ScoreResult(_number_text(float(score)), None, {}, latency_ms, variant)
    scores = [float(s) for s in score] if isinstance(score, list) else [1.0 - float(score), float(score)]
    names = classes if len(classes) == len(scores) else [str(i) for i in range(len(scores))]
    probabilities = dict(zip(names, scores, strict=True))
    label = names[int(float(prediction["predicted_label"]))]
    return ScoreResult(label, probabilities[label], probabilities, latency_ms, variant)


def score_from_workbench_json(body: bytes, variant: str, latency_ms: float) -> ScoreResult:
    """The first of the workbench's ``{"predictions": [...]}`` (what a review model's container answers)."""
    try:
        return _workbench_score(json.loads(body)["predictions"][0], variant, latency_ms)
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise unexpected_answer(body, JSON_FORMAT_HINT) from exc


def _workbench_score(prediction: dict[str, Any], variant: str, latency_ms: float) -> ScoreResult:
    """``{"predicted_label", "probability", "probabilities", "tokens", "token_scores"}``."""
    probabilities = {str(k): float(v) for k, v in (prediction.get("probabilities") or {}).items()}
    probability = prediction.get("probability")
    tokens = tuple(str(t) for t in prediction.get("tokens") or ())
    token_scores = {str(k): tuple(float(s) for s in v) for k, v in (prediction.get("token_scores") or {}).items()}
    return ScoreResult(str(prediction["predicted_label"]), None if probability is None else float(probability), probabilities,
                       latency_ms, variant, tokens, token_scores)


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)


def unexpected_answer(body: bytes, hint: str = FORMAT_HINT) -> InternalError:
    preview = body[:200].decode(errors="replace")
    return InternalError(f"The endpoint's container answered in an unexpected format: {preview!r}", hint=hint)
