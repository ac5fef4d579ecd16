"""SageMaker Model Monitor for the aws monitoring adapter: the images, the job-definition and schedule requests for
the four monitor types, and the three report files read back from an execution's S3 output.

Shapes are SageMaker's: ``Create{DataQuality,ModelQuality,ModelBias,ModelExplainability}JobDefinition`` (one
prefix per type: ``<Prefix>AppSpecification``, ``<Prefix>JobInput``, ``<Prefix>JobOutputConfig``,
``<Prefix>BaselineConfig``), ``CreateMonitoringSchedule`` naming the definition, and the files Model Monitor
writes: ``statistics.json``, ``constraints.json``, ``constraint_violations.json``. The two Clarify monitors read an
``analysis_config.json`` from S3 (``ConfigUri``) in the layout of the SageMaker SDK's ``BiasAnalysisConfig`` /
``ExplainabilityAnalysisConfig``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.errors import InvalidInput
from services.models import ModelRecord
from services.monitoring.models import MonitorConfig

# image -> (repository, tag, {region: ECR account}); from the SageMaker SDK's image_uri_config
# (model-monitor.json and clarify.json "processing" 1.0).
MONITOR_IMAGES: dict[str, tuple[str, str, dict[str, str]]] = {
    "model-monitor": ("sagemaker-model-monitor-analyzer", "latest", {
        "af-south-1": "875698925577", "ap-east-1": "001633400207", "ap-northeast-1": "574779866223",
        "ap-northeast-2": "709848358524", "ap-northeast-3": "990339680094", "ap-south-1": "126357580389",
        "ap-southeast-1": "245545462676", "ap-southeast-2": "563025443158", "ap-southeast-3": "669540362728",
        "ca-central-1": "536280801234", "cn-north-1": "453000072557", "cn-northwest-1": "453252182341",
        "eu-central-1": "048819808253", "eu-central-2": "590183933784", "eu-north-1": "895015795356",
        "eu-south-1": "933208885752", "eu-south-2": "437450045455", "eu-west-1": "468650794304",
        "eu-west-2": "749857270468", "eu-west-3": "680080141114", "il-central-1": "843974653677",
        "me-central-1": "588750061953", "me-south-1": "607024016150", "sa-east-1": "539772159869",
        "us-east-1": "156813124566", "us-east-2": "777275614652", "us-west-1": "890145073186",
        "us-west-2": "159807026194"}),
    "clarify": ("sagemaker-clarify-processing", "1.0", {
        "af-south-1": "811711786498", "ap-east-1": "098760798382", "ap-northeast-1": "377024640650",
        "ap-northeast-2": "263625296855", "ap-northeast-3": "912233562940", "ap-south-1": "452307495513",
        "ap-southeast-1": "834264404009", "ap-southeast-2": "007051062584", "ap-southeast-3": "705930551576",
        "ca-central-1": "675030665977", "cn-north-1": "122526803553", "cn-northwest-1": "122578899357",
        "eu-central-1": "017069133835", "eu-central-2": "730335477804", "eu-north-1": "763603941244",
        "eu-south-1": "638885417683", "eu-west-1": "131013547314", "eu-west-2": "440796970383",
        "eu-west-3": "341593696636", "me-south-1": "835444307964", "sa-east-1": "520018980103",
        "us-east-1": "205585389593", "us-east-2": "211330385671", "us-gov-west-1": "598674086554",
        "us-west-1": "740489534195", "us-west-2": "306415355426"}),
}
IMAGE_OF_TYPE = {"data-quality": "model-monitor", "model-quality": "model-monitor", "bias-drift": "clarify",
                 "feature-attribution-drift": "clarify"}
# monitor type -> (the boto3 method creating its job definition, SageMaker's prefix of its request fields)
DEFINITION_CALLS = {
    "data-quality": ("create_data_quality_job_definition", "DataQuality"),
    "model-quality": ("create_model_quality_job_definition", "ModelQuality"),
    "bias-drift": ("create_model_bias_job_definition", "ModelBias"),
    "feature-attribution-drift": ("create_model_explainability_job_definition", "ModelExplainability"),
}
DELETE_DEFINITION_CALLS = {
    "DataQuality": "delete_data_quality_job_definition", "ModelQuality": "delete_model_quality_job_definition",
    "ModelBias": "delete_model_bias_job_definition", "ModelExplainability": "delete_model_explainability_job_definition",
}
REPORT_FILES = ("statistics.json", "constraints.json", "constraint_violations.json")
LOCAL_INPUT = "/opt/ml/processing/input/endpoint"
LOCAL_GROUND_TRUTH = "/opt/ml/processing/groundtruth"  # where SageMaker mounts GroundTruthS3Input
LOCAL_OUTPUT = "/opt/ml/processing/output"
# Our endpoints answer JSON {"predictions": [{"predicted_label", "probability"}]} (see the capture view).
INFERENCE_ATTRIBUTE = "predictions[0].predicted_label"
PROBABILITY_ATTRIBUTE = "predictions[0].probability"
VOLUME_GB = 30
MAX_RUNTIME_SECONDS = 3600  # an hourly schedule's job must end within the hour


def image_uri(image: str, region: str) -> str:
    """The ECR image of ``image`` (``MONITOR_IMAGES``) in ``region``; ``InvalidInput`` where SageMaker has none."""
    repository, tag, accounts = MONITOR_IMAGES[image]
    account = accounts.get(region)
    if account is None:
        raise InvalidInput(f"SageMaker offers no {repository} image in {region}.",
                           hint=f"Use a region that has it, e.g. {', '.join(sorted(accounts)[:4])}.")
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{account}.dkr.ecr.{region}.{domain}/{repository}:{tag}"


@dataclass(frozen=True)
class DefinitionPlan:
    """Everything one job definition says; built by the adapter, turned into SageMaker's request here."""

    monitor_type: str
    name: str  # JobDefinitionName (the schedule's name)
    endpoint: str
    image_uri: str
    role: str
    instance_type: str
    output_uri: str  # s3://… where executions write their three files
    problem_type: str = ""  # model quality
    ground_truth_uri: str = ""  # model quality, bias drift
    config_uri: str = ""  # bias drift, feature attribution drift: analysis_config.json
    constraints_uri: str = ""  # the baseline's constraints.json, when the model has one
    statistics_uri: str = ""  # data quality: the baseline's statistics.json


