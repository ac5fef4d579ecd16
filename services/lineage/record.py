"""What each event records, as SageMaker's lineage would: pure functions from a finished job, a table version, a
registered model version, a deploy or a monitoring report to a ``LineageRecord`` (entities + associations).

ARNs are SageMaker's formats in the local account 000000000000. Artifact ARNs end in an id derived from what
the artifact is (its type and source), so recording the same thing twice names the same entity:

- a table version: ``DataSet`` artifact, source the version's folder (``s3://workbench-lake/…``);
- a job: a trial component ``<job>-aws-training-job`` / ``-processing-job`` / ``-transform-job`` (a pipeline's
  orchestrator: a ``PipelineExecution`` context); its inputs (table versions, files, S3 URIs, code, image, a model
  it scores) ``ContributedTo`` it; it ``Produced`` its model data, output table and reports;
- a registered model version: a ``Model`` artifact (source: the model package ARN) ``DerivedFrom`` its job's
  model data and ``AssociatedWith`` its ``ModelPackageGroup`` context;
- an approval: the ``Model`` ``ContributedTo`` an ``Approval`` action (per status);
- a deploy: ``Model`` ``ContributedTo`` a ``ModelDeployment`` action ``AssociatedWith`` the ``Endpoint`` context;
- a monitoring report: the endpoint context ``Produced`` a ``Report`` artifact.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from services.lineage.models import (
    APPROVAL,
    CODE,
    DATASET,
    ENDPOINT,
    IMAGE,
    LOCAL_ACCOUNT,
    LOCAL_REGION,
    MODEL,
    MODEL_DATA,
    MODEL_DEPLOYMENT,
    MODEL_GROUP,
    PIPELINE_EXECUTION,
    PROCESSING_JOB,
    REPORT,
    TRAINING_JOB,
    TRANSFORM_JOB,
    Association,
    Entity,
    LineageRecord,
)

# job kind -> the SageMaker job its trial component stands for
JOB_TYPES = {"training": TRAINING_JOB, "autopilot": TRAINING_JOB, "script": TRAINING_JOB, "tuning": TRAINING_JOB,
             "bias": PROCESSING_JOB, "explain": PROCESSING_JOB, "batch": TRANSFORM_JOB, "transform": TRANSFORM_JOB}
TRIAL_COMPONENT_SUFFIX = {TRAINING_JOB: "training-job", PROCESSING_JOB: "processing-job", TRANSFORM_JOB: "transform-job"}
MODEL_MAKERS = ("training", "autopilot", "script", "tuning")  # their model_id is what they produced
REPORT_RESULTS = ("analysis", "report", "html", "explanation", "evaluation")  # result keys naming report files
EXECUTION_KEYS = ("execution_arn", "pipeline_execution_arn")  # in a step job's config: the execution it belongs to
TRAINING_CONTRACTS = ("training", "builtin")  # a pipeline "container" job's contracts that train


def arn(resource: str) -> str:
    return f"arn:aws:sagemaker:{LOCAL_REGION}:{LOCAL_ACCOUNT}:{resource}"


def artifact_arn(artifact_type: str, identity: str) -> str:
    """SageMaker artifact ARNs end in a 32-hex id; ours is derived from the artifact's type and identity."""
    return arn("artifact/" + hashlib.md5(f"{artifact_type}|{identity}".encode()).hexdigest())


def artifact(artifact_type: str, identity: str, name: str, source_uri: str, **properties: str) -> Entity:
    return Entity(artifact_arn(artifact_type, identity), name[:120], "Artifact", artifact_type, source_uri,
                  {k: v for k, v in properties.items() if v})


def trial_component_arn(job_name: str, job_type: str) -> str:
    return arn(f"experiment-trial-component/{job_name}-aws-{TRIAL_COMPONENT_SUFFIX[job_type]}")


def model_package_arn(model_id: str) -> str:
    return arn(f"model-package/{model_id}")


def endpoint_arn(name: str) -> str:
    return arn(f"endpoint/{name}")


