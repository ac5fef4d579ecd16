"""The aws monitoring adapter: job definitions in moto (which implements them), the schedule calls moto lacks answered
in botocore's output shapes (tests/helpers/aws_monitoring.py), reports read back from a (moto) processing job's S3
output in Model Monitor's files, and AWS errors translated."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import boto3
import pandas as pd
import pytest
from moto import mock_aws

from services.aws.model_monitor import image_uri
from services.errors import AlreadyExists, BackendUnavailable, InvalidInput, NotFound
from services.models import Job
from services.monitoring.aws import AwsMonitoring
from services.monitoring.data_quality_files import dataset_statistics, suggested_constraints
from services.monitoring.models import MonitorConfig, ScheduleRequest
from tests.helpers.aws import BUCKET, REGION, aws_settings, create_lake_bucket, fake_aws_credentials
from tests.helpers.aws_endpoints import ROLE, register_model
from tests.helpers.aws_monitoring import (
    ScheduleBook,
    athena_over_glue,
    data_quality_files,
    model_quality_files,
    monitored_endpoint,
    put_execution_report,
)
from tests.helpers.dashboard import register_aws_versions
from tests.helpers.moto_gaps import fail_calls


@pytest.fixture
def book(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[ScheduleBook]:
    fake_aws_credentials(monkeypatch, tmp_path)
    with mock_aws():
        create_lake_bucket()
        yield ScheduleBook().install(monkeypatch)


@pytest.fixture
def monitoring(book: ScheduleBook, tmp_path: Path) -> AwsMonitoring:
    """The adapter with a labels port that is never asked here (overview asks it; see the contract tests)."""
    from services.registry import build_services

    settings = replace(aws_settings(tmp_path / "workspace"), sagemaker_role=ROLE)
    services = build_services(settings)
    monitored_endpoint("live")
    return services.monitoring  # type: ignore[return-value]


def _s3_json(key: str) -> dict:
    return json.loads(boto3.client("s3", region_name=REGION).get_object(Bucket=BUCKET, Key=key)["Body"].read())


def test_image_uris_are_the_regions_model_monitor_and_clarify_images() -> None:
    assert image_uri("model-monitor", "us-east-1") == \
        "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer:latest"
    assert image_uri("clarify", "eu-west-1") == "131013547314.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-clarify-processing:1.0"
    assert image_uri("model-monitor", "cn-north-1").endswith(".amazonaws.com.cn/sagemaker-model-monitor-analyzer:latest")
    with pytest.raises(InvalidInput, match="no sagemaker-clarify-processing image in mars-1"):
        image_uri("clarify", "mars-1")


def test_model_quality_schedule_creates_its_job_definition_with_ground_truth_first(monitoring: AwsMonitoring,
                                                                                  book: ScheduleBook) -> None:
    schedule = monitoring.create_schedule(ScheduleRequest("live", "model-quality", "daily"))

    assert (schedule.name, schedule.monitoring_type, schedule.schedule_expression, schedule.status) == \
        ("live-model-quality", "ModelQuality", "cron(0 0 ? * * *)", "Scheduled")
    definition = boto3.client("sagemaker", region_name=REGION).describe_model_quality_job_definition(
        JobDefinitionName="live-model-quality")
    assert definition["ModelQualityAppSpecification"]["ProblemType"] == "MulticlassClassification"
    assert definition["ModelQualityAppSpecification"]["ImageUri"].endswith("sagemaker-model-monitor-analyzer:latest")
    assert definition["ModelQualityJobInput"]["GroundTruthS3Input"] == {"S3Uri": f"s3://{BUCKET}/ground-truth/live/"}
    assert definition["ModelQualityJobInput"]["EndpointInput"]["EndpointName"] == "live"
    assert definition["RoleArn"] == ROLE
    config = book.calls_of("CreateMonitoringSchedule")[0]["MonitoringScheduleConfig"]
    assert config == {"ScheduleConfig": {"ScheduleExpression": "cron(0 0 ? * * *)"},
                      "MonitoringJobDefinitionName": "live-model-quality", "MonitoringType": "ModelQuality"}


def test_bias_drift_writes_its_clarify_analysis_config_before_the_definition(monitoring: AwsMonitoring) -> None:
    config = MonitorConfig(facet="division_name", facet_values=("Petite",))
    monitoring.create_schedule(ScheduleRequest("live", "bias-drift", config=config))

    definition = boto3.client("sagemaker", region_name=REGION).describe_model_bias_job_definition(
        JobDefinitionName="live-bias-drift")
    spec = definition["ModelBiasAppSpecification"]
    assert spec["ImageUri"] == "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"
    assert spec["ConfigUri"] == f"s3://{BUCKET}/monitoring/live-bias-drift/analysis_config.json"
    analysis = _s3_json("monitoring/live-bias-drift/analysis_config.json")
    assert analysis["facet"] == [{"name_or_index": "division_name", "value_or_threshold": ["Petite"]}]
    assert analysis["label_values_or_threshold"] == ["positive"]
    assert analysis["methods"] == {"post_training_bias": {"methods": "all"}}
    assert definition["ModelBiasJobInput"]["GroundTruthS3Input"]["S3Uri"] == f"s3://{BUCKET}/ground-truth/live/"
    assert monitoring.describe_schedule("live-bias-drift").config.facet_values == ("Petite",)


def test_feature_attribution_drift_uses_kernel_shap_on_a_shadow_copy_of_the_model(monitoring: AwsMonitoring) -> None:
    monitoring.create_schedule(ScheduleRequest("live", "feature-attribution-drift", config=MonitorConfig(sample_size=50)))

    analysis = _s3_json("monitoring/live-feature-attribution-drift/analysis_config.json")
    assert analysis["methods"]["shap"]["num_samples"] == 50
    assert analysis["predictor"]["model_name"] == "sentiment-v1"
    assert analysis["predictor"]["label_headers"] == ["negative", "neutral", "positive"]
    boto3.client("sagemaker", region_name=REGION).describe_model(ModelName="sentiment-v1")


def test_data_quality_is_baselined_with_the_models_model_monitor_baseline_when_s3_has_it(monitoring: AwsMonitoring) -> None:
    """Only Model Monitor's layout (``baseline/data-quality/``, as a baselining job writes it) is handed to the analyzer;
    the drift reports' baseline in the workbench's layout beside it is not."""
    s3 = boto3.client("s3", region_name=REGION)
    files = data_quality_files()
    for name in ("statistics.json", "constraints.json"):
        s3.put_object(Bucket=BUCKET, Key=f"models/sentiment/1/baseline/{name}", Body=b"{}")
    monitoring.create_schedule(ScheduleRequest("live", "data-quality", name="live-dq-workbench-layout"))
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    assert not sagemaker.describe_data_quality_job_definition(
        JobDefinitionName="live-dq-workbench-layout").get("DataQualityBaselineConfig")  # moto answers {} for none sent
    for name in ("statistics.json", "constraints.json"):
        s3.put_object(Bucket=BUCKET, Key=f"models/sentiment/1/baseline/data-quality/{name}", Body=json.dumps(files[name]).encode())
    monitoring.create_schedule(ScheduleRequest("live", "data-quality"))

    definition = sagemaker.describe_data_quality_job_definition(JobDefinitionName="live-data-quality")
    assert definition["DataQualityBaselineConfig"] == {
        "ConstraintsResource": {"S3Uri": f"s3://{BUCKET}/models/sentiment/1/baseline/data-quality/constraints.json"},
        "StatisticsResource": {"S3Uri": f"s3://{BUCKET}/models/sentiment/1/baseline/data-quality/statistics.json"}}


def training_rows() -> pd.DataFrame:
    """A model's training table: 120 labelled rows (and 3 without a rating, which a baseline leaves out)."""
    rows = pd.DataFrame({"division_name": [("General", "Petite", "Intimates")[i % 3] for i in range(123)],
                         "age": [20 + (i * 7) % 50 for i in range(123)],
                         "rating": [None if i >= 120 else 1 + i % 5 for i in range(123)]})
    return rows.astype({"rating": "Int64"})


