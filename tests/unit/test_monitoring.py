"""Model monitoring: baseline statistics, PSI/KS/JS, drift reports over capture files in SageMaker's
format, scheduled reports, and the capture table.

The distance functions are checked on synthetic data; the reports on a workspace (a copy of the
seeded one) where a text-tfidf model and an xgboost model are trained through the real job runner,
so their baselines are the ones training writes. Capture files are written here in exactly the
format the inference server writes. The embedding centroid is checked on a text-minilm model built
without training (the packaged encoder and a seeded random head, saved through the predictor's save()).
"""

from __future__ import annotations

import base64
import json
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from services.endpoints import monitoring
from services.endpoints.baseline import compare_feature, compare_prediction, ensure_baseline, js_distance, ks_statistic, psi
from services.endpoints.monitoring import (
    LocalMonitoring,
    Traffic,
    build_report,
    embedding_drift,
    parse_instances,
    read_recent_capture,
    report_from_json,
)
from services.errors import InvalidInput, NotFound
from services.models import Column, DataSource, ModelRecord, TrainingRequest
from services.monitoring.schedules import ScheduleRunner
from services.registry import Services, build_services
from services.training.algorithms import minilm_features as features
from services.training.algorithms import text_minilm
from services.training.algorithms.base import Dataset, load_predictor
from services.training.algorithms.common import get_algorithm
from services.training.algorithms.dataset import prepare_dataset
from services.training.baseline import BASELINE_FOLDER, Baseline, baseline_at_training, load_baseline, write_baseline
from tests.helpers.data import tiny_reviews
from tests.helpers.recording import RecordingReporter
from tests.helpers.workspace import close_services, copy_empty_mlflow_store, settings_for_tests

VARIANT = "AllTraffic"


# -- synthetic data ---------------------------------------------------------------------------------------


