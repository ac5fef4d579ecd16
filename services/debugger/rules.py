"""Debugger's built-in rules: SageMaker's names, parameters and defaults, and each rule's evaluation as a pure
function over what a job has recorded so far.

Parameters are SageMaker's ``RuleParameters`` (strings on the wire, typed here). Defaults are smdebug's /
SageMaker's: LossNotDecreasing num_steps=10, diff_percent=0.1, increase_threshold_percent=5; Overfit start_step=0,
patience=1, ratio_threshold=0.1; Overtraining patience_train=5, patience_validation=10, delta=0.01;
StalledTrainingRule threshold=1800 s, stop_training_on_fire=False (SageMaker's training_job_name_prefix names the
job to stop; here it is always the job itself); ClassImbalance threshold_imbalance=10, threshold_misprediction=0.7,
samples=500, argmax=False, labels_regex=.*labels, predictions_regex=.*predictions; VanishingGradient
threshold=1e-7; ExplodingTensor tensor_regex (all), only_nan=False; CPUBottleneck threshold=50, cpu_threshold=90, gpu_threshold=10,
patience=1000; LowCPUUtilization threshold_p95=70, threshold_p5=10, window=500, patience=1000.
MemoryUsage follows GPUMemoryIncrease (increase=5 percentage points, patience=1000, window=10) on host memory.

An evaluation returns ``None`` while there is nothing to evaluate yet. A rule job on SageMaker that finds no
tensors of its collection ends ``NoIssuesFound``; so does a rule here whose series never appeared, with
StatusDetails saying there was nothing to evaluate (``nothing_to_evaluate``). ``Error`` is for a series that
cannot be read (``MalformedSeries``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.debugger.models import ALL_RULES, PROFILER_RULES, DebuggerConfig, RuleConfig
from services.errors import InvalidInput

LOSSES_REGEX = r"(?i).*(loss|rmse|mse|mae|error).*"  # the "losses" collection: names of loss-like metrics
EVAL_WORDS = ("validation", "valid", "val", "eval", "test")
KIND_WORDS = {int: "a whole number", float: "a number", bool: "True or False", str: "text"}


class MalformedSeries(ValueError):
    """A recorded series a rule cannot read (a value that is not a number, a step that is not an integer)."""


@dataclass(frozen=True)
class Finding:
    """One evaluation: an issue (with where it fired) or none so far."""

    issue: bool
    details: str
    step: int | None = None
    seconds: float | None = None


@dataclass(frozen=True)
class Recorded:
    """What a job has recorded so far; ``now`` is the job's elapsed seconds at evaluation time."""

    scalars: Sequence[Mapping[str, Any]] = ()
    tensors: Sequence[Mapping[str, Any]] = ()
    system: Sequence[Mapping[str, Any]] = ()
    labels: Mapping[str, int] = field(default_factory=dict)
    now: float = 0.0
    outputs: Sequence[Mapping[str, Any]] = ()  # labels / predictions tensors: {"name", "step", "values"}


@dataclass(frozen=True)
class Parameter:
    default: str
    kind: type = float  # float | int | bool | str
    help: str = ""


@dataclass(frozen=True)
class RuleSpec:
    description: str
    advice: str
    parameters: dict[str, Parameter]
    evaluate: Callable[[dict[str, Any], Recorded], Finding | None]


# -- parameters ----------------------------------------------------------------------------------


def parse_parameters(rule: str, given: Mapping[str, str]) -> dict[str, Any]:
    """The rule's parameters typed, defaults filled in; ``InvalidInput`` for an unknown rule, parameter or value."""
    spec = spec_of(rule)
    unknown = sorted(set(given) - set(spec.parameters))
    if unknown:
        raise InvalidInput(f"{rule} has no parameter {unknown[0]!r}.",
                           hint=f"{rule} takes {', '.join(sorted(spec.parameters))}.")
    values = {name: _typed(rule, name, param, str(given.get(name, param.default))) for name, param in spec.parameters.items()}
    _check_text(rule, values)
    return values


