"""Ready-made pipelines (services/pipelines/templates): the committed definitions are what the sagemaker 3.x
SDK writes now, every code URI they name has its object recorded, the objects install into the lake and
nowhere else, and the scripts really prepare, train and evaluate on a few hundred generated reviews."""

from __future__ import annotations

import contextlib
import io
import json
import runpy
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any
from unittest import mock

import pandas as pd
import pytest

from services.demo.demo_reviews import generate_reviews
from services.errors import InvalidInput, NotFound
from services.pipelines.definition import all_steps, validate_definition
from services.pipelines.models import Pipeline
from services.pipelines.templates import (
    GENERATED,
    INPUT_TABLES,
    install_objects,
    install_template_objects,
    lake_path,
    load_templates,
    template_objects,
    with_parameter_defaults,
)

ROOT = Path(__file__).resolve().parents[2]
CODE = ROOT / "services" / "pipelines" / "templates" / "code" / "review_sentiment"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The templates written again by the generator, and what it printed (its own process: moto and fake
    credentials stay there)."""
    folder = tmp_path_factory.mktemp("templates")
    done = subprocess.run([sys.executable, "-m", "services.pipelines.templates.build_templates", "--output-dir", str(folder)],
                          cwd=ROOT, check=True, capture_output=True, text=True, timeout=180)
    return folder, done.stdout


@pytest.fixture(scope="module")
def review_sentiment() -> dict[str, Any]:
    return next(t for t in load_templates() if t.key == "review-sentiment").definition


def test_committed_templates_are_what_the_generator_writes_now(regenerated: tuple[Path, str]) -> None:
    regenerated_folder = regenerated[0]
    written = sorted(p.relative_to(regenerated_folder).as_posix() for p in regenerated_folder.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(GENERATED).as_posix() for p in GENERATED.rglob("*") if p.is_file())
    assert written == committed == ["review-sentiment/definition.json", "review-sentiment/objects.json",
                                    "tabular-autopilot/definition.json", "tabular-autopilot/objects.json"]
    for name in written:
        assert (regenerated_folder / name).read_text() == (GENERATED / name).read_text(), (
            f"{name} differs from what sagemaker {version('sagemaker')} writes now (a changed template or script, "
            "or another SDK version): run python -m services.pipelines.templates.build_templates")


def test_load_templates_gives_the_review_pipeline_with_typed_parameters(review_sentiment: dict[str, Any]) -> None:
    templates = load_templates()
    assert [t.key for t in templates] == ["review-sentiment", "tabular-autopilot"]
    assert templates[0].title and "macro-F1" in templates[0].description
    pipeline = Pipeline("review-sentiment", "arn", review_sentiment, "", "")
    assert {(p.name, p.type, p.default) for p in pipeline.parameters} == {
        ("InputData", "String", "s3://workbench-lake/demo/reviews/"), ("Algorithm", "String", "tfidf-logistic"),
        ("MinMacroF1", "Float", 0.7), ("MaxAbsDPPL", "Float", 0.1), ("ModelPackageGroup", "String", "review-sentiment")}
    validate_definition(review_sentiment)  # references, property files and order check out for the local engine


def test_a_parameter_default_can_point_at_the_tables_current_location(review_sentiment: dict[str, Any]) -> None:
    """Used with the catalog's Location of the table in INPUT_TABLES (an import moves it to a version folder)."""
    location = "s3://workbench-lake/demo/reviews/_v20260101T000000000000-0123abcd/"
    changed = with_parameter_defaults(review_sentiment, {"InputData": location})
    assert Pipeline("p", "a", changed, "", "").parameters[0].default == location
    assert review_sentiment["Parameters"][0]["DefaultValue"] == "s3://workbench-lake/demo/reviews/"  # the original is kept
    assert changed["Steps"] == review_sentiment["Steps"]
    assert INPUT_TABLES["review-sentiment"] == {"InputData": ("demo", "reviews")}
    with pytest.raises(InvalidInput, match="no parameter Nope"):
        with_parameter_defaults(review_sentiment, {"Nope": 1})


