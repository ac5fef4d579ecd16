"""The tabular Autopilot template (services/pipelines/templates, key "tabular-autopilot"), written by the SDK's own
AutoMLStep through ``automl_shim``: shaped as SageMaker's sample Autopilot pipeline (split → AutoML → best model →
batch transform of the held-out rows → evaluation → gate → register), accepted by the local engine (the AutoML
executor maps the CreateAutoMLJob request AutoMLStep writes onto V2), its scripts splitting and evaluating real
data, and one run through the local engine to a registered model.

That the committed files are what the generator writes now, and that the shim is still needed and still works,
is checked by test_pipeline_templates.py, whose one generator process writes every template (the SDK's import
costs seconds, so it is paid once)."""

from __future__ import annotations

import contextlib
import io
import json
import random
import runpy
import sys
import time
from pathlib import Path
from typing import Any
from unittest import mock

import pandas as pd
import pytest

from services.embedded.sandbox import sandbox_available
from services.errors import InvalidInput
from services.pipelines.cache import input_uris, key_parts
from services.pipelines.definition import all_steps, validate_definition
from services.pipelines.models import Pipeline
from services.pipelines.steps.automl import best_candidate, check_automl, tabular_config, tabular_request, training_channel
from services.pipelines.templates import INPUT_TABLES, load_templates, template_objects
from services.registry import Services

KEY = "tabular-autopilot"
ROOT = Path(__file__).resolve().parents[2]
CODE = ROOT / "services" / "pipelines" / "templates" / "code" / "tabular_autopilot"
WAIT = 240


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    return next(t.definition for t in load_templates() if t.key == KEY)


def test_the_pipeline_is_split_autopilot_transform_evaluate_gate_register(definition: dict[str, Any]) -> None:
    steps = {entry.name: (entry.type, entry.branch) for entry in all_steps(definition)}
    assert steps == {"SplitTable": ("Processing", ""), "Autopilot": ("AutoML", ""), "CreateBestModel": ("Model", ""),
                     "ScoreHeldOutRows": ("Transform", ""), "EvaluateBestModel": ("Processing", ""),
                     "CheckAccuracy": ("Condition", ""), "RegisterBestModel": ("RegisterModel", "if"),
                     "AccuracyTooLow": ("Fail", "else")}
    pipeline = Pipeline(KEY, "arn", definition, "", "")
    assert {(p.name, p.type, p.default) for p in pipeline.parameters} == {
        ("InputData", "String", "s3://workbench-lake/demo/wine/"), ("TargetColumn", "String", "target"),
        ("DropColumns", "String", ""), ("ProblemType", "String", "MulticlassClassification"),
        ("MaxRuntimeSeconds", "Integer", 60), ("MaxCandidates", "Integer", 2), ("MinAccuracy", "Float", 0.8),
        ("ModelPackageGroup", "String", KEY)}
    assert INPUT_TABLES[KEY] == {"InputData": ("demo", "wine")}
    autopilot = pipeline.find_step("Autopilot")
    assert autopilot is not None and autopilot["CacheConfig"] == {"Enabled": True, "ExpireAfter": "P30D"}
    assert autopilot["RetryPolicies"] == [{"BackoffRate": 2.0, "IntervalSeconds": 60, "MaxAttempts": 2, "ExceptionType": [
        "SageMaker.JOB_INTERNAL_ERROR", "SageMaker.CAPACITY_ERROR"]}]
    arguments = autopilot["Arguments"]  # CreateAutoMLJob as AutoMLStep writes it (AutoMLJobName left to the run)
    assert set(arguments) == {"InputDataConfig", "OutputDataConfig", "ProblemType", "AutoMLJobObjective", "AutoMLJobConfig",
                              "RoleArn"}
    assert arguments["AutoMLJobConfig"] == {"Mode": "ENSEMBLING", "CompletionCriteria": {
        "MaxAutoMLJobRuntimeInSeconds": {"Get": "Parameters.MaxRuntimeSeconds"}, "MaxCandidates": {"Get": "Parameters.MaxCandidates"}}}
    assert arguments["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == {
        "Get": "Steps.SplitTable.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"}
    best = "Steps.Autopilot.BestCandidate.InferenceContainers[0]"
    register = pipeline.find_step("RegisterBestModel")
    assert register is not None and register["Arguments"]["ModelApprovalStatus"] == "PendingManualApproval"
    container = register["Arguments"]["InferenceSpecification"]["Containers"][0]
    assert container["ModelDataUrl"] == {"Get": f"{best}.ModelDataUrl"}
    assert container["Environment"]["MODEL_NAME"] == {"Get": f"{best}.Environment['MODEL_NAME']"}
    gate = pipeline.find_step("CheckAccuracy")
    assert gate is not None
    assert [(c["Type"], c["LeftValue"]["Std:JsonGet"]["Path"], c["RightValue"]) for c in gate["Arguments"]["Conditions"]] == [
        ("GreaterThanOrEqualTo", "multiclass_classification_metrics.accuracy.value", {"Get": "Parameters.MinAccuracy"})]
    validate_definition(definition)  # references, property files and order check out for the local engine