def _check_text(rule: str, values: dict[str, Any]) -> None:
    """Every ``*_regex`` must compile; ``mode`` is TRAIN, EVAL, GLOBAL or empty."""
    for name in (n for n in values if n.endswith("_regex") and values[n]):
        try:
            re.compile(values[name])
        except re.error as error:
            example = spec_of(rule).parameters[name].default or ".*loss.*"
            raise InvalidInput(f"{rule} parameter {name}={values[name]!r} is not a regular "
                               f"expression: {error}.", hint=f"For example {name}={example}") from None
    if str(values.get("mode", "")).upper() not in ("", "TRAIN", "EVAL", "GLOBAL"):
        raise InvalidInput(f"{rule} parameter mode={values['mode']!r} is not TRAIN, EVAL or GLOBAL.",
                           hint="Leave it empty (or GLOBAL) to watch both.")


def _typed(rule: str, name: str, param: Parameter, raw: str) -> Any:
    try:
        if param.kind is bool:
            if raw.strip().lower() not in ("true", "false"):
                raise ValueError(raw)
            return raw.strip().lower() == "true"
        if param.kind is str:
            return raw.strip()
        value = param.kind(raw)
    except ValueError:
        raise InvalidInput(f"{rule} parameter {name}={raw!r} is not {KIND_WORDS[param.kind]}.",
                           hint=f"For example {name}={param.default or 'true'}.") from None
    if not math.isfinite(value) or value < 0:
        raise InvalidInput(f"{rule} parameter {name} must be a finite number of at least 0, not {raw}.",
                           hint=f"The default is {param.default}.")
    return value


def spec_of(rule: str) -> RuleSpec:
    if rule not in CATALOG:
        raise InvalidInput(f"Unknown Debugger rule {rule!r}.", hint=f"Use one of {', '.join(ALL_RULES)}.")
    return CATALOG[rule]


def check_rules(rules: Iterable[RuleConfig]) -> None:
    """Every rule known, its parameters valid, its RuleConfigurationName unique."""
    seen: set[str] = set()
    for rule in rules:
        parse_parameters(rule.rule, rule.parameters)
        if rule.configuration_name in seen:
            raise InvalidInput(f"Two rules are named {rule.configuration_name!r}.",
                               hint="Give each configuration of the same rule its own name.")
        seen.add(rule.configuration_name)


def check_config(config: DebuggerConfig | None) -> None:
    """A request's Debugger section: rules known, parameters valid, names unique; StopTraining needs a rule."""
    if config is None:
        return
    if config.stop_on_issue and not config.rules:
        raise InvalidInput("Stopping on a rule's issue needs at least one rule.", hint="Add --rule NAME.")
    check_rules(config.rules)


def catalog_json() -> dict[str, dict[str, Any]]:
    """The catalog as the port returns it."""
    return {name: {"description": spec.description, "advice": spec.advice, "kind": rule_kind(name),
                   "parameters": {p: param.default for p, param in spec.parameters.items()}}
            for name, spec in CATALOG.items()}


def rule_kind(rule: str) -> str:
    return "profiler" if rule in PROFILER_RULES else "debug"


def nothing_to_evaluate(rule: str) -> str:
    """StatusDetails of a rule whose series never appeared (SageMaker's rule job finds no tensors: no issue)."""
    what = {"VanishingGradient": "no gradients were recorded (only jobs that record gradients: text-minilm, or a "
                                 "script using the hook)",
            "ExplodingTensor": "no tensors or losses were recorded",
            "ClassImbalance": "no training labels and no labels with predictions were recorded",
            "Overfit": "no pair of training and validation losses was recorded",
            "Overtraining": "no training or validation loss was recorded"}.get(rule, "not enough was recorded")
    return f"Nothing to evaluate: {what}."


# -- series helpers ------------------------------------------------------------------------------


def mode_of(name: str) -> str:
    """TRAIN or EVAL from a metric name: validation/eval/test words make it EVAL."""
    words = re.split(r"[^a-z]+", name.lower())
    return "EVAL" if any(word in EVAL_WORDS for word in words) else "TRAIN"


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MalformedSeries(f"{value!r} is not a number")
    return float(value)


def _step(point: Mapping[str, Any], index: int) -> int:
    step = point.get("step")
    if step is None:
        return index
    if isinstance(step, bool) or not isinstance(step, int):
        raise MalformedSeries(f"step {step!r} is not an integer")
    return step


