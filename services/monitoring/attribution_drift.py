"""Feature-attribution drift (Model Monitor's ModelExplainability): SHAP on a sample of live traffic against the
training baseline, compared by NDCG (``services.monitoring.ndcg``).

The global attribution of a feature is its mean |SHAP value| over the rows explained. The baseline explains
``inputs.training_sample`` once and keeps the result in ``inputs.cache["attribution_drift"]`` (JSON values only:
the local adapter writes the cache beside the model); each run explains at most ``config.sample_size`` (capped at
``MAX_SAMPLE``) captured requests, seeded. Tabular models go through the explain capability's ``explain_rows``
(Tree, Linear or Permutation SHAP, ``BACKGROUND_ROWS`` training rows as background, read once per run); review
models' features are words (``attribution_words``), ranked over the baseline's top ``TEXT_TOP_K`` words, and
``details["words"]`` lists the words whose attribution rose or fell most. NDCG below ``config.ndcg_threshold`` is
a violation (``feature_attribution_drift_check``).

``statistics`` is Clarify's explainability ``analysis.json`` for the live sample and ``constraints`` the
baseline's (both ``{"version": "1.0", "explanations": {"kernel_shap": {"label0": {"global_shap_values",
"expected_value"}}}}``), the constraints adding the check's threshold; Clarify's violation entries (``label``,
``metric_name`` "shap", ``constraint_check_type``, ``description``) are in ``details["violations"]``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from services.errors import InvalidInput
from services.explain.shap_tabular import choose_target, explain_rows
from services.monitoring.attribution_words import PARTITION_TEXTS, word_attributions
from services.monitoring.inputs import MonitorInputs
from services.monitoring.models import MonitorReport, Violation
from services.monitoring.ndcg import ndcg

CHECK = "feature_attribution_drift_check"
CACHE_KEY = "attribution_drift"
LABEL_KEY = "label0"  # Clarify's placeholder when the analysis config names no label headers
BASELINE_TABULAR_ROWS = 200
BASELINE_TEXT_ROWS = 500
BACKGROUND_ROWS = 100
MAX_SAMPLE = 1000
TEXT_TOP_K = 20
REPORTED_WORDS = 100  # global_shap_values of a review model: the largest this many words
CHANGED_WORDS = 10
SEED = 0


def run(inputs: MonitorInputs) -> MonitorReport:
    """The feature-attribution drift report of ``inputs``."""
    if not 0 <= inputs.config.ndcg_threshold <= 1:
        raise InvalidInput(f"The NDCG threshold must be between 0 and 1, got {inputs.config.ndcg_threshold}.",
                           hint="Model Monitor's default is 0.90: lower it to tolerate more change in the ranking.")
    if inputs.config.sample_size < 1:
        raise InvalidInput(f"The sample size must be at least 1, got {inputs.config.sample_size}.",
                           hint=f"Explain between 1 and {MAX_SAMPLE} captured requests per run (default 100).")
    live_rows = _live_sample(inputs)
    if live_rows.empty:
        return _failed(inputs, "No captured requests to explain yet: send traffic to the endpoint (with data "
                               "capture on) and run the monitor again.")
    model = Model(inputs)
    baseline = baseline_attributions(inputs, model)
    live, expected, _ = _attributions(inputs, model, live_rows, baseline["label"])
    top_k = TEXT_TOP_K if baseline["text"] else None
    score = ndcg(baseline["global"], live, top_k)
    threshold = inputs.config.ndcg_threshold
    violations, clarify = _violations(score, threshold, baseline["label"])
    notes = [f"Explained {len(live_rows)} of {len(inputs.captured)} captured requests ({baseline['method']})."]
    details: dict[str, Any] = {"ndcg": score, "threshold": threshold, "explained_label": baseline["label"],
                               "method": baseline["method"], "violations": clarify,
                               "baseline_rows": baseline["rows"], "top_k": top_k}
    if baseline["method"].endswith("partition") and len(live_rows) > PARTITION_TEXTS:
        notes.append(f"The Partition explainer explained the first {PARTITION_TEXTS} of them.")
    if baseline["text"]:
        details["words"] = changed_words(baseline["global"], live, CHANGED_WORDS)
        notes.append(f"NDCG over the baseline's top {TEXT_TOP_K} words.")
    return MonitorReport(
        endpoint=inputs.endpoint, monitor_type="feature-attribution-drift",
        status="CompletedWithViolations" if violations else "Completed", created_at=inputs.created_at,
        statistics=analysis(_reported(live, baseline), expected),
        constraints={**analysis(_reported(baseline["global"], baseline), baseline["expected_value"]),
                     CHECK: {"threshold": threshold}},
        violations=tuple(violations), item_count=len(live_rows), captured_count=len(inputs.captured),
        details=details, notes=tuple(notes))


def analysis(global_values: dict[str, float], expected_value: float) -> dict[str, Any]:
    """Clarify's explainability ``analysis.json`` for one label."""
    ordered = dict(sorted(global_values.items(), key=lambda item: (-item[1], item[0])))
    return {"version": "1.0", "explanations": {"kernel_shap": {LABEL_KEY: {
        "global_shap_values": ordered, "expected_value": expected_value}}}}