def test_a_data_quality_schedule_uploads_the_baseline_computed_from_the_training_table(
        monitoring: AwsMonitoring, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No baseline in S3 yet: statistics.json and constraints.json (Model Monitor's layout, the local monitor's code)
    are computed from the table the model's training job read (through Athena), uploaded under the model's
    ``baseline/data-quality/`` and named by the definition's BaselineConfig."""
    job = "training-250101-000000-dq01"
    index = monitoring.jobs.index  # type: ignore[attr-defined]
    index.add(job, "training", {"source": {"table": "demo.trained", "path": "", "table_version": "1"}, "target": "rating"})
    index.save(Job(job, "training", "Completed", "Completed", "2025-01-01T00:00:00+00:00"), settled=True)
    frame = training_rows()
    frame.to_csv(tmp_path / "trained.csv", index=False)
    monitoring.catalog.import_path(tmp_path / "trained.csv", "demo", "trained")  # type: ignore[attr-defined]
    monitored_endpoint("trained", model_id=register_model("trained", job=job))
    with athena_over_glue(monkeypatch) as sent:
        monitoring.create_schedule(ScheduleRequest("trained", "data-quality"))

    assert len(sent) == 1 and '"rating" IS NOT NULL' in sent[0]
    prefix = "models/trained/1/baseline/data-quality/"
    statistics, constraints = _s3_json(prefix + "statistics.json"), _s3_json(prefix + "constraints.json")
    labelled = frame[frame["rating"].notna()]
    expected = dataset_statistics(labelled, ["division_name", "age"])
    assert statistics["version"] == 0.0 and statistics["dataset"] == {"item_count": 120}
    division, age = statistics["features"]
    assert division == expected["features"][0]  # categorical counts do not depend on row order
    assert (age["name"], age["inferred_type"]) == ("age", "Integral")
    assert age["numerical_statistics"]["common"] == {"num_present": 120, "num_missing": 0}
    assert age["numerical_statistics"]["mean"] == pytest.approx(labelled["age"].mean())
    assert age["numerical_statistics"]["distribution"]["kll"]["sketch"]["data"] == [sorted(float(a) for a in labelled["age"])]
    assert constraints == suggested_constraints(statistics)
    assert constraints["features"][0]["string_constraints"] == {"domains": ["General", "Intimates", "Petite"]}
    assert constraints["monitoring_config"]["distribution_constraints"]["comparison_method"] == "Robust"
    definition = boto3.client("sagemaker", region_name=REGION).describe_data_quality_job_definition(
        JobDefinitionName="trained-data-quality")
    assert definition["DataQualityBaselineConfig"] == {
        "ConstraintsResource": {"S3Uri": f"s3://{BUCKET}/{prefix}constraints.json"},
        "StatisticsResource": {"S3Uri": f"s3://{BUCKET}/{prefix}statistics.json"}}
    with athena_over_glue(monkeypatch) as again:
        monitoring.create_schedule(ScheduleRequest("trained", "data-quality", name="trained-dq-2"))
    assert again == []  # the uploaded baseline is reused, not computed again


def test_a_model_quality_schedule_is_baselined_with_model_monitors_constraints_from_the_test_metrics(
        monitoring: AwsMonitoring) -> None:
    """SageMaker's final metrics (test over validation) and the tolerance give Model Monitor's model-quality
    constraints.json, uploaded beside the schedule and named by the definition; the workbench-layout
    ``baseline/constraints.json`` is not handed to the analyzer."""
    register_aws_versions("scored", 1, {"validation:accuracy": 0.9, "test:accuracy": 0.86, "test:f1_weighted": 0.84,
                                        "test:f1_macro": 0.8})
    monitored_endpoint("scored", model_id="scored/1")
    boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key="models/scored/1/baseline/constraints.json",
                                                      Body=b"{}")
    monitoring.create_schedule(ScheduleRequest("scored", "model-quality", config=MonitorConfig(tolerance=0.1)))

    key = "monitoring/scored-model-quality/baseline/constraints.json"
    assert _s3_json(key) == {"version": 0.0, "multiclass_classification_constraints": {
        "accuracy": {"threshold": pytest.approx(0.76), "comparison_operator": "LessThanThreshold"},
        "weighted_f1": {"threshold": pytest.approx(0.74), "comparison_operator": "LessThanThreshold"}}}
    definition = boto3.client("sagemaker", region_name=REGION).describe_model_quality_job_definition(
        JobDefinitionName="scored-model-quality")
    assert definition["ModelQualityBaselineConfig"] == {"ConstraintsResource": {"S3Uri": f"s3://{BUCKET}/{key}"}}


