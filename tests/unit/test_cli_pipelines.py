"""``python -m services pipelines …`` on the local backend, in this process: the API's shapes, the real engine, and
exit code 2 naming the step for a definition that cannot run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import Run, in_process_cli, ok

GATED = {"Version": "2020-12-01",
         "Parameters": [{"Name": "Score", "Type": "Float", "DefaultValue": 0.5}],
         "Steps": [{"Name": "Gate", "Type": "Condition", "Arguments": {
             "Conditions": [{"Type": "GreaterThanOrEqualTo", "LeftValue": {"Get": "Parameters.Score"}, "RightValue": 0.9}],
             "IfSteps": [], "ElseSteps": [{"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "score too low"}}]}}]}


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    return in_process_cli(tmp_path / "workspace", monkeypatch, capsys)


def write(tmp_path: Path, value: Any) -> str:
    path = tmp_path / "definition.json"
    path.write_text(value if isinstance(value, str) else json.dumps(value))
    return str(path)


def test_upsert_start_wait_and_steps_in_the_apis_shapes(cli: Run, tmp_path: Path) -> None:
    created = ok(cli, "pipelines", "upsert", "--name", "gated", "--definition", write(tmp_path, GATED))
    assert created == {"PipelineArn": "arn:aws:sagemaker:local:000000000000:pipeline/gated", "PipelineName": "gated"}
    passed = ok(cli, "pipelines", "start", "gated", "--param", "Score=0.95", "--wait")
    assert passed["PipelineExecutionStatus"] == "Succeeded"
    failed = ok(cli, "pipelines", "start", "gated", "--wait")
    assert (failed["PipelineExecutionStatus"], failed["FailureReason"]) == ("Failed", "score too low")
    steps = ok(cli, "pipelines", "steps", failed["PipelineExecutionArn"])["PipelineExecutionSteps"]
    assert [(s["StepName"], s["StepStatus"]) for s in steps] == [("Gate", "Succeeded"), ("Stop", "Failed")]
    assert steps[0]["Metadata"] == {"Condition": {"Outcome": "False"}}
    described = ok(cli, "pipelines", "describe-execution", failed["PipelineExecutionArn"])
    assert described["PipelineParameters"] == [{"Name": "Score", "Value": "0.5"}]
    executions = ok(cli, "pipelines", "executions", "gated")["PipelineExecutionSummaries"]
    assert [e["PipelineExecutionStatus"] for e in executions] == ["Failed", "Succeeded"]
    assert [p["PipelineName"] for p in ok(cli, "pipelines", "list")["PipelineSummaries"]] == ["gated"]


@pytest.mark.parametrize(("definition", "named"), [
    ({"Version": "2020-12-01", "Steps": [{"Name": "Hook", "Type": "Lambda", "Arguments": {}}]}, "'Hook'"),
    ({"Version": "2020-12-01", "Steps": [{"Name": "Stop", "Type": "Fail",
                                           "Arguments": {"ErrorMessage": {"Get": "Steps.Nowhere.Properties"}}}]}, "Nowhere"),
    ('{"Version": "2020-12-01", "Steps": [', "line 1"),
])
def test_a_definition_that_cannot_run_exits_2_naming_the_step(cli: Run, tmp_path: Path, definition: Any, named: str) -> None:
    code, out, err = cli("pipelines", "upsert", "--name", "bad", "--definition", write(tmp_path, definition))
    assert (code, out) == (2, "")
    assert named in err


def test_bad_parameters_and_unknown_names_exit_2(cli: Run, tmp_path: Path) -> None:
    ok(cli, "pipelines", "upsert", "--name", "gated", "--definition", write(tmp_path, GATED))
    for args, said in ((("start", "gated", "--param", "Score"), "KEY=VALUE"),
                       (("start", "gated", "--param", "Score=high"), "Score"),
                       (("start", "gated", "--param", "Other=1"), "Other"),
                       (("start", "nowhere"), "nowhere"),
                       (("describe-execution", "arn:aws:sagemaker:local:000000000000:pipeline/gated/execution/x"), "x")):
        code, _, err = cli("pipelines", *args)
        assert code == 2 and said in err, (args, err)
