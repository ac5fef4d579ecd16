"""Bias drift (Model Monitor's ModelBias): Clarify's post-training bias metrics on labelled live traffic
against the same metrics at training time.

Both sides go through the bias engine (``services.bias.engine.report_from_frame``): the live side on the
captured predictions that have a ground-truth label, the baseline on ``inputs.training_sample`` scored with
the model (computed once, kept in ``inputs.cache["bias_drift"]``). The positive outcome is the model's last
class (``classes`` are sorted: "1" of 0/1, "positive" of negative/neutral/positive); a regression model's
label is positive above the training target's median. Every count-based post-training metric is compared
except CDDPL, which needs a group variable the monitor has not (FlipTest is left out too: it needs numeric
feature rows, which a review has not). A metric whose live value lies
more than ``config.band`` from its baseline value is a violation (``bias_drift_check``).

``statistics`` is the live ``analysis.json`` of a model-bias monitoring execution (``post_training_bias_metrics``),
``constraints`` the baseline's, each metric with its allowed ``[lower, upper]`` range; Clarify's own violation
entries (``facet``, ``facet_value``, ``metric_name``, ``constraint_check_type``, ``description``) are in
``details["violations"]``.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from services.bias.engine import report_from_frame
from services.bias.metrics import POST_TRAINING
from services.bias.models import ANALYSIS_VERSION, BiasReport, BiasRequest, json_number
from services.bias.models import POST_TRAINING as POST_KEY
from services.errors import InvalidInput
from services.monitoring.inputs import MonitorInputs
from services.monitoring.models import MonitorReport, Violation

CHECK = "bias_drift_check"
MIN_LABELLED = 10
FEW_LABELLED = 100
MAX_NOTES = 10
BASELINE_ROWS = 2000
CACHE_KEY = "bias_drift"
RESERVED = ("event_id", "captured_at", "prediction", "probability")
# count-based post-training metrics; not FT (needs numeric feature rows) nor CDDPL (needs a group variable)
METHODS = tuple(sorted(name for name in POST_TRAINING if name != "CDDPL"))
REGRESSION = "Regression"


def run(inputs: MonitorInputs) -> MonitorReport:
    """The bias-drift report of ``inputs`` (``InvalidInput`` for a facet that is not a request column)."""
    facet = _check_facet(inputs)
    labelled = labelled_rows(inputs)
    if len(labelled) < MIN_LABELLED:
        return _failed(inputs, len(labelled), f"Only {len(labelled)} captured predictions have a ground-truth label; "
                       f"bias drift needs at least {MIN_LABELLED}. Label more captured requests first.")
    baseline = baseline_analysis(inputs)
    live = report_from_frame(_frame(labelled[facet], labelled["label"], labelled["prediction"], inputs),
                             bias_request(inputs, baseline["label_threshold"]))
    if live.post is None or live.post.error:
        reason = live.post.error if live.post is not None else "no post-training metrics"
        return _failed(inputs, len(labelled), f"The labelled live traffic gives no bias metrics: {reason}")
    statistics = {"version": ANALYSIS_VERSION, POST_KEY: live.post.to_json()}
    violations, clarify = compare(baseline["analysis"], statistics, facet, inputs.config.band)
    return MonitorReport(
        endpoint=inputs.endpoint, monitor_type="bias-drift",
        status="CompletedWithViolations" if violations else "Completed", created_at=inputs.created_at,
        statistics=statistics, constraints=constraints(baseline["analysis"], inputs.config.band),
        violations=tuple(violations), item_count=len(labelled), captured_count=len(inputs.captured),
        details={"violations": clarify, "baseline_rows": baseline["rows"], "facet": facet,
                 "positive_label": baseline["positive"], "band": inputs.config.band},
        notes=(*live.warnings, *live.notes, *_notes(live, len(labelled)), *_unmatched(baseline["analysis"], statistics, facet)))


# -- inputs -----------------------------------------------------------------------------------------


def _check_facet(inputs: MonitorInputs) -> str:
    """The facet, checked to be a captured request column (and the band to be usable)."""
    if not inputs.config.band >= 0:  # also refuses NaN
        raise InvalidInput(f"The band must be a number of at least 0, got {inputs.config.band}.",
                           hint="The band is how far a metric may move from its training value, e.g. 0.1.")
    facet = inputs.config.facet
    columns = [str(c) for c in inputs.captured.columns if c not in RESERVED]
    if not facet:
        raise InvalidInput("Choose the facet (the sensitive attribute) for the bias-drift monitor.",
                           hint=f"Pick one of the request's columns: {', '.join(columns[:20]) or '(none captured)'}.")
    if facet not in columns:
        raise InvalidInput(f"The facet {facet!r} is not a column of the captured requests.",
                           hint=f"Pick one of: {', '.join(columns[:20]) or '(none captured)'}.")
    return facet


def labelled_rows(inputs: MonitorInputs) -> pd.DataFrame:
    """The captured rows whose event id has a ground-truth label, with that label in ``label``."""
    captured = inputs.captured
    if captured.empty or not inputs.ground_truth:
        return captured.assign(label=pd.Series(dtype=object)).iloc[0:0]
    ids = captured["event_id"].astype(str)
    rows = captured[ids.isin(inputs.ground_truth.keys())]
    return rows.assign(label=ids[rows.index].map(inputs.ground_truth))


def as_label(value: Any) -> str:
    """A class label as text: 1, 1.0 and "1" are all "1"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def positive_label(inputs: MonitorInputs) -> str:
    """The outcome Clarify's metrics call positive: the model's last (sorted) class."""
    classes = list(inputs.model.classes)
    if not classes:
        raise InvalidInput(f"Model {inputs.model.model_id} lists no classes, so no outcome is positive.",
                           hint="Monitor bias drift for a classifier, or retrain so its classes are recorded.")
    return as_label(classes[-1])