def endpoint_context_name(name: str, created_at: str) -> str:
    """SageMaker names an endpoint's context ``<endpoint>-<creation epoch>-aws-endpoint``: a recreated endpoint of
    the same name is a new context."""
    return f"{name}-{_epoch(created_at)}-aws-endpoint"


# -- entities other records point at ---------------------------------------------------------------------------

def table_version_artifact(database: str, table: str, version: str, location: str = "") -> Entity:
    return artifact(DATASET, f"table:{database}.{table}@{version}", f"{database}.{table} v{version}", location,
                    database=database, table=table, version=version)


def data_artifact(uri: str) -> Entity:
    return artifact(DATASET, uri, _short(uri), uri)


def model_data_artifact(job_name: str, source_uri: str = "") -> Entity:
    """What a job's training produced (keyed by the job: its job and its registration both name it)."""
    return artifact(MODEL_DATA, f"job:{job_name}", f"{job_name} model", source_uri, job=job_name)


def model_archive_artifact(uri: str) -> Entity:
    """A training job's ``…/<job>/output/model.tar.gz`` in S3 (or the lake)."""
    return artifact(MODEL_DATA, uri, "/".join(uri.rstrip("/").split("/")[-3:]), uri)


def model_package_artifact(model_id: str) -> Entity:
    return artifact(MODEL, model_package_arn(model_id), model_id, model_package_arn(model_id), model_id=model_id)


def job_entity(job_name: str, job_type: str, created_at: str = "") -> Entity:
    return Entity(trial_component_arn(job_name, job_type), job_name, "TrialComponent", job_type,
                  arn(f"{TRIAL_COMPONENT_SUFFIX[job_type]}/{job_name}"), {"job": job_name}, created_at)


def endpoint_context(name: str, created_at: str) -> Entity:
    context = endpoint_context_name(name, created_at)
    return Entity(arn(f"context/{context}"), context, "Context", ENDPOINT, endpoint_arn(name), {"endpoint": name},
                  created_at)


def pipeline_execution_context(execution_arn: str) -> Entity:
    execution = execution_arn.rsplit("/", 1)[-1]
    pipeline = execution_arn.split("pipeline/", 1)[-1].split("/", 1)[0]
    name = f"{pipeline}-{execution}"[:120]
    return Entity(arn(f"context/{name}"), name, "Context", PIPELINE_EXECUTION, execution_arn, {"pipeline": pipeline})


# -- records ---------------------------------------------------------------------------------------------------

def table_version_record(database: str, table: str, version: str, location: str) -> LineageRecord:
    return LineageRecord(entities=(table_version_artifact(database, table, version, location),))


def model_version_record(model_id: str, job_name: str, artifact_path: str, created_at: str = "") -> LineageRecord:
    package = model_package_artifact(model_id)
    group = model_id.rsplit("/", 1)[0]
    group_context = Entity(arn(f"context/{group}-model-group"), group, "Context", MODEL_GROUP,
                           arn(f"model-package-group/{group}"), {"group": group})
    entities = [package, group_context]
    links = [Association(package.arn, group_context.arn, "AssociatedWith", created_at)]
    if job_name:
        data = model_data_artifact(job_name, _file_uri(artifact_path))
        entities.insert(0, data)
        links.insert(0, Association(data.arn, package.arn, "DerivedFrom", created_at))
    return LineageRecord(tuple(entities), tuple(links))


def approval_record(model_id: str, status: str) -> LineageRecord:
    """A change of the model package's ModelApprovalStatus: an ``Approval`` action the package ContributedTo (one per
    package and status, so approving twice is one action)."""
    package = model_package_artifact(model_id)
    name = f"{model_id.replace('/', '-')}-{status}"[:120]
    action = Entity(arn(f"action/{name}"), name, "Action", APPROVAL, model_package_arn(model_id),
                    {"model_id": model_id, "ModelApprovalStatus": status})
    return LineageRecord((package, action), (Association(package.arn, action.arn, "ContributedTo"),))