def synthetic_frame(rows: int, seed: int, age_shift: float = 0.0, words: int = 12, colors: tuple[str, ...] = ("red", "green", "blue"),
                    missing_age: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(40 + age_shift, 10, rows)
    age[:int(rows * missing_age)] = np.nan
    lengths = rng.poisson(words, rows) + 1
    return pd.DataFrame({"age": age, "color": rng.choice(colors, rows),
                         "review": [" ".join(["word"] * n) for n in lengths]})


def synthetic_predictions(rows: int, seed: int, positive_share: float = 0.7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = np.where(rng.random(rows) < positive_share, "positive", "negative")
    probability = rng.uniform(0.5, 1.0, rows)
    return pd.DataFrame({"predicted_label": labels, "probability": probability,
                         "probability_negative": np.where(labels == "negative", probability, 1 - probability),
                         "probability_positive": np.where(labels == "positive", probability, 1 - probability)})


@pytest.fixture
def synthetic_baseline(tmp_path: Path) -> Any:
    frame = synthetic_frame(5000, seed=1)
    return write_baseline(frame, ["age", "color", "review"], "review", synthetic_predictions(5000, 1), tmp_path / "baseline")


def drift_of(baseline: Any, name: str, frame: pd.DataFrame) -> Any:
    return compare_feature(name, baseline.features[name], baseline.constraints["features"][name], frame[name], baseline.thresholds)


def test_psi_and_js_distance_have_their_textbook_values() -> None:
    assert psi(np.array([0.5, 0.5]), np.array([0.25, 0.75])) == pytest.approx(0.25 * np.log(2) + 0.25 * np.log(1.5))
    assert psi(np.array([0.2, 0.8]), np.array([0.2, 0.8])) == 0.0
    assert js_distance(np.array([0.3, 0.7]), np.array([0.3, 0.7])) == pytest.approx(0.0)
    assert js_distance(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(1.0)


@pytest.mark.parametrize("shift", [0.0, 3.0, 10.0])
def test_ks_against_the_baseline_percentiles_is_close_to_the_exact_two_sample_statistic(shift: float) -> None:
    rng = np.random.default_rng(7)
    training, new = rng.normal(0, 1, 20_000), rng.normal(shift / 10, 1, 2_000)
    percentiles = list(np.percentile(training, np.arange(101)))
    assert ks_statistic(new, percentiles) == pytest.approx(ks_2samp(training, new).statistic, abs=0.02)


def test_ks_is_exact_for_discrete_values() -> None:
    training = np.repeat([1.0, 2.0, 3.0, 4.0, 5.0], [10, 10, 10, 20, 50])
    new = np.repeat([1.0, 2.0, 3.0, 4.0, 5.0], [50, 20, 10, 10, 10])
    assert ks_statistic(new, list(np.percentile(training, np.arange(101)))) == pytest.approx(ks_2samp(training, new).statistic, abs=0.011)


def test_baseline_files_hold_model_monitor_style_statistics_and_constraints(synthetic_baseline: Any, tmp_path: Path) -> None:
    statistics = json.loads((tmp_path / "baseline" / "statistics.json").read_text())
    constraints = json.loads((tmp_path / "baseline" / "constraints.json").read_text())
    age = statistics["features"]["age"]
    assert age["kind"] == "numeric" and age["count"] == 5000 and age["mean"] == pytest.approx(40, abs=0.6)
    assert len(age["bin_edges"]) == 9 and sum(age["bin_fractions"]) == pytest.approx(1.0)
    assert all(f == pytest.approx(0.1, abs=0.002) for f in age["bin_fractions"])
    assert set(statistics["features"]["color"]["categories"]) == {"red", "green", "blue"}
    assert statistics["features"]["review"]["kind"] == "text" and statistics["features"]["review"]["word_count"]["mean"] > 10
    assert statistics["prediction"]["categories"]["positive"] == pytest.approx(0.7, abs=0.02)
    assert constraints["features"]["color"]["known_values"] and constraints["features"]["age"]["completeness"] == 1.0
    assert constraints["thresholds"]["psi"] == 0.2
    assert load_baseline(tmp_path).statistics == statistics


def test_unshifted_data_raises_no_violation(synthetic_baseline: Any) -> None:
    fresh = synthetic_frame(2000, seed=2)
    for name in ("age", "color", "review"):
        drift = drift_of(synthetic_baseline, name, fresh)
        assert drift.violation == "" and drift.psi < 0.05 and drift.js < 0.1, drift
    assert drift_of(synthetic_baseline, "age", fresh).ks < 0.06


def test_a_shifted_numeric_column_is_a_violation_in_plain_words(synthetic_baseline: Any) -> None:
    same = drift_of(synthetic_baseline, "age", synthetic_frame(2000, seed=2))
    shifted = drift_of(synthetic_baseline, "age", synthetic_frame(2000, seed=2, age_shift=8))
    assert shifted.kind == "numeric" and shifted.psi > 0.2 and shifted.ks > 0.25 and shifted.js > same.js
    assert shifted.violation.startswith(f"age: PSI {shifted.psi:.2f} > 0.2 — the distribution has shifted")


def test_unseen_categories_and_missing_values_break_the_constraints(synthetic_baseline: Any) -> None:
    frame = synthetic_frame(2000, seed=3, colors=("red", "green", "blue", "purple"), missing_age=0.2)
    color, age = drift_of(synthetic_baseline, "color", frame), drift_of(synthetic_baseline, "age", frame)
    assert "of values were never seen in training (e.g. 'purple')" in color.violation
    assert color.kind == "categorical" and color.js > 0.1
    assert "completeness dropped by 20 points" in age.violation


def test_a_numeric_column_sent_as_text_counts_as_incomplete(synthetic_baseline: Any) -> None:
    frame = synthetic_frame(100, seed=4).astype({"age": object})
    frame.loc[:49, "age"] = "unknown"
    assert "completeness dropped by 50 points" in drift_of(synthetic_baseline, "age", frame).violation


def test_longer_reviews_are_text_length_drift(synthetic_baseline: Any) -> None:
    same = drift_of(synthetic_baseline, "review", synthetic_frame(2000, seed=5))
    longer = drift_of(synthetic_baseline, "review", synthetic_frame(2000, seed=5, words=30))
    assert same.kind == longer.kind == "text_length" and same.violation == ""
    assert longer.violation.startswith("review (word count): PSI") and longer.ks > 0.8


def test_predicted_label_drift(synthetic_baseline: Any) -> None:
    stats, thresholds = synthetic_baseline.prediction, synthetic_baseline.thresholds
    same = compare_prediction(stats, synthetic_predictions(1000, 9)["predicted_label"], thresholds)
    flipped = compare_prediction(stats, synthetic_predictions(1000, 9, positive_share=0.2)["predicted_label"], thresholds)
    assert same is not None and flipped is not None and same.violation == ""
    assert flipped.kind == "prediction" and flipped.psi > 0.2 and "the model's predictions have shifted" in flipped.violation
    assert compare_prediction(stats, pd.Series([None, None], dtype=object), thresholds) is None


def test_date_strings_are_compared_as_dates_and_identifiers_are_not_checked_for_unseen_values(tmp_path: Path) -> None:
    def frame(start: str, rows: int = 500) -> pd.DataFrame:
        posted = pd.date_range(start, periods=rows, freq="h")
        return pd.DataFrame({"posted": posted.strftime("%Y-%m-%d %H:%M:%S"), "order_id": [f"o-{start}-{i}" for i in range(rows)]})

    baseline = write_baseline(frame("2024-01-01"), ["posted", "order_id"], "", None, tmp_path / "baseline")
    assert baseline.features["posted"]["kind"] == "date" and baseline.constraints["features"]["posted"]["inferred_type"] == "Date"
    assert baseline.constraints["features"]["order_id"]["known_values"] is None
    same, later = frame("2024-01-01"), frame("2024-06-01")
    assert drift_of(baseline, "posted", same).violation == "" and drift_of(baseline, "posted", same).psi == pytest.approx(0)
    moved = drift_of(baseline, "posted", later)
    assert moved.kind == "numeric" and moved.ks == pytest.approx(1.0) and moved.violation.startswith("posted: PSI")
    assert "never seen" not in drift_of(baseline, "order_id", later).violation


def test_request_bodies_of_every_content_type_become_instances() -> None:
    columns = ["a", "b"]
    assert parse_instances('{"instances": [{"a": 1, "b": 2}, [3, 4]]}', "application/json", columns) == [{"a": 1, "b": 2}, [3, 4]]
    assert parse_instances("[1, 2]", "application/json", columns) == [[1, 2]]
    assert parse_instances("1,2\n3,4\n", "text/csv", columns) == [["1", "2"], ["3", "4"]]
    assert parse_instances('{"a": 1}\n{"a": 2}\n', "application/jsonlines", columns) == [{"a": 1}, {"a": 2}]
    assert parse_instances('{"inputs": "Great dress, fits well"}', "application/json", ["review"]) == ["Great dress, fits well"]
    assert parse_instances('"Great dress, fits"\nToo small\n', "text/csv", ["review"]) == ["Great dress, fits", "Too small"]
    with pytest.raises(ValueError):
        parse_instances("{not json", "application/json", columns)


# -- capture files in SageMaker's format ----------------------------------------------------------------------


def capture_part(data: str, content_type: str, mode: str, encoding: str = "") -> dict[str, str]:
    encoding = encoding or ("CSV" if "csv" in content_type else "JSON")
    if encoding == "BASE64":
        data = base64.b64encode(data.encode()).decode()
    return {"observedContentType": content_type, "mode": mode, "data": data, "encoding": encoding}


def capture_event(request: str, request_type: str, response: str, response_type: str, at: str,
                  encoding: str = "") -> dict[str, Any]:
    return {"captureData": {"endpointInput": capture_part(request, request_type, "INPUT", encoding),
                            "endpointOutput": capture_part(response, response_type, "OUTPUT", encoding)},
            "eventMetadata": {"eventId": str(uuid.uuid4()), "inferenceTime": at, "variant": VARIANT},
            "eventVersion": "0"}


def write_capture(services: Services, endpoint: str, events: list[dict[str, Any]]) -> Path:
    """One capture file in the hour folder of the events' first inference time."""
    hour = events[0]["eventMetadata"]["inferenceTime"][:13]
    folder = services.settings.home / "endpoints" / endpoint / "capture" / VARIANT / hour[:4] / hour[5:7] / hour[8:10] / hour[11:13]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def local_monitoring(services: Services) -> LocalMonitoring:
    return LocalMonitoring(services.stack, services.catalog, services.storage)


def write_endpoint(services: Services, name: str, record: ModelRecord) -> None:
    folder = services.settings.home / "endpoints" / name
    (folder / "capture").mkdir(parents=True, exist_ok=True)
    config = {"name": name, "host": "127.0.0.1", "port": 0, "capture_percent": 100, "capture_dir": str(folder / "capture"),
              "variants": [{"name": VARIANT, "model_id": record.model_id, "artifact_path": record.artifact_path,
                            "weight": 1.0, "shadow": False}]}
    (folder / "endpoint.json").write_text(json.dumps(config))


def json_predictions(scored: pd.DataFrame) -> str:
    classes = [c[len("probability_"):] for c in scored.columns if c.startswith("probability_")]
    return json.dumps({"predictions": [{"predicted_label": row["predicted_label"], "probability": row["probability"],
                                        "probabilities": {c: row[f"probability_{c}"] for c in classes}}
                                       for _, row in scored.iterrows()]})


def review_events(reviews: list[str], scored: pd.DataFrame, hour: str) -> list[dict[str, Any]]:
    """One JSON request per review, the answer the model gave."""
    return [capture_event(json.dumps({"instances": [text]}), "application/json", json_predictions(scored.iloc[[i]]),
                          "application/json", f"{hour}:{i % 60:02d}:00.000Z") for i, text in enumerate(reviews)]


# -- a workspace with trained models ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workspace(seeded_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    home = tmp_path_factory.mktemp("monitoring") / "workspace"
    shutil.copytree(seeded_home, home)
    copy_empty_mlflow_store(tmp_path_factory, home)
    # one job at a time: two jobs creating the MLflow experiment at once race
    services = build_services(settings_for_tests(home=home, seed_on_start=False, max_heavy_jobs=1))
    yield services
    close_services(services)


@pytest.fixture(scope="module")
def models(workspace: Services) -> dict[str, ModelRecord]:
    text = workspace.training.start_training_job(TrainingRequest(
        algorithm="text-tfidf", source=DataSource(table="demo.reviews_sentiment"), target="sentiment", text_column="review_body"))
    wine = workspace.training.start_training_job(TrainingRequest(
        algorithm="xgboost", source=DataSource(table="demo.wine"), target="target", hyperparameters={"num_round": "10"}))
    records = {}
    for key, name in (("text", text), ("wine", wine)):
        job = workspace.jobs.wait_for_job(name, 300)
        assert job.status == "Completed", workspace.jobs.job_logs(name)
        records[key] = workspace.training.get_model(job.model_id)
    return records


@pytest.fixture(scope="module")
def reviews(workspace: Services) -> pd.DataFrame:
    return workspace.storage.read_table("demo", "reviews_sentiment")


@pytest.fixture(scope="module")
def review_endpoint(workspace: Services, models: dict[str, ModelRecord], reviews: pd.DataFrame) -> str:
    """An endpoint whose 10:00 traffic looks like training and whose 11:00 traffic has four times longer
    reviews, all answered "-1"."""
    name = "reviews-live"
    write_endpoint(workspace, name, models["text"])
    usual = reviews["review_body"].sample(300, random_state=11).tolist()
    scored = load_predictor(Path(models["text"].artifact_path)).predict_frame(pd.DataFrame({"review_body": usual}))
    write_capture(workspace, name, review_events(usual, scored, "2026-11-22T10"))
    longer = [" ".join(reviews["review_body"].sample(4, random_state=i)) for i in range(300)]
    negative = scored.assign(predicted_label="-1", probability=0.9)
    write_capture(workspace, name, review_events(longer, negative, "2026-11-22T11"))
    return name


def test_training_writes_the_baseline_next_to_the_model(models: dict[str, ModelRecord]) -> None:
    folder = Path(models["text"].artifact_path) / BASELINE_FOLDER
    assert (folder / "statistics.json").is_file() and (folder / "constraints.json").is_file()
    baseline = load_baseline(models["text"].artifact_path)
    assert baseline.features["review_body"]["kind"] == "text" and baseline.statistics["text_column"] == "review_body"
    assert set(baseline.prediction["categories"]) == set(models["text"].classes)  # type: ignore[index]
    wine = load_baseline(models["wine"].artifact_path)
    assert wine.features["alcohol"]["kind"] == "numeric" and wine.features["alcohol"]["count"] > 100
    assert set(wine.prediction["categories"]) == {"0", "1", "2"}  # type: ignore[index]


def test_ensure_baseline_computes_a_missing_one_from_the_training_source(workspace: Services,
                                                                         models: dict[str, ModelRecord]) -> None:
    folder = Path(models["wine"].artifact_path) / BASELINE_FOLDER
    written = json.loads((folder / "statistics.json").read_text())
    shutil.rmtree(folder)
    baseline = ensure_baseline(models["wine"], workspace.jobs.describe_job, workspace.settings)
    assert (folder / "statistics.json").is_file() and (folder / "constraints.json").is_file()
    assert set(baseline.features) == set(written["features"])
    assert baseline.features["alcohol"]["mean"] == pytest.approx(written["features"]["alcohol"]["mean"], rel=0.03)
    assert baseline.prediction["categories"]["1"] == pytest.approx(  # type: ignore[index]
        written["prediction"]["categories"]["1"], abs=0.1)


def test_drift_report_flags_longer_reviews_and_shifted_predictions_per_hour(workspace: Services, review_endpoint: str,
                                                                             models: dict[str, ModelRecord]) -> None:
    report = local_monitoring(workspace).drift_report(review_endpoint)
    assert report.endpoint == review_endpoint and report.baseline_model_id == models["text"].model_id and report.rows == 600
    assert any(v.startswith("review_body (word count): PSI") for v in report.violations)
    assert report.prediction_drift is not None and "the model's predictions have shifted" in report.prediction_drift.violation
    first, second = report.over_time
    assert (first["hour"], first["rows"], second["hour"], second["rows"]) == ("2026-11-22T10", 300, "2026-11-22T11", 300)
    assert first["psi_review_body"] < 0.1 and first["psi_prediction"] < 0.1  # type: ignore[operator]
    assert second["psi_review_body"] > 0.2 and second["psi_prediction"] > 0.2  # type: ignore[operator]


def test_traffic_like_training_has_no_violations(workspace: Services, models: dict[str, ModelRecord], reviews: pd.DataFrame) -> None:
    write_endpoint(workspace, "reviews-calm", models["text"])
    usual = reviews["review_body"].sample(400, random_state=5).tolist()
    scored = load_predictor(Path(models["text"].artifact_path)).predict_frame(pd.DataFrame({"review_body": usual}))
    write_capture(workspace, "reviews-calm", review_events(usual, scored, "2026-11-22T09"))
    report = local_monitoring(workspace).drift_report("reviews-calm")
    assert report.rows == 400 and report.violations == (), report.violations
    assert report.notes == ()  # enough rows


def test_tabular_capture_in_every_format_is_parsed_and_a_shifted_column_is_flagged(
        workspace: Services, models: dict[str, ModelRecord]) -> None:
    record = models["wine"]
    columns = [c.name for c in record.input_schema]
    wine = workspace.storage.read_table("demo", "wine")
    rows = wine[columns].assign(alcohol=wine["alcohol"] + 3).sample(frac=1.0, random_state=0)  # 178 rows, classes mixed
    records, arrays = rows.iloc[:60].to_dict("records"), rows.iloc[60:120].values.tolist()
    csv_lines = "".join(",".join(str(v) for v in row) + "\n" for row in rows.iloc[120:150].values.tolist())
    lines = "".join(json.dumps(r) + "\n" for r in rows.iloc[150:].to_dict("records"))
    at = "2026-11-22T12:00:00.000Z"
    events = [capture_event(json.dumps({"instances": records}), "application/json", json.dumps({"predictions": [
                  {"predicted_label": "0", "probability": 0.9}] * 60}), "application/json", at),
              capture_event(json.dumps({"instances": arrays}), "application/json", "0,0.9\n" * 60, "text/csv", at),
              capture_event(csv_lines, "text/csv", "0,0.9\n" * 30, "text/csv", at, encoding="BASE64"),
              capture_event(lines, "application/jsonlines", '{"predicted_label": "0"}\n' * 28, "application/jsonlines", at),
              capture_event("{broken", "application/json", "", "application/json", at)]
    write_endpoint(workspace, "wine-live", record)
    write_capture(workspace, "wine-live", events)
    report = local_monitoring(workspace).drift_report("wine-live")
    assert report.rows == 178 and report.over_time[0]["rows"] == 178
    assert any(v.startswith("alcohol: PSI") for v in report.violations)
    by_psi = sorted(report.features, key=lambda d: -(d.psi or 0))
    assert by_psi[0].feature == "alcohol" and by_psi[0].psi > 3 * by_psi[1].psi  # type: ignore[operator]
    assert report.prediction_drift is not None and report.prediction_drift.psi > 0.2  # type: ignore[operator]


def test_recent_capture_keeps_the_newest_records_within_both_budgets(tmp_path: Path) -> None:
    files = []
    for hour in range(3):  # three hourly files of five records each, oldest first as capture_files lists them
        path = tmp_path / VARIANT / "2026" / "11" / "22" / f"{10 + hour}" / "1-abc.jsonl"
        path.parent.mkdir(parents=True)
        path.write_text("".join(json.dumps({"n": f"{5 * hour + i:04d}"}) + "\n" for i in range(5)) + "\n")  # and a blank line
        files.append(path)
    line = len(json.dumps({"n": "0000"})) + 1

    def numbers(sample: Any) -> list[int]:
        return [int(json.loads(text)["n"]) for text in sample.lines]

    newest = read_recent_capture(files, 7, 10**6)
    assert numbers(newest) == list(range(8, 15)) and newest.total == 15
    assert newest.note()[0].startswith("Compared the most recent 7 of 15 captured records")
    by_bytes = read_recent_capture(files, 100, 3 * line + 5)
    assert numbers(by_bytes) == [12, 13, 14] and by_bytes.total == 15
    everything = read_recent_capture(files, 100, 10**6)
    assert numbers(everything) == list(range(15)) and everything.note() == ()
    assert read_recent_capture(files, 100, line - 1).lines == []  # a record over the budget is never held


def test_drift_reports_read_the_most_recent_sample_of_the_capture_and_say_so(
        workspace: Services, models: dict[str, ModelRecord], reviews: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    write_endpoint(workspace, "reviews-busy", models["text"])
    usual = reviews["review_body"].sample(40, random_state=8).tolist()
    scored = load_predictor(Path(models["text"].artifact_path)).predict_frame(pd.DataFrame({"review_body": usual}))
    for hour in ("2026-11-22T16", "2026-11-22T17", "2026-11-22T18"):
        write_capture(workspace, "reviews-busy", review_events(usual, scored, hour))
    monkeypatch.setattr(monitoring, "CAPTURE_SAMPLE_RECORDS", 100)
    report = local_monitoring(workspace).drift_report("reviews-busy")
    assert report.rows == 100
    assert [(row["hour"], row["rows"]) for row in report.over_time] == [("2026-11-22T16", 20), ("2026-11-22T17", 40),
                                                                         ("2026-11-22T18", 40)]
    assert report.notes[0].startswith("Compared the most recent 100 of 120 captured records")
    monkeypatch.setattr(monitoring, "CAPTURE_SAMPLE_RECORDS", 1000)
    assert local_monitoring(workspace).drift_report("reviews-busy").notes == ()  # all 120 compared: nothing to say


def test_drift_report_of_a_source_table_scores_it_with_the_model(workspace: Services, review_endpoint: str) -> None:
    report = local_monitoring(workspace).drift_report(review_endpoint, source=DataSource(table="demo.reviews_sentiment"))
    assert report.rows == 10_000 and report.over_time == ()
    assert report.violations == (), report.violations
    assert report.prediction_drift is not None and report.prediction_drift.psi < 0.05  # type: ignore[operator]


def test_a_missing_endpoint_or_one_without_traffic_is_a_clear_error(workspace: Services, models: dict[str, ModelRecord]) -> None:
    with pytest.raises(NotFound, match="No endpoint named 'nowhere'"):
        local_monitoring(workspace).drift_report("nowhere")
    write_endpoint(workspace, "reviews-quiet", models["text"])
    with pytest.raises(InvalidInput, match="no captured traffic yet") as caught:
        local_monitoring(workspace).drift_report("reviews-quiet")
    assert caught.value.hint


def test_capture_table_is_queryable_and_refreshed(workspace: Services, review_endpoint: str, models: dict[str, ModelRecord],
                                                  reviews: pd.DataFrame) -> None:
    table = local_monitoring(workspace).register_capture_table(review_endpoint)
    assert table == "endpoints.reviews_live_capture"
    count = workspace.query.run(f"SELECT count(*) AS n FROM {table}").frame["n"].iloc[0]
    labels = workspace.query.run(f"SELECT predicted_label, count(*) AS n FROM {table} "
                                 "WHERE inference_time >= TIMESTAMP '2026-11-22 11:00:00' GROUP BY 1").frame
    assert count == 600 and labels.to_dict("records") == [{"predicted_label": "-1", "n": 300}]
    text = reviews["review_body"].iloc[0]
    write_capture(workspace, review_endpoint, [capture_event(text, "text/plain", "1,0.8", "text/csv", "2026-11-22T13:00:00.000Z")])
    local_monitoring(workspace).register_capture_table(review_endpoint)
    latest = workspace.query.run(f"SELECT input_data, predicted_label, probability, variant FROM {table} "
                                 "WHERE inference_time >= TIMESTAMP '2026-11-22 13:00:00'").frame
    assert latest.to_dict("records") == [{"input_data": text, "predicted_label": "1", "probability": 0.8, "variant": VARIANT}]


def test_a_monitoring_round_writes_reports_only_for_new_traffic(workspace: Services, models: dict[str, ModelRecord],
                                                                reviews: pd.DataFrame) -> None:
    write_endpoint(workspace, "reviews-scheduled", models["text"])
    usual = reviews["review_body"].sample(50, random_state=3).tolist()
    scored = load_predictor(Path(models["text"].artifact_path)).predict_frame(pd.DataFrame({"review_body": usual}))
    write_capture(workspace, "reviews-scheduled", review_events(usual, scored, "2026-11-22T14"))
    written = local_monitoring(workspace).run_round()
    assert [p.parent.parent.name for p in written if p.parent.parent.name == "reviews-scheduled"] == ["reviews-scheduled"]
    assert all(p.parent.name == "monitoring" for p in written)
    assert not [p for p in local_monitoring(workspace).run_round() if p.parent.parent.name == "reviews-scheduled"]
    saved = local_monitoring(workspace).list_reports("reviews-scheduled")
    assert len(saved) == 1 and saved[0].rows == 50 and saved[0].features[0].feature == "review_body"
    assert saved[0].notes and saved[0].notes[0].startswith("Only 50 row(s) compared")  # read back from the saved JSON
    time.sleep(0.05)
    write_capture(workspace, "reviews-scheduled", review_events(usual, scored, "2026-11-22T15"))
    schedule = ScheduleRunner(list, every_seconds=0.05, extra=local_monitoring(workspace).run_round,
                              extra_every_seconds=0.2).start()
    try:
        deadline = time.monotonic() + 30
        while len(local_monitoring(workspace).list_reports("reviews-scheduled")) < 2:
            assert time.monotonic() < deadline, "no scheduled report"
            time.sleep(0.1)
    finally:
        schedule.stop()
    latest = local_monitoring(workspace).list_reports("reviews-scheduled")[-1]
    assert latest.rows == 100 and [row["hour"] for row in latest.over_time] == ["2026-11-22T14", "2026-11-22T15"]


# -- text-minilm: the embedding centroid -------------------------------------------------------------------------------

LOG_LINES = [f"2026-11-22 10:{i:02d}:03 ERROR worker-{i % 7} connection refused on port {5000 + i}, retrying in {i % 5 + 1}s"
             for i in range(40)]


@pytest.fixture(scope="module")
def minilm_reviews() -> Dataset:
    """120 generated reviews split 60 for training, 60 held out (from the same templates)."""
    return prepare_dataset(tiny_reviews(), "sentiment", text_column="review_body", seed=5, validation=0.25, test=0.25)


@pytest.fixture(scope="module")
def minilm_model(tmp_path_factory: pytest.TempPathFactory, minilm_reviews: Dataset) -> tuple[ModelRecord, Baseline, list[str]]:
    """A frozen-encoder text-minilm model with a seeded random head, its training baseline and the training log."""
    import torch

    torch.manual_seed(3)
    model = text_minilm.MiniLMClassifier(features.load_encoder(), len(minilm_reviews.classes), normalize=True)
    config = {"problem_type": minilm_reviews.problem_type, "classes": minilm_reviews.classes, "text_columns": ["review_body"],
              "max_seq_length": 64, "fine_tuned": False, "normalize": True, "base_model": features.MODEL_NAME, "target": "sentiment"}
    predictor = text_minilm.MiniLMPredictor(model, features.load_tokenizer(), config)
    folder = tmp_path_factory.mktemp("minilm") / "model"
    predictor.save(folder)
    lines: list[str] = []
    baseline_at_training(lines.append, minilm_reviews, predictor, folder / BASELINE_FOLDER)
    record = ModelRecord(model_id="reviews-minilm/1", name="reviews-minilm", version=1, framework="pytorch",
                         problem_type=minilm_reviews.problem_type, target="sentiment", input_schema=(Column("review_body", "string"),),
                         classes=tuple(minilm_reviews.classes), metrics={}, run_id="", job_name="", artifact_path=str(folder))
    return record, load_baseline(folder), lines


def text_traffic(texts: list[str]) -> Traffic:
    return Traffic(pd.DataFrame({"review_body": texts}), pd.Series(["1"] * len(texts), dtype=object),
                   pd.Series([""] * len(texts), dtype=object))


def held_out_texts(data: Dataset) -> list[str]:
    return [*data.validation["review_body"], *data.test["review_body"]]


def test_a_minilm_baseline_keeps_the_unit_centroid_of_the_training_texts(minilm_model: tuple[ModelRecord, Baseline, list[str]],
                                                                          minilm_reviews: Dataset) -> None:
    record, baseline, lines = minilm_model
    embedding = baseline.embedding
    assert embedding is not None and embedding["columns"] == ["review_body"] and embedding["rows"] == 60
    centroid = np.array(embedding["centroid"])
    assert centroid.shape == (features.EMBEDDING_SIZE,) and np.linalg.norm(centroid) == pytest.approx(1.0, abs=1e-5)
    # the same texts through the feature store's encoder (its own code path), averaged and normalised
    encoder = features.SentenceEncoder(features.load_tokenizer(), features.load_encoder().eval(), max_seq_length=64)
    vectors = encoder.encode(minilm_reviews.train["review_body"].tolist())
    expected = vectors.mean(axis=0) / np.linalg.norm(vectors.mean(axis=0))
    assert float(centroid @ expected) == pytest.approx(1.0, abs=1e-5)
    texts = ["Love it!", "Terrible, returned it the next day after the zipper broke.", "ok", "Runs small " * 50]
    rows = text_minilm.embed_texts(load_predictor(Path(record.artifact_path)), texts, batch_size=2)  # type: ignore[arg-type]
    assert rows.shape == (4, features.EMBEDDING_SIZE) and np.abs(rows - encoder.encode(texts)).max() < 1e-5  # in the order given
    assert 0.2 < embedding["p05_cosine_to_centroid"] < embedding["mean_cosine_to_centroid"] < 0.95
    assert baseline.constraints["embedding"]["min_mean_cosine_to_centroid"] == embedding["p05_cosine_to_centroid"]
    assert any(line.startswith("Embedding centroid of 60 training texts") for line in lines), lines
    assert baseline.features["review_body"]["kind"] == "text"  # the word-count statistics are still there


def test_reviews_like_training_keep_to_the_centroid_and_log_lines_break_it(
        minilm_model: tuple[ModelRecord, Baseline, list[str]], minilm_reviews: Dataset) -> None:
    record, baseline, _ = minilm_model
    same = embedding_drift(baseline, record, text_traffic(held_out_texts(minilm_reviews))).drift
    logs = embedding_drift(baseline, record, text_traffic(LOG_LINES)).drift
    assert same is not None and logs is not None
    assert same.kind == logs.kind == "embedding" and same.feature == "review_body (embedding centroid)"
    assert same.violation == "" and same.distance is not None and same.distance < 0.1
    assert logs.distance is not None and logs.distance > 0.5 and logs.distance > 5 * same.distance
    limit = baseline.constraints["embedding"]["min_mean_cosine_to_centroid"]
    assert logs.violation.startswith("review_body (embedding centroid): the texts' mean cosine similarity to the training")
    assert f"below {limit:.2f}" in logs.violation
    report = build_report("reviews-minilm", record.model_id, baseline, text_traffic(LOG_LINES), logs)
    assert report.features[-1] == logs and logs.violation in report.violations
    assert report_from_json(json.loads(json.dumps(asdict(report)))) == report  # saved reports keep the distance


def test_models_that_cannot_embed_or_fail_to_get_no_embedding_section(minilm_model: tuple[ModelRecord, Baseline, list[str]],
                                                                     minilm_reviews: Dataset, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    tfidf = get_algorithm("text-tfidf").fit(minilm_reviews, {}, RecordingReporter()).predictor
    lines: list[str] = []
    baseline_at_training(lines.append, minilm_reviews, tfidf, tmp_path / "tfidf" / BASELINE_FOLDER)
    written = load_baseline(tmp_path / "tfidf")
    assert written.embedding is None and written.constraints["embedding"] is None and written.prediction is not None
    assert any("does not embed texts" in line for line in lines), lines

    def broken(predictor: Any, texts: list[str], batch_size: int = 32) -> np.ndarray:
        raise RuntimeError("out of memory")

    record, baseline, _ = minilm_model
    monkeypatch.setattr(text_minilm, "embed_texts", broken)
    lines.clear()
    baseline_at_training(lines.append, minilm_reviews, load_predictor(Path(record.artifact_path)), tmp_path / "broken" / BASELINE_FOLDER)
    statistics = load_baseline(tmp_path / "broken").statistics
    assert statistics["embedding"] is None and statistics["features"]["review_body"]["kind"] == "text"
    assert "No embedding centroid in the baseline (RuntimeError: out of memory)" in lines


def test_a_failed_embedding_check_is_a_note_of_the_report_and_a_bug_is_not_swallowed(
        minilm_model: tuple[ModelRecord, Baseline, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    record, baseline, _ = minilm_model

    def out_of_memory(predictor: Any, texts: list[str], batch_size: int = 32) -> np.ndarray:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(text_minilm, "embed_texts", out_of_memory)
    check = embedding_drift(baseline, record, text_traffic(LOG_LINES))
    assert check.drift is None  # the report goes on without the row, and says why
    assert check.notes == ("The embedding check of review_body was skipped: embedding the captured texts with model "
                           "reviews-minilm/1 failed (RuntimeError: out of memory).",)
    report = build_report("reviews-minilm", record.model_id, baseline, text_traffic(LOG_LINES), check.drift, check.notes)
    assert check.notes[0] in report.notes

    def bug(predictor: Any, texts: list[str], batch_size: int = 32) -> np.ndarray:
        return np.asarray(texts.nonexistent)  # type: ignore[attr-defined]

    monkeypatch.setattr(text_minilm, "embed_texts", bug)
    with pytest.raises(AttributeError):
        embedding_drift(baseline, record, text_traffic(LOG_LINES))