def test_review_pipeline_has_the_steps_and_gates_of_the_course(review_sentiment: dict[str, Any]) -> None:
    steps = {entry.name: (entry.type, entry.branch) for entry in all_steps(review_sentiment)}
    assert steps == {"PrepareReviews": ("Processing", ""), "TrainSentimentModel": ("Training", ""),
                     "EvaluateSentimentModel": ("Processing", ""), "CheckQualityGates": ("Condition", ""),
                     "RegisterSentimentModel": ("RegisterModel", "if"), "QualityGateFailed": ("Fail", "else")}
    gate = Pipeline("p", "a", review_sentiment, "", "").find_step("CheckQualityGates")
    assert gate is not None
    conditions = [(c["Type"], c["LeftValue"]["Std:JsonGet"]["Path"], c["RightValue"]["Get"])
                  for c in gate["Arguments"]["Conditions"]]
    assert conditions == [
        ("GreaterThanOrEqualTo", "multiclass_classification_metrics.macro_f1.value", "Parameters.MinMacroF1"),
        ("LessThanOrEqualTo", "bias_metrics.dppl.value", "Parameters.MaxAbsDPPL"),
        ("LessThanOrEqualTo", "bias_metrics.dppl.negated_value", "Parameters.MaxAbsDPPL")]
    register = gate["Arguments"]["IfSteps"][0]["Arguments"]
    assert register["ModelApprovalStatus"] == "PendingManualApproval"
    assert register["ModelPackageGroupName"] == {"Get": "Parameters.ModelPackageGroup"}
    assert register["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == {
        "Get": "Steps.TrainSentimentModel.ModelArtifacts.S3ModelArtifacts"}
    message = json.dumps(gate["Arguments"]["ElseSteps"][0]["Arguments"]["ErrorMessage"])
    assert "Std:Join" in message and "macro_f1" in message and "dppl.value" in message


def test_training_step_is_the_model_trainer_contract(review_sentiment: dict[str, Any]) -> None:
    arguments = Pipeline("p", "a", review_sentiment, "", "").find_step("TrainSentimentModel")["Arguments"]  # type: ignore[index]
    specification = arguments["AlgorithmSpecification"]
    assert "sagemaker-scikit-learn" in specification["TrainingImage"]
    assert specification["ContainerEntrypoint"] == ["/bin/bash"]
    assert "/opt/ml/input/data/sm_drivers/sm_train.sh" in specification["ContainerArguments"][-1]
    assert arguments["HyperParameters"] == {"algorithm": {"Get": "Parameters.Algorithm"}}
    assert [c["ChannelName"] for c in arguments["InputDataConfig"]] == ["train", "validation", "code", "sm_drivers"]
    assert {"Name": "validation:macro_f1", "Regex": "validation:macro_f1=([0-9\\.]+)"} in specification["MetricDefinitions"]


def code_uris(definition: dict[str, Any]) -> list[str]:
    """The definition's code locations: processing inputs named "code", training channels code and sm_drivers."""
    uris = []
    for entry in all_steps(definition):
        arguments = entry.step.get("Arguments", {})
        uris += [i["S3Input"]["S3Uri"] for i in arguments.get("ProcessingInputs", []) if i["InputName"] == "code"]
        uris += [c["DataSource"]["S3DataSource"]["S3Uri"] for c in arguments.get("InputDataConfig", [])
                 if c["ChannelName"] in ("code", "sm_drivers")]
    return uris


