"""The data-quality monitor: the endpoints port's drift report in Model Monitor's three files.

``statistics.json`` and ``constraints.json`` are the model's training baseline (written at training or by the first
drift report); ``constraint_violations.json`` lists every broken constraint of the drift report, one entry per
column and problem (``baseline_drift_check`` as Model Monitor names a distribution check). The whole drift report is
in ``details["drift"]``; its per-hour PSI is the trend.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from services.embedded.embedded_stack import EmbeddedStack
from services.endpoints.base import EndpointsPort
from services.endpoints.models import DriftReport
from services.endpoints.monitoring import monitored_variant, read_endpoint
from services.errors import InvalidInput
from services.monitoring.models import MonitorConfig, MonitorReport, Violation
from services.training.baseline import has_baseline, load_baseline

CHECK_TYPE = "baseline_drift_check"


def run(stack: EmbeddedStack, endpoints: EndpointsPort, endpoint: str, config: MonitorConfig, created_at: str) -> MonitorReport:
    """The drift report of the endpoint's captured traffic as a monitor report; Failed when it cannot be made
    (no captured traffic, no variants). ``NotFound`` for an unknown endpoint."""
    variant, model_id = monitored_variant(read_endpoint(Path(stack.settings.home), endpoint), config.baseline_model_id)
    try:
        drift = endpoints.drift_report(endpoint, config.baseline_model_id)
    except InvalidInput as exc:
        return MonitorReport(endpoint, "data-quality", "Failed", created_at, {}, {}, failure_reason=str(exc))
    record = stack.models.get(model_id)
    baseline = load_baseline(record.artifact_path) if has_baseline(record.artifact_path) else None
    violations = drift_violations(drift)
    return MonitorReport(
        endpoint, "data-quality", "CompletedWithViolations" if violations else "Completed", created_at,
        baseline.statistics if baseline else {}, baseline.constraints if baseline else {}, violations,
        item_count=drift.rows, captured_count=drift.rows, trend=drift.over_time,
        details={"drift": asdict(drift), "variant": variant, "headline": headline(drift)}, notes=drift.notes)


def drift_violations(drift: DriftReport) -> tuple[Violation, ...]:
    """One violation per broken constraint of each column (and of the predictions)."""
    found = []
    for feature in (*drift.features, *((drift.prediction_drift,) if drift.prediction_drift else ())):
        for problem in filter(None, feature.violation.split("; ")):
            found.append(Violation(feature.feature, CHECK_TYPE, problem))
    return tuple(found)


def headline(drift: DriftReport) -> str:
    drifted = sum(1 for f in drift.features if f.violation)
    return f"{drifted} of {len(drift.features)} column(s) drifted on {drift.rows:,} captured rows"