def loss_series(scalars: Sequence[Mapping[str, Any]], regex: str, mode: str = "") -> dict[str, list[tuple[int, float, float]]]:
    """Loss-like curves by name: ``[(step, value, seconds)]``, filtered by ``regex`` and mode (TRAIN | EVAL | "")."""
    pattern = re.compile(regex)
    curves: dict[str, list[tuple[int, float, float]]] = {}
    for point in scalars:
        name = str(point.get("name", ""))
        point_mode = str(point.get("mode") or mode_of(name))
        if not pattern.fullmatch(name) or (mode and point_mode != mode):
            continue
        curve = curves.setdefault(name, [])
        curve.append((_step(point, len(curve)), _number(point.get("value")), float(point.get("seconds") or 0.0)))
    return curves


def _regex(params: Mapping[str, Any]) -> str:
    """``tensor_regex`` when given, else the losses collection, or every scalar when ``use_losses_collection`` is
    False (SageMaker: "if no patterns are passed, the rule compares all tensors")."""
    given = str(params.get("tensor_regex") or "")
    if given:
        return given
    return LOSSES_REGEX if params.get("use_losses_collection", True) else ".*"


def _key(name: str) -> str:
    """A metric's name without its TRAIN/EVAL words, to pair train:logloss with validation:logloss."""
    return "_".join(w for w in re.split(r"[^a-z0-9]+", name.lower()) if w and w not in (*EVAL_WORDS, "train", "training"))


def train_eval_pairs(scalars: Sequence[Mapping[str, Any]], regex: str) -> list[tuple[str, list[Any], str, list[Any]]]:
    """(train name, train curve, eval name, eval curve) for curves with the same key; one of each pairs anyway."""
    train, evals = loss_series(scalars, regex, "TRAIN"), loss_series(scalars, regex, "EVAL")
    pairs = [(t, train[t], e, evals[e]) for t in train for e in evals if _key(t) == _key(e)]
    if not pairs and len(train) == 1 and len(evals) == 1:
        (t, tc), (e, ec) = next(iter(train.items())), next(iter(evals.items()))
        pairs = [(t, tc, e, ec)]
    return pairs


# -- debug rules ---------------------------------------------------------------------------------


def loss_not_decreasing(params: dict[str, Any], data: Recorded) -> Finding | None:
    """Every ``num_steps`` steps the loss must fall by ``diff_percent`` %; a rise above ``increase_threshold_percent``
    % is an issue too (smdebug's LossNotDecreasing)."""
    mode = params["mode"].upper()
    curves = loss_series(data.scalars, _regex(params), "" if mode == "GLOBAL" else mode)
    if not any(len(c) > 1 for c in curves.values()):
        return None
    for name, curve in curves.items():
        last_step, last = curve[0][0], curve[0][1]
        for step, value, seconds in curve[1:]:
            if step - last_step < params["num_steps"]:
                continue
            base = abs(last) or 1e-12
            if value > last and (value - last) / base * 100 > params["increase_threshold_percent"]:
                return Finding(True, f"{name} rose from {last:.4g} at step {last_step} to {value:.4g} at step {step} "
                                     f"(more than {params['increase_threshold_percent']:g} %).", step, seconds)
            if (last - value) / base * 100 < params["diff_percent"]:
                return Finding(True, f"{name} did not decrease by {params['diff_percent']:g} % over {step - last_step} "
                                     f"steps: {last:.4g} at step {last_step}, {value:.4g} at step {step}.", step, seconds)
            last_step, last = step, value
    return Finding(False, "The loss kept decreasing.")


def overfit(params: dict[str, Any], data: Recorded) -> Finding | None:
    """Validation loss more than ``ratio_threshold`` × the training loss above it for ``patience`` steps in a row."""
    pairs = train_eval_pairs(data.scalars, _regex(params))
    if not pairs:
        return None
    for train_name, train, eval_name, evals in pairs:
        train_at = {step: value for step, value, _ in train}
        run = 0
        for step, value, seconds in evals:
            if step < params["start_step"] or step not in train_at:
                continue
            base = abs(train_at[step]) or 1e-12
            ratio = (value - train_at[step]) / base
            run = run + 1 if ratio > params["ratio_threshold"] else 0
            if run >= params["patience"]:
                return Finding(True, f"{eval_name} ({value:.4g}) is {ratio:.0%} above {train_name} ({train_at[step]:.4g}) "
                                     f"at step {step}, for {run} step(s) in a row.", step, seconds)
    return Finding(False, "Validation loss stayed close to training loss.")


