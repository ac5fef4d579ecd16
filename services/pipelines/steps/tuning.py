"""Tuning steps: CreateHyperParameterTuningJob (a framework image's TrainingJobDefinition, ModelTrainer or script
mode) run as a ``container`` job of contract "tuning" (``containers_tuning.py``: the training capability's
Bayesian/Random search, one sandboxed training job per trial). Properties in DescribeHyperParameterTuningJob's
shape with BestTrainingJob, plus ``TrainingJobSummaries`` best first (what the SDK's
``TuningStep.get_top_model_s3_uri`` reads); Metadata ``{"TuningJob": {"Arn": …}}``.

Tuning job names have at most 32 characters, so the job is ``tuning-`` + a hash of the step's job name (the
same for the same attempt, so a resumed orchestrator finds it)."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from services.embedded.sandbox import require_sandbox
from services.errors import InvalidInput
from services.pipelines import containers
from services.pipelines.containers_tuning import trial_request, tuning_plan
from services.pipelines.steps.base import StepOutcome, StepRun
from services.pipelines.steps.deps import StepDeps
from services.pipelines.steps.jobs import finished_job, start_container, times


def check_tuning(step: str, arguments: dict[str, Any]) -> None:
    definition = arguments.get("TrainingJobDefinition")
    if not isinstance(definition, dict):
        names = ", ".join(d.get("DefinitionName", "?") for d in arguments.get("TrainingJobDefinitions") or [])
        raise InvalidInput(f"Step {step!r}: give one TrainingJobDefinition (several, {names or 'none'}, do not run "
                           "locally).", hint="Tune one training job definition.")
    image = containers.check_training(step, trial_request(definition, {}))  # as each trial's request
    if image is not None and image.kind == "builtin":
        raise InvalidInput(f"Step {step!r}: tuning a built-in algorithm's image does not run in a pipeline locally.",
                           hint="Tune a framework image with your own script, or tune from the Train page.")
    if not containers.has_references(arguments.get("HyperParameterTuningJobConfig")):
        tuning_plan(step, arguments)  # with parameters in it, checked once the execution resolves them


def tuning_job_name(run: StepRun) -> str:
    return "tuning-" + hashlib.sha256(run.job_name.encode()).hexdigest()[:20]


class TuningExecutor:
    def __init__(self, deps: StepDeps) -> None:
        self.deps = deps

    def validate(self, step_name: str, arguments: dict[str, Any]) -> None:
        check_tuning(step_name, arguments)
        require_sandbox()

    def start(self, run: StepRun) -> str:
        check_tuning(run.step_name, run.arguments)
        name = tuning_job_name(run)
        if self.deps.stack.runner.jobs.find(name) is not None:  # started by an orchestrator that then died
            return name
        return start_container(self.deps, dataclasses.replace(run, job_name=name), "tuning",
                               containers.job_arn("hyper-parameter-tuning-job", name))

    def outcome(self, run: StepRun) -> StepOutcome:
        job = finished_job(self.deps, dataclasses.replace(run, job_name=tuning_job_name(run)))
        arn = containers.job_arn("hyper-parameter-tuning-job", job.name)
        summaries = list(job.result.get("training_job_summaries") or [])
        completed = sum(1 for s in summaries if s["TrainingJobStatus"] == "Completed")
        failed = len(summaries) - completed
        properties: dict[str, Any] = {key: run.arguments[key] for key in ("HyperParameterTuningJobConfig",
                                                                            "TrainingJobDefinition") if key in run.arguments}
        properties |= {"HyperParameterTuningJobName": job.name, "HyperParameterTuningJobArn": arn,
                       "HyperParameterTuningJobStatus": "Completed", "BestTrainingJob": summaries[0] if summaries else {},
                       "TrainingJobSummaries": summaries,
                       "TrainingJobStatusCounters": {"Completed": completed, "InProgress": 0, "RetryableError": 0,
                                                     "NonRetryableError": failed, "Stopped": 0},
                       "ObjectiveStatusCounters": {"Succeeded": completed, "Pending": 0, "Failed": failed},
                       "HyperParameterTuningEndTime": job.ended_at, **times(job)}
        return StepOutcome(properties, {"TuningJob": {"Arn": arn}})
