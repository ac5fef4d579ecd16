"""The bias service end to end on the local stack: the aggregation path agrees with the in-memory
path, reports round-trip through analysis.json, jobs score with a model, and bad input is refused."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, replace
from pathlib import Path

import pandas as pd
import pytest

from services.bias.engine import report_from_frame
from services.bias.models import BiasReport, BiasRequest, request_from_json
from services.cli import main
from services.errors import NotFound
from services.models import DataSource, TrainingRequest
from services.registry import Services

TABLE = DataSource(table="demo.reviews_sentiment")


def values(report: BiasReport) -> dict[tuple[str, str, str], float | None]:
    found = {}
    for stage in (report.pre, report.post):
        for entry in stage.entries if stage else ():
            for metric in entry.metrics:
                found[(stage is report.post and "post" or "pre", entry.value_or_threshold, metric.name)] = metric.value
    return found


def assert_same(left: BiasReport, right: BiasReport) -> None:
    """Every count-based metric equal; FlipTest only in range (it samples rows, and k-NN ties depend on row order)."""
    a, b = values(left), values(right)
    assert a.keys() == b.keys()
    for key in a:
        if key[2] == "FT":
            assert a[key] is None or -1 <= a[key] <= 1  # type: ignore[operator]
            continue
        x, y = a[key], b[key]
        assert (x is None) == (y is None), key
        if x is not None and y is not None:
            assert x == pytest.approx(y, rel=1e-9, abs=1e-12) or (math.isinf(x) and x == y), key


@pytest.mark.parametrize("request_fields", [
    {"label": "sentiment", "label_values": ("1",), "facet": "product_category", "group": "age"},
    {"label": "sentiment", "label_values": ("-1", "0"), "facet": "age", "facet_threshold": 40, "group": "product_category",
     "predicted": "rating", "predicted_threshold": 3, "methods": ("all",), "flip_test_features": ("age",)},
    {"label": "rating", "label_threshold": 3, "facet": "product_category", "facet_values": ("Dresses", "Tops"),
     "predicted": "sentiment", "flip_test_features": ("age",)},
])
def test_the_aggregation_query_gives_the_same_numbers_as_the_in_memory_path(seeded_services: Services,
                                                                               request_fields: dict[str, object]) -> None:
    request = BiasRequest(source=TABLE, bootstrap=0, **request_fields)  # type: ignore[arg-type]
    frame = seeded_services.storage.read_table("demo", "reviews_sentiment")
    from_table = seeded_services.bias.analyze(request)
    in_memory = report_from_frame(frame, request)
    assert_same(from_table, in_memory)
    assert from_table.pre.label_value_or_threshold == in_memory.pre.label_value_or_threshold
    assert sorted(e.value_or_threshold for e in from_table.pre.entries) == sorted(e.value_or_threshold for e in in_memory.pre.entries)
    assert from_table.rows == len(frame)


def test_a_sql_result_is_analysed_like_a_table(seeded_services: Services) -> None:
    request = BiasRequest(sql="SELECT * FROM demo.reviews_sentiment WHERE age < 60;", label="sentiment", label_values=("1",),
                          facet="age", facet_threshold=40, bootstrap=0)
    report = seeded_services.bias.analyze(request)
    frame = seeded_services.storage.read_table("demo", "reviews_sentiment")
    assert_same(report, report_from_frame(frame[frame["age"] < 60], request))
    assert report.pre.entries[0].value_or_threshold == "(40, 59]"


def test_the_report_round_trips_through_analysis_json(seeded_services: Services) -> None:
    report = seeded_services.bias.analyze(BiasRequest(source=TABLE, label="sentiment", label_values=("1",), facet="product_category",
                                                  predicted="rating", predicted_threshold=4, bootstrap=50))
    analysis = json.loads(json.dumps(report.analysis_json()))
    back = BiasReport.from_analysis_json(analysis, json.loads(json.dumps(report.extras_json(), default=str)))
    assert back.analysis_json() == analysis
    assert back.pre.entries[0].counts == report.pre.entries[0].counts
    assert back.pre.entries[0].metric("DPL").ci_low == report.pre.entries[0].metric("DPL").ci_low
    names = [m["name"] for m in analysis["post_training_bias_metrics"]["facets"]["product_category"][0]["metrics"]]
    assert names == sorted(names)


def test_request_survives_a_job_config(seeded_services: Services) -> None:
    request = BiasRequest(source=TABLE, label="sentiment", label_values=("1",), facet="age", facet_threshold=40.5,
                          methods=("CI", "DPL"), flip_test_features=("age",))
    assert request_from_json(json.loads(json.dumps(asdict(request)))) == request


def test_dcacc_is_accepted_for_dca_and_methods_restrict_the_report(seeded_services: Services) -> None:
    report = seeded_services.bias.analyze(BiasRequest(source=TABLE, label="sentiment", label_values=("1",), facet="age",
                                                  facet_threshold=40, predicted="rating", predicted_threshold=3,
                                                  methods=("ci", "DCAcc"), bootstrap=0))
    assert [m.name for m in report.pre.entries[0].metrics] == ["CI"]
    assert report.post is not None and [m.name for m in report.post.entries[0].metrics] == ["DCA"]


def test_cli_writes_analysis_json_and_prints_it(seeded_services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("WORKBENCH_HOME", str(seeded_services.settings.home))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    out = tmp_path / "analysis.json"
    code = main(["bias", "--table", "demo.reviews_sentiment", "--label", "sentiment", "--label-values", "1", "--facet", "age",
                 "--facet-threshold", "40", "--group", "product_category", "--predicted", "rating", "--predicted-threshold", "3",
                 "--methods", "CI,DPL,DI", "--bootstrap", "0", "--out", str(out)])
    printed = json.loads(capsys.readouterr().out)
    written = json.loads(out.read_text())
    assert code == 0
    assert written["version"] == "1.0" and printed["pre_training_bias_metrics"] == written["pre_training_bias_metrics"]
    assert written["pre_training_bias_metrics"]["facets"]["age"][0]["value_or_threshold"] == "(40, 99]"
    assert [m["name"] for m in written["post_training_bias_metrics"]["facets"]["age"][0]["metrics"]] == ["DI"]


def test_cli_reads_a_data_file_and_reports_bad_input_on_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    data = tmp_path / "people.csv"
    pd.DataFrame({"sex": ["F", "M", "F", "M", "F", "M"], "hired": [0, 1, 1, 1, 0, 1]}).to_csv(data, index=False)
    out = tmp_path / "a.json"
    assert main(["bias", "--data", str(data), "--label", "hired", "--label-values", "1", "--facet", "sex",
                 "--facet-values", "F", "--bootstrap", "0", "--out", str(out)]) == 0
    metrics = {m["name"]: m["value"] for m in json.loads(out.read_text())["pre_training_bias_metrics"]["facets"]["sex"][0]["metrics"]}
    assert metrics["CI"] == 0.0 and metrics["DPL"] == pytest.approx(1 - 1 / 3)
    capsys.readouterr()
    assert main(["bias", "--data", str(data), "--label", "hired", "--label-values", "1", "--facet", "age", "--out", str(out)]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("error: The facet column 'age' is not in the data.")


def test_a_bias_job_scores_with_the_model_and_logs_metrics_to_its_run(seeded_services: Services) -> None:
    training = seeded_services.training
    job = training.start_training_job(TrainingRequest(algorithm="xgboost", source=DataSource(table="demo.wine"), target="target",
                                                      hyperparameters={"num_round": "10"}, name="wine-bias"))
    assert seeded_services.jobs.wait_for_job(job, 240).status == "Completed"
    bias = seeded_services.bias
    name = bias.start_job(BiasRequest(source=DataSource(table="demo.wine"), label="target", label_values=("0",), facet="alcohol",
                                      facet_threshold=13, model_id="wine-bias/1", bootstrap=20))
    finished = seeded_services.jobs.wait_for_job(name, 240)
    assert finished.status == "Completed", finished.failure_reason
    report = bias.job_report(name)
    assert report.post is not None and report.post.entries[0].metric("AD").value is not None
    assert report.config["model_id"] == "wine-bias/1"
    run = seeded_services.runs.get_run(training.get_model("wine-bias/1").run_id)
    assert "bias_DPPL" in run.metrics and "bias_CI" in run.metrics
    assert report.analysis_json() == json.loads(Path(seeded_services.jobs.describe_job(name).result["analysis"]).read_text())


def test_a_bias_job_for_an_unknown_model_or_an_unfinished_report_is_refused(seeded_services: Services) -> None:
    bias = seeded_services.bias
    with pytest.raises(NotFound):
        bias.start_job(BiasRequest(source=TABLE, label="sentiment", label_values=("1",), facet="age", model_id="nope/1"))
    name = bias.start_job(BiasRequest(source=TABLE, label="sentiment", label_values=("1",), facet="age", facet_threshold=40,
                                      bootstrap=0))
    job = seeded_services.jobs.wait_for_job(name, 120)
    assert job.status == "Completed", job.failure_reason
    assert bias.job_report(name).pre.entries[0].metric("CI").value is not None
    with pytest.raises(NotFound):
        bias.job_report("no-such-job")


def test_group_variable_text_with_missing_values_fails_cdd_only(tmp_path: Path) -> None:
    frame = pd.DataFrame({"f": ["A", "B"] * 6, "y": [1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1], "g": ["x", "y", None] * 4})
    report = report_from_frame(frame, BiasRequest(label="y", label_values=("1",), facet="f", facet_values=("B",), group="g",
                                                  bootstrap=0))
    entry = report.pre.entries[0]
    assert entry.metric("CDDL").value is None and "missing" in entry.metric("CDDL").error
    assert entry.metric("CI").value == 0.0


def test_html_report_names_every_metric(seeded_services: Services) -> None:
    from services.bias.html_report import render_html

    report = seeded_services.bias.analyze(replace(BiasRequest(source=TABLE, label="sentiment", label_values=("1",), facet="age",
                                                          facet_threshold=40), bootstrap=0))
    page = render_html(report)
    assert page.startswith("<!doctype html>") and "<script" not in page
    for name in ("Class Imbalance (CI)", "Kullback-Liebler Divergence (KL)", "Difference in Positive Proportions in Labels (DPL)"):
        assert name in page
    assert "(CDDL)" not in page  # no group variable: not asked for
