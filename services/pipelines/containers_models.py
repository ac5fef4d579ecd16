"""The container job's contracts that run the workbench's own code in the worker, not user code in the sandbox:
``register`` (a model.tar.gz into the local model registry: as the built-in's or Autopilot's framework when a
built-in or AutoML step of this workspace wrote it, else as a script's model), ``builtin`` (a built-in algorithm's image → the
workbench's built-in), ``transform`` (batch transform with a registered model's predictor) and ``automl``
(CreateAutoMLJobV2 → the local Autopilot). See ``container_job.py`` for what each one does."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from services.embedded.embedded_stack import EmbeddedStack
from services.embedded.job_worker import JobContext
from services.errors import InvalidInput, NotFound, ServiceError
from services.models import ModelRecord
from services.pipelines import containers
from services.pipelines.cache import lake_path
from services.pipelines.containers_lake import upload_model
from services.processing.images import recognise
from services.processing.lake import copy_from_lake
from services.training.script_job import ScriptOutcome, model_draft, register_script_model
from services.training.script_mode import MlLayout

# -- registering a model artifact -----------------------------------------------------------------------------


def run_register(ctx: JobContext, lake: Path) -> None:
    spec = ctx.config["register"]
    archive = lake_path(lake, spec["model_data_url"])
    if not archive.is_file():
        raise NotFound(f"The model artifact {spec['model_data_url']} is not in the lake ({archive}).",
                       hint="Point ModelDataUrl at a training step's ModelArtifacts.S3ModelArtifacts.")
    layout = MlLayout(ctx.job_dir / "ml")
    layout.model_dir.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive) as handle:
            handle.extractall(layout.model_dir, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise InvalidInput(f"{spec['model_data_url']} is not a readable model.tar.gz: {exc}",
                           hint="Register the artifact a training step wrote.") from exc
    metrics = statistics_metrics(lake, spec.get("statistics_uri", ""), ctx.log)
    stack = EmbeddedStack.open(ctx.settings)
    built = built_here(stack, spec["model_data_url"])
    if built is not None:  # the workbench's own algorithm wrote it: registered as its framework, with its schema
        record = stack.models.register(dataclasses.replace(
            built, model_id="", version=0, name=spec["name"], job_name=ctx.name, metrics={**built.metrics, **metrics},
            approval_status=spec.get("approval_status") or built.approval_status), Path(built.artifact_path))
        ctx.log(f"Registered {record.model_id} ({record.framework}, as {built.model_id} was)")
    else:
        draft = model_draft(spec["name"], "", ctx.name)
        draft = dataclasses.replace(draft, approval_status=spec.get("approval_status") or draft.approval_status)
        record = stack.models.get(register_script_model(stack.models, ScriptOutcome(layout, 0, metrics, ""), draft, ctx.log))
    model_id = record.model_id
    ctx.finish_with(model_id=model_id, metrics=metrics,
                    result={"model_id": model_id, "group": record.name, "version": record.version})


def built_here(stack: EmbeddedStack, model_data_url: str) -> ModelRecord | None:
    """The registry model a built-in or AutoML step of this workspace packed as ``model_data_url``, if one did.
    Known from the job store, never from the archive's contents: a file does not choose how it is trusted."""
    for job in stack.runner.jobs.recent("container", 1000, status="Completed"):
        if (job.config.get("contract") in ("builtin", "automl") and job.model_id
                and job.result.get("model_artifacts") == model_data_url):
            return stack.models.get(job.model_id)
    return None


def statistics_metrics(lake: Path, uri: str, log: Callable[[str], None]) -> dict[str, float]:
    """Every ``{"value": number}`` leaf of an evaluation/statistics JSON (SageMaker's model quality format), by its
    path (``metrics.accuracy``); {} when there is none or it cannot be read."""
    if not uri:
        return {}
    try:
        data = json.loads(lake_path(lake, uri).read_text(encoding="utf-8"))
    except (OSError, ValueError, ServiceError) as exc:
        log(f"Model statistics {uri} not read: {exc}")
        return {}
    found: dict[str, float] = {}
    _value_leaves(data, "", found)
    return found