def overtraining(params: dict[str, Any], data: Recorded) -> Finding | None:
    """No improvement larger than ``delta`` in training loss for ``patience_train`` steps, or in validation loss
    for ``patience_validation`` steps."""
    regex = _regex(params)
    curves = [(c, params["patience_train"]) for c in loss_series(data.scalars, regex, "TRAIN").items()]
    curves += [(c, params["patience_validation"]) for c in loss_series(data.scalars, regex, "EVAL").items()]
    if not curves:
        return None
    for (name, curve), patience in curves:
        best, since = math.inf, 0
        for step, value, seconds in curve:
            if value < best - params["delta"]:
                best, since = value, 0
                continue
            since += 1
            if since >= patience:
                return Finding(True, f"{name} has not improved by more than {params['delta']:g} for {since} steps "
                                     f"(best {best:.4g}); training longer will not help.", step, seconds)
    return Finding(False, "Losses were still improving.")


def stalled_training(params: dict[str, Any], data: Recorded) -> Finding | None:
    """No new metric point for ``threshold`` seconds (counted from the job's start until the first one)."""
    times = [float(p.get("seconds") or 0.0) for p in data.scalars]
    last = max(times, default=0.0)
    quiet = data.now - last
    if quiet > params["threshold"]:
        return Finding(True, f"No training progress for {quiet:.0f} s (threshold {params['threshold']:g} s).",
                       None, data.now)
    return Finding(False, "Training kept reporting progress.")


def class_imbalance(params: dict[str, Any], data: Recorded) -> Finding | None:
    """SageMaker's two checks. The training labels: the largest class over the smallest more than
    ``threshold_imbalance`` times. The mispredictions: the label and prediction tensors (names matching
    ``labels_regex`` / ``predictions_regex``, paired step by step, ``argmax`` taken of probability vectors) summed
    over the steps; once ``samples`` labels were seen, a class whose share of mispredicted labels is above
    ``threshold_misprediction`` is an issue, at the step where that happened. Unreadable predictions are an
    ``Error`` (``MalformedSeries``) unless the training labels already show an issue."""
    imbalance = _imbalance(params, data.labels)
    try:
        mispredicted = _mispredictions(params, data.outputs)
    except MalformedSeries as error:
        if imbalance is None or not imbalance.issue:
            raise
        mispredicted = Finding(False, f"The misprediction check could not read the predictions: {error}.")
    if imbalance is None and mispredicted is None:
        return None
    parts = [f for f in (imbalance, mispredicted) if f is not None]
    if mispredicted is None:
        parts.append(Finding(False, "The misprediction check was not evaluated: the job recorded no labels with "
                                    "predictions."))
    fired = [f for f in parts if f.issue]
    step = mispredicted.step if mispredicted is not None and mispredicted.issue else (0 if fired else None)
    return Finding(bool(fired), " ".join(f.details for f in parts), step)


def _imbalance(params: dict[str, Any], labels: Mapping[str, int]) -> Finding | None:
    counts = {label: int(n) for label, n in labels.items() if int(n) > 0}
    if len(counts) < 2:
        return None
    big, small = max(counts, key=counts.__getitem__), min(counts, key=counts.__getitem__)
    ratio = counts[big] / counts[small]
    if ratio > params["threshold_imbalance"]:
        return Finding(True, f"Class {big!r} has {counts[big]} training rows, {ratio:.1f} times class {small!r} "
                             f"({counts[small]}); threshold {params['threshold_imbalance']:g}.", 0)
    return Finding(False, f"Largest class over smallest: {ratio:.1f} (threshold {params['threshold_imbalance']:g}).")


