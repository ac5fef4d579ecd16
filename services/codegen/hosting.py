"""Hosting and MLOps on AWS: deploy (``ModelBuilder``), invoke an endpoint, batch transform, Model Monitor
schedules and pipeline executions (SageMaker Python SDK 3.x)."""

from __future__ import annotations

from typing import Any

from services.codegen.literals import SESSION, model_name, py, read_data, slug
from services.models import DataSource
from services.monitoring.models import SCHEDULE_EXPRESSIONS

# the workbench's monitor types -> (Model Monitor class, extra lines before the schedule)
MONITORS = {
    "data-quality": "DefaultModelMonitor",
    "model-quality": "ModelQualityMonitor",
    "bias-drift": "ModelBiasMonitor",
    "feature-attribution-drift": "ModelExplainabilityMonitor",
}
CRON = {"hourly": "CronExpressionGenerator.hourly()", "daily": "CronExpressionGenerator.daily()"}


def deploy_code(endpoint: str, training_job: str, capture_percent: int = 100,
                instance_type: str = "ml.m5.large") -> str:
    """A real-time endpoint serving the model a training job produced, with data capture, as Endpoints → Deploy does."""
    return "\n".join([
        "from sagemaker.core.model_monitor import DataCaptureConfig",
        "from sagemaker.core.resources import TrainingJob",
        "from sagemaker.serve import ModelBuilder",
        "",
        SESSION,
        "",
        "builder = ModelBuilder(",
        f"    model=TrainingJob.get(training_job_name={py(training_job)}),",
        "    role_arn=role,",
        "    sagemaker_session=session,",
        ")",
        f"builder.build(model_name={py(slug(endpoint) + '-model')})",
        "endpoint = builder.deploy(",
        f"    endpoint_name={py(endpoint)},",
        "    initial_instance_count=1,",
        f"    instance_type={py(instance_type)},",
        "    data_capture_config=DataCaptureConfig(",
        f"        enable_capture={capture_percent > 0},",
        f"        sampling_percentage={max(capture_percent, 1)},",
        f'        destination_s3_uri=f"s3://{{bucket}}/workbench/capture/{slug(endpoint)}",',
        "    ),",
        ")",
    ])


def score_code(endpoint: str, payload: str | dict[str, Any]) -> str:
    """One request to a real-time endpoint (InvokeEndpoint with a JSON body), as the Score page sends it: a review
    (text) as ``{"instances": [text]}``, a record (column -> value) as ``{"instances": [record]}``."""
    return "\n".join([
        "import json",
        "",
        "from sagemaker.core.resources import Endpoint",
        "",
        f"endpoint = Endpoint.get(endpoint_name={py(endpoint)})",
        "response = endpoint.invoke(",
        f"    body=json.dumps({py({'instances': [payload]})}),",
        '    content_type="application/json",',
        '    accept="application/json",',
        ")",
        "print(json.loads(response.body.read()))",
    ])


def batch_transform_code(model_id: str, source: DataSource, output_table: str, sql: str = "") -> str:
    """A batch transform job scoring a table with a registered model, its output catalogued, as Score → Batch does."""
    folder = f"batch/{model_name(model_id)}"
    database, _, table = output_table.rpartition(".")
    return "\n".join([
        "import awswrangler as wr",
        "from sagemaker.core.transformer import Transformer",
        "",
        SESSION,
        "",
        read_data(source, sql),
        f'input_uri = f"s3://{{bucket}}/workbench/{folder}/input.csv"',
        "wr.s3.to_csv(df, input_uri, index=False, header=False)",
        "transformer = Transformer(",
        f"    model_name={py(model_name(model_id))},",
        "    instance_count=1,",
        '    instance_type="ml.m5.xlarge",',
        '    strategy="MultiRecord",',
        '    assemble_with="Line",',
        '    accept="text/csv",',
        f'    output_path=f"s3://{{bucket}}/workbench/{folder}/output",',
        "    sagemaker_session=session,",
        ")",
        'transformer.transform(input_uri, content_type="text/csv", split_type="Line", join_source="Input", wait=True)',
        "scored = wr.s3.read_csv(transformer.output_path, header=None)",
        "scored.columns = [*df.columns, 'prediction']",
        f"wr.s3.to_parquet(scored, path=f\"s3://{{bucket}}/workbench/{folder}/table/\", dataset=True, "
        f"database={py(database or 'results')}, table={py(table)}, mode=\"overwrite\")",
    ])


def monitoring_schedule_code(endpoint: str, monitor_type: str, every: str = "hourly", name: str = "") -> str:
    """A Model Monitor schedule on an endpoint's captured traffic, as Monitoring → Schedule does; ``every`` is
    hourly | daily or the schedule's cron expression."""
    monitor = MONITORS[monitor_type]
    named = {expression: key for key, expression in SCHEDULE_EXPRESSIONS.items()}.get(every, every)
    cron = CRON.get(named, py(every))
    schedule = name or f"{endpoint}-{monitor_type}"
    return "\n".join([
        f"from sagemaker.core.model_monitor import CronExpressionGenerator, {monitor}",
        "",
        SESSION,
        "",
        f'monitor = {monitor}(role=role, instance_count=1, instance_type="ml.m5.xlarge", sagemaker_session=session)',
        "# the baseline (statistics.json / constraints.json) comes from the training data:",
        "# monitor.suggest_baseline(...) for data quality; see the Model Monitor docs for the other types",
        "monitor.create_monitoring_schedule(",
        f"    endpoint_input={py(endpoint)},",
        f'    output_s3_uri=f"s3://{{bucket}}/workbench/monitoring/{slug(schedule)}",',
        f"    monitor_schedule_name={py(schedule)},",
        f"    schedule_cron_expression={cron},",
        ")",
    ])


def pipeline_code(name: str, parameters: dict[str, Any] | None = None, display_name: str = "") -> str:
    """Start an execution of a SageMaker pipeline with the form's parameters, as the Pipelines page does."""
    return "\n".join([
        "from sagemaker.mlops.workflow.pipeline import Pipeline",
        "",
        SESSION,
        "",
        f"pipeline = Pipeline(name={py(name)}, sagemaker_session=session)",
        "execution = pipeline.start(",
        f"    parameters={py(dict(parameters or {}))},",
        f"    execution_display_name={py(display_name or None)},",
        ")",
        "execution.wait()",
        "print(execution.list_steps())",
    ])