def test_schedules_are_listed_across_pages_newest_first_and_deleted_with_their_definition(
        monitoring: AwsMonitoring, book: ScheduleBook) -> None:
    for monitor_type in ("data-quality", "model-quality", "bias-drift"):
        config = MonitorConfig(facet="division_name")
        monitoring.create_schedule(ScheduleRequest("live", monitor_type, config=config))

    assert [s.name for s in monitoring.list_schedules("live")] == \
        ["live-bias-drift", "live-model-quality", "live-data-quality"]
    assert len(book.calls_of("ListMonitoringSchedules")) == 2  # pages of two
    monitoring.delete_schedule("live-model-quality")
    assert [s.monitor_type for s in monitoring.list_schedules()] == ["bias-drift", "data-quality"]
    with pytest.raises(Exception, match="(?i)could not find|not found|does not exist"):
        boto3.client("sagemaker", region_name=REGION).describe_model_quality_job_definition(
            JobDefinitionName="live-model-quality")
    with pytest.raises(NotFound, match="No monitoring schedule named 'live-model-quality'"):
        monitoring.describe_schedule("live-model-quality")


def test_refusals_before_anything_is_created(monitoring: AwsMonitoring, book: ScheduleBook, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="Unknown monitor type"):
        monitoring.create_schedule(ScheduleRequest("live", "accuracy"))
    with pytest.raises(InvalidInput, match="Unknown frequency"):
        monitoring.create_schedule(ScheduleRequest("live", "data-quality", "weekly"))
    with pytest.raises(NotFound, match="No SageMaker endpoint named 'gone'"):
        monitoring.create_schedule(ScheduleRequest("gone", "data-quality"))
    with pytest.raises(InvalidInput, match="needs a facet"):
        monitoring.create_schedule(ScheduleRequest("live", "bias-drift"))
    monitoring.create_schedule(ScheduleRequest("live", "data-quality"))
    with pytest.raises(AlreadyExists, match="exists already"):
        monitoring.create_schedule(ScheduleRequest("live", "data-quality"))
    assert len(book.calls_of("CreateMonitoringSchedule")) == 1
    no_role = AwsMonitoring(monitoring.session, replace(monitoring.settings, sagemaker_role=None),
                            endpoints=monitoring.endpoints, labels=monitoring.labels, catalog=monitoring.catalog,
                            storage=monitoring.storage, query=monitoring.query, jobs=monitoring.jobs)
    with pytest.raises(BackendUnavailable, match="No IAM role"):
        no_role.create_schedule(ScheduleRequest("live", "model-quality"))


