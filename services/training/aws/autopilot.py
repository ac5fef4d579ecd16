"""Autopilot (AutoML V2) on SageMaker: the request's shape, starting the job, its candidates and reports."""

from __future__ import annotations

import io
import zipfile
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from services.aws.autopilot_reports import (
    explainability,
    json_documents,
    model_insights,
    notebook_locations,
    report_locations,
)
from services.aws.errors import translated
from services.aws.job_index import JobIndex
from services.aws.jobs import candidate_algorithm
from services.aws.s3 import split_s3_uri
from services.aws.sagemaker import job_name
from services.debugger.aws_requests import refuse_autopilot_rules
from services.errors import InvalidInput
from services.jobs.base import JobsPort
from services.models import AutopilotRequest, Candidate
from services.names import check_job_request
from services.runs.ranking import rank_key
from services.training.aws.inputs import S3Input, S3Inputs, input_schema
from services.training.data import require_column

AUTOPILOT_MODES = ("AUTO", "ENSEMBLING", "HYPERPARAMETER_TUNING")
MAX_NOTEBOOK_BYTES = 20 * 1024**2  # a generated notebook is a few hundred kB
PROBLEM_TYPES = ("BinaryClassification", "MulticlassClassification", "Regression")
DEFAULT_OBJECTIVES = {"BinaryClassification": "F1", "MulticlassClassification": "Accuracy", "Regression": "MSE"}
AUTOPILOT_OBJECTIVES = ("Accuracy", "AUC", "BalancedAccuracy", "F1", "F1macro", "MAE", "MSE", "Precision",
                        "PrecisionMacro", "R2", "Recall", "RecallMacro", "RMSE", "LogLoss")
AUTOPILOT_CONTENT_TYPES = {"csv": "text/csv;header=present", "parquet": "x-application/vnd.amazon+parquet"}
REPORT_READERS = {"model_insights": model_insights, "explainability": explainability}


class AutopilotJobs(S3Inputs):
    """Starting Autopilot jobs and reading what they found."""

    index: JobIndex
    jobs: JobsPort

    @translated
    def start_autopilot_job(self, request: AutopilotRequest) -> str:
        """Start ``CreateAutoMLJobV2`` on the table's S3 location (CSV with a header, or Parquet)."""
        check_job_request("autopilot", request.name, request.experiment)
        refuse_autopilot_rules(request.debugger)
        problem_type, objective = autopilot_objective(request)
        bucket, role = self._require_setup()
        name = job_name(request.name, "autopilot")
        data = self._input(request.source)
        require_column(data.columns, request.target, "target")
        if data.format not in AUTOPILOT_CONTENT_TYPES:
            raise InvalidInput(f"Autopilot reads CSV or Parquet, and {data.source.label} is {data.format}.",
                               hint="Convert the table to Parquet (CREATE TABLE AS in the query page) and try again.")
        data = self._staged(data, f"s3://{bucket}/autopilot/{name}/input/")
        target = self._header_name(data, request.target)
        spec = autopilot_job_spec(name, data, target, request, problem_type, objective, bucket, role)
        self._sagemaker.create_auto_ml_job_v2(**spec)
        config = asdict(replace(request, source=data.source)) | {"input_uri": data.uri, "problem_type": problem_type,
                                                                  "objective": objective, "target_header": target,
                                                                  "input_schema": input_schema(data.columns, request.target)}
        self.index.add(name, "autopilot", config)
        return name

    @translated
    def list_candidates(self, job_name: str) -> list[Candidate]:
        """``ListCandidatesForAutoMLJob``, best first (by each candidate's objective and its direction)."""
        job = self.jobs.describe_job(job_name)
        if job.kind != "autopilot":
            raise InvalidInput(f"{job_name} is a {job.kind} job, not an Autopilot job.", hint="Pick an Autopilot job.")
        pages = self._sagemaker.get_paginator("list_candidates_for_auto_ml_job").paginate(AutoMLJobName=job_name)
        raw = [c for page in pages for c in page.get("Candidates", [])]
        best = job.result.get("best_candidate", "")
        return [replace(c, model_id=job.model_id if c.name == best else "") for c in sorted_candidates(raw)]

    @translated
    def autopilot_notebooks(self, job_name: str) -> bytes:
        """SageMaker's two notebooks from S3 (``AutoMLJobArtifacts``), zipped under the job's name."""
        found = notebook_locations(self._call("describe_auto_ml_job_v2", AutoMLJobName=job_name))
        locations = {name: uri for name, uri in found.items() if uri.startswith("s3://")}
        if not locations:
            raise InvalidInput(f"SageMaker has written no notebooks for {job_name} (yet).",
                               hint="Autopilot writes them once its candidates are generated; try again later.")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for uri in locations.values():
                bucket, key = split_s3_uri(uri)
                body = self._s3.get_object(Bucket=bucket, Key=key)["Body"].read(MAX_NOTEBOOK_BYTES + 1)
                if len(body) > MAX_NOTEBOOK_BYTES:
                    raise InvalidInput(f"The notebook {uri} is over {MAX_NOTEBOOK_BYTES // 1024**2} MB.",
                                       hint="Open it in SageMaker Studio instead.")
                archive.writestr(f"{job_name}/{key.rsplit('/', 1)[-1]}", body)
        return buffer.getvalue()

    def job_insights(self, name: str) -> dict[str, Any]:
        """The best candidate's model-insights and explainability reports, read from the S3 locations
        ``DescribeAutoMLJobV2`` gives, in the local Autopilot's shape; a report not written (yet) is left out."""
        locations = report_locations(self._call("describe_auto_ml_job_v2", AutoMLJobName=name))
        reports = {report: REPORT_READERS[report](json_documents(self._s3, prefix)) for report, prefix in locations.items()}
        return {report: content for report, content in reports.items() if content}