def deploy_record(endpoint: str, created_at: str, model_ids: list[str], deployed_at: str = "") -> LineageRecord:
    """A deploy (``deployed_at`` empty: the endpoint's creation) or an update of the endpoint created at ``created_at``:
    one ModelDeployment action per deploy, all associated with the endpoint's one context."""
    context = endpoint_context(endpoint, created_at)
    action_name = f"{endpoint}-{_epoch(deployed_at or created_at)}-deployment"
    action = Entity(arn(f"action/{action_name}"), action_name, "Action", MODEL_DEPLOYMENT, endpoint_arn(endpoint),
                    {"endpoint": endpoint}, deployed_at or created_at)
    models = [model_package_artifact(m) for m in dict.fromkeys(model_ids)]
    links = [Association(m.arn, action.arn, "ContributedTo", created_at) for m in models]
    links.append(Association(action.arn, context.arn, "AssociatedWith", created_at))
    return LineageRecord((*models, action, context), tuple(links))


def monitoring_report_record(context: Entity, report_path: str, created_at: str = "") -> LineageRecord:
    report = artifact(REPORT, _file_uri(report_path), f"{context.properties.get('endpoint', context.name)} drift "
                      f"{Path(report_path).stem}", _file_uri(report_path))
    return LineageRecord((context, report), (Association(context.arn, report.arn, "Produced", created_at),))


@dataclass(frozen=True)
class FinishedJob:
    """What the job record needs of a finished job (``services.models.Job`` fields, kept plain here)."""

    name: str
    kind: str
    config: dict[str, Any]
    result: dict[str, Any]
    model_id: str = ""
    created_at: str = ""
    current_versions: dict[str, str] = field(default_factory=dict)  # "db.table" -> its latest recorded version
    table_locations: dict[str, str] = field(default_factory=dict)  # "db.table@version" -> location, when known

    def version_of(self, table: str, version: str = "") -> str:
        """``version`` when the config pinned one, else the table's latest recorded version ("" if none)."""
        return version or self.current_versions.get(table, "")


def tables_named(config: dict[str, Any], result: dict[str, Any]) -> list[str]:
    """Every ``database.table`` a job's config or result names (its sources and its output table)."""
    names = [str(s.get("table") or "") for s in _sources(config)]
    names.append(str(result.get("table") or config.get("output_table") or ""))
    return [n for n in dict.fromkeys(names) if "." in n]


def job_type(kind: str, config: dict[str, Any]) -> str:
    """The SageMaker job a job of ``kind`` is; a pipeline "container" job from its contract (or its request's shape)."""
    if kind == "container":
        request = _request(config)
        trains = config.get("contract") in TRAINING_CONTRACTS or "AlgorithmSpecification" in request
        return TRAINING_JOB if trains else PROCESSING_JOB
    return JOB_TYPES.get(kind, PROCESSING_JOB)


def job_record(job: FinishedJob) -> LineageRecord:
    """The job's trial component (or a pipeline execution's context), what went into it and what it produced."""
    if job.kind == "pipeline":
        execution = str(job.config.get("execution_arn") or "")
        return LineageRecord((pipeline_execution_context(execution),)) if execution else LineageRecord()
    if job.kind == "container" and job.config.get("contract") == "register":
        return registration_record(job)
    node = job_entity(job.name, job_type(job.kind, job.config), job.created_at)
    inputs = list(dict((e.arn, e) for e in job_inputs(job)).values())
    outputs = list(dict((e.arn, e) for e in job_outputs(job)).values())
    links = [Association(e.arn, node.arn, "ContributedTo", job.created_at) for e in inputs]
    links += [Association(node.arn, e.arn, "Produced", job.created_at) for e in outputs]
    entities = [node, *inputs, *outputs]
    execution = next((str(job.config[k]) for k in EXECUTION_KEYS if job.config.get(k)), "")
    if execution:
        context = pipeline_execution_context(execution)
        entities.append(context)
        links.append(Association(node.arn, context.arn, "AssociatedWith", job.created_at))
    return LineageRecord(tuple(entities), tuple(links))


def registration_record(job: FinishedJob) -> LineageRecord:
    """A pipeline's RegisterModel/Model step (a "container" job of contract "register"): the registered copy (what the
    registry's hook links to the model package) DerivedFrom the model.tar.gz the training step wrote."""
    url = str((job.config.get("register") or {}).get("model_data_url") or "")
    if not url:
        return LineageRecord()
    archive = model_archive_artifact(url)
    copy = model_data_artifact(job.name)
    return LineageRecord((archive, copy), (Association(archive.arn, copy.arn, "DerivedFrom", job.created_at),))