def test_a_failed_schedule_call_removes_the_job_definition_it_created(monitoring: AwsMonitoring,
                                                                       book: ScheduleBook) -> None:
    book.fail("CreateMonitoringSchedule", "ResourceLimitExceeded",
              "The account-level service limit 'Number of monitoring schedules' is 5")
    with pytest.raises(BackendUnavailable, match="limit"):
        monitoring.create_schedule(ScheduleRequest("live", "data-quality"))
    definitions = boto3.client("sagemaker", region_name=REGION).list_data_quality_job_definitions()
    assert definitions["JobDefinitionSummaries"] == []


@pytest.mark.parametrize(("code", "error"), [("AccessDeniedException", BackendUnavailable),
                                             ("ThrottlingException", BackendUnavailable),
                                             ("ValidationException", InvalidInput)])
def test_aws_errors_are_translated(monitoring: AwsMonitoring, book: ScheduleBook, monkeypatch: pytest.MonkeyPatch,
                                   code: str, error: type[Exception]) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # botocore would retry throttling with back-off
    book.fail("ListMonitoringSchedules", code, "refused")
    with pytest.raises(error, match="ListMonitoringSchedules: refused"):
        _fresh(monitoring).list_schedules("live")


def test_access_denied_on_a_job_definition_is_translated(monitoring: AwsMonitoring, monkeypatch: pytest.MonkeyPatch) -> None:
    fail_calls(monkeypatch, "sagemaker", "CreateModelQualityJobDefinition", "AccessDeniedException",
               "User is not authorized to perform: sagemaker:CreateModelQualityJobDefinition")
    with pytest.raises(BackendUnavailable, match="not authorized") as refused:
        _fresh(monitoring).create_schedule(ScheduleRequest("live", "model-quality"))
    assert "credentials" in refused.value.hint


def test_reports_are_read_from_the_newest_finished_executions_processing_output(monitoring: AwsMonitoring,
                                                                               book: ScheduleBook) -> None:
    monitoring.create_schedule(ScheduleRequest("live", "model-quality"))
    old = put_execution_report("mq-0900", model_quality_files(accuracy=0.9))
    new = put_execution_report("mq-1000", model_quality_files(accuracy=0.7, violated=True))
    book.add_execution("live-model-quality", "Completed", old, hours_ago=1)
    book.add_execution("live-model-quality", "CompletedWithViolations", new)
    book.add_execution("live-model-quality", "InProgress", hours_ago=-1)

    report = monitoring.latest_report("live", "model-quality")

    assert report is not None
    assert (report.status, report.item_count, report.schedule_name) == ("CompletedWithViolations", 120, "live-model-quality")
    assert report.statistics["multiclass_classification_metrics"]["accuracy"]["value"] == 0.7
    assert report.constraints["multiclass_classification_constraints"]["accuracy"]["threshold"] == 0.85
    assert [(v.feature_name, v.constraint_check_type) for v in report.violations] == [("accuracy", "LessThanThreshold")]
    [entry] = json.loads(report.files()["constraint_violations.json"])["violations"]  # as Model Monitor wrote it
    assert (entry["metric_name"], entry["description"]) == ("accuracy", "Metric accuracy with 0.7 +/- 0.01 was LessThanThreshold '0.85'")
    executions = monitoring.list_executions("live-model-quality", limit=2)
    assert [e.status for e in executions] == ["InProgress", "CompletedWithViolations"]
    assert executions[1].report_uri == f"s3://{BUCKET}/monitoring/reports/mq-1000"
    assert [(row["hour"], row["items"], row["accuracy"]) for row in report.trend] == \
        [("2025-01-01T09", 120, 0.9), ("2025-01-01T10", 120, 0.7)]
    assert monitoring.run_monitor("live", "model-quality").statistics == report.statistics


