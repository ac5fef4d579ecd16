"""The explain port's contract: every adapter must pass ``ExplainContract``.

What both adapters share: requests no job could run are refused before a job exists, results of
unknown jobs are not found, and Quick Model reads a table (through the storage port) or a SQL result
(through the query port) and fits it. On AWS the table is catalogued in moto's Glue and every Athena
statement is answered from the same rows by DuckDB (``tests/helpers/athena.py``). SHAP jobs
themselves differ by design (shap in a worker process, a Clarify processing job) and are tested
beside each adapter (tests/unit/test_explain_tabular.py, tests/unit/test_aws_explain.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from services.errors import InvalidInput, NotFound
from services.explain.base import ExplainRequest
from services.models import Column, DataSource, ModelRecord
from services.registry import Services, build_services
from tests.helpers.athena import athena_answers_from
from tests.helpers.aws import REGION, aws_settings
from tests.helpers.workspace import settings_for_tests

TABLE = DataSource(table="contract.people")
REQUEST = ExplainRequest(model_id="ghost/1", source=TABLE, rows=20, background_rows=5)


def people() -> pd.DataFrame:
    """120 rows; ``hired`` follows ``sex`` and ``score`` loosely, ``id`` and ``age`` carry little."""
    rows = [{"id": i, "sex": "F" if i % 5 < 2 else "M", "age": 20 + i % 50,
             "hired": int(i % 4 == 0) if i % 5 < 2 else int(i % 2 == 0), "score": (i % 10) / 10} for i in range(120)]
    return pd.DataFrame(rows)


def import_people(services: Services, folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    people().to_csv(folder / "people.csv", index=False)
    services.catalog.import_path(folder / "people.csv", "contract", "people")


class ExplainContract:
    """Tests any explain adapter must pass. Subclasses provide ``services`` (holding ``contract.people``)
    and ``jobs_started``."""

    @pytest.fixture
    def services(self) -> Services:
        raise NotImplementedError

    def jobs_started(self, services: Services) -> int:
        """How many SHAP jobs exist so far."""
        raise NotImplementedError

    def test_quick_model_fits_a_table(self, services: Services) -> None:
        result = services.explain.quick_model(TABLE, "hired")
        assert (result.target, result.problem_type, result.metric_name) == ("hired", "BinaryClassification", "f1")
        assert (result.train_rows, result.test_rows) == (84, 36)  # a seeded 70/30 split of every row
        assert set(result.importances) == {"id", "sex", "age", "score"}  # input columns, not one-hot levels
        assert sum(result.importances.values()) == pytest.approx(1.0, abs=1e-4)
        assert 0 <= result.score <= 1

    def test_quick_model_fits_a_sql_result(self, services: Services) -> None:
        result = services.explain.quick_model(DataSource(), "hired", "SELECT sex, age, hired FROM contract.people WHERE age < 60")
        assert result.train_rows + result.test_rows == 100
        assert set(result.importances) == {"sex", "age"}

    @pytest.mark.parametrize(("source", "target", "error", "fragment"), [
        (DataSource(table="contract.nope"), "hired", NotFound, "nope"),
        (TABLE, "salary", InvalidInput, "The target column 'salary' is not in the data"),
        (DataSource(), "hired", InvalidInput, "Give a catalog table"),
    ])
    def test_quick_model_refuses_bad_sources_and_targets(self, services: Services, source: DataSource, target: str,
                                                         error: type[Exception], fragment: str) -> None:
        with pytest.raises(error, match=fragment) as caught:
            services.explain.quick_model(source, target)
        assert caught.value.hint  # type: ignore[attr-defined]

    @pytest.mark.parametrize(("request_", "error"), [
        (REQUEST, NotFound),  # no such registered model
        (replace(REQUEST, aggregation="max"), InvalidInput),
        (replace(REQUEST, rows=0), InvalidInput),
        (replace(REQUEST, source=DataSource(table="contract.nope")), NotFound),
    ])
    def test_requests_no_job_could_run_are_refused_before_a_job_exists(self, services: Services, request_: ExplainRequest,
                                                                      error: type[Exception]) -> None:
        with pytest.raises(error) as caught:
            services.explain.start_job(request_)
        assert caught.value.hint  # type: ignore[attr-defined]
        assert self.jobs_started(services) == 0

    def test_the_default_plan_names_an_explainer_and_samples_a_job_accepts(self, services: Services) -> None:
        for framework in ("xgboost", "autogluon", "text-tfidf"):
            model = ModelRecord(model_id="people/1", name="people", version=1, framework=framework,
                                problem_type="BinaryClassification", target="hired", input_schema=(Column("age", "bigint"),),
                                classes=("0", "1"), metrics={}, run_id="", job_name="", artifact_path="")
            plan = services.explain.plan(model)
            assert plan.explainer and plan.reason
            assert 1 <= plan.rows <= 100_000 and 1 <= plan.background_rows <= 1_000
        assert self.jobs_started(services) == 0  # nothing loaded or started

    def test_results_of_an_unknown_job_are_not_found(self, services: Services) -> None:
        with pytest.raises(NotFound):
            services.explain.explanation("explain-never-started")
        with pytest.raises(NotFound):
            services.explain.shap_frames("explain-never-started")


class TestLocalExplain(ExplainContract):
    @pytest.fixture
    def services(self, tmp_path: Path) -> Services:
        built = build_services(settings_for_tests(home=tmp_path / "workspace", seed_on_start=False))
        import_people(built, tmp_path / "files")
        return built

    def jobs_started(self, services: Services) -> int:
        return len(services.stack.runner.jobs.recent("explain", 100))


class TestAwsExplain(ExplainContract):
    @pytest.fixture
    def services(self, mocked_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
        settings = replace(aws_settings(tmp_path / "home"), sagemaker_role="arn:aws:iam::123456789012:role/workbench-sagemaker")
        built = build_services(settings)
        import_people(built, tmp_path / "files")
        with athena_answers_from(monkeypatch, {"contract.people": people()}):
            yield built

    def jobs_started(self, services: Services) -> int:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.sagemaker.models import sagemaker_backends

        return len(sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION].processing_jobs)