def paired_outputs(outputs: Sequence[Mapping[str, Any]], labels_regex: str,
                   predictions_regex: str) -> list[tuple[int, list[Any], list[Any]]]:
    """(step, labels, predictions) in step order: at each step the i-th labels tensor with the i-th predictions
    tensor; ``MalformedSeries`` when a pair's lengths differ."""
    by_step: dict[int, tuple[list[list[Any]], list[list[Any]]]] = {}
    labels_pattern, predictions_pattern = re.compile(labels_regex), re.compile(predictions_regex)
    for index, record in enumerate(outputs):
        name, values = str(record.get("name", "")), record.get("values")
        if not isinstance(values, list):
            raise MalformedSeries(f"tensor {name!r} has no list of values")
        kept = by_step.setdefault(_step(record, index), ([], []))
        if labels_pattern.fullmatch(name):
            kept[0].append(values)
        elif predictions_pattern.fullmatch(name):
            kept[1].append(values)
    pairs = []
    for step in sorted(by_step):
        for labels, predictions in zip(*by_step[step], strict=False):
            if len(labels) != len(predictions):
                raise MalformedSeries(f"step {step} has {len(labels)} labels but {len(predictions)} predictions")
            pairs.append((step, labels, predictions))
    return pairs


def _predicted(value: Any, argmax: bool) -> str:
    """A prediction as a class: the index of the largest probability with ``argmax``, else the value itself."""
    if argmax:
        if not isinstance(value, list) or not value:
            raise MalformedSeries(f"argmax=True but a prediction is {value!r}, not a vector of probabilities")
        scores = [_number(v) for v in value]
        return str(scores.index(max(scores)))
    if isinstance(value, list):
        raise MalformedSeries("a prediction is a vector: set argmax=True to take the most probable class")
    return _class_name(value)


def _class_name(value: Any) -> str:
    """``1``, ``1.0`` and ``"1"`` are the same class."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _mispredictions(params: dict[str, Any], outputs: Sequence[Mapping[str, Any]]) -> Finding | None:
    pairs = paired_outputs(outputs, params["labels_regex"], params["predictions_regex"])
    if not pairs:
        return None
    seen: dict[str, int] = {}
    wrong: dict[str, int] = {}
    for step, labels, predictions in pairs:
        for label, prediction in zip(labels, predictions, strict=True):
            truth = _class_name(label)
            seen[truth] = seen.get(truth, 0) + 1
            wrong[truth] = wrong.get(truth, 0) + (_predicted(prediction, params["argmax"]) != truth)
        if sum(seen.values()) < params["samples"]:
            continue
        worst = max(seen, key=lambda c: wrong[c] / seen[c])
        if wrong[worst] / seen[worst] > params["threshold_misprediction"]:
            return Finding(True, f"Class {worst!r}: {wrong[worst]} of {seen[worst]} labels mispredicted "
                                 f"({wrong[worst] / seen[worst]:.0%}) by step {step}, above threshold_misprediction "
                                 f"{params['threshold_misprediction']:g}.", step)
    total = sum(seen.values())
    if total < params["samples"]:
        return Finding(False, f"The misprediction check waits for {params['samples']} labels; {total} were recorded.")
    worst = max(seen, key=lambda c: wrong[c] / seen[c])
    return Finding(False, f"No class above threshold_misprediction {params['threshold_misprediction']:g}: the most "
                          f"mispredicted is {worst!r}, {wrong[worst] / seen[worst]:.0%} of its {seen[worst]} labels.")


def _gradients(tensors: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [t for t in tensors if "grad" in str(t.get("name", "")).lower()]


def vanishing_gradient(params: dict[str, Any], data: Recorded) -> Finding | None:
    """A gradient whose mean absolute value fell below ``threshold``."""
    gradients = _gradients(data.tensors)
    if not gradients:
        return None
    for point in gradients:
        value = _number(point.get("abs_mean"))
        if value < params["threshold"]:
            return Finding(True, f"Gradient {point.get('name')} has mean |value| {value:.3g} at step {point.get('step')} "
                                 f"(threshold {params['threshold']:g}).", _step(point, 0), None)
    return Finding(False, "No gradient vanished.")


def exploding_tensor(params: dict[str, Any], data: Recorded) -> Finding | None:
    """A NaN (or, unless ``only_nan``, an infinite value) in a recorded tensor statistic or scalar whose name
    ``tensor_regex`` matches (every one without it)."""
    pattern = re.compile(params["tensor_regex"] or ".*")
    points = [(t.get("name"), t.get("step"), [t.get(k) for k in ("mean", "min", "max", "norm")]) for t in data.tensors]
    points += [(s.get("name"), s.get("step"), [s.get("value")]) for s in data.scalars]
    points = [p for p in points if pattern.fullmatch(str(p[0]))]
    if not points:
        return None
    for name, step, values in points:
        for value in (_number(v) for v in values if v is not None):
            if math.isnan(value) or (not params["only_nan"] and math.isinf(value)):
                return Finding(True, f"{name} is {value} at step {step}.", step if isinstance(step, int) else None, None)
    return Finding(False, "Every tensor and loss stayed finite.")


# -- profiler rules ------------------------------------------------------------------------------


def cpu_percent(sample: Mapping[str, Any]) -> float:
    """A system sample's CPU utilisation over all cores."""
    cores = [_number(c) for c in sample.get("cpu") or []]
    if not cores:
        raise MalformedSeries("a system sample has no per-core CPU list")
    return sum(cores) / len(cores)