def definition_request(plan: DefinitionPlan) -> tuple[str, dict[str, Any]]:
    """(boto3 method, keyword arguments) creating ``plan``'s job definition, as SageMaker requires them."""
    method, prefix = DEFINITION_CALLS[plan.monitor_type]
    request: dict[str, Any] = {
        "JobDefinitionName": plan.name,
        f"{prefix}AppSpecification": _app_specification(plan),
        f"{prefix}JobInput": _job_input(plan),
        f"{prefix}JobOutputConfig": {"MonitoringOutputs": [{"S3Output": {
            "S3Uri": plan.output_uri, "LocalPath": LOCAL_OUTPUT, "S3UploadMode": "EndOfJob"}}]},
        "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": plan.instance_type,
                                           "VolumeSizeInGB": VOLUME_GB}},
        "RoleArn": plan.role,
        "StoppingCondition": {"MaxRuntimeInSeconds": MAX_RUNTIME_SECONDS},
    }
    baseline = _baseline_config(plan)
    if baseline:
        request[f"{prefix}BaselineConfig"] = baseline
    return method, request


def _app_specification(plan: DefinitionPlan) -> dict[str, Any]:
    spec: dict[str, Any] = {"ImageUri": plan.image_uri}
    if plan.monitor_type == "model-quality":
        spec["ProblemType"] = plan.problem_type
    if plan.monitor_type in ("bias-drift", "feature-attribution-drift"):
        spec["ConfigUri"] = plan.config_uri
    return spec


def _job_input(plan: DefinitionPlan) -> dict[str, Any]:
    endpoint: dict[str, Any] = {"EndpointName": plan.endpoint, "LocalPath": LOCAL_INPUT, "S3InputMode": "File",
                                "S3DataDistributionType": "FullyReplicated"}
    if plan.monitor_type in ("model-quality", "bias-drift"):
        endpoint["InferenceAttribute"] = INFERENCE_ATTRIBUTE
        if plan.problem_type != "Regression":
            endpoint["ProbabilityAttribute"] = PROBABILITY_ATTRIBUTE
        return {"EndpointInput": endpoint, "GroundTruthS3Input": {"S3Uri": plan.ground_truth_uri}}
    return {"EndpointInput": endpoint}


def _baseline_config(plan: DefinitionPlan) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if plan.constraints_uri:
        config["ConstraintsResource"] = {"S3Uri": plan.constraints_uri}
    if plan.statistics_uri and plan.monitor_type == "data-quality":
        config["StatisticsResource"] = {"S3Uri": plan.statistics_uri}
    return config