def test_every_code_uri_has_its_objects_and_they_are_the_scripts(review_sentiment: dict[str, Any]) -> None:
    objects = template_objects("review-sentiment")
    uris = code_uris(review_sentiment)
    assert len(uris) == 4
    for uri in uris:
        assert [key for key in objects if key == uri or key.startswith(uri.rstrip("/") + "/")], f"nothing recorded at {uri}"
    by_name = {uri.rsplit("/", 1)[-1]: body for uri, body in objects.items()}
    assert by_name["preprocess.py"] == (CODE / "preprocess.py").read_bytes()
    assert by_name["evaluate.py"] == (CODE / "evaluate.py").read_bytes()
    assert by_name["train.py"] == (CODE / "train" / "train.py").read_bytes()
    assert "sm_train.sh" in by_name and json.loads(by_name["sourcecode.json"])["entry_script"] == "train.py"
    assert not [uri for uri in objects if "__pycache__" in uri]


def test_install_puts_each_object_at_its_lake_path(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    written = install_template_objects("review-sentiment", lake)
    objects = template_objects("review-sentiment")
    assert len(written) == len(objects)
    for uri, body in objects.items():
        assert (lake / uri.removeprefix("s3://")).read_bytes() == body
    assert install_template_objects("review-sentiment", lake) == written  # again: same files, nothing else


def test_unknown_template_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        install_template_objects("../review-sentiment", tmp_path)
    with pytest.raises(NotFound):
        template_objects("no-such-template")


@pytest.mark.parametrize("uri", ["s3://bucket/../../etc/passwd", "s3://bucket/a/../../../x", "s3://bucket//x",
                                 "s3://../x", "s3://bucket/./x", "s3://Bad_Bucket/x", "/etc/passwd", "s3://bucket/a\\..\\x",
                                 "file:///etc/passwd"])
def test_install_refuses_uris_that_escape_the_lake(tmp_path: Path, uri: str) -> None:
    lake = tmp_path / "lake"
    with pytest.raises(InvalidInput):
        install_objects({"s3://bucket/fine.txt": b"ok", uri: b"boom"}, lake)
    assert not (lake / "bucket" / "fine.txt").exists()  # every path is checked before anything is written


def test_install_refuses_a_symlink_leading_out_of_the_lake(tmp_path: Path) -> None:
    lake, outside = tmp_path / "lake", tmp_path / "outside"
    (lake / "bucket").mkdir(parents=True)
    outside.mkdir()
    (lake / "bucket" / "link").symlink_to(outside)
    with pytest.raises(InvalidInput):
        lake_path("s3://bucket/link/x.py", lake)
    assert lake_path("s3://bucket/code/x.py", lake) == (lake / "bucket" / "code" / "x.py").resolve()


# The scripts, run as the containers run them but with folders standing in for /opt/ml ------------------------

def run_script(script: Path, *args: str) -> str:
    """Run the file as ``python script args`` does, in this process (scikit-learn imported once); its output."""
    printed = io.StringIO()
    with mock.patch.object(sys, "argv", [str(script), *args]), contextlib.redirect_stdout(printed):
        runpy.run_path(str(script), run_name="__main__")
    return printed.getvalue()


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """preprocess → train → evaluate on 500 generated reviews, as the table's CSV (with a hidden folder to skip)."""
    base = tmp_path_factory.mktemp("review_run")
    table = base / "reviews"
    (table / "_v20260101T000000000000-00000000").mkdir(parents=True)
    generate_reviews(400, 11).to_csv(table / "womens_clothing_reviews.csv", index=False)
    (table / "_v20260101T000000000000-00000000" / "stale.csv").write_text("not,the,table\n1,2,3\n")
    logs = {"prepare": run_script(CODE / "preprocess.py", "--input-dir", str(table), "--output-dir", str(base / "processing"),
                                  "--seed", "3")}
    logs["train"] = run_script(CODE / "train" / "train.py", "--train", str(base / "processing" / "train"), "--validation",
                               str(base / "processing" / "validation"), "--model-dir", str(base / "model"))
    subprocess.run(["tar", "czf", "model.tar.gz", "model.joblib"], cwd=base / "model", check=True)
    logs["evaluate"] = run_script(CODE / "evaluate.py", "--model-dir", str(base / "model"), "--test-dir",
                                  str(base / "processing" / "test"), "--output-dir", str(base / "evaluation"))
    yield base, logs


def test_preprocess_writes_balanced_stratified_splits(pipeline_run: tuple[Path, dict[str, str]]) -> None:
    base, logs = pipeline_run
    splits = {name: pd.read_csv(base / "processing" / name / f"{name}.csv") for name in ("train", "validation", "test")}
    assert all(list(frame.columns) == ["review_body", "sentiment", "product_category"] for frame in splits.values())
    everything = pd.concat(splits.values())
    counts = everything["sentiment"].value_counts()
    assert set(counts.index) == {"negative", "neutral", "positive"} and counts.nunique() == 1  # balanced
    assert len(splits["test"]) == pytest.approx(0.2 * len(everything), abs=3)
    assert everything["review_body"].str.len().min() > 0 and "not" not in everything.columns
    assert "Tops" in set(everything["product_category"])  # department_name kept as the category


def test_train_and_evaluate_report_macro_f1_and_dppl(pipeline_run: tuple[Path, dict[str, str]]) -> None:
    base, logs = pipeline_run
    assert "validation:macro_f1=" in logs["train"] and "test:macro_f1=" in logs["evaluate"]
    report = json.loads((base / "evaluation" / "evaluation.json").read_text())
    macro_f1 = report["multiclass_classification_metrics"]["macro_f1"]["value"]
    dppl = report["bias_metrics"]["dppl"]
    assert 0.0 <= macro_f1 <= 1.0
    assert dppl["negated_value"] == -dppl["value"]
    assert dppl["value"] == pytest.approx(dppl["rest_positive_proportion"] - dppl["facet_positive_proportion"])
    test = pd.read_csv(base / "processing" / "test" / "test.csv")
    assert dppl["facet"] == test["product_category"].value_counts().idxmax()


def test_train_takes_the_naive_bayes_algorithm_and_refuses_unknown_ones(pipeline_run: tuple[Path, dict[str, str]],
                                                                        tmp_path: Path) -> None:
    base, _ = pipeline_run
    log = run_script(CODE / "train" / "train.py", "--algorithm", "tfidf-naive-bayes", "--train", str(base / "processing" / "train"),
                     "--validation", str(base / "processing" / "validation"), "--model-dir", str(tmp_path))
    assert "algorithm=tfidf-naive-bayes" in log and (tmp_path / "model.joblib").is_file()
    errors = io.StringIO()
    with pytest.raises(SystemExit) as refused, contextlib.redirect_stderr(errors):
        run_script(CODE / "train" / "train.py", "--algorithm", "xgboost")
    assert refused.value.code != 0 and "invalid choice: 'xgboost'" in errors.getvalue()


def test_preprocess_reads_the_engineered_table_from_parquet(tmp_path: Path) -> None:
    """demo.reviews_sentiment's shape: review_body and product_category already there, stored as Parquet."""
    frame = generate_reviews(300, 5).dropna(subset=["Review Text"])
    table = pd.DataFrame({"review_body": frame["Review Text"], "rating": frame["Rating"],
                          "product_category": frame["Department Name"]})
    (tmp_path / "table").mkdir()
    table.to_parquet(tmp_path / "table" / "part-0.parquet")
    run_script(CODE / "preprocess.py", "--input-dir", str(tmp_path / "table"), "--output-dir", str(tmp_path / "out"))
    train = pd.read_csv(tmp_path / "out" / "train" / "train.csv")
    assert set(train["review_body"]) <= set(table["review_body"])



def test_the_autopilot_step_is_written_through_the_shim_while_the_sdk_needs_it(regenerated: tuple[Path, str]) -> None:
    """The generator refuses to write anything when AutoMLStep no longer writes the CreateAutoMLJob request through
    ``automl_shim``; this fails when the SDK builds an AutoMLStep alone (then remove the shim)."""
    assert ("tabular-autopilot: AutoMLStep written through automl_shim (the SDK alone: AttributeError: type object "
            "'Session' has no attribute 'auto_ml')") in regenerated[1], "the SDK builds AutoMLStep by itself now: drop automl_shim"
