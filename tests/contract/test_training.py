"""The training port's contract: every adapter must pass ``TrainingContract``.

``TestLocalTraining`` runs it on the local adapter (worker processes, the cheapest built-in algorithm on
a 60-row table: one job per class, a few seconds); ``TestAwsTraining`` on the aws adapter under moto
(CreateTrainingJob, DescribeTrainingJob, CreateAutoMLJobV2 and the model registry's model packages,
which moto implements; a training job there completes at once). Each class starts one training job
and the clauses read what it left behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import pytest

from services.errors import InvalidInput, NotFound
from services.models import AutopilotRequest, DataSource, TrainingRequest, TuningRequest
from services.registry import Services, build_services
from tests.helpers.aws import BUCKET, REGION, aws_settings, fake_aws_credentials
from tests.helpers.workspace import close_services, copy_empty_mlflow_store, settings_for_tests

TABLE = DataSource(table="demo.reviews")
MODEL_NAME = "contract-model"
ROLE = "arn:aws:iam::123456789012:role/workbench-sagemaker"


def reviews_csv(folder: Path) -> Path:
    """60 small reviews: free text, a 1-5 rating, a category and a number."""
    rows = [{"Review Text": f"review number {i} says {'great' if i % 5 > 2 else 'poor'} things",
             "Rating": i % 5 + 1, "Division Name": ("General", "Petite", "Intimates")[i % 3], "Age": 20 + i}
            for i in range(60)]
    path = folder / "reviews.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@dataclass
class Trained:
    """The services of one workspace and the training job a class started there."""

    services: Services
    job_name: str
    model_id: str


def train_once(services: Services) -> Trained:
    request = TrainingRequest(algorithm="linear-learner", source=TABLE, target="rating", name=MODEL_NAME,
                              hyperparameters={"epochs": "2"})
    name = services.training.start_training_job(request)
    job = services.jobs.wait_for_job(name, 300)
    assert job.status == "Completed", services.jobs.job_logs(name)
    return Trained(services, name, job.model_id)


class TrainingContract:
    """Tests any training adapter must pass. Subclasses provide the class-scoped ``trained`` fixture."""

    def test_start_returns_the_requested_name_of_a_training_job(self, trained: Trained) -> None:
        assert trained.job_name == MODEL_NAME
        assert trained.services.jobs.describe_job(trained.job_name).kind == "training"

    def test_a_completed_job_registers_its_model(self, trained: Trained) -> None:
        training = trained.services.training
        assert trained.model_id in [m.model_id for m in training.list_models()]
        model = training.get_model(trained.model_id)
        assert (model.model_id, model.name, model.target, model.job_name) == (
            trained.model_id, MODEL_NAME, "rating", trained.job_name)
        assert model.problem_type == "MulticlassClassification" and model.classes == ("1", "2", "3", "4", "5")

    def test_model_approval(self, trained: Trained) -> None:
        training = trained.services.training
        assert training.set_model_approval(trained.model_id, "Approved").approval_status == "Approved"
        assert training.get_model(trained.model_id).approval_status == "Approved"
        with pytest.raises(InvalidInput, match="approval status"):
            training.set_model_approval(trained.model_id, "Maybe")
        assert training.set_model_approval(trained.model_id, "Rejected").approval_status == "Rejected"

    def test_unknown_models_are_not_found(self, trained: Trained) -> None:
        training = trained.services.training
        with pytest.raises(NotFound):
            training.get_model(f"{MODEL_NAME}/99")
        with pytest.raises(NotFound):
            training.set_model_approval("never-trained/1", "Approved")

    @pytest.mark.parametrize(("request_", "message"), [
        (TrainingRequest(algorithm="svm", source=TABLE, target="rating"), "Unknown algorithm"),
        (TrainingRequest(algorithm="xgboost", source=TABLE, target="stars"), "'stars'"),
        (TrainingRequest(algorithm="xgboost", source=TABLE, target="rating", name="my model!"), "pattern"),
        (TrainingRequest(algorithm="xgboost", source=TABLE, target="rating", hyperparameters={"max_depth": "-1"}),
         "max_depth"),
        (AutopilotRequest(source=TABLE, target="rating", mode="FAST"), "mode"),
        (AutopilotRequest(source=TABLE, target="stars", problem_type="Regression"), "'stars'"),
        (TuningRequest(TrainingRequest(algorithm="xgboost", source=TABLE, target="rating"), {}, "validation:accuracy",
                       "Maximize"), "range"),
    ], ids=["algorithm", "target", "name", "hyperparameter", "autopilot-mode", "autopilot-target", "tuning-ranges"])
    def test_invalid_requests_are_refused_before_any_job_exists(self, trained: Trained, request_: object,
                                                                message: str) -> None:
        services = trained.services
        before = [j.name for j in services.jobs.list_jobs()]
        start = {TrainingRequest: services.training.start_training_job, AutopilotRequest: services.training.start_autopilot_job,
                 TuningRequest: services.training.start_tuning_job}[type(request_)]
        with pytest.raises(InvalidInput, match=message):
            start(request_)  # type: ignore[operator]
        assert [j.name for j in services.jobs.list_jobs()] == before

    def test_an_unknown_table_is_not_found_before_any_job_exists(self, trained: Trained) -> None:
        services = trained.services
        before = [j.name for j in services.jobs.list_jobs()]
        with pytest.raises(NotFound):
            services.training.start_training_job(
                TrainingRequest(algorithm="xgboost", source=DataSource(table="demo.nope"), target="rating"))
        with pytest.raises(NotFound):
            services.training.start_autopilot_job(AutopilotRequest(source=DataSource(table="demo.nope"), target="rating",
                                                                   problem_type="Regression"))
        assert [j.name for j in services.jobs.list_jobs()] == before


class TestLocalTraining(TrainingContract):
    @pytest.fixture(scope="class")
    @classmethod
    def trained(cls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
        home = tmp_path_factory.mktemp("contract-training") / "workspace"
        copy_empty_mlflow_store(tmp_path_factory, home)
        services = build_services(settings_for_tests(home=home, seed_on_start=False))
        services.catalog.import_path(reviews_csv(home.parent), "demo", "reviews")
        yield train_once(services)
        close_services(services)


class TestAwsTraining(TrainingContract):
    @pytest.fixture(scope="class")
    @classmethod
    def trained(cls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
        import boto3
        from moto import mock_aws

        folder = tmp_path_factory.mktemp("contract-training-aws")
        with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
            fake_aws_credentials(monkeypatch, folder)
            boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
            services = build_services(replace(aws_settings(folder / "workspace"), sagemaker_role=ROLE))
            services.catalog.import_path(reviews_csv(folder), "demo", "reviews")
            yield train_once(services)