def test_every_code_uri_has_its_script(definition: dict[str, Any]) -> None:
    objects = template_objects(KEY)
    uris = [i["S3Input"]["S3Uri"] for entry in all_steps(definition)
            for i in entry.step.get("Arguments", {}).get("ProcessingInputs", []) if i["InputName"] == "code"]
    assert sorted(uri.rsplit("/", 1)[-1] for uri in uris) == ["evaluate.py", "split.py"]
    for uri in uris:
        assert objects[uri] == (CODE / uri.rsplit("/", 1)[-1]).read_bytes()


def test_the_command_line_lists_and_installs_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str], definition: dict[str, Any]) -> None:
    from services.cli import main

    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "workspace"))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    monkeypatch.delenv("WORKBENCH_BACKEND", raising=False)
    assert main(["pipelines", "templates"]) == 0
    assert [t["Key"] for t in json.loads(capsys.readouterr().out)] == ["review-sentiment", KEY]
    assert main(["pipelines", "install-template", KEY, "--name", "wine-autopilot"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "PipelineArn": "arn:aws:sagemaker:local:000000000000:pipeline/wine-autopilot", "PipelineName": "wine-autopilot"}
    assert main(["pipelines", "list"]) == 0
    assert [p["PipelineName"] for p in json.loads(capsys.readouterr().out)["PipelineSummaries"]] == ["wine-autopilot"]
    lake = tmp_path / "workspace" / "lake"
    assert all((lake / uri.removeprefix("s3://")).read_bytes() == body for uri, body in template_objects(KEY).items())


# The AutoML executor and the request AutoMLStep writes -------------------------------------------------------

def test_the_automl_executor_reads_the_create_automl_job_request_as_v2(definition: dict[str, Any]) -> None:
    arguments = Pipeline(KEY, "arn", definition, "", "").find_step("Autopilot")["Arguments"]  # type: ignore[index]
    check_automl("Autopilot", arguments)  # still references at upsert
    resolved = json.loads(json.dumps(arguments).replace('{"Get": "Parameters.TargetColumn"}', '"target"')
                          .replace('{"Get": "Parameters.ProblemType"}', '"MulticlassClassification"'))
    resolved["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = "s3://b/train/"
    resolved["AutoMLJobConfig"]["CompletionCriteria"] = {"MaxAutoMLJobRuntimeInSeconds": 60, "MaxCandidates": 2}
    assert tabular_config("Autopilot", resolved) == {
        "TargetAttributeName": "target", "ProblemType": "MulticlassClassification", "Mode": "ENSEMBLING",
        "CompletionCriteria": {"MaxAutoMLJobRuntimeInSeconds": 60, "MaxCandidates": 2}}
    assert training_channel("Autopilot", resolved) == {"S3DataType": "S3Prefix", "S3Uri": "s3://b/train/"}
    v2 = tabular_request(resolved)
    assert v2["AutoMLJobInputDataConfig"] == [{"ChannelType": "training", "ContentType": "text/csv;header=present",
                                               "CompressionType": "None", "DataSource": resolved["InputDataConfig"][0]["DataSource"]}]
    assert not {"InputDataConfig", "AutoMLJobConfig", "ProblemType"} & set(v2)
    assert tabular_request(v2) == v2  # a V2 request is taken as it is


def test_the_local_best_candidate_has_every_property_the_sdks_model_builder_reads(definition: dict[str, Any]) -> None:
    """CreateBestModel's Environment refers to InferenceContainers[0].Environment keys one by one; a missing key
    would fail the step when the engine resolves it."""
    container = Pipeline(KEY, "arn", definition, "", "").find_step("CreateBestModel")["Arguments"]["PrimaryContainer"]  # type: ignore[index]
    referenced = {value["Get"].split("'")[1] for value in container["Environment"].values()}
    best = best_candidate({"candidates": [{"name": "LightGBM", "objective_name": "Accuracy", "objective_value": 0.9}],
                           "model_artifacts": "s3://b/model.tar.gz"}, "2026-01-01T00:00:00+00:00")
    inference = best["InferenceContainers"][0]
    assert referenced == set(inference["Environment"]) and inference["Environment"]["MODEL_NAME"] == "LightGBM"
    assert {container["Image"]["Get"], container["ModelDataUrl"]["Get"]} == {
        "Steps.Autopilot.BestCandidate.InferenceContainers[0].Image", "Steps.Autopilot.BestCandidate.InferenceContainers[0].ModelDataUrl"}
    assert inference["ModelDataUrl"] == "s3://b/model.tar.gz"


def test_an_automl_steps_cache_key_follows_its_request_in_either_shape(definition: dict[str, Any]) -> None:
    v1 = Pipeline(KEY, "arn", definition, "", "").find_step("Autopilot")["Arguments"]  # type: ignore[index]
    v1 = json.loads(json.dumps(v1).replace('{"Get": "Steps.SplitTable.ProcessingOutputConfig.Outputs[\'train\'].S3Output.S3Uri"}',
                                           '"s3://b/train/"'))
    v2 = tabular_request(v1)
    for request in (v1, v2):
        moved = json.loads(json.dumps(request).replace("s3://b/train/", "s3://b/other/"))
        assert input_uris("AutoML", request) == ["s3://b/train/"] and input_uris("AutoML", moved) == ["s3://b/other/"]
        retargeted = json.loads(json.dumps(request).replace("TargetColumn", "OtherColumn"))
        assert key_parts("AutoML", retargeted) != key_parts("AutoML", request)
    assert set(key_parts("AutoML", v1)) == {"AutoMLJobConfig", "AutoMLJobObjective", "InputDataConfig", "ProblemType"}


@pytest.mark.parametrize(("change", "message"), [
    ({"InputDataConfig": [{"ChannelType": "training", "DataSource": {"S3DataSource": {"S3Uri": "s3://b/k"}}}]},
     "TargetAttributeName is missing"),
    ({"InputDataConfig": []}, "exactly one training channel"),
    ({"AutoMLJobConfig": {"Mode": "FAST"}}, "Mode 'FAST' is not one of"),
])
def test_a_create_automl_job_request_that_cannot_run_is_refused(change: dict[str, Any], message: str) -> None:
    arguments = {"InputDataConfig": [{"ChannelType": "training", "TargetAttributeName": "y",
                                      "DataSource": {"S3DataSource": {"S3Uri": "s3://b/k"}}}],
                 "OutputDataConfig": {"S3OutputPath": "s3://b/o"}, "AutoMLJobConfig": {"Mode": "ENSEMBLING"}} | change
    with pytest.raises(InvalidInput, match=message):
        check_automl("Auto", arguments)


# The scripts, run as the containers run them but with folders standing in for /opt/ml -----------------------

def run_script(script: Path, *args: str) -> str:
    printed = io.StringIO()
    with mock.patch.object(sys, "argv", [str(script), *args]), contextlib.redirect_stdout(printed):
        runpy.run_path(str(script), run_name="__main__")
    return printed.getvalue()


def wine_table(folder: Path, label_copy: bool = False) -> pd.DataFrame:
    """demo.wine as the seeding writes it (Parquet, the cultivar as ``target``); with ``label_copy`` also a renamed
    copy of the label, ``cultivar``, for the split to leave out."""
    from sklearn.datasets import load_wine

    frame: pd.DataFrame = load_wine(as_frame=True).frame
    if label_copy:
        frame["cultivar"] = [f"class_{int(t)}" for t in frame["target"]]
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(folder / "wine.parquet", index=False)
    return frame


def test_split_holds_out_a_stratified_share_without_the_dropped_columns(tmp_path: Path) -> None:
    wine = wine_table(tmp_path / "table", label_copy=True)
    (tmp_path / "table" / "_v0").mkdir()
    (tmp_path / "table" / "_v0" / "stale.csv").write_text("not,the,table\n")
    log = run_script(CODE / "split.py", "--input-dir", str(tmp_path / "table"), "--output-dir", str(tmp_path / "out"),
                     "--target", "cultivar", "--drop-columns", "target")
    train = pd.read_csv(tmp_path / "out" / "train" / "train.csv")
    features = pd.read_csv(tmp_path / "out" / "test-features" / "features.csv", header=None)
    labels = pd.read_csv(tmp_path / "out" / "test-labels" / "labels.csv")
    assert list(train.columns) == [c for c in wine.columns if c not in ("target", "cultivar")] + ["cultivar"]
    assert features.shape == (len(labels), len(train.columns) - 1) and list(labels.columns) == ["cultivar"]
    assert len(train) + len(labels) == len(wine) and len(labels) == pytest.approx(0.2 * len(wine), abs=1)
    assert labels["cultivar"].value_counts(normalize=True).round(1).to_dict() == wine["cultivar"].value_counts(
        normalize=True).round(1).to_dict()
    assert "dropped: target" in log
    with pytest.raises(SystemExit, match="no column nope"):
        run_script(CODE / "split.py", "--input-dir", str(tmp_path / "table"), "--output-dir", str(tmp_path / "x"),
                   "--target", "nope")
    (tmp_path / "two").mkdir()
    (tmp_path / "two" / "rows.csv").write_text("x,y\n1,a\n2,b\n")
    with pytest.raises(SystemExit, match="2 rows with a target are too few"):
        run_script(CODE / "split.py", "--input-dir", str(tmp_path / "two"), "--output-dir", str(tmp_path / "x"), "--target", "y")


def test_evaluate_scores_the_transform_output_against_the_labels(tmp_path: Path) -> None:
    (tmp_path / "predictions").mkdir()
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "labels.csv").write_text("cultivar\na\na\nb\nb\n")
    (tmp_path / "predictions" / "features.csv.out").write_text("a\nb\nb\nb\n")
    log = run_script(CODE / "evaluate.py", "--predictions-dir", str(tmp_path / "predictions"), "--labels-dir",
                     str(tmp_path / "labels"), "--output-dir", str(tmp_path / "evaluation"))
    metrics = json.loads((tmp_path / "evaluation" / "evaluation.json").read_text())["multiclass_classification_metrics"]
    assert metrics["accuracy"] == {"value": 0.75} and "test:accuracy=0.7500" in log
    assert metrics["confusion_matrix"] == {"a": {"a": 1, "b": 1}, "b": {"a": 0, "b": 2}}
    assert metrics["weighted_f1"]["value"] == pytest.approx((2 / 3 + 0.8) / 2)
    evaluate = runpy.run_path(str(CODE / "evaluate.py"))["evaluate"]
    from sklearn.metrics import precision_recall_fscore_support

    rng = random.Random(7)
    for _ in range(40):  # the plain counting agrees with scikit-learn's weighted averages
        labels = [f"c{rng.randrange(3)}" for _ in range(rng.randint(1, 25))]
        guesses = [f"c{rng.randrange(4)}" for _ in labels]
        expected = precision_recall_fscore_support(labels, guesses, labels=sorted(set(labels) | set(guesses)),
                                                   average="weighted", zero_division=0)[:3]
        found = evaluate(labels, guesses)["multiclass_classification_metrics"]
        assert [found[f"weighted_{name}"]["value"] for name in ("precision", "recall", "f1")] == pytest.approx(expected)
    (tmp_path / "predictions" / "features.csv.out").write_text("a\n")
    with pytest.raises(SystemExit, match="1 predictions for 4 held-out rows"):
        run_script(CODE / "evaluate.py", "--predictions-dir", str(tmp_path / "predictions"), "--labels-dir",
                   str(tmp_path / "labels"), "--output-dir", str(tmp_path / "evaluation"))


# One run through the local engine ------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.skipif(not sandbox_available()[0], reason=sandbox_available()[1])
def test_the_template_runs_unchanged_to_a_registered_model(services: Services, data_dir: Path) -> None:
    wine_table(data_dir / "wine")
    table = services.catalog.import_path(data_dir / "wine", "demo", "wine")  # the table the template's input defaults to
    pipelines = services.pipelines
    installed = pipelines.install_template(KEY)
    assert next(p for p in installed.parameters if p.name == "InputData").default == table.location
    started = time.monotonic()
    execution = pipelines.wait_for_execution(pipelines.start_execution(KEY, {"MinAccuracy": "0.6", "MaxRuntimeSeconds": "30"}).arn, WAIT)
    seconds = time.monotonic() - started
    steps = {step.name: step for step in pipelines.list_steps(execution.arn)}
    assert execution.status == "Succeeded", [(s.name, s.failure_reason) for s in steps.values()]
    assert list(steps) == ["SplitTable", "Autopilot", "CreateBestModel", "ScoreHeldOutRows", "EvaluateBestModel",
                           "CheckAccuracy", "RegisterBestModel"]
    assert steps["CheckAccuracy"].metadata == {"Condition": {"Outcome": "True"}}
    assert "ENSEMBLING" in pipelines.step_logs(execution.arn, "Autopilot")
    assert "test:accuracy=" in pipelines.step_logs(execution.arn, "EvaluateBestModel")
    assert steps["RegisterBestModel"].metadata["RegisterModel"]["Arn"].endswith(f":model-package/{KEY}/1")
    package = services.training.get_model(f"{KEY}/1")
    assert (package.framework, package.target, package.approval_status) == ("autogluon", "target", "PendingManualApproval")
    assert package.metrics["multiclass_classification_metrics.accuracy"] >= 0.6
    print(f"tabular-autopilot run: {seconds:.1f} s")
