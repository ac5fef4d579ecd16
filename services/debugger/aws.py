"""The debugger port on SageMaker: what a training job's rule jobs and profiler recorded, read back.

Rule statuses are ``DescribeTrainingJob``'s ``DebugRuleEvaluationStatuses`` and ``ProfilerRuleEvaluationStatuses``
(SageMaker's statuses as they are). The series are the job's metrics in CloudWatch and the profiler's system files
in S3 (``aws_series.py``). The profiler report is the HTML the ``ProfilerReport`` rule job writes to
``{OutputDataConfig.S3OutputPath}/{job}/rule-output/ProfilerReport*/profiler-output/profiler-report.html``; until it
exists (the rule job writes it as the job ends) the workbench's own report is built from the profiler's samples.
The catalog lists every rule; the two SageMaker has no built-in for are marked ``"available": False``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from services.aws.errors import translated
from services.aws.s3 import split_s3_uri
from services.aws.sagemaker import is_missing, iso
from services.config import Settings
from services.debugger.aws_requests import LOCAL_ONLY_RULES, REPORT_RULE
from services.debugger.aws_series import read_scalars, read_system
from services.debugger.base import DebuggerPort
from services.debugger.models import DebugSeries, RuleStatus
from services.debugger.profiler_report import profiler_html
from services.embedded.embedded_stack import EmbeddedStack
from services.errors import NotFound
from services.models import Job

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


def job_of(description: dict[str, Any]) -> Job:
    """What the profiler report's summary needs of the job."""
    return Job(name=description["TrainingJobName"], kind="training", status=description.get("TrainingJobStatus", ""),
               secondary_status=description.get("SecondaryStatus", ""), created_at=iso(description.get("CreationTime")),
               started_at=iso(description.get("TrainingStartTime")), ended_at=iso(description.get("TrainingEndTime")))


def catalog_for_sagemaker(catalog: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    local_only = " (local jobs only: SageMaker Debugger has no such built-in rule)"
    return {name: entry | ({"available": False, "description": entry["description"] + local_only}
                           if name in LOCAL_ONLY_RULES else {}) for name, entry in catalog.items()}


class AwsDebugger:
    """Reads SageMaker Debugger's results for training jobs; rules are configured by the training adapter."""

    def __init__(self, session: boto3.Session, settings: Settings, catalog: dict[str, dict[str, Any]]) -> None:
        self.session = session
        self.settings = settings
        self.catalog = catalog
        self._sagemaker = session.client("sagemaker")
        self._s3 = session.client("s3")
        self._cloudwatch = session.client("cloudwatch")

    def rule_catalog(self) -> dict[str, dict[str, Any]]:
        """Every rule; those SageMaker cannot run are marked ``"available": False``."""
        return catalog_for_sagemaker(self.catalog)

    @translated
    def rule_statuses(self, job_name: str) -> list[RuleStatus]:
        return rule_statuses_of(self._describe(job_name))

    @translated
    def series(self, job_name: str) -> DebugSeries:
        return self._series(self._describe(job_name))

    @translated
    def profiler_report(self, job_name: str) -> bytes:
        """SageMaker's ProfilerReport HTML when its rule job has written it, else ours from the profiler's samples."""
        description = self._describe(job_name)
        report = self._sagemaker_report(description)
        if report is not None:
            return report
        series = self._series(description)
        if not series.system:
            raise NotFound(f"{job_name} has no profile yet.",
                           hint="Profiling starts with the training job when Debugger's profiler is on; look again "
                                "once the job runs.")
        return profiler_html(job_of(description), series, rule_statuses_of(description), self.catalog)

    def _series(self, description: dict[str, Any]) -> DebugSeries:
        name = description["TrainingJobName"]
        start = description.get("TrainingStartTime") or description["CreationTime"]
        end = description.get("TrainingEndTime") or datetime.now(UTC)
        metrics = [d["Name"] for d in description.get("AlgorithmSpecification", {}).get("MetricDefinitions", [])]
        scalars = read_scalars(self._cloudwatch, name, metrics, start, end)
        profiler_uri = (description.get("ProfilerConfig") or {}).get("S3OutputPath")
        system: list[dict[str, Any]] = []
        if profiler_uri:
            bucket, prefix = split_s3_uri(profiler_uri)
            folder = f"{prefix.rstrip('/')}/{name}/profiler-output/system/incremental/".lstrip("/")
            system = read_system(self._s3, bucket, folder, start.timestamp())
        return DebugSeries(scalars=tuple(scalars), system=tuple(system))

    def _sagemaker_report(self, description: dict[str, Any]) -> bytes | None:
        bucket, prefix = split_s3_uri(description["OutputDataConfig"]["S3OutputPath"])
        search = f"{prefix.rstrip('/')}/{description['TrainingJobName']}/rule-output/{REPORT_RULE}".lstrip("/")
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=search):
            for item in page.get("Contents", []):
                if item["Key"].endswith(REPORT_FILE) and item["Size"] <= MAX_REPORT_BYTES:
                    return bytes(self._s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
        return None

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