def autopilot_objective(request: AutopilotRequest) -> tuple[str, str]:
    """The problem type and objective Autopilot is told: both or neither (SageMaker's rule)."""
    if request.mode not in AUTOPILOT_MODES:
        raise InvalidInput(f"Unknown mode {request.mode!r}.", hint=f"Use one of {', '.join(AUTOPILOT_MODES)}.")
    if request.problem_type and request.problem_type not in PROBLEM_TYPES:
        raise InvalidInput(f"Unknown problem type {request.problem_type!r}.", hint=f"Use one of {', '.join(PROBLEM_TYPES)}.")
    if request.max_runtime_seconds < 30 or request.max_candidates < 1:
        raise InvalidInput("The time limit must be at least 30 s and at least one candidate allowed.",
                           hint="For example --max-runtime 3600 --max-candidates 5.")
    objective = {o.lower(): o for o in AUTOPILOT_OBJECTIVES}.get(request.objective.lower(), "") if request.objective else ""
    if request.objective and not objective:
        raise InvalidInput(f"Autopilot has no objective {request.objective!r}.", hint=f"Use one of {', '.join(AUTOPILOT_OBJECTIVES)}.")
    if objective and not request.problem_type:
        raise InvalidInput("SageMaker Autopilot needs the problem type when an objective is chosen.",
                           hint="Pick a problem type too, or leave both empty for Autopilot to infer.")
    if not request.problem_type:
        return "", ""
    return request.problem_type, objective or DEFAULT_OBJECTIVES[request.problem_type]


def autopilot_job_spec(name: str, data: S3Input, target: str, request: AutopilotRequest, problem_type: str,
                       objective: str, bucket: str, role: str) -> dict[str, Any]:
    """``CreateAutoMLJobV2``'s parameters for a tabular job."""
    tabular: dict[str, Any] = {
        "TargetAttributeName": target, "Mode": request.mode,
        "CompletionCriteria": {"MaxCandidates": request.max_candidates,
                               "MaxAutoMLJobRuntimeInSeconds": request.max_runtime_seconds},
    }
    spec: dict[str, Any] = {
        "AutoMLJobName": name,
        "AutoMLJobInputDataConfig": [{"ChannelType": "training", "ContentType": AUTOPILOT_CONTENT_TYPES[data.format],
                                      "CompressionType": "None",
                                      "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": data.uri}}}],
        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/autopilot/{name}/"},
        "AutoMLProblemTypeConfig": {"TabularJobConfig": tabular},
        "RoleArn": role,
    }
    if problem_type:
        tabular["ProblemType"] = problem_type
        spec["AutoMLJobObjective"] = {"MetricName": objective}
    return spec


def candidate_from_aws(raw: dict[str, Any]) -> Candidate:
    objective = raw.get("FinalAutoMLJobObjectiveMetric") or {}
    started, ended = raw.get("CreationTime"), raw.get("EndTime")
    seconds = (ended - started).total_seconds() if isinstance(started, datetime) and isinstance(ended, datetime) else 0.0
    value = objective.get("Value")
    return Candidate(name=raw["CandidateName"], algorithm=candidate_algorithm(raw), objective_name=objective.get("MetricName", ""),
                     objective_value=None if value is None else float(value), training_seconds=seconds,
                     status=raw.get("CandidateStatus", "Completed"))


def sorted_candidates(raw: list[dict[str, Any]]) -> list[Candidate]:
    """Best first by the one ranking rule (``services.runs.ranking``): descending for Maximize objectives, ascending
    for Minimize, no value last; ties go to the candidate that ended first (``EndTime``), then to its name."""
    minimize = any((c.get("FinalAutoMLJobObjectiveMetric") or {}).get("Type") == "Minimize" for c in raw)

    def key(candidate: dict[str, Any]) -> Any:
        value = (candidate.get("FinalAutoMLJobObjectiveMetric") or {}).get("Value")
        ended = candidate.get("EndTime")
        return rank_key(None if value is None else float(value), not minimize,
                        ended.isoformat() if isinstance(ended, datetime) else "", str(candidate.get("CandidateName", "")))

    return [candidate_from_aws(c) for c in sorted(raw, key=key)]
