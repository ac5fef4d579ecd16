"""AutoML steps: CreateAutoMLJobV2 with a TabularJobConfig, or the CreateAutoMLJob (V1) request that the SDK's
``AutoMLStep`` writes (mapped onto V2 by ``tabular_request``) → the local Autopilot (``services/training``'s
``autopilot_job``, run in a ``container`` job of contract "automl" on the training channel's CSV/Parquet files);
the best candidate is registered as Autopilot registers it and packed as model.tar.gz under
``<S3OutputPath>/<job>/output/``. Properties in DescribeAutoMLJob(V2)'s shape (the request's fields and
BestCandidate with its objective and its one inference container: ModelDataUrl and the Environment keys that
``AutoMLStep.get_best_auto_ml_model_builder`` reads), Metadata ``{"AutoMLJob": {"Arn": …}}``.

SageMaker AutoML job names have at most 32 characters, so the job is named ``automl-`` + a hash of the step's
job name (the same for the same attempt, so a resumed orchestrator finds it)."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from services.errors import InvalidInput
from services.pipelines import containers
from services.pipelines.steps.base import StepOutcome, StepRun
from services.pipelines.steps.deps import StepDeps
from services.pipelines.steps.jobs import finished_job, start_container, times

HINT = ("Fix the AutoML step's arguments (CreateAutoMLJobV2's request shape with a TabularJobConfig, or CreateAutoMLJob's "
        "as AutoMLStep writes it).")
MODES = ("AUTO", "ENSEMBLING", "HYPERPARAMETER_TUNING")
PROBLEM_TYPES = ("BinaryClassification", "MulticlassClassification", "Regression")
CONTENT_TYPES = ("text/csv", "x-application/vnd.amazon+parquet")
MIN_RUNTIME_SECONDS = 30


# CreateAutoMLJob (V1) fields that CreateAutoMLJobV2 keeps elsewhere; what describes either job (properties).
V1_ONLY = ("InputDataConfig", "AutoMLJobConfig", "ProblemType")
REQUEST_FIELDS = ("AutoMLJobInputDataConfig", "AutoMLProblemTypeConfig", *V1_ONLY, "OutputDataConfig", "AutoMLJobObjective",
                  "RoleArn", "DataSplitConfig")
# The best candidate's inference container Environment: the keys AutoMLStep.get_best_auto_ml_model_builder reads.
# The local model needs no serving script, so SAGEMAKER_PROGRAM and SAGEMAKER_SUBMIT_DIRECTORY are empty.
INFERENCE_ENVIRONMENT = {"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv", "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
                         "SAGEMAKER_INFERENCE_SUPPORTED": "predicted_label", "SAGEMAKER_PROGRAM": "",
                         "SAGEMAKER_SUBMIT_DIRECTORY": ""}


def tabular_request(arguments: dict[str, Any]) -> dict[str, Any]:
    """The request in CreateAutoMLJobV2's shape. A CreateAutoMLJob (V1) request (InputDataConfig, no
    AutoMLJobInputDataConfig) is mapped as the two APIs document it: the channels' TargetAttributeName and
    SampleWeightAttributeName, ProblemType, and AutoMLJobConfig's Mode, CompletionCriteria and
    CandidateGenerationConfig go into TabularJobConfig; DataSplitConfig moves to the top."""
    if "AutoMLJobInputDataConfig" in arguments or "InputDataConfig" not in arguments:
        return arguments
    channels = [c for c in arguments.get("InputDataConfig") or [] if isinstance(c, dict)]
    training = next((c for c in channels if c.get("ChannelType", "training") == "training"), {})
    job_config = arguments.get("AutoMLJobConfig") or {}
    tabular = {"TargetAttributeName": training.get("TargetAttributeName"),
               "SampleWeightAttributeName": training.get("SampleWeightAttributeName"),
               "ProblemType": arguments.get("ProblemType"), "Mode": job_config.get("Mode"),
               "CompletionCriteria": job_config.get("CompletionCriteria"),
               "CandidateGenerationConfig": job_config.get("CandidateGenerationConfig")}
    request = {key: value for key, value in arguments.items() if key not in V1_ONLY}
    request["AutoMLJobInputDataConfig"] = [{key: value for key, value in channel.items()
                                            if key not in ("TargetAttributeName", "SampleWeightAttributeName")}
                                           for channel in channels]
    request["AutoMLProblemTypeConfig"] = {"TabularJobConfig": {k: v for k, v in tabular.items() if v is not None}}
    if job_config.get("DataSplitConfig") is not None:
        request["DataSplitConfig"] = job_config["DataSplitConfig"]
    return request


def tabular_config(step: str, arguments: dict[str, Any]) -> dict[str, Any]:
    problem = tabular_request(arguments).get("AutoMLProblemTypeConfig") or {}
    config = problem.get("TabularJobConfig")
    if not isinstance(config, dict):
        kinds = ", ".join(problem) or "none"
        raise InvalidInput(f"Step {step!r}: only TabularJobConfig AutoML jobs run locally (this one has {kinds}).", hint=HINT)
    if not config.get("TargetAttributeName"):
        raise InvalidInput(f"Step {step!r}: TabularJobConfig.TargetAttributeName is missing.", hint=HINT)
    for key, allowed in (("Mode", MODES), ("ProblemType", PROBLEM_TYPES)):
        value = config.get(key)
        if value and containers.concrete(value) and value not in allowed:
            raise InvalidInput(f"Step {step!r}: TabularJobConfig.{key} {value!r} is not one of {', '.join(allowed)}.", hint=HINT)
    return config


def training_channel(step: str, arguments: dict[str, Any]) -> dict[str, Any]:
    channels = [c for c in tabular_request(arguments).get("AutoMLJobInputDataConfig") or []
                if c.get("ChannelType", "training") == "training"]
    if len(channels) != 1:
        raise InvalidInput(f"Step {step!r}: give exactly one training channel in AutoMLJobInputDataConfig "
                           "(InputDataConfig in a CreateAutoMLJob request).", hint=HINT)
    source = (channels[0].get("DataSource") or {}).get("S3DataSource")
    if not isinstance(source, dict) or not source.get("S3Uri"):
        raise InvalidInput(f"Step {step!r}: the training channel needs DataSource.S3DataSource.S3Uri.", hint=HINT)
    content_type = channels[0].get("ContentType", "text/csv")
    if containers.concrete(content_type) and str(content_type).split(";")[0].strip() not in CONTENT_TYPES:
        raise InvalidInput(f"Step {step!r}: ContentType {content_type!r} is not read locally; use text/csv (with a "
                           "header) or Parquet.", hint=HINT)
    return source


def check_automl(step: str, arguments: dict[str, Any]) -> None:
    training_channel(step, arguments)  # first: a V1 request's target is on its training channel
    tabular_config(step, arguments)
    if not (arguments.get("OutputDataConfig") or {}).get("S3OutputPath"):
        raise InvalidInput(f"Step {step!r}: OutputDataConfig.S3OutputPath is missing.", hint=HINT)


def automl_job_name(run: StepRun) -> str:
    return "automl-" + hashlib.sha256(run.job_name.encode()).hexdigest()[:20]


class AutoMLExecutor:
    def __init__(self, deps: StepDeps) -> None:
        self.deps = deps

    def validate(self, step_name: str, arguments: dict[str, Any]) -> None:
        check_automl(step_name, arguments)

    def start(self, run: StepRun) -> str:
        check_automl(run.step_name, run.arguments)
        name = automl_job_name(run)
        if self.deps.stack.runner.jobs.find(name) is not None:  # started by an orchestrator that then died
            return name
        named = dataclasses.replace(run, job_name=name)
        return start_container(self.deps, named, "automl", containers.job_arn("automl-job", name), sandboxed=False)

    def outcome(self, run: StepRun) -> StepOutcome:
        job = finished_job(self.deps, dataclasses.replace(run, job_name=automl_job_name(run)))
        arn = containers.job_arn("automl-job", job.name)
        properties: dict[str, Any] = {key: run.arguments[key] for key in REQUEST_FIELDS if key in run.arguments}
        properties |= {"AutoMLJobName": job.name, "AutoMLJobArn": arn, "AutoMLJobStatus": "Completed",
                       "AutoMLJobSecondaryStatus": "Completed", "BestCandidate": best_candidate(job.result, job.ended_at),
                       "EndTime": job.ended_at, **times(job)}
        return StepOutcome(properties, {"AutoMLJob": {"Arn": arn}})


def best_candidate(result: dict[str, Any], ended_at: str) -> dict[str, Any]:
    """DescribeAutoMLJobV2.BestCandidate from the local Autopilot's leaderboard (best first)."""
    candidates = result.get("candidates") or [{}]
    best = candidates[0]
    environment = {"MODEL_NAME": str(best.get("name", "")), **INFERENCE_ENVIRONMENT}
    return {"CandidateName": best.get("name", ""), "CandidateStatus": "Completed", "ObjectiveStatus": "Succeeded",
            "FinalAutoMLJobObjectiveMetric": {"MetricName": best.get("objective_name", ""),
                                              "Value": best.get("objective_value")},
            "InferenceContainers": [{"Image": "", "ModelDataUrl": result.get("model_artifacts", ""), "Environment": environment}],
            "EndTime": ended_at}
