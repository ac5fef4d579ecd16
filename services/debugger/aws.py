"""The debugger port on SageMaker: what a training job's rule jobs found, read back.

Rule statuses are ``DescribeTrainingJob``'s ``DebugRuleEvaluationStatuses`` and ``ProfilerRuleEvaluationStatuses``
(SageMaker's statuses as they are). The profiler report is the HTML the ``ProfilerReport`` rule job writes to
``{OutputDataConfig.S3OutputPath}/{job}/rule-output/ProfilerReport*/profiler-output/profiler-report.html``.
The series are the job's final metrics (one point each, ``FinalMetricDataList``): the hook's tensors and the
profiler's system metrics stay in SageMaker's own files, which the report already summarises.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import ClientError

from services.aws.errors import translated
from services.aws.s3 import split_s3_uri
from services.aws.sagemaker import is_missing, iso
from services.config import Settings
from services.debugger.aws_requests import LOCAL_ONLY_RULES, REPORT_RULE
from services.debugger.base import DebuggerPort
from services.debugger.models import DebugSeries, RuleStatus
from services.embedded.embedded_stack import EmbeddedStack
from services.errors import NotFound

REPORT_FILE = "profiler-output/profiler-report.html"
MAX_REPORT_BYTES = 50 * 1024 * 1024  # Debugger's report embeds its charts; a bigger object is not a report


def rule_statuses_of(description: dict[str, Any]) -> list[RuleStatus]:
    """``DebugRuleEvaluationStatuses`` then ``ProfilerRuleEvaluationStatuses``, the rule taken from the matching
    configuration's ``rule_to_invoke`` (the configuration name when it has none)."""
    configurations = description.get("DebugRuleConfigurations", []) + description.get("ProfilerRuleConfigurations", [])
    invoked = {c["RuleConfigurationName"]: (c.get("RuleParameters") or {}).get("rule_to_invoke", "")
               for c in configurations}
    entries = description.get("DebugRuleEvaluationStatuses", []) + description.get("ProfilerRuleEvaluationStatuses", [])
    return [RuleStatus(configuration_name=e["RuleConfigurationName"],
                       rule=invoked.get(e["RuleConfigurationName"]) or e["RuleConfigurationName"],
                       status=e.get("RuleEvaluationStatus", ""), details=e.get("StatusDetails", ""),
                       last_modified=iso(e.get("LastModifiedTime"))) for e in entries]


def metric_series(description: dict[str, Any]) -> DebugSeries:
    start = description.get("TrainingStartTime")
    points = []
    for metric in description.get("FinalMetricDataList", []):
        stamp = metric.get("Timestamp")
        seconds = (stamp - start).total_seconds() if stamp is not None and start is not None else None
        points.append({"name": metric["MetricName"], "value": float(metric["Value"]), "step": None,
                       "seconds": seconds, "mode": "TRAIN"})
    return DebugSeries(scalars=tuple(points))


class AwsDebugger:
    """Reads SageMaker Debugger's results for training jobs; rules are configured by the training adapter."""

    def __init__(self, session: boto3.Session, settings: Settings, catalog: dict[str, dict[str, Any]]) -> None:
        self.session = session
        self.settings = settings
        self.catalog = catalog
        self._sagemaker = session.client("sagemaker")
        self._s3 = session.client("s3")

    def rule_catalog(self) -> dict[str, dict[str, Any]]:
        """The built-in rules SageMaker runs (the local-only ones left out)."""
        return {name: entry for name, entry in self.catalog.items() if name not in LOCAL_ONLY_RULES}

    @translated
    def rule_statuses(self, job_name: str) -> list[RuleStatus]:
        return rule_statuses_of(self._describe(job_name))

    @translated
    def series(self, job_name: str) -> DebugSeries:
        return metric_series(self._describe(job_name))

    @translated
    def profiler_report(self, job_name: str) -> bytes:
        description = self._describe(job_name)
        bucket, prefix = split_s3_uri(description["OutputDataConfig"]["S3OutputPath"])
        search = f"{prefix.rstrip('/')}/{job_name}/rule-output/{REPORT_RULE}".lstrip("/")
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=search):
            for item in page.get("Contents", []):
                if item["Key"].endswith(REPORT_FILE) and item["Size"] <= MAX_REPORT_BYTES:
                    return bytes(self._s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
        raise NotFound(f"{job_name} has no profiler report yet.",
                       hint="The ProfilerReport rule writes it while the job runs and when it ends; look again then.")

    def _describe(self, job_name: str) -> dict[str, Any]:
        try:
            return dict(self._sagemaker.describe_training_job(TrainingJobName=job_name))
        except ClientError as exc:
            if is_missing(exc):
                raise NotFound(f"No training job named {job_name}.", hint="Pick a job from the Jobs page.") from exc
            raise


def build_aws_debugger(session: boto3.Session, settings: Settings, stack: EmbeddedStack) -> DebuggerPort:
    """The SageMaker adapter; the rule catalog is the workbench's, less the rules SageMaker has no built-in for."""
    from services.debugger.rules import catalog_json

    del stack  # nothing is kept in the workspace: SageMaker holds the statuses and reports
    return AwsDebugger(session, settings, catalog_json())

