"""The monitoring port's contract: every adapter must pass ``MonitoringContract``.

A subclass provides ``labelled`` (a ``LabelledEndpoint``: an endpoint with captured reviews, some labelled through
the labels port, and the model-quality report run before the labels) and ``monitoring`` (the port). The local
subclass deploys a real endpoint (a server process with data capture) on the trained template and labels its
captured requests with their real sentiment; the expected numbers are scikit-learn's on the labelled pairs.
The class runs the model-quality report once (class-scoped) and asserts on it in several tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sklearn.metrics import accuracy_score, f1_score

from services.errors import InvalidInput, NotFound
from services.monitoring.base import MonitoringPort
from services.monitoring.data_quality_files import CHECK_TYPES
from services.monitoring.models import MONITOR_TYPES, MonitorConfig, MonitorReport, ScheduleRequest
from services.registry import Services
from tests.helpers.endpoints import hosting_services, stop_everything, trained_template
from tests.helpers.monitoring import LabelledEndpoint, serve_labelled_reviews
from tests.helpers.workspace import close_services

ENDPOINT = "quality-reviews"


class MonitoringContract:
    """Tests any monitoring adapter must pass."""

    @pytest.fixture(scope="class")
    @classmethod
    def labelled(cls) -> LabelledEndpoint:
        raise NotImplementedError

    @pytest.fixture(scope="class")
    @classmethod
    def monitoring(cls, labelled: LabelledEndpoint) -> MonitoringPort:
        return labelled.services.monitoring

    @pytest.fixture(scope="class")
    @classmethod
    def quality(cls, monitoring: MonitoringPort, labelled: LabelledEndpoint) -> MonitorReport:
        return monitoring.run_monitor(labelled.endpoint, "model-quality")

    def test_model_quality_scores_the_labelled_predictions_as_scikit_learn_does(self, quality: MonitorReport,
                                                                                labelled: LabelledEndpoint) -> None:
        truth, predicted = [t for t, _ in labelled.pairs], [p for _, p in labelled.pairs]
        statistics = quality.statistics
        assert statistics["version"] == 0.0 and statistics["dataset"]["item_count"] == labelled.labelled
        block = statistics["multiclass_classification_metrics"]
        assert block["accuracy"]["value"] == pytest.approx(accuracy_score(truth, predicted))
        assert block["weighted_f1"]["value"] == pytest.approx(f1_score(truth, predicted, average="weighted", zero_division=0))
        assert sum(sum(row.values()) for row in block["confusion_matrix"].values()) == labelled.labelled
        assert quality.item_count == labelled.labelled and quality.captured_count == labelled.captured
        assert quality.status in ("Completed", "CompletedWithViolations")
        assert (quality.status == "CompletedWithViolations") == bool(quality.violations)
        assert "accuracy" in quality.constraints["multiclass_classification_constraints"]
        assert sum(row["items"] for row in quality.trend) == labelled.labelled

    def test_the_report_is_kept_as_model_monitors_three_files(self, monitoring: MonitoringPort, quality: MonitorReport,
                                                                labelled: LabelledEndpoint) -> None:
        latest = monitoring.latest_report(labelled.endpoint, "model-quality")
        assert latest is not None
        assert (latest.statistics, latest.constraints, latest.violations) == (quality.statistics, quality.constraints,
                                                                               quality.violations)
        assert set(latest.files()) == {"statistics.json", "constraints.json", "constraint_violations.json"}
        assert monitoring.latest_report(labelled.endpoint, "feature-attribution-drift") is None

    def test_without_labels_the_run_is_failed_with_the_reason(self, labelled: LabelledEndpoint) -> None:
        before = labelled.before_labels
        assert before.status == "Failed" and before.item_count == 0 and before.captured_count == labelled.captured
        assert "has a ground-truth label yet" in before.failure_reason

    def test_data_quality_compares_the_captured_traffic_with_the_baseline(self, monitoring: MonitoringPort,
                                                                          labelled: LabelledEndpoint) -> None:
        report = monitoring.run_monitor(labelled.endpoint, "data-quality")
        assert report.monitor_type == "data-quality" and report.item_count == labelled.captured
        assert report.status in ("Completed", "CompletedWithViolations")
        assert (report.status == "CompletedWithViolations") == bool(report.violations)
        # Model Monitor's data-quality layout: statistics.json and constraints.json list the same features
        assert report.statistics["dataset"]["item_count"] == labelled.captured
        features = report.statistics["features"]
        assert [f["name"] for f in features] == [c["name"] for c in report.constraints["features"]] == ["review_body"]
        for feature in features:
            assert feature["inferred_type"] in ("Integral", "Fractional", "String", "Unknown")
            block = feature.get("numerical_statistics") or feature["string_statistics"]
            assert set(block["common"]) == {"num_present", "num_missing"}
        assert all(v.constraint_check_type in CHECK_TYPES for v in report.violations)

    def test_overview_has_four_tiles_from_the_reports_and_schedules(self, monitoring: MonitoringPort, quality: MonitorReport,
                                                                   labelled: LabelledEndpoint) -> None:
        config = MonitorConfig(facet="division_name")  # a bias-drift schedule needs a facet (both backends)
        schedule = monitoring.create_schedule(ScheduleRequest(labelled.endpoint, "bias-drift", "daily", config=config))
        try:
            overview = monitoring.overview(labelled.endpoint)
        finally:
            monitoring.delete_schedule(schedule.name)
        tiles = {tile.monitor_type: tile for tile in overview.tiles}
        assert [tile.monitor_type for tile in overview.tiles] == list(MONITOR_TYPES)
        assert tiles["model-quality"].status == ("Violations" if quality.violations else "OK")
        assert tiles["model-quality"].headline.endswith(f"on {labelled.labelled} labelled predictions")
        assert (tiles["bias-drift"].status, tiles["bias-drift"].schedule_name) == ("No report yet", schedule.name)
        assert tiles["feature-attribution-drift"].status == "Not scheduled"
        assert (overview.labelled, overview.captured) == (labelled.labelled, labelled.captured)

    def test_facet_candidates_start_with_the_models_input_columns(self, monitoring: MonitoringPort,
                                                                  labelled: LabelledEndpoint) -> None:
        assert monitoring.facet_candidates(labelled.endpoint)[0] == "review_body"
        with pytest.raises(NotFound, match="nowhere"):
            monitoring.facet_candidates("nowhere")

    def test_unknown_endpoints_and_types_are_refused(self, monitoring: MonitoringPort, labelled: LabelledEndpoint) -> None:
        with pytest.raises(NotFound, match="nowhere"):
            monitoring.run_monitor("nowhere", "model-quality")
        with pytest.raises(NotFound, match="nowhere"):
            monitoring.overview("nowhere")
        with pytest.raises(InvalidInput, match="Unknown monitor type 'accuracy'"):
            monitoring.run_monitor(labelled.endpoint, "accuracy")


# -- local: a real endpoint, real capture, labels through the labels port ----------------------------------------------


@pytest.fixture(scope="module")
def local_labelled(seeded_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabelledEndpoint]:
    services: Services = hosting_services(trained_template(tmp_path_factory, seeded_home),
                                          tmp_path_factory.mktemp("monitoring-contract") / "ws")
    try:
        yield serve_labelled_reviews(services, ENDPOINT)
    finally:
        stop_everything(services)
        close_services(services)


class TestLocalMonitoring(MonitoringContract):
    @pytest.fixture(scope="class")
    @classmethod
    def labelled(cls, local_labelled: LabelledEndpoint) -> LabelledEndpoint:
        return local_labelled


# -- aws: SageMaker Model Monitor on moto; the schedule calls moto lacks answered in botocore's shapes ------------------


class TestAwsMonitoring(MonitoringContract):
    """The same contract on moto. SageMaker computes the reports, so the world plays Model Monitor's part: after the
    labels port has written the ground truth to S3, one execution per schedule merges the capture with it by eventId
    and writes Model Monitor's three files (tests/helpers/aws_monitoring.py); the adapter reads them back."""

    @pytest.fixture(scope="class")
    @classmethod
    def labelled(cls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabelledEndpoint]:
        from dataclasses import replace

        import boto3
        from moto import mock_aws

        from services.registry import build_services
        from tests.helpers.aws import BUCKET, REGION, aws_settings, fake_aws_credentials
        from tests.helpers.aws_endpoints import ROLE
        from tests.helpers.aws_monitoring import ScheduleBook, aws_labelled_reviews

        home = tmp_path_factory.mktemp("monitoring-aws")
        with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
            fake_aws_credentials(monkeypatch, home)
            boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
            book = ScheduleBook().install(monkeypatch)
            services = build_services(replace(aws_settings(home / "workspace"), sagemaker_role=ROLE))
            yield aws_labelled_reviews(services, book, ENDPOINT)

    def test_without_labels_the_run_is_failed_with_the_reason(self, labelled: LabelledEndpoint) -> None:
        """SageMaker has no "run now": asked before the schedule's first execution, the report is Failed and says so."""
        before = labelled.before_labels
        assert before.status == "Failed" and before.item_count == 0
        assert before.failure_reason == f"Schedule {ENDPOINT}-model-quality has not run yet."
