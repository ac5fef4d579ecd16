"""Debugger on the pages' aws tests: DescribeTrainingJob answered by moto, with the Debugger fields moto leaves out
added after the call (each entry checked against SageMaker's service model, so no invented shape passes), and the
ProfilerReport rule's HTML put where SageMaker writes it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import boto3
import botocore.handlers
import botocore.session
import pytest
from botocore.exceptions import ParamValidationError
from botocore.validate import ParamValidator

from tests.helpers.aws import BUCKET, REGION

AT = dt.datetime(2026, 12, 5, 14, 0, tzinfo=dt.UTC)


def rule_status(name: str, status: str, details: str = "") -> dict[str, Any]:
    entry = {"RuleConfigurationName": name, "RuleEvaluationStatus": status, "LastModifiedTime": AT,
             "RuleEvaluationJobArn": f"arn:aws:sagemaker:{REGION}:123456789012:processing-job/{name.lower()}-rule"}
    return entry | ({"StatusDetails": details} if details else {})


def add_training_job_fields(monkeypatch: pytest.MonkeyPatch, fields: dict[str, Any], job_name: str = "") -> None:
    """Every later DescribeTrainingJob answer (moto's; only ``job_name``'s when given) also carries ``fields``, the
    Debugger ones moto leaves out (ProfilerConfig, the rule evaluation statuses), each checked against its member
    of SageMaker's DescribeTrainingJob output shape."""
    output = botocore.session.get_session().get_service_model("sagemaker").operation_model("DescribeTrainingJob").output_shape
    assert output is not None
    for name, value in fields.items():
        report = ParamValidator().validate(value, output.members[name])
        if report.has_errors():
            raise ParamValidationError(report=report.generate_report())

    def add(parsed: dict[str, Any], **_: Any) -> None:
        if not job_name or parsed.get("TrainingJobName") == job_name:
            parsed.update(fields)

    event = "after-call.sagemaker.DescribeTrainingJob"
    monkeypatch.setattr(botocore.handlers, "BUILTIN_HANDLERS", [*botocore.handlers.BUILTIN_HANDLERS, (event, add)])


def add_rule_statuses(monkeypatch: pytest.MonkeyPatch, debug: list[dict[str, Any]],
                      profiler: list[dict[str, Any]] | None = None) -> None:
    """Every later DescribeTrainingJob answer also carries these rule evaluation statuses."""
    add_training_job_fields(monkeypatch, {"DebugRuleEvaluationStatuses": debug,
                                          "ProfilerRuleEvaluationStatuses": profiler or []})


def put_profiler_report(job_name: str, html: bytes) -> str:
    """The ProfilerReport rule's output, as SageMaker lays it out under the job's output path."""
    key = f"training/{job_name}/rule-output/ProfilerReport/profiler-output/profiler-report.html"
    boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key=key, Body=html)
    return key


def record_requests(monkeypatch: pytest.MonkeyPatch, operation: str) -> list[dict[str, Any]]:
    """The parameters of every later SageMaker ``operation`` call (moto still answers it, after botocore has
    checked them against the service model)."""
    calls: list[dict[str, Any]] = []
    event = f"provide-client-params.sagemaker.{operation}"
    handler = (event, lambda params, **_: calls.append(dict(params)))
    monkeypatch.setattr(botocore.handlers, "BUILTIN_HANDLERS", [*botocore.handlers.BUILTIN_HANDLERS, handler])
    return calls


def put_system_file(job_name: str, first_second: float, samples: list[list[float]]) -> str:
    """One profiler file of CPU events as smdebug writes them (JSON lines: Type, Name, Dimension, Value, NodeId,
    Timestamp in epoch seconds; the layout of smdebug's own test traces), a sample every 500 ms, under the job's
    profiler output."""
    lines = [{"Type": "cpu", "Name": f"cpu{core}", "Dimension": "CPUUtilization", "Value": value, "NodeId": "algo-1",
              "Timestamp": first_second + index * 0.5}
             for index, cores in enumerate(samples) for core, value in enumerate(cores)]
    key = f"training/{job_name}/profiler-output/system/incremental/2026120514/{int(first_second)}.algo-1.json"
    body = "".join(json.dumps(line) + "\n" for line in lines).encode()
    boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key=key, Body=body)
    return key