def _frame(facet: pd.Series, label: pd.Series, predicted: pd.Series, inputs: MonitorInputs) -> pd.DataFrame:
    if inputs.problem_type == REGRESSION:
        label_values = pd.to_numeric(label, errors="coerce").to_numpy()
        predicted_values = pd.to_numeric(predicted, errors="coerce").to_numpy()
    else:
        label_values = label.map(as_label).to_numpy()
        predicted_values = predicted.map(as_label).to_numpy()
    return pd.DataFrame({inputs.config.facet: facet.to_numpy(), _label(inputs): label_values,
                         _predicted(inputs): predicted_values})


def _label(inputs: MonitorInputs) -> str:
    return inputs.model.target or "label"


def _predicted(inputs: MonitorInputs) -> str:
    return f"{_label(inputs)}_predicted"


def bias_request(inputs: MonitorInputs, label_threshold: float | None) -> BiasRequest:
    """The bias engine's request: post-training count metrics, no bootstrap."""
    config = inputs.config
    positive = () if label_threshold is not None else (positive_label(inputs),)
    return BiasRequest(label=_label(inputs), label_values=positive, label_threshold=label_threshold,
                       facet=config.facet, facet_values=tuple(config.facet_values), predicted=_predicted(inputs),
                       methods=METHODS, bootstrap=0)


# -- the baseline -----------------------------------------------------------------------------------


def baseline_analysis(inputs: MonitorInputs) -> dict[str, Any]:
    """The training-time metrics (cached in ``inputs.cache`` per facet configuration)."""
    config = inputs.config
    key = [inputs.model.model_id, config.facet, list(config.facet_values)]
    cached = inputs.cache.get(CACHE_KEY)
    if isinstance(cached, dict) and cached.get("key") == key:
        return cached
    sample = inputs.training_sample(BASELINE_ROWS)
    target = inputs.model.target
    if config.facet not in sample.columns:
        raise InvalidInput(f"The facet {config.facet!r} is not a column of model {inputs.model.model_id}'s training data, "
                           "so there is no training-time value to compare with.",
                           hint="Pick a facet the model was trained with.")
    threshold = float(pd.to_numeric(sample[target]).median()) if inputs.problem_type == REGRESSION else None
    predicted = inputs.predictor().predict_frame(sample[inputs.input_columns])["predicted_label"]
    report = report_from_frame(_frame(sample[config.facet], sample[target], predicted, inputs),
                               bias_request(inputs, threshold))
    if report.post is None or report.post.error:
        reason = report.post.error if report.post is not None else "no post-training metrics"
        raise InvalidInput(f"The training data gives no bias metrics to compare with: {reason}",
                           hint="Check the facet and that the model predicts the positive class on its training data.")
    baseline = {"key": key, "rows": report.rows, "label_threshold": threshold,
                "positive": str(threshold) if threshold is not None else positive_label(inputs),
                "analysis": {"version": ANALYSIS_VERSION, POST_KEY: report.post.to_json()}}
    inputs.cache[CACHE_KEY] = baseline
    return baseline


