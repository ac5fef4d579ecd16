"""``python -m services processing …`` on the local backend, in this process: a script written for SKLearnProcessor
run with ``--code``, sharded over 2 instances (the API's shapes), the built-in review feature engineering on a
catalog table (balanced splits registered as tables, MiniLM token ids, the token-length report, the splits
ingested into a feature group through the features port), and exit code 2 with one line for user errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from services.embedded.sandbox import sandbox_available
from tests.helpers.cli import Run, in_process_cli, ok
from tests.helpers.processing import SEEN_SCRIPT, put

pytestmark = pytest.mark.skipif(not sandbox_available()[0], reason=sandbox_available()[1])
LAKE = "s3://workbench-lake/cli"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    return in_process_cli(tmp_path / "workspace", monkeypatch, capsys, max_heavy_jobs="2")


def test_run_uploads_the_code_shards_the_input_and_answers_in_the_apis_shape(cli: Run, tmp_path: Path) -> None:
    lake = tmp_path / "workspace" / "lake"
    for index in range(3):
        put(lake, f"{LAKE}/raw/part-{index}.csv", f"r,{index}\n")
    put(lake, f"{LAKE}/lookup/labels.csv", "1,negative\n")
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "preprocess.py").write_text(SEEN_SCRIPT)
    answer = ok(cli, "processing", "run", "--entrypoint", "python3", "/opt/ml/processing/input/code/preprocess.py",
                "--code", str(tmp_path / "code"), "--input", f"raw={LAKE}/raw/", "--input",
                f"lookup={LAKE}/lookup/:/opt/ml/processing/input/lookup", "--output", f"seen={LAKE}/out/",
                "--instance-count", "2", "--distribution", "ShardedByS3Key", "--arg=--split", "--arg", "0.25",
                "--env", "MODE=cli", "--name", "cli-run", "--wait")
    assert answer == {"ProcessingJobName": "cli-run", "ProcessingJobStatus": "Completed",
                      "ProcessingJobArn": "arn:aws:sagemaker:local:000000000000:processing-job/cli-run"}
    seen = {host: json.loads((lake / f"workbench-lake/cli/out/{host}.json").read_text()) for host in ("algo-1", "algo-2")}
    assert (seen["algo-1"]["raw"], seen["algo-2"]["raw"]) == (["part-0.csv", "part-2.csv"], ["part-1.csv"])
    assert (seen["algo-1"]["lookup"], seen["algo-2"]["lookup"]) == (["labels.csv"], [])  # --distribution: every input
    assert (seen["algo-2"]["split"], seen["algo-2"]["mode"]) == (0.25, "cli")
    described = ok(cli, "processing", "describe", "cli-run")
    assert described["ProcessingInputs"][-1]["S3Input"] == {
        "S3Uri": "s3://workbench-lake/processing/cli-run/input/code/", "LocalPath": "/opt/ml/processing/input/code",
        "S3DataType": "S3Prefix", "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}
    assert described["AppSpecification"]["ImageUri"].endswith("/sagemaker-scikit-learn:1.2-1-cpu-py3")
    listed = ok(cli, "processing", "list", "--status", "Completed")["ProcessingJobSummaries"]
    assert [s["ProcessingJobName"] for s in listed] == ["cli-run"]
    assert ok(cli, "processing", "stop", "cli-run")["ProcessingJobStatus"] == "Completed"


def test_review_features_balances_splits_tokenises_registers_the_tables_and_fills_a_feature_group(cli: Run, tmp_path: Path) -> None:
    texts = ["Runs small, <b>returned</b> it.", "Lovely &amp; soft fabric, fits well and washes nicely every time.",
             "It is ok", ""]
    rows = pd.DataFrame({"Title": ["t"] * 64, "Review Text": [texts[i % 4] for i in range(64)],
                         "Rating": [(1, 5, 3, 4)[i % 4] if i < 48 else 5 for i in range(64)],
                         "Department Name": ["Tops", "Dresses"] * 32})
    rows.loc[[0, 4, 8], "Review Text"] = "Runs small and the zipper broke on the second day, " * 6  # long: truncated
    rows.to_csv(tmp_path / "reviews.csv", index=False)
    ok(cli, "catalog", "import", str(tmp_path / "reviews.csv"), "--database", "demo", "--table", "reviews")
    answer = ok(cli, "processing", "review-features", "--table", "demo.reviews", "--max-length", "16",
                "--name", "review-features-1", "--feature-group", "review-features", "--wait")
    assert answer["ProcessingJobStatus"] == "Completed", answer
    assert answer["FeatureGroup"] == {"FeatureGroupName": "review-features", "Ingested": 36, "Failed": 0, "Errors": []}
    assert answer["Tables"] == ["demo.reviews_features_train", "demo.reviews_features_validation",
                                "demo.reviews_features_test"]
    every = [row for name in ("train", "validation", "test") for row in table_rows(cli, f"demo.reviews_features_{name}")]
    assert len(every) == 36  # 12 reviews per sentiment once balanced (48 rows, 12 with no text; 12 neutral)
    assert pd.Series([row["sentiment"] for row in every]).value_counts().to_dict() == {-1: 12, 0: 12, 1: 12}
    assert {row["label"] for row in every if row["sentiment"] == 1} == {"positive"}
    assert len({row["review_id"] for row in every}) == 36 and len({row["event_time"] for row in every}) == 1
    negative = next(row for row in every if row["sentiment"] == -1)
    record = ok(cli, "features", "get", "review-features", negative["review_id"])["Record"]
    assert {"FeatureName": "label", "ValueAsString": "negative"} in record
    assert all("<b>" not in row["review_body"] and "&amp;" not in row["review_body"] for row in every)
    assert all(len(row["input_ids"].split()) == 16 and row["input_ids"].startswith("101 ") for row in every)
    report = json.loads((tmp_path / "workspace/lake/workbench-lake/processing/review-features-1/output/report/"
                                     "report-algo-1.json").read_text())["tokenization"]
    assert report["max_length"] == 16 and report["reviews"] == 36 and 0 < report["truncation_rate"] < 1
    assert sum(report["histogram"]["counts"]) == 36 and report["tokens"]["max"] > 16


def table_rows(cli: Run, table: str) -> list[dict[str, Any]]:
    result = ok(cli, "query", f"SELECT * FROM {table}")
    names = [column["name"] for column in result["columns"]]
    return [dict(zip(names, row, strict=True)) for row in result["rows"]]


def test_user_errors_exit_2_with_one_line(cli: Run, tmp_path: Path) -> None:
    for args in (["processing", "run", "--entrypoint", "python3", "--input", "raw=/etc/passwd"],
                 ["processing", "run", "--entrypoint", "python3", "--input", "raw=s3://b/../../x/"],
                 ["processing", "describe", "no-such-job"],
                 ["processing", "review-features", "--table", "demo.nothing"],
                 ["processing", "review-features", "--table", "demo.reviews", "--max-length", "9000"]):
        code, out, err = cli(*args)
        assert (code, out) == (2, ""), err
        assert err.startswith("error: ") and err.count("\n") == 1
