"""``CreateHyperParameterTuningJob``'s ranges, objective and limits."""

from __future__ import annotations

from typing import Any

from services.errors import InvalidInput
from services.models import ScriptJobRequest, TuningRequest

SCALING_TYPES = {"": "Auto", "auto": "Auto", "linear": "Linear", "log": "Logarithmic", "logarithmic": "Logarithmic",
                 "reverse-log": "ReverseLogarithmic", "reverselogarithmic": "ReverseLogarithmic"}
RANGE_KEYS = {"integer": "IntegerParameterRanges", "continuous": "ContinuousParameterRanges",
              "categorical": "CategoricalParameterRanges"}


def parameter_ranges(ranges: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Our ranges as SageMaker's ``ParameterRanges`` (all values strings)."""
    if not ranges:
        raise InvalidInput("A tuning job needs at least one hyperparameter range.", hint="e.g. max_depth integer 3..8.")
    found: dict[str, list[dict[str, Any]]] = {key: [] for key in RANGE_KEYS.values()}
    for name, spec in ranges.items():
        kind = str(spec.get("type", "")).lower()
        if kind not in RANGE_KEYS:
            raise InvalidInput(f"Range {name!r} has type {spec.get('type')!r}.", hint="Use integer, continuous or categorical.")
        found[RANGE_KEYS[kind]].append(_range(name, kind, spec))
    return found


def _range(name: str, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    if kind == "categorical":
        values = [str(v) for v in spec.get("values") or []]
        if not values:
            raise InvalidInput(f"Categorical range {name!r} has no values.", hint="Give values, e.g. gbtree,dart.")
        return {"Name": name, "Values": values}
    scale = SCALING_TYPES.get(str(spec.get("scale", "")).lower().replace("_", "-"))
    if scale is None or "min" not in spec or "max" not in spec or float(spec["min"]) > float(spec["max"]):
        raise InvalidInput(f"Range {name!r} needs min ≤ max and a linear, log or auto scale.", hint="e.g. eta continuous 0.01..0.3 log.")
    number = int if kind == "integer" else float
    return {"Name": name, "MinValue": str(number(spec["min"])), "MaxValue": str(number(spec["max"])), "ScalingType": scale}


def objective_metric_name(request: TuningRequest) -> str:
    """A built-in algorithm's metric as it names it (``validation:auc``); a script's must be defined."""
    metric = request.objective_metric
    if isinstance(request.base, ScriptJobRequest):
        if metric not in request.base.metric_definitions:
            raise InvalidInput(f"The objective {metric!r} is not one of the script's metric definitions.",
                               hint=f"Define it, or pick one of: {', '.join(request.base.metric_definitions) or 'none defined'}.")
        return metric
    return metric if ":" in metric else f"validation:{metric}"


def tuning_config(request: TuningRequest, ranges: dict[str, list[dict[str, Any]]], metric: str) -> dict[str, Any]:
    if request.objective_type not in ("Maximize", "Minimize"):
        raise InvalidInput(f"Unknown objective type {request.objective_type!r}.", hint="Use Maximize or Minimize.")
    return {
        "Strategy": request.strategy,
        "HyperParameterTuningJobObjective": {"Type": request.objective_type, "MetricName": metric},
        "ResourceLimits": {"MaxNumberOfTrainingJobs": request.max_jobs, "MaxParallelTrainingJobs": request.max_parallel_jobs},
        "ParameterRanges": ranges,
        "TrainingJobEarlyStoppingType": "Off",
    }
