"""Model Monitor's four monitor types, their schedules and reports, in SageMaker's shapes.

A report carries the three files Model Monitor writes per execution: ``statistics.json``,
``constraints.json`` (the baseline's) and ``constraint_violations.json`` (``{"violations": [{"feature_name",
"constraint_check_type", "description"}]}``; model quality names the metric in ``metric_name`` instead, as Model
Monitor's model-quality violations do). For model quality, ``statistics`` has Model Monitor's model-quality
shape: ``{"version": 0.0, "dataset": {"item_count": n}, "multiclass_classification_metrics" |
"binary_classification_metrics" | "regression_metrics": {...}}`` where each metric is ``{"value", "standard_deviation"}``
and classification adds ``confusion_matrix`` {actual: {predicted: count}}.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.endpoints.models import NOT_ENOUGH_TRAFFIC, traffic_shortfall

MONITOR_TYPES = ("data-quality", "model-quality", "bias-drift", "feature-attribution-drift")
SAGEMAKER_MONITORING_TYPES = {  # MonitoringScheduleConfig.MonitoringType
    "data-quality": "DataQuality",
    "model-quality": "ModelQuality",
    "bias-drift": "ModelBias",
    "feature-attribution-drift": "ModelExplainability",
}
SCHEDULE_EXPRESSIONS = {"hourly": "cron(0 * ? * * *)", "daily": "cron(0 0 ? * * *)"}  # SageMaker's helpers' strings
SCHEDULE_STATUSES = ("Pending", "Failed", "Scheduled", "Stopped")
EXECUTION_STATUSES = ("Pending", "InProgress", "Completed", "CompletedWithViolations", "Failed", "Stopping", "Stopped")
TILE_STATUSES = ("OK", "Violations", "Failed", "No report yet", "Not scheduled", NOT_ENOUGH_TRAFFIC)


@dataclass(frozen=True)
class MonitorConfig:
    """What a monitor needs beyond its endpoint; each type reads the fields it uses.

    model-quality: ``tolerance`` (a metric may fall this far below the baseline before it is a violation, absolute,
    e.g. 0.05); bias-drift: ``facet`` (a column of the request) and ``facet_values`` (the sensitive group; empty =
    each value against the rest), ``band`` (allowed absolute change of a metric from its baseline value);
    feature-attribution-drift: ``ndcg_threshold`` (Model Monitor's default 0.90), ``sample_size``.
    """

    tolerance: float = 0.05
    facet: str = ""
    facet_values: tuple[str, ...] = ()
    band: float = 0.1
    ndcg_threshold: float = 0.90
    sample_size: int = 100
    baseline_model_id: str = ""  # "" = the model the endpoint serves

    def as_json(self) -> dict[str, Any]:
        return {"tolerance": self.tolerance, "facet": self.facet, "facet_values": list(self.facet_values),
                "band": self.band, "ndcg_threshold": self.ndcg_threshold, "sample_size": self.sample_size,
                "baseline_model_id": self.baseline_model_id}


@dataclass(frozen=True)
class Violation:
    """One entry of ``constraint_violations.json``."""

    feature_name: str  # the feature, facet or (model quality) metric the check is about
    constraint_check_type: str  # e.g. LessThanThreshold, baseline_drift_check, data_type_check, ndcg_check
    description: str  # plain words: what was expected and what was seen

    def as_json(self, name_key: str = "feature_name") -> dict[str, str]:
        """The file's entry; ``name_key`` is ``metric_name`` in a model-quality report."""
        return {name_key: self.feature_name, "constraint_check_type": self.constraint_check_type,
                "description": self.description}

    @classmethod
    def from_json(cls, entry: dict[str, Any]) -> Violation:
        """An entry of either kind (``feature_name`` or model quality's ``metric_name``)."""
        return cls(str(entry.get("feature_name") or entry.get("metric_name", "")),
                   str(entry.get("constraint_check_type", "")), str(entry.get("description", "")))


@dataclass(frozen=True)
class MonitorReport:
    """One monitoring execution's outcome."""

    endpoint: str
    monitor_type: str  # one of MONITOR_TYPES
    status: str  # Completed | CompletedWithViolations | Failed
    created_at: str  # ISO 8601 UTC
    statistics: dict[str, Any]
    constraints: dict[str, Any]
    violations: tuple[Violation, ...] = ()
    item_count: int = 0  # rows the report is about (model quality / bias drift: predictions that have a label)
    captured_count: int = 0  # captured predictions seen (model quality: labelled / captured is the coverage)
    trend: tuple[dict[str, Any], ...] = ()  # per hour: {"hour", "items", <metric>: value, …}
    details: dict[str, Any] = field(default_factory=dict)  # type-specific views (e.g. "words": attribution changes)
    notes: tuple[str, ...] = ()  # e.g. too few labelled rows for the numbers to mean much
    failure_reason: str = ""
    schedule_name: str = ""  # "" when run on demand

    def violations_json(self) -> dict[str, Any]:
        """``constraint_violations.json``: entries name a ``feature_name``, or a ``metric_name`` for model quality."""
        key = "metric_name" if self.monitor_type == "model-quality" else "feature_name"
        return {"violations": [violation.as_json(key) for violation in self.violations]}

    def files(self) -> dict[str, bytes]:
        """statistics.json, constraints.json, constraint_violations.json — as Model Monitor writes them."""
        import json

        return {"statistics.json": json.dumps(self.statistics, indent=2).encode(),
                "constraints.json": json.dumps(self.constraints, indent=2).encode(),
                "constraint_violations.json": json.dumps(self.violations_json(), indent=2).encode()}


@dataclass(frozen=True)
class ScheduleRequest:
    endpoint: str
    monitor_type: str  # one of MONITOR_TYPES
    every: str = "hourly"  # hourly | daily (SCHEDULE_EXPRESSIONS)
    name: str = ""  # MonitoringScheduleName; "" = "<endpoint>-<type>"
    config: MonitorConfig = field(default_factory=MonitorConfig)


@dataclass(frozen=True)
class MonitoringSchedule:
    """DescribeMonitoringSchedule, trimmed to what the app shows."""

    name: str  # MonitoringScheduleName
    endpoint: str
    monitor_type: str  # one of MONITOR_TYPES
    monitoring_type: str  # SageMaker's: DataQuality | ModelQuality | ModelBias | ModelExplainability
    schedule_expression: str
    status: str  # MonitoringScheduleStatus
    created_at: str
    last_execution_status: str = ""  # LastMonitoringExecutionSummary.MonitoringExecutionStatus
    last_execution_at: str = ""
    next_execution_at: str = ""
    failure_reason: str = ""
    config: MonitorConfig = field(default_factory=MonitorConfig)


@dataclass(frozen=True)
class MonitoringExecution:
    """ListMonitoringExecutions' summary."""

    schedule_name: str
    scheduled_time: str
    status: str  # one of EXECUTION_STATUSES
    created_at: str
    report_uri: str = ""  # where the three files are (a lake path locally, s3:// on AWS)
    failure_reason: str = ""


@dataclass(frozen=True)
class MonitorTile:
    """One of the four tiles of an endpoint's monitor overview."""

    monitor_type: str
    status: str  # one of TILE_STATUSES
    schedule_name: str = ""
    last_run_at: str = ""
    violations: int = 0
    headline: str = ""  # e.g. "accuracy 0.81 on 120 labelled predictions", "NDCG 0.94"


@dataclass(frozen=True)
class MonitorOverview:
    endpoint: str
    tiles: tuple[MonitorTile, ...]  # always four, in MONITOR_TYPES order
    labelled: int = 0  # captured predictions with ground truth
    captured: int = 0


def traffic_verdict(report: MonitorReport) -> str:
    """What a data-quality report's view says instead of a drift verdict below ``MIN_TRAFFIC_ROWS`` rows; "" otherwise
    (and for the other monitor types and failed runs), whichever backend wrote the report."""
    if report.monitor_type != "data-quality" or report.status == "Failed":
        return ""
    return traffic_shortfall(report.item_count)


def tile_status(report: MonitorReport, status: str) -> str:
    """A data-quality tile is neutral (``NOT_ENOUGH_TRAFFIC``) on a report of too few rows; any other keeps ``status``."""
    return NOT_ENOUGH_TRAFFIC if traffic_verdict(report) else status