def test_a_failed_execution_is_a_failed_report_with_its_reason(monitoring: AwsMonitoring, book: ScheduleBook) -> None:
    monitoring.create_schedule(ScheduleRequest("live", "data-quality"))
    book.add_execution("live-data-quality", "Failed", failure_reason="No captured data in the last hour")

    report = monitoring.latest_report("live", "data-quality")

    assert report is not None
    assert (report.status, report.failure_reason, report.statistics) == ("Failed", "No captured data in the last hour", {})


def test_run_monitor_points_to_schedules_and_says_when_one_has_not_run(monitoring: AwsMonitoring) -> None:
    with pytest.raises(InvalidInput, match="on schedules only") as refused:
        monitoring.run_monitor("live", "data-quality")
    assert "Create a data-quality schedule" in refused.value.hint
    monitoring.create_schedule(ScheduleRequest("live", "data-quality"))
    report = monitoring.run_monitor("live", "data-quality")
    assert (report.status, report.failure_reason) == ("Failed", "Schedule live-data-quality has not run yet.")
    assert monitoring.latest_report("live", "data-quality") is None
    assert monitoring.run_due() == []


def test_overview_has_four_tiles_from_the_last_executions(monitoring: AwsMonitoring, book: ScheduleBook) -> None:
    monitoring.create_schedule(ScheduleRequest("live", "data-quality"))
    monitoring.create_schedule(ScheduleRequest("live", "model-quality"))
    book.add_execution("live-data-quality", "CompletedWithViolations", put_execution_report("dq", data_quality_files()))
    book.add_execution("live-model-quality", "Completed", put_execution_report("mq", model_quality_files(0.88)))

    tiles = {t.monitor_type: t for t in monitoring.overview("live").tiles}

    assert [t.status for t in tiles.values()] == ["Violations", "OK", "Not scheduled", "Not scheduled"]
    assert tiles["data-quality"].violations == 1
    assert tiles["model-quality"].headline == "accuracy 0.88 on 120 labelled predictions"
    assert tiles["model-quality"].last_run_at.startswith("2025-01-01T10:00")


def test_a_regression_models_tile_shows_its_rmse(monitoring: AwsMonitoring, book: ScheduleBook) -> None:
    monitored_endpoint("prices", model_id=register_model("prices", classes=[]))  # no classes: a regression
    monitoring.create_schedule(ScheduleRequest("prices", "model-quality"))
    metric = lambda value: {"value": value, "standard_deviation": "NaN"}  # noqa: E731
    statistics = {"version": 0.0, "dataset": {"item_count": 80, "evaluation_time": "2025-01-01T10:05:00.000Z"},
                  "regression_metrics": {"mae": metric(0.37), "mse": metric(0.37), "rmse": metric(0.609), "r2": metric(-1.38)}}
    files = {"statistics.json": statistics, "constraints.json": {"version": 0.0, "regression_constraints": {}},
             "constraint_violations.json": {"violations": []}}
    book.add_execution("prices-model-quality", "Completed", put_execution_report("mq-prices", files))

    tile = monitoring.overview("prices").tiles[1]

    assert (tile.status, tile.headline) == ("OK", "rmse 0.61 on 80 labelled predictions")


def _fresh(monitoring: AwsMonitoring) -> AwsMonitoring:
    """A new adapter (new clients) so that error hooks registered after the first one was made reach it."""
    return AwsMonitoring(boto3.Session(region_name=REGION), monitoring.settings, endpoints=monitoring.endpoints,
                         labels=monitoring.labels, catalog=monitoring.catalog, storage=monitoring.storage,
                         query=monitoring.query, jobs=monitoring.jobs)
