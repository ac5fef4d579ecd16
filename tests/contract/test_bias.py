"""The bias port's contract: every adapter must pass ``BiasContract``.

Both adapters count in their query engine: DuckDB locally, Athena on AWS. moto's Athena runs no SQL,
so on AWS every statement the engine sends is answered from the same rows by DuckDB and returned as
Athena returns results (strings, typed by ``ColumnInfo``; ``tests/helpers/athena.py``), with the
table catalogued in moto's Glue. The expected numbers are worked by hand from the 120 rows below.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from services.bias.models import BiasRequest
from services.errors import InvalidInput, NotFound
from services.models import DataSource
from services.registry import Services, build_services
from tests.helpers.athena import athena_answers_from
from tests.helpers.aws import aws_settings
from tests.helpers.workspace import settings_for_tests

TABLE = DataSource(table="contract.people")
BASE = BiasRequest(source=TABLE, label="hired", label_values=("1",), facet="sex", facet_values=("F",), bootstrap=0)


def people() -> pd.DataFrame:
    """120 rows: 48 F of whom 12 are hired (q_d = 0.25), 72 M of whom 36 are hired (q_a = 0.5);
    score > 0.5 for 1 in 4 F rows and 3 in 6 M rows."""
    rows = [{"id": i, "sex": "F" if i % 5 < 2 else "M", "age": 20 + i % 50,
             "hired": int(i % 4 == 0) if i % 5 < 2 else int(i % 2 == 0), "score": (i % 10) / 10} for i in range(120)]
    return pd.DataFrame(rows)


def import_people(services: Services, folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    people().to_csv(folder / "people.csv", index=False)
    services.catalog.import_path(folder / "people.csv", "contract", "people")


class BiasContract:
    """Tests any bias adapter must pass. Subclasses provide ``services`` (holding ``contract.people``)
    and ``jobs_started``."""

    @pytest.fixture
    def services(self) -> Services:
        raise NotImplementedError

    def jobs_started(self, services: Services) -> int:
        """How many bias jobs exist so far."""
        raise NotImplementedError

    def test_a_table_report_has_clarifys_pre_training_metrics(self, services: Services) -> None:
        report = services.bias.analyze(BiasRequest(**{**BASE.__dict__, "methods": ("CI", "DPL")}))
        (entry,) = report.pre.entries
        assert (report.rows, report.pre.label, report.pre.facet, entry.value_or_threshold) == (120, "hired", "sex", "F")
        assert entry.metric("CI").value == pytest.approx(0.2)  # (72 - 48) / 120
        assert entry.metric("DPL").value == pytest.approx(0.25)  # 36/72 - 12/48
        assert report.post is None

    def test_a_prediction_column_adds_post_training_metrics(self, services: Services) -> None:
        report = services.bias.analyze(BiasRequest(**{**BASE.__dict__, "predicted": "score", "predicted_threshold": 0.5,
                                                      "methods": ("CI", "DPPL")}))
        assert report.post is not None
        (entry,) = report.post.entries
        assert entry.metric("DPPL").value == pytest.approx(0.25)  # 3/6 - 1/4

    def test_one_vs_all_reports_each_facet_value(self, services: Services) -> None:
        report = services.bias.analyze(BiasRequest(**{**BASE.__dict__, "facet_values": (), "methods": ("CI",)}))
        values = {e.value_or_threshold: e.metric("CI").value for e in report.pre.entries}
        assert values == {"M": pytest.approx(-0.2), "F": pytest.approx(0.2)}

    def test_column_kinds_and_distinct_values_feed_the_form(self, services: Services) -> None:
        assert services.bias.column_kinds(BASE) == {"id": "integer", "sex": "string", "age": "integer",
                                                    "hired": "integer", "score": "float"}
        assert services.bias.distinct_values(BASE, "sex") == (["M", "F"], False)  # most frequent first
        assert services.bias.distinct_values(BASE, "sex", limit=1) == (["M"], True)

    def test_an_unknown_table_is_not_found(self, services: Services) -> None:
        missing = BiasRequest(**{**BASE.__dict__, "source": DataSource(table="contract.nope")})
        for call in (services.bias.analyze, services.bias.column_kinds, services.bias.start_job):
            with pytest.raises(NotFound) as caught:
                call(missing)
            assert caught.value.hint
        assert self.jobs_started(services) == 0

    @pytest.mark.parametrize("fields, message", [
        ({"facet": "nope"}, "not in the data"),
        ({"facet_values": (), "facet_threshold": 3}, "not numeric"),
        ({"facet": "hired"}, "same column"),
        ({"label": "age", "label_values": ("x",)}, "not a number"),
        ({"methods": ("CI", "XYZ")}, "Unknown bias metric"),
        ({"facet": "id", "facet_values": ()}, "distinct values"),
        ({"label_values": ()}, "positive outcome"),
    ])
    def test_impossible_configurations_are_refused_with_a_hint(self, services: Services, fields: dict[str, object],
                                                              message: str) -> None:
        with pytest.raises(InvalidInput, match=message) as caught:
            services.bias.analyze(BiasRequest(**{**BASE.__dict__, **fields}))  # type: ignore[arg-type]
        assert caught.value.hint

    def test_a_job_without_label_or_facet_is_refused_before_it_exists(self, services: Services) -> None:
        with pytest.raises(InvalidInput) as caught:
            services.bias.start_job(BiasRequest(**{**BASE.__dict__, "label": ""}))
        assert caught.value.hint
        assert self.jobs_started(services) == 0

    def test_the_report_of_an_unknown_job_is_not_found(self, services: Services) -> None:
        with pytest.raises(NotFound):
            services.bias.job_report("bias-never-started")


class TestLocalBias(BiasContract):
    @pytest.fixture
    def services(self, tmp_path: Path) -> Services:
        built = build_services(settings_for_tests(home=tmp_path / "workspace", seed_on_start=False))
        import_people(built, tmp_path / "files")
        return built

    def jobs_started(self, services: Services) -> int:
        return len(services.stack.runner.jobs.recent("bias", 100))


class TestAwsBias(BiasContract):
    @pytest.fixture
    def services(self, mocked_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
        from dataclasses import replace

        settings = replace(aws_settings(tmp_path / "home"), sagemaker_role="arn:aws:iam::123456789012:role/workbench-sagemaker")
        built = build_services(settings)
        import_people(built, tmp_path / "files")
        with athena_answers_from(monkeypatch, {"contract.people": people()}):
            yield built

    def jobs_started(self, services: Services) -> int:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.sagemaker.models import sagemaker_backends

        from tests.helpers.aws import REGION

        return len(sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION].processing_jobs)