def _value_leaves(node: Any, path: str, found: dict[str, float]) -> None:
    if not isinstance(node, dict):
        return
    value = node.get("value")
    if isinstance(value, int | float) and not isinstance(value, bool):
        found[path or "value"] = float(value)
    for key, child in node.items():
        _value_leaves(child, f"{path}.{key}" if path else str(key), found)


# -- built-in algorithms --------------------------------------------------------------------------------------


def run_builtin(ctx: JobContext, lake: Path) -> None:
    from services.models import DataSource, TrainingRequest
    from services.training import builtin_job

    request, step = ctx.config["request"], ctx.config.get("step_name", ctx.name)
    image = recognise(step, str(request["AlgorithmSpecification"]["TrainingImage"]), has_entry_point=False)
    train = next((c for c in containers.training_channels(step, request) if c.name == "train"), None)
    if train is None:
        raise InvalidInput(f"Step {step!r}: the built-in {image.name} needs a 'train' channel.", hint="Add one.")
    ctx.secondary("Downloading", f"Reading the train channel ({train.s3_uri})")
    staging = ctx.job_dir / "channels" / "train"
    copy_from_lake(lake, train.s3_uri, train.data_type, staging)
    table = headed_csv(sorted(p for p in staging.rglob("*") if p.is_file()), ctx.job_dir / "data" / "train.csv")
    training = TrainingRequest(algorithm=image.name, source=DataSource(path=str(table)), target="label",
                               hyperparameters={str(k): str(v) for k, v in (request.get("HyperParameters") or {}).items()},
                               name=ctx.config.get("model_name", ""))
    builtin_job.run(dataclasses.replace(ctx, config=dataclasses.asdict(training)))
    artifacts = upload_model(lake, ctx.job_dir / "model", None, request, ctx.name)
    job = ctx.jobs.get(ctx.name)
    ctx.jobs.update(ctx.name, result={**job.result, "exit_code": 0, "model_artifacts": artifacts,
                                      "job_arn": ctx.config.get("job_arn", "")})
    ctx.log(f"Model artifacts: {artifacts}")


def headed_csv(files: list[Path], target: Path) -> Path:
    """SageMaker's built-in CSV (no header, the label in the first column) as one CSV with ``label, f0, f1, …``."""
    rows = [row for file in files for row in csv.reader(file.read_text(encoding="utf-8").splitlines()) if row]
    if not rows:
        raise InvalidInput("The train channel holds no CSV rows.", hint="Write label,feature,… rows without a header.")
    widths = {len(row) for row in rows}
    if len(widths) != 1 or rows[0][0].strip().lower() in ("label", "target", "y"):
        raise InvalidInput("The train channel is not SageMaker's built-in CSV: every row needs the label first, the "
                           "same number of columns and no header.", hint="Write label,feature,… rows without a header.")
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["label", *(f"f{i}" for i in range(widths.pop() - 1))])
        writer.writerows(rows)
    return target


# -- batch transform ------------------------------------------------------------------------------------------


