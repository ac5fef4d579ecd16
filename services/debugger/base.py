"""The debugger port: SageMaker Debugger's built-in rules and profiler for training jobs.

Rules are configured on the training request (``DebuggerConfig``) and evaluated while the job runs; this port
reads what they found. Locally the job worker samples system metrics and evaluates the rules in the job's own
process; on AWS the training job's ``DebugRuleEvaluationStatuses`` / ``ProfilerRuleEvaluationStatuses`` and its
rule job outputs in S3 are read back.
"""

from __future__ import annotations

from typing import Any, Protocol

from services.debugger.models import DebugSeries, RuleStatus


class DebuggerPort(Protocol):
    def rule_catalog(self) -> dict[str, dict[str, Any]]:
        """Every built-in rule: ``{"description", "parameters": {name: default}, "advice", "kind": debug|profiler}``."""
        ...

    def rule_statuses(self, job_name: str) -> list[RuleStatus]:
        """The job's rule statuses (``[]`` when it has no rules); ``NotFound`` for an unknown job."""
        ...

    def series(self, job_name: str) -> DebugSeries:
        """The job's recorded scalars, tensor statistics and system metrics (empty tuples when none)."""
        ...

    def profiler_report(self, job_name: str) -> bytes:
        """Debugger's ProfilerReport as one self-contained HTML file (no network needed to open it): summary, rule
        summary with advice, per-core utilisation heat map over time, step-duration histogram and outliers.
        ``NotFound`` when the job recorded no profile."""
        ...