# -- comparing --------------------------------------------------------------------------------------


def number(value: Any) -> float | None:
    """A metric value from ``analysis.json`` (±∞ are strings there, failures null)."""
    if value is None:
        return None
    if value in ("Infinity", "-Infinity"):
        return math.inf if value == "Infinity" else -math.inf
    return float(value)


def metric_values(analysis: dict[str, Any], facet: str) -> dict[str, dict[str, float | None]]:
    """value_or_threshold -> metric name -> value."""
    entries = analysis[POST_KEY]["facets"].get(facet, [])
    return {entry["value_or_threshold"]: {m["name"]: number(m["value"]) for m in entry["metrics"]} for entry in entries}


def drifted(live: float, base: float, band: float) -> bool:
    """Whether ``live`` lies outside ``base ± band`` (two equal infinities do not drift)."""
    if math.isinf(live) or math.isinf(base):
        return live != base
    return abs(live - base) > band


def compare(baseline: dict[str, Any], statistics: dict[str, Any], facet: str,
            band: float) -> tuple[list[Violation], list[dict[str, str]]]:
    """Our violations and Clarify's violation entries, one per metric outside its band."""
    base_values, violations, clarify = metric_values(baseline, facet), [], []
    for value, metrics in metric_values(statistics, facet).items():
        for name, live in metrics.items():
            base = base_values.get(value, {}).get(name)
            if live is None or base is None or not drifted(live, base, band):
                continue
            description = (f"{name} for {facet} = {value} is {live:.4g} on the labelled live traffic; at training "
                           f"time it was {base:.4g}, and it may move at most {band:g} from that.")
            violations.append(Violation(f"{facet}={value}:{name}", CHECK, description))
            clarify.append({"facet": facet, "facet_value": value, "metric_name": name,
                            "constraint_check_type": CHECK, "description": description})
    return violations, clarify


def constraints(baseline: dict[str, Any], band: float) -> dict[str, Any]:
    """The baseline analysis with each metric's allowed range (``threshold``: [lower, upper])."""
    stage = baseline[POST_KEY]
    facets = {facet: [{"value_or_threshold": entry["value_or_threshold"],
                       "metrics": [{**metric, "threshold": _range(number(metric["value"]), band)}
                                   for metric in entry["metrics"]]}
                      for entry in entries]
              for facet, entries in stage["facets"].items()}
    return {"version": ANALYSIS_VERSION, POST_KEY: {**stage, "facets": facets}, "bias_drift_check": {"band": band}}


def _range(value: float | None, band: float) -> list[float | str | None] | None:
    if value is None:
        return None
    return [json_number(value - band), json_number(value + band)]


def _notes(live: BiasReport, labelled: int) -> list[str]:
    """Metrics the live traffic could not give (e.g. no row of the group), and a word on small samples."""
    notes = []
    if live.post is not None:
        notes = [f"{metric.name} for {live.post.facet} = {entry.value_or_threshold} could not be computed on the "
                 f"labelled live traffic: {metric.error}"
                 for entry in live.post.entries for metric in entry.metrics if metric.value is None][:MAX_NOTES]
    if labelled < FEW_LABELLED:
        notes.append(f"Only {labelled} labelled predictions: bias metrics from this few rows vary widely between runs.")
    return notes


def _unmatched(baseline: dict[str, Any], statistics: dict[str, Any], facet: str) -> list[str]:
    """A note per live facet group the training sample has no values for."""
    known = metric_values(baseline, facet)
    return [f"{facet} = {value} does not occur in the training sample, so its metrics have no baseline to drift from."
            for value in metric_values(statistics, facet) if value not in known][:MAX_NOTES]


def _failed(inputs: MonitorInputs, labelled: int, reason: str) -> MonitorReport:
    return MonitorReport(endpoint=inputs.endpoint, monitor_type="bias-drift", status="Failed",
                         created_at=inputs.created_at, statistics={}, constraints={}, item_count=labelled,
                         captured_count=len(inputs.captured), failure_reason=reason)
