"""Small real step executors for the pipeline engine's tests (the real Processing/Training executors are
services/pipelines/steps/; these stand in while testing the engine on its own).

``FileProcessing`` runs a Processing step synchronously inside the orchestrator: it reads every file under
its ProcessingInputs' S3 URIs in the lake, and writes to each output's S3 URI a ``part.txt`` (the inputs'
lines plus one line naming the step), or, when ``Environment.WRITE_JSON`` is set, that JSON as the output's
``evaluation.json``. ``Environment`` drives the test cases: ``SLEEP_SECONDS`` (work that takes time),
``FAIL`` (an ``InvalidInput`` with that message), ``REQUIRE_INPUT`` (fail when the inputs hold no
line), ``FLAKY_FAILURES`` (the first N attempts raise ``BackendUnavailable``, a Step.SERVICE_FAULT).
``validate`` refuses an ImageUri containing "unknown". ``ScriptTraining`` runs a Training step as a real
job of the runner (a script-mode job).
The orchestrator process builds them through ``build(stack)``, the factory the adapter is given.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from services.embedded.embedded_stack import EmbeddedStack
from services.embedded.jobs import JobRunner
from services.errors import BackendUnavailable, InvalidInput
from services.pipelines.cache import lake_path
from services.pipelines.steps.base import StepExecutor, StepOutcome, StepRun

FACTORY = "tests.helpers.pipeline_executors:build"


class FileProcessing:
    def __init__(self, lake: Path) -> None:
        self.lake = lake

    def validate(self, step_name: str, arguments: dict[str, Any]) -> None:
        image = (arguments.get("AppSpecification") or {}).get("ImageUri", "")
        if isinstance(image, str) and "unknown" in image:
            raise InvalidInput(f"Step {step_name!r}: image {image!r} is not one the local engine runs.")

    def start(self, run: StepRun) -> str:
        environment = run.arguments.get("Environment") or {}
        self._flaky(run, int(environment.get("FLAKY_FAILURES", 0)))
        time.sleep(float(environment.get("SLEEP_SECONDS", 0)))
        if environment.get("FAIL"):
            raise InvalidInput(str(environment["FAIL"]))
        lines = [line for uri in _inputs(run.arguments) for line in _read_all(lake_path(self.lake, uri))]
        if environment.get("REQUIRE_INPUT") and not lines:
            raise InvalidInput(f"No input data under {', '.join(_inputs(run.arguments))}.")
        for output in (run.arguments.get("ProcessingOutputConfig") or {}).get("Outputs", []):
            folder = lake_path(self.lake, output["S3Output"]["S3Uri"])
            folder.mkdir(parents=True, exist_ok=True)
            if environment.get("WRITE_JSON"):
                (folder / "evaluation.json").write_text(str(environment["WRITE_JSON"]))
            else:
                (folder / "part.txt").write_text("\n".join([*lines, f"{run.step_name} attempt {run.attempt}"]) + "\n")
        (run.folder / "done").write_text(run.job_name)
        return ""

    def _flaky(self, run: StepRun, failures: int) -> None:
        if run.attempt <= failures:
            raise BackendUnavailable(f"Attempt {run.attempt} could not start (a service fault).")

    def outcome(self, run: StepRun) -> StepOutcome:
        arn = f"arn:aws:sagemaker:local:000000000000:processing-job/{run.job_name}"
        properties = {"ProcessingJobName": run.job_name, "ProcessingJobArn": arn, "ProcessingJobStatus": "Completed",
                      **{key: run.arguments.get(key) for key in ("ProcessingInputs", "ProcessingOutputConfig",
                                                                "AppSpecification", "Environment")}}
        return StepOutcome(properties=properties, metadata={"ProcessingJob": {"Arn": arn}})


def _inputs(arguments: dict[str, Any]) -> list[str]:
    return [item["S3Input"]["S3Uri"] for item in arguments.get("ProcessingInputs") or [] if "S3Input" in item]


def _read_all(path: Path) -> list[str]:
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return [line for file in files for line in file.read_text().splitlines()]


class ScriptTraining:
    """A Training step as a real job of the runner: a script-mode job (kind ``script``) running the 2.x
    script-mode contract's ``sagemaker_program`` from ``sagemaker_submit_directory`` (a local folder here);
    the other HyperParameters reach the script as arguments."""

    def __init__(self, runner: JobRunner) -> None:
        self.runner = runner

    def validate(self, step_name: str, arguments: dict[str, Any]) -> None:
        if "sagemaker_program" not in (arguments.get("HyperParameters") or {}):
            raise InvalidInput(f"Step {step_name!r}: HyperParameters need sagemaker_program.")

    def start(self, run: StepRun) -> str:
        hyperparameters = dict(run.arguments.get("HyperParameters") or {})
        program, source = hyperparameters.pop("sagemaker_program"), hyperparameters.pop("sagemaker_submit_directory")
        self.runner.submit("script", {"entry_point": program, "source_dir": source, "channels": {},
                                      "hyperparameters": hyperparameters}, name=run.job_name)
        return run.job_name

    def outcome(self, run: StepRun) -> StepOutcome:
        job = self.runner.jobs.get(run.job_name)
        arn = f"arn:aws:sagemaker:local:000000000000:training-job/{run.job_name}"
        properties = {"TrainingJobName": run.job_name, "TrainingJobArn": arn, "TrainingJobStatus": job.status,
                      "HyperParameters": run.arguments.get("HyperParameters"),
                      "FinalMetricDataList": [{"MetricName": k, "Value": v} for k, v in job.metrics.items()]}
        return StepOutcome(properties=properties, metadata={"TrainingJob": {"Arn": arn}})


def build(stack: EmbeddedStack) -> Mapping[str, StepExecutor]:
    return {"Processing": FileProcessing(stack.workspace.lake), "Training": ScriptTraining(stack.runner)}


def script_step(name: str, source_dir: Path, seconds: float, **extra: Any) -> dict[str, Any]:
    """A Training step whose job runs ``sleep.py`` (``write_sleep_script``) for ``seconds``."""
    return {"Name": name, "Type": "Training", "Arguments": {
        "AlgorithmSpecification": {"TrainingImage": "local/script:latest", "TrainingInputMode": "File"},
        "HyperParameters": {"sagemaker_program": "sleep.py", "sagemaker_submit_directory": str(source_dir),
                            "seconds": str(seconds)},
        "OutputDataConfig": {"S3OutputPath": "s3://test-bucket/models"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600}}, **extra}


def write_sleep_script(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sleep.py").write_text(
        "import argparse, time\nparser = argparse.ArgumentParser()\nparser.add_argument('--seconds', type=float)\n"
        "seconds = parser.parse_args().seconds\ntime.sleep(seconds)\nprint(f'slept={seconds}')\n")
    return folder


def processing_step(name: str, inputs: list[str], outputs: list[str], environment: dict[str, Any] | None = None,
                    **extra: Any) -> dict[str, Any]:
    """A Processing step in the shape the sagemaker SDK writes (CreateProcessingJob request)."""
    return {
        "Name": name, "Type": "Processing",
        "Arguments": {
            "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30}},
            "AppSpecification": {"ImageUri": "local/test-processing:latest", "ContainerEntrypoint": ["python3", "-c", "pass"]},
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "Environment": environment or {},
            "ProcessingInputs": [{"InputName": f"in{i}", "S3Input": {"S3Uri": uri, "LocalPath": f"/opt/ml/processing/in{i}",
                                                                     "S3DataType": "S3Prefix", "S3InputMode": "File"}}
                                 for i, uri in enumerate(inputs)],
            "ProcessingOutputConfig": {"Outputs": [
                {"OutputName": output, "S3Output": {"S3Uri": {"Std:Join": {"On": "/", "Values": [
                    "s3://test-bucket", {"Get": "Execution.PipelineExecutionId"}, name, output]}},
                    "LocalPath": f"/opt/ml/processing/{output}", "S3UploadMode": "EndOfJob"}}
                for output in outputs]},
        },
        **extra,
    }


def output_ref(step: str, output: str) -> dict[str, str]:
    return {"Get": f"Steps.{step}.ProcessingOutputConfig.Outputs['{output}'].S3Output.S3Uri"}


def definition(steps: list[dict[str, Any]], parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"Version": "2020-12-01", "Metadata": {}, "Parameters": parameters or [], "Steps": steps}


def dumps(value: Any) -> str:
    return json.dumps(value)