def schedule_request(name: str, monitoring_type: str, expression: str, endpoint: str) -> dict[str, Any]:
    """CreateMonitoringSchedule's arguments for a schedule running the job definition of the same name."""
    return {"MonitoringScheduleName": name,
            "MonitoringScheduleConfig": {"ScheduleConfig": {"ScheduleExpression": expression},
                                         "MonitoringJobDefinitionName": name, "MonitoringType": monitoring_type},
            "Tags": [{"Key": "workbench:endpoint", "Value": endpoint}]}


# -- Clarify analysis configs ---------------------------------------------------------------------------------


def bias_analysis_config(model: ModelRecord, config: MonitorConfig) -> dict[str, Any]:
    """``BiasAnalysisConfig``: the facet and its sensitive values, the favourable label (the model's last class,
    e.g. "positive" or "5"), post-training metrics; the label is the ground truth SageMaker merges in."""
    if not config.facet:
        raise InvalidInput("A bias-drift monitor needs a facet: the request column whose groups are compared.",
                           hint=f"Pick one of {', '.join(c.name for c in model.input_schema) or 'the request columns'}.")
    if config.facet not in {c.name for c in model.input_schema}:
        raise InvalidInput(f"{config.facet!r} is not a column of the requests model {model.model_id} reads.",
                           hint=f"Pick one of {', '.join(c.name for c in model.input_schema)}.")
    facet: dict[str, Any] = {"name_or_index": config.facet}
    if config.facet_values:
        facet["value_or_threshold"] = list(config.facet_values)
    favourable = [model.classes[-1]] if model.classes else [1]
    return {"version": "1.0", "headers": [c.name for c in model.input_schema], "label": "label",
            "label_values_or_threshold": favourable, "facet": [facet],
            "methods": {"post_training_bias": {"methods": "all"}}}


def explainability_analysis_config(model: ModelRecord, model_name: str, config: MonitorConfig,
                                   instance_type: str) -> dict[str, Any]:
    """``ExplainabilityAnalysisConfig``: Kernel SHAP over ``sample_size`` samples on a shadow copy of the model."""
    predictor: dict[str, Any] = {"model_name": model_name, "instance_type": instance_type,
                                 "initial_instance_count": 1, "content_type": "text/csv", "accept_type": "text/csv"}
    if model.classes:
        predictor["label_headers"] = list(model.classes)
    return {"version": "1.0", "headers": [c.name for c in model.input_schema], "predictor": predictor,
            "methods": {"shap": {"num_samples": max(1, config.sample_size), "agg_method": "mean_abs",
                                 "use_logit": False, "save_local_shap_values": False}}}


# -- reading executions back ------------------------------------------------------------------------------------


def violations_of(document: dict[str, Any]) -> list[dict[str, str]]:
    """``constraint_violations.json``'s entries as ``{feature_name, constraint_check_type, description}`` (model
    quality names the metric in ``metric_name`` instead of ``feature_name``)."""
    entries = document.get("violations", []) if isinstance(document, dict) else []
    return [{"feature_name": str(e.get("feature_name") or e.get("metric_name", "")),
             "constraint_check_type": str(e.get("constraint_check_type", "")),
             "description": str(e.get("description", ""))} for e in entries if isinstance(e, dict)]


def item_count(statistics: dict[str, Any]) -> int:
    """``dataset.item_count`` (model quality, data quality) — 0 when the file has none."""
    dataset = statistics.get("dataset", {}) if isinstance(statistics, dict) else {}
    count = dataset.get("item_count", 0) if isinstance(dataset, dict) else 0
    return int(count) if isinstance(count, int | float) else 0


def processing_job_name(arn: str) -> str:
    """``arn:aws:sagemaker:…:processing-job/NAME`` → NAME."""
    return arn.rsplit("/", 1)[-1]


def output_uri(processing_job: dict[str, Any]) -> str:
    """Where a monitoring execution's processing job wrote its files (its first output)."""
    outputs = processing_job.get("ProcessingOutputConfig", {}).get("Outputs", [])
    return str(outputs[0]["S3Output"]["S3Uri"]).rstrip("/") if outputs else ""


def metric_values(statistics: dict[str, Any]) -> dict[str, float]:
    """The metrics of a model-quality ``statistics.json`` (``<kind>_metrics: {name: {"value", …}}``) by name."""
    values: dict[str, float] = {}
    for key, block in statistics.items():
        if key.endswith("_metrics") and isinstance(block, dict):
            values |= {name: float(metric["value"]) for name, metric in block.items()
                       if isinstance(metric, dict) and isinstance(metric.get("value"), int | float)}
    return values


def trend_row(created_at: str, items: int, statistics: dict[str, Any]) -> dict[str, Any]:
    """One execution as a trend row: its hour, its item count and its metrics."""
    return {"hour": created_at[:13], "items": items, **metric_values(statistics)}