def changed_words(baseline: dict[str, float], live: dict[str, float], count: int) -> dict[str, list[dict[str, Any]]]:
    """The ``count`` words whose global attribution rose most and fell most from the baseline to live traffic."""
    changes = [(live.get(word, 0.0) - baseline.get(word, 0.0), word) for word in set(baseline) | set(live)]
    up = sorted((c for c in changes if c[0] > 0), key=lambda c: (-c[0], c[1]))[:count]
    down = sorted((c for c in changes if c[0] < 0), key=lambda c: (c[0], c[1]))[:count]

    def entry(change: float, word: str) -> dict[str, Any]:
        return {"word": word, "baseline": baseline.get(word, 0.0), "live": live.get(word, 0.0), "change": change}

    return {"up": [entry(*c) for c in up], "down": [entry(*c) for c in down]}


# -- explaining -------------------------------------------------------------------------------------


def _live_sample(inputs: MonitorInputs) -> pd.DataFrame:
    columns = inputs.input_columns
    missing = [c for c in columns if c not in inputs.captured.columns]
    if missing:
        raise InvalidInput(f"The captured requests lack the model's input columns: {', '.join(missing[:10])}.",
                           hint="Capture requests with the columns the model was trained on.")
    rows = inputs.captured[columns]
    size = min(inputs.config.sample_size, MAX_SAMPLE)
    return rows if len(rows) <= size else rows.sample(n=size, random_state=SEED)


class Model:
    """The model's predictor and SHAP background rows, each loaded at most once per run."""

    def __init__(self, inputs: MonitorInputs) -> None:
        self.inputs = inputs
        self._predictor: Any = None
        self._background: pd.DataFrame | None = None

    @property
    def predictor(self) -> Any:
        if self._predictor is None:
            self._predictor = self.inputs.predictor()
        return self._predictor

    @property
    def background(self) -> pd.DataFrame:
        """Training rows (the cache is JSON, so they are not kept: one training read per run of a tabular model)."""
        if self._background is None:
            self._background = self.keep_background(self.inputs.training_sample(BACKGROUND_ROWS))
        return self._background

    def keep_background(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Use (the first ``BACKGROUND_ROWS`` of) rows already read as the background."""
        self._background = rows[self.inputs.input_columns].head(BACKGROUND_ROWS)
        return self._background


def baseline_attributions(inputs: MonitorInputs, model: Model) -> dict[str, Any]:
    """Training-time global attributions (cached in ``inputs.cache`` per model, JSON values only)."""
    cached = inputs.cache.get(CACHE_KEY)
    if isinstance(cached, dict) and cached.get("model_id") == inputs.model.model_id:
        return cached
    text = _is_text(inputs)
    sample = inputs.training_sample(BASELINE_TEXT_ROWS if text else BASELINE_TABULAR_ROWS)[inputs.input_columns]
    if sample.empty:
        raise InvalidInput(f"Model {inputs.model.model_id} has no training rows to compute baseline attributions from.",
                           hint="Monitor a model whose training data is still in the workspace.")
    model.keep_background(sample)
    predicted = model.predictor.predict_frame(sample)["predicted_label"]
    label = choose_target(inputs.problem_type, list(inputs.model.classes), "", predicted).label
    values, expected, method = _attributions(inputs, model, sample, label)
    baseline = {"model_id": inputs.model.model_id, "label": label, "global": values, "expected_value": expected,
                "text": text, "rows": len(sample), "method": f"{'word' if text else 'feature'} attributions: {method}"}
    inputs.cache[CACHE_KEY] = baseline
    return baseline


def _attributions(inputs: MonitorInputs, model: Model, rows: pd.DataFrame,
                  label: str) -> tuple[dict[str, float], float, str]:
    """(global attribution per feature, expected value, explainer) of ``rows`` towards ``label``."""
    if _is_text(inputs):
        column = inputs.input_columns[0]
        texts = ["" if pd.isna(v) else str(v) for v in rows[column]]
        words = word_attributions(model.predictor, column, texts, label)
        return words.words, words.expected_value, words.method
    requested = "" if inputs.problem_type == "Regression" else label
    target = choose_target(inputs.problem_type, list(inputs.model.classes), requested, pd.Series(dtype=str))
    shap = explain_rows(model.predictor, inputs.input_columns, rows, model.background, target, seed=SEED)
    return {str(c): float(v) for c, v in shap.values.abs().mean().items()}, float(shap.base_value), shap.explainer


def _is_text(inputs: MonitorInputs) -> bool:
    """A review classifier: its features are words (a regression on a text column is explained as a table)."""
    return inputs.model.text_model and inputs.problem_type != "Regression"


def _reported(values: dict[str, float], baseline: dict[str, Any]) -> dict[str, float]:
    if not baseline["text"] or len(values) <= REPORTED_WORDS:
        return values
    top = sorted(values, key=lambda word: (-values[word], word))[:REPORTED_WORDS]
    return {word: values[word] for word in top}


def _violations(score: float, threshold: float, label: str) -> tuple[list[Violation], list[dict[str, str]]]:
    if score >= threshold:
        return [], []
    description = (f"The ranking of feature attributions on live traffic has drifted from the training baseline: "
                   f"NDCG {score:.3f} is below the threshold {threshold:g} (1.0 = the same order of importance).")
    clarify = {"label": LABEL_KEY, "metric_name": "shap", "constraint_check_type": CHECK, "description": description}
    return [Violation(f"{LABEL_KEY} ({label})", CHECK, description)], [clarify]


def _failed(inputs: MonitorInputs, reason: str) -> MonitorReport:
    return MonitorReport(endpoint=inputs.endpoint, monitor_type="feature-attribution-drift", status="Failed",
                         created_at=inputs.created_at, statistics={}, constraints={},
                         captured_count=len(inputs.captured), failure_reason=reason)