def run_transform(ctx: JobContext, lake: Path) -> None:
    from services.training.algorithms.base import load_predictor

    request = ctx.config["request"]
    record = EmbeddedStack.open(ctx.settings).models.get(ctx.config["model_id"])
    columns = [column.name for column in record.input_schema]
    if not columns:
        raise InvalidInput(f"Model {record.model_id} does not record which columns it reads, so CSV records cannot "
                           "be matched to them.", hint="Train it on named columns (a DataFrame), then register it again.")
    source = (request["TransformInput"]["DataSource"]["S3DataSource"])
    staging = ctx.job_dir / "input"
    ctx.secondary("Downloading", f"Reading {source['S3Uri']}")
    copy_from_lake(lake, source["S3Uri"], source.get("S3DataType", "S3Prefix"), staging)
    predictor = load_predictor(Path(record.artifact_path), allow_user_code=True)  # a job: its own process
    join_input = (request.get("DataProcessing") or {}).get("JoinSource") == "Input"
    output = str(request["TransformOutput"]["S3OutputPath"]).rstrip("/")
    ctx.secondary("Transforming", f"Scoring with {record.model_id}")
    rows = 0
    for file in sorted(p for p in staging.rglob("*") if p.is_file()):
        relative = file.relative_to(staging).as_posix()
        lines = transform_lines(predictor, file.read_text(encoding="utf-8").splitlines(), columns, join_input)
        target = lake_path(lake, f"{output}/{relative}.out")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        rows += len(lines)
        ctx.log(f"{relative}: {len(lines)} record(s) → {output}/{relative}.out")
    ctx.finish_with(model_id=record.model_id, result={"rows": rows, "job_arn": ctx.config.get("job_arn", "")})


def transform_lines(predictor: Any, lines: list[str], columns: list[str], join_input: bool) -> list[str]:
    """One output line per CSV record: the predicted label (after the record's fields when joining the input)."""
    import pandas as pd

    records = [row for row in csv.reader(lines) if row]
    if records and records[0] == columns:
        records = records[1:]  # a header naming the model's columns
    bad = next((i for i, row in enumerate(records) if len(row) != len(columns)), None)
    if bad is not None:
        raise InvalidInput(f"Record {bad + 1} has {len(records[bad])} fields; the model reads {len(columns)}: "
                           f"{', '.join(columns)}.", hint="Send text/csv records with the model's columns in order.")
    if not records:
        return []
    frame = pd.DataFrame(records, columns=columns)
    for column in columns:  # numbers where every non-empty field is one (CSV carries no types)
        converted = pd.to_numeric(frame[column], errors="coerce")
        if converted.notna().sum() == (frame[column] != "").sum():
            frame[column] = converted
    labels = [str(label) for label in predictor.predict_frame(frame)["predicted_label"]]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for record, label in zip(records, labels, strict=True):
        writer.writerow([*record, label] if join_input else [label])
    return buffer.getvalue().splitlines()


# -- AutoML ---------------------------------------------------------------------------------------------------


def run_automl(ctx: JobContext, lake: Path) -> None:
    from services.models import AutopilotRequest, DataSource
    from services.pipelines.steps.automl import tabular_config, training_channel
    from services.training import autopilot_job

    request, step = ctx.config["request"], ctx.config.get("step_name", ctx.name)
    config, source = tabular_config(step, request), training_channel(step, request)
    staging = ctx.job_dir / "channels" / "training"
    ctx.secondary("Downloading", f"Reading {source['S3Uri']}")
    copy_from_lake(lake, source["S3Uri"], source.get("S3DataType", "S3Prefix"), staging)
    criteria = config.get("CompletionCriteria") or {}
    autopilot = AutopilotRequest(
        source=DataSource(path=str(staging)), target=str(config["TargetAttributeName"]),
        problem_type=str(config.get("ProblemType") or ""), mode=str(config.get("Mode") or "AUTO"),
        objective=str((request.get("AutoMLJobObjective") or {}).get("MetricName") or ""),
        max_runtime_seconds=max(30, int(criteria.get("MaxAutoMLJobRuntimeInSeconds", 300))),
        max_candidates=int(criteria.get("MaxCandidates", 10)), name=ctx.name)
    autopilot_job.run(dataclasses.replace(ctx, config=dataclasses.asdict(autopilot)))
    job = ctx.jobs.get(ctx.name)
    record = EmbeddedStack.open(ctx.settings).models.get(job.model_id)
    artifacts = upload_model(lake, Path(record.artifact_path), None, request, ctx.name)
    ctx.jobs.update(ctx.name, result={**ctx.jobs.get(ctx.name).result, "model_artifacts": artifacts,
                                      "job_arn": ctx.config.get("job_arn", "")})
    ctx.log(f"Best candidate's model: {artifacts}")