def cpu_bottleneck(params: dict[str, Any], data: Recorded) -> Finding | None:
    """After ``patience`` samples, CPU above ``cpu_threshold`` % in more than ``threshold`` % of them. There is no
    GPU here, so a busy CPU counts as the bottleneck whatever ``gpu_threshold`` says."""
    samples = data.system[int(params["patience"]):]
    if not samples:
        return None
    busy = [s for s in samples if cpu_percent(s) > params["cpu_threshold"]]
    share = len(busy) / len(samples) * 100
    note = " No GPU on this machine: gpu_threshold does not apply."
    if share > params["threshold"]:
        return Finding(True, f"CPU above {params['cpu_threshold']:g} % in {share:.0f} % of {len(samples)} samples "
                             f"(threshold {params['threshold']:g} %).{note}", None, float(busy[-1].get("seconds") or 0))
    return Finding(False, f"CPU above {params['cpu_threshold']:g} % in {share:.0f} % of samples.{note}")


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


def low_cpu_utilization(params: dict[str, Any], data: Recorded) -> Finding | None:
    """After ``patience`` samples, over the last ``window``: p95 below ``threshold_p95`` (under-used), or p95 above it
    with p5 below ``threshold_p5`` (fluctuating) — LowGPUUtilization's test on the CPU."""
    if len(data.system) <= params["patience"]:
        return None
    window = [cpu_percent(s) for s in data.system[-max(1, int(params["window"])):]]
    p95, p5 = _quantile(window, 0.95), _quantile(window, 0.05)
    seconds = float(data.system[-1].get("seconds") or 0)
    if p95 < params["threshold_p95"]:
        return Finding(True, f"CPU p95 is {p95:.0f} % (below {params['threshold_p95']:g} %): the CPU is under-used.",
                       None, seconds)
    if p5 < params["threshold_p5"]:
        return Finding(True, f"CPU fluctuates: p95 {p95:.0f} %, p5 {p5:.0f} % (below {params['threshold_p5']:g} %).",
                       None, seconds)
    return Finding(False, f"CPU p95 {p95:.0f} %, p5 {p5:.0f} %.")


def memory_usage(params: dict[str, Any], data: Recorded) -> Finding | None:
    """After ``patience`` samples, the moving average of memory % over ``window`` samples rising by more than
    ``increase`` percentage points from one window to the next (GPUMemoryIncrease's test on host memory)."""
    size = max(1, int(params["window"]))
    values = [_number(s.get("memory_percent")) for s in data.system[int(params["patience"]):]]
    if len(values) < 2 * size:
        return None
    for end in range(2 * size, len(values) + 1):
        before = sum(values[end - 2 * size:end - size]) / size
        after = sum(values[end - size:end]) / size
        if after - before > params["increase"]:
            sample = data.system[int(params["patience"]) + end - 1]
            return Finding(True, f"Memory rose from {before:.1f} % to {after:.1f} % (more than {params['increase']:g} "
                                 "points between windows).", None, float(sample.get("seconds") or 0))
    return Finding(False, "Memory use stayed steady.")


