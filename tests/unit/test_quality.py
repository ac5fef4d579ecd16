"""The data quality report on the seeded demo data (local backend), its warnings, its HTML and its command line.

One module-scoped copy of the seeded workspace; the demo.reviews report (20,000 rows, a sample of 2,000) is
computed once and asserted by several tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.cli import main
from services.errors import InvalidInput
from services.quality.models import (
    Bin,
    ColumnProfile,
    QualityReport,
    QualityRequest,
    TargetSummary,
    ValueCount,
)
from services.quality.warnings import report_warnings
from services.registry import Services, build_services
from tests.helpers.workspace import copy_workspace, settings_for_tests

SAMPLE = 2_000


@pytest.fixture(scope="module")
def home(seeded_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copied = tmp_path_factory.mktemp("quality") / "workspace"
    copy_workspace(seeded_home, copied)
    return copied


@pytest.fixture(scope="module")
def services(home: Path) -> Services:
    return build_services(settings_for_tests(home=home, seed_on_start=False))


@pytest.fixture(scope="module")
def reviews(services: Services) -> QualityReport:
    return services.quality.report(QualityRequest(table="demo.reviews", sample_rows=SAMPLE))


def test_the_reviews_table_is_counted_whole_and_sampled_for_the_rest(reviews: QualityReport) -> None:
    assert (reviews.rows, reviews.sampled) == (20_000, True)
    assert SAMPLE * 0.8 < reviews.sample_rows < SAMPLE * 1.2  # rand() < 0.1: about 2,000, never the whole table
    assert any(f"a random sample of {reviews.sample_rows:,} of the 20,000 rows" in n for n in reviews.notes)
    title = reviews.column("title")
    assert (title.kind, title.missing) == ("categorical", 3_285)
    assert any("title is missing in 3,285 rows (16.4%)" in w.message for w in reviews.warnings)
    rating = reviews.column("rating")
    assert [b.count for b in rating.histogram] == [int(v.count) for v in sorted(rating.top_values, key=lambda v: v.value)]
    assert rating.outliers is None  # a 1-5 code, not a measurement


def test_review_text_is_free_text_with_lengths_over_every_row_and_top_words_from_the_sample(reviews: QualityReport) -> None:
    text = reviews.column("review_text")
    assert text.kind == "text" and text.text is not None and not text.top_values
    assert sum(b.count for b in text.text.length_histogram) == 20_000 - text.missing
    assert text.text.sample_rows == reviews.sample_rows
    assert text.text.top_words[0].count > 100 and text.text.top_words[0].value not in {"the", "and", "i"}
    assert "(sample of" in reviews.html() and "review_text: top words" in reviews.html()


def test_queries_go_through_the_query_history(reviews: QualityReport, services: Services) -> None:
    recorded = {e.sql for e in services.query.history(limit=50)}
    assert set(reviews.queries) <= recorded
    assert len(reviews.queries) == 6  # columns, aggregates, duplicates, histograms, top values, sample


def test_a_sample_of_no_rows_is_refused(services: Services) -> None:
    with pytest.raises(InvalidInput):
        services.quality.report(QualityRequest(table="demo.wine", sample_rows=0))


def profile(name: str, **fields: object) -> ColumnProfile:
    return ColumnProfile(**{"name": name, "type": "varchar", "kind": "categorical", "missing": 0, "distinct": 2, **fields})


def test_warnings_say_what_is_wrong_and_what_to_do() -> None:
    report = QualityReport(
        source="t", rows=100, duplicate_rows=10, sample_rows=100, sampled=False,
        columns=(profile("code", type="bigint", kind="numeric", distinct=100), profile("flat", distinct=1),
                 profile("label", missing=7), profile("<b>x</b>", missing=60)),
        target=TargetSummary("label", "BinaryClassification", classes=(ValueCount("a", 88), ValueCount("b", 5))))
    messages = [(w.severity, w.message) for w in report_warnings(report)]
    assert messages[0] == ("high", "<b>x</b> is missing in 60 rows (60.0%): fill the gaps (median, most frequent value or a "
                                   "'missing' category) or drop the column.")
    text = "\n".join(m for _, m in messages)
    assert "10 rows (10.0%) repeat another row exactly" in text
    assert "code has a different value in almost every row" in text
    assert "flat has a single value" in text
    assert "The target label is missing in 7 rows" in text
    assert "the smallest class 'b' has 5.4% of the rows" in text
    page = QualityReport(**{**report.__dict__, "warnings": tuple(report_warnings(report)),
                            "columns": report.columns + (profile("n", histogram=(Bin(0, 1, 3),)),)}).html()
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page  # names are escaped
    assert "<script" not in page


def quality_cli(home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    monkeypatch.delenv("WORKBENCH_BACKEND", raising=False)
    capsys.readouterr()
    code = main(["quality", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_prints_the_summary_and_writes_the_html(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "reports" / "wine.html"
    code, out, err = quality_cli(home, monkeypatch, capsys, "demo.wine", "--target", "target", "--out", str(out_file))
    assert (code, err) == (0, "")
    summary = json.loads(out)
    assert (summary["Rows"], summary["DuplicateRows"], len(summary["Columns"]), summary["Out"]) == (178, 0, 14, str(out_file))
    assert summary["Leakage"] and not any(row["flagged"] for row in summary["Leakage"])  # no copy of the label (UX #1)
    assert not any(w["message"].startswith("Target leakage") for w in summary["Warnings"])
    assert summary["QuickModel"]["metric"] == "f1"
    assert out_file.read_text(encoding="utf-8").startswith("<!doctype html>")


@pytest.mark.parametrize("args, message", [
    (("demo.nope",), "does not exist"),
    (("demo.wine", "--target", "colour"), "'colour' is not in the data"),
    (("demo", "--sql", "SELECT FROM WHERE"), "(line 1, column 17)"),  # in the user's SQL, not the wrapped one
    (("wine",), "is not DATABASE.TABLE"),
])
def test_user_errors_exit_2_with_one_line(home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                          args: tuple[str, ...], message: str) -> None:
    code, out, err = quality_cli(home, monkeypatch, capsys, *args)
    assert (code, out) == (2, "")
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
