"""The quality port's contract: every adapter must pass ``QualityContract``.

Both adapters run the same engine's queries through their query engine: DuckDB locally, Athena on AWS.
moto's Athena runs no SQL, so on AWS every statement the engine sends is answered from the same rows by
DuckDB and returned as Athena returns results (strings typed by ``ColumnInfo``; tests/helpers/athena.py),
with the table catalogued in moto's Glue. The expected numbers are worked by hand from ``shop()``.
Each class computes its reports once (class-scoped) and asserts on them in several tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pandas as pd
import pytest

from services.errors import InvalidInput, NotFound, QueryFailed, QueryRefused
from services.quality.models import QualityReport, QualityRequest
from services.registry import Services, build_services
from tests.helpers.athena import athena_answers_from
from tests.helpers.aws import BUCKET, REGION, aws_settings, fake_aws_credentials
from tests.helpers.workspace import settings_for_tests

TABLE = "contract.shop"
REQUEST = QualityRequest(table=TABLE, target="bought")


def shop() -> pd.DataFrame:
    """60 rows. Rows 57-59 repeat rows 0-2 exactly (3 duplicates). ``colour`` is missing in rows 10-15 (6);
    ``amount`` is 1..10 except row 20 (1000: the one outlier); ``bought`` is yes in rows i % 3 == 0 and
    ``grade`` is A exactly then (a leak); ``note`` is a review-like text, blank in rows 30-33 and "ok" in 34-35."""
    rows = []
    for i in range(57):
        words = ["good fit and lovely colour", "runs small, order a size up", "fabric feels cheap after washing"][i % 3]
        rows.append({"colour": None if 10 <= i <= 15 else ["red", "green", "blue"][i % 3 if i % 5 else 0],
                     "amount": 1000.0 if i == 20 else float(1 + 7 * i % 10), "bought": "yes" if i % 3 == 0 else "no",
                     "grade": "A" if i % 3 == 0 else "B",
                     "note": " " if 30 <= i <= 33 else "ok" if i in (34, 35) else f"{words} (review number {i})"})
    frame = pd.DataFrame(rows)
    return pd.concat([frame, frame.iloc[:3]], ignore_index=True)


def import_shop(services: Services, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shop().to_csv(folder / "shop.csv", index=False)
    services.catalog.import_path(folder / "shop.csv", "contract", "shop")


class QualityContract:
    """Tests any quality adapter must pass. Subclasses provide a class-scoped ``services`` holding ``contract.shop``."""

    @pytest.fixture(scope="class")
    @classmethod
    def services(cls) -> Services:
        raise NotImplementedError

    @pytest.fixture(scope="class")
    @classmethod
    def report(cls, services: Services) -> QualityReport:
        return services.quality.report(REQUEST)

    def test_rows_duplicates_and_missing_values_count_every_row(self, report: QualityReport) -> None:
        assert (report.rows, report.duplicate_rows, report.sampled, report.sample_rows) == (60, 3, False, 60)
        colour = report.column("colour")
        assert (colour.kind, colour.missing, colour.distinct) == ("categorical", 6, 3)
        assert sum(v.count for v in colour.top_values) == 54
        assert report.column("note").kind == "text"

    def test_numbers_have_min_max_mean_quantiles_a_histogram_and_outliers(self, report: QualityReport) -> None:
        amount = report.column("amount")
        expected = shop()["amount"]
        assert (amount.minimum, amount.maximum) == (1.0, 1000.0)
        assert amount.mean == pytest.approx(expected.mean())
        assert amount.quantile(0.5) == pytest.approx(expected.median(), abs=1)
        assert sum(b.count for b in amount.histogram) == 60 and len(amount.histogram) == 20
        assert amount.histogram[-1].count == 1  # 1000 alone in the last bin
        assert amount.outliers is not None
        assert (amount.outliers.count, amount.outliers.examples, amount.outliers.sample_rows) == (1, (1000.0,), 60)

    def test_texts_have_lengths_empty_texts_and_top_words(self, report: QualityReport) -> None:
        text = report.column("note").text
        assert text is not None
        assert (text.empty, text.very_short) == (4, 2)
        assert sum(b.count for b in text.length_histogram) == 60
        assert {w.value for w in text.top_words[:6]} >= {"review", "number"}
        assert "the" not in {w.value for w in text.top_words}

    def test_the_target_leak_and_quick_model(self, report: QualityReport) -> None:
        assert report.target is not None
        assert report.target.problem_type == "BinaryClassification"
        assert {c.value: c.count for c in report.target.classes} == {"no": 40, "yes": 20}  # 19 of rows 0-56, plus row 0 repeated
        grade = report.leakage[0]
        assert (grade.feature, grade.score, grade.power, grade.flagged) == ("grade", 1.0, 1.0, True)
        assert not next(s for s in report.leakage if s.feature == "colour").flagged
        assert report.quick_model is not None and dict(report.quick_model.importances)["grade"] > 0
        assert any("grade predicts bought" in w.message and "drop it" in w.message for w in report.warnings)

    def test_the_report_says_what_came_from_a_sample_and_renders_as_html(self, report: QualityReport) -> None:
        assert any("use all 60 rows" in n for n in report.notes)
        page = report.html()
        assert page.startswith("<!doctype html>") and "<svg" in page and "http://" not in page.replace("http://www.w3.org", "")
        summary = report.summary_json()
        assert (summary["Rows"], summary["DuplicateRows"], summary["Leakage"][0]["feature"]) == (60, 3, "grade")

    def test_a_sql_result_is_profiled_and_a_small_sample_is_said_to_be_one(self, services: Services) -> None:
        report = services.quality.report(QualityRequest(sql="SELECT amount, bought FROM contract.shop WHERE amount < 100",
                                                        sample_rows=30))
        assert (report.rows, report.source, report.sampled) == (59, "SQL result", True)
        assert 0 < report.sample_rows < 59
        assert any("random sample" in n for n in report.notes)

    def test_columns_lists_the_types_for_the_target_picker(self, services: Services) -> None:
        columns = services.quality.columns(QualityRequest(table=TABLE))
        assert list(columns) == ["colour", "amount", "bought", "grade", "note"]
        assert columns["amount"] == "double"

    def test_an_unknown_table_is_not_found(self, services: Services) -> None:
        with pytest.raises(NotFound) as caught:
            services.quality.report(QualityRequest(table="contract.nope"))
        assert caught.value.hint

    def test_a_target_not_in_the_data_is_refused_with_the_columns(self, services: Services) -> None:
        with pytest.raises(InvalidInput, match="'price' is not in the data") as caught:
            services.quality.report(QualityRequest(table=TABLE, target="price"))
        assert "amount" in caught.value.hint

    def test_bad_sql_fails_with_a_hint(self, services: Services) -> None:
        with pytest.raises((QueryFailed, QueryRefused)):
            services.quality.report(QualityRequest(sql="SELEC amount FROM contract.shop"))
        with pytest.raises(InvalidInput):
            services.quality.report(QualityRequest())


class TestLocalQuality(QualityContract):
    @pytest.fixture(scope="class")
    @classmethod
    def services(cls, tmp_path_factory: pytest.TempPathFactory) -> Services:
        home = tmp_path_factory.mktemp("quality-local")
        built = build_services(settings_for_tests(home=home / "workspace", seed_on_start=False))
        import_shop(built, home / "files")
        return built


class TestAwsQuality(QualityContract):
    @pytest.fixture(scope="class")
    @classmethod
    def services(cls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
        from moto import mock_aws

        home = tmp_path_factory.mktemp("quality-aws")
        with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
            fake_aws_credentials(monkeypatch, home)
            boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
            built = build_services(aws_settings(home / "workspace"))
            import_shop(built, home / "files")
            with athena_answers_from(monkeypatch, {TABLE: shop()}):
                yield built

    def test_the_sample_is_read_from_the_result_csv_not_paged(self, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
        from services.query.aws import AwsQuery

        exported: list[str] = []
        original = AwsQuery.export_result

        def export_result(query: AwsQuery, query_id: str, fmt: str) -> bytes:
            exported.append(fmt)
            return original(query, query_id, fmt)  # type: ignore[arg-type]

        monkeypatch.setattr(AwsQuery, "export_result", export_result)
        report = services.quality.report(QualityRequest(table=TABLE, target="bought"))
        assert exported == ["csv"]  # one S3 GET for the sample's rows
        assert report.sample_rows == 60 and report.column("amount").outliers is not None