def _p(default: str, kind: type = float, text: str = "") -> Parameter:
    return Parameter(default, kind, text)


_REGEX = {"tensor_regex": _p("", str, "regex of the series to watch; default: the losses collection")}
_LOSS = {**_REGEX, "use_losses_collection": _p("True", bool)}

CATALOG: dict[str, RuleSpec] = {
    "LossNotDecreasing": RuleSpec(
        "The loss is not decreasing at an adequate rate.",
        "Check the learning rate (too high or too low), the data pipeline and the loss function.",
        {**_LOSS, "num_steps": _p("10", int), "diff_percent": _p("0.1"), "increase_threshold_percent": _p("5"),
         "mode": _p("", str, "TRAIN or EVAL; empty or GLOBAL: both")}, loss_not_decreasing),
    "Overfit": RuleSpec(
        "The model is overfitting: validation loss is well above training loss.",
        "Add regularisation, use simpler models (shallower trees), more data, or stop earlier.",
        {**_REGEX, "start_step": _p("0", int), "patience": _p("1", int), "ratio_threshold": _p("0.1")}, overfit),
    "Overtraining": RuleSpec(
        "Training or validation loss has stopped improving.",
        "Stop training earlier (early stopping) or lower the number of rounds / epochs.",
        {**_REGEX, "patience_train": _p("5", int), "patience_validation": _p("10", int), "delta": _p("0.01")},
        overtraining),
    "StalledTrainingRule": RuleSpec(
        "No training progress for a while.",
        "Look at the job's log for a hang (data loading, a deadlock) and at the CPU in the profiler report.",
        {"threshold": _p("1800"), "stop_training_on_fire": _p("False", bool, "stop the job when the rule fires")},
        stalled_training),
    "ClassImbalance": RuleSpec(
        "The training labels are strongly imbalanced, or a class's labels are mostly mispredicted.",
        "Resample, weight classes (scale_pos_weight for xgboost) or collect more rows of the rare classes.",
        {"threshold_imbalance": _p("10"), "threshold_misprediction": _p("0.7"), "samples": _p("500", int),
         "argmax": _p("False", bool), "labels_regex": _p(".*labels", str), "predictions_regex": _p(".*predictions", str)},
        class_imbalance),
    "VanishingGradient": RuleSpec(
        "Gradients became so small that the weights stop changing.",
        "Use another initialisation or activation, a higher learning rate, or normalisation layers.",
        {"threshold": _p("0.0000001")}, vanishing_gradient),
    "ExplodingTensor": RuleSpec(
        "A tensor or loss became NaN or infinite.",
        "Lower the learning rate, clip gradients, and check the input for invalid values.",
        {"tensor_regex": _p("", str, "regex of the tensors and scalars to watch; default: all"),
         "only_nan": _p("False", bool)}, exploding_tensor),
    "CPUBottleneck": RuleSpec(
        "The CPU was saturated for much of the job.",
        "Use more processes or threads for data loading, or fewer features; on SageMaker, a larger instance.",
        {"threshold": _p("50"), "gpu_threshold": _p("10"), "cpu_threshold": _p("90"), "patience": _p("1000", int)},
        cpu_bottleneck),
    "LowCPUUtilization": RuleSpec(
        "The CPU was mostly idle or fluctuating.",
        "Use a smaller instance, a larger batch, or run several jobs side by side.",
        {"threshold_p95": _p("70"), "threshold_p5": _p("10"), "window": _p("500", int), "patience": _p("1000", int)},
        low_cpu_utilization),
    "MemoryUsage": RuleSpec(
        "Memory use kept growing.",
        "Look for data kept across steps (growing lists, caches); stream the data instead of loading it whole.",
        {"increase": _p("5"), "patience": _p("1000", int), "window": _p("10", int)}, memory_usage),
}


def evaluate(rule: RuleConfig, data: Recorded) -> Finding | None:
    """One rule on what was recorded so far; ``MalformedSeries`` when a series cannot be read."""
    return CATALOG[rule.rule].evaluate(parse_parameters(rule.rule, rule.parameters), data)