def job_inputs(job: FinishedJob) -> Iterator[Entity]:
    config = job.config
    for source in _sources(config):
        if source.get("table") or source.get("path"):
            yield _source_artifact(job, source)
    for path in dict(config.get("channels") or {}).values():
        yield data_artifact(_file_uri(str(path)))
    if config.get("source_dir"):
        code = str(Path(str(config["source_dir"])) / str(config.get("entry_point") or ""))
        yield artifact(CODE, _file_uri(code), Path(code).name or code, _file_uri(code))
    for uri in _request_uris(config, ("ProcessingInputs", "InputDataConfig", "TransformInput")):
        yield data_artifact(uri)
    for image in _images(config):
        yield artifact(IMAGE, image, image.rsplit("/", 1)[-1], image)
    if job.model_id and job.kind not in MODEL_MAKERS:
        yield model_package_artifact(job.model_id)


def job_outputs(job: FinishedJob) -> Iterator[Entity]:
    if job.model_id and (job.kind in MODEL_MAKERS or job.config.get("contract") in TRAINING_CONTRACTS):
        yield model_data_artifact(job.name)
    archive = str(job.result.get("model_artifacts") or "")  # a pipeline training step's model.tar.gz
    if archive:
        yield model_archive_artifact(archive)
    table = str(job.result.get("table") or job.config.get("output_table") or "")
    version = job.version_of(table)
    if "." in table and version:
        database, name = table.split(".", 1)
        yield table_version_artifact(database, name, version, job.table_locations.get(f"{table}@{version}", ""))
    for key in REPORT_RESULTS:
        value = job.result.get(key)
        if isinstance(value, str) and value:
            yield artifact(REPORT, _file_uri(value), f"{job.name} {Path(value).name}", _file_uri(value), job=job.name)
    for uri in _request_uris(job.config, ("ProcessingOutputConfig", "TransformOutput")):
        yield data_artifact(uri)


def _sources(config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every ``source`` (DataSource as a dict) of the config, a tuning job's base one included."""
    for holder in (config, config.get("base")):
        if isinstance(holder, dict) and isinstance(holder.get("source"), dict):
            yield holder["source"]


def _source_artifact(job: FinishedJob, source: dict[str, Any]) -> Entity:
    table, path = str(source.get("table") or ""), str(source.get("path") or "")
    if "." in table:
        database, name = table.split(".", 1)
        version = job.version_of(table, str(source.get("table_version") or "")) or "unknown"
        return table_version_artifact(database, name, version, job.table_locations.get(f"{table}@{version}", ""))
    return data_artifact(_file_uri(path) if path else "unknown")


def _request_uris(config: dict[str, Any], sections: tuple[str, ...]) -> Iterator[str]:
    """S3 URIs in a SageMaker request's input or output sections (CreateProcessingJob/CreateTrainingJob/…)."""
    request = _request(config)
    for section in sections:
        yield from _uris_in(request.get(section))


def _uris_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("S3Uri", "S3OutputPath") and isinstance(item, str) and item:
                yield item
            else:
                yield from _uris_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _uris_in(item)


def _request(config: dict[str, Any]) -> dict[str, Any]:
    """The SageMaker request a job runs: a pipeline container job's ``request``, else the config itself."""
    request = config.get("request")
    return request if isinstance(request, dict) else config


def _images(config: dict[str, Any]) -> Iterator[str]:
    request = _request(config)
    for section, key in (("AppSpecification", "ImageUri"), ("AlgorithmSpecification", "TrainingImage")):
        image = (request.get(section) or {}).get(key) if isinstance(request.get(section), dict) else None
        if isinstance(image, str) and image:
            yield image


def _file_uri(path: str) -> str:
    if not path or "://" in path:
        return path
    return Path(path).resolve().as_uri()


def _short(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1] or uri


def _epoch(created_at: str) -> int:
    try:
        return int(datetime.fromisoformat(created_at.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return 0
