"""Expressions of SageMaker pipeline definitions: references, Std:Join, Std:JsonGet and conditions, including
the JSON the real sagemaker SDK writes (tests/helpers/sdk_pipelines.py)."""

from __future__ import annotations

from typing import Any

import pytest

from services.pipelines.expressions import (
    ExpressionError,
    Scope,
    evaluate_condition,
    evaluate_conditions,
    json_path,
    path_tokens,
    property_path,
    resolve,
)
from tests.helpers.sdk_pipelines import gate_pipeline

TRAINING = {
    "TrainingJobName": "job-1",
    "ModelArtifacts": {"S3ModelArtifacts": "s3://b/model.tar.gz"},
    "FinalMetricDataList": [{"MetricName": "train:loss", "Value": 0.3},
                            {"MetricName": "validation:accuracy", "Value": 0.91}],
    "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": "s3://b/train"}}}],
}
PROCESSING = {"ProcessingOutputConfig": {"Outputs": [
    {"OutputName": "train", "S3Output": {"S3Uri": "s3://b/out/train"}},
    {"OutputName": "evaluation", "S3Output": {"S3Uri": "s3://b/out/eval"}}]}}
TUNING = {"TrainingJobSummaries": [{"TrainingJobName": "best"}, {"TrainingJobName": "second"}],
          "BestTrainingJob": {"TrainingJobName": "best"}}


def scope(files: dict[tuple[str, str], Any] | None = None, **parameters: Any) -> Scope:
    return Scope(parameters, {"PipelineExecutionId": "abc123def456", "PipelineName": "p"},
                 {"Train": TRAINING, "Prep": PROCESSING, "Tune": TUNING},
                 lambda step, name: (files or {})[(step, name)])


@pytest.mark.parametrize(("reference", "expected"), [
    ("Steps.Prep.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri", "s3://b/out/train"),
    ("Steps.Prep.ProcessingOutputConfig.Outputs[1].S3Output.S3Uri", "s3://b/out/eval"),
    ("Steps.Train.ModelArtifacts.S3ModelArtifacts", "s3://b/model.tar.gz"),
    ("Steps.Train.FinalMetricDataList['validation:accuracy'].Value", 0.91),
    ("Steps.Train.InputDataConfig['train'].DataSource.S3DataSource.S3Uri", "s3://b/train"),
    ("Steps.Tune.TrainingJobSummaries[0].TrainingJobName", "best"),
    ("Steps.Tune.TrainingJobSummaries[-1].TrainingJobName", "second"),
    ("Parameters.Threshold", 0.8),
    ("Execution.PipelineExecutionId", "abc123def456"),
])
def test_get_reads_parameters_execution_variables_and_step_properties(reference: str, expected: Any) -> None:
    assert resolve({"Get": reference}, scope(Threshold=0.8)) == expected


@pytest.mark.parametrize("reference", [
    "Steps.Prep.ProcessingOutputConfig.Outputs['missing'].S3Output.S3Uri", "Steps.Tune.TrainingJobSummaries[5]",
    "Steps.Nope.X", "Parameters.Nope", "Execution.Nope", "Somewhere.Else"])
def test_a_reference_that_leads_nowhere_is_an_error_naming_it(reference: str) -> None:
    with pytest.raises(ExpressionError):
        resolve({"Get": reference}, scope())


def test_path_tokens_read_dots_quoted_keys_and_positions() -> None:
    assert path_tokens("A.B['k:1'][0].C[\"d\"]") == ["A", "B", "k:1", 0, "C", "d"]
    with pytest.raises(ExpressionError):
        path_tokens("A..B")
    with pytest.raises(ExpressionError):
        property_path({"A": 1}, "A[", "Steps.X")


def test_join_writes_values_as_text_and_resolves_inside_nested_arguments() -> None:
    value = {"Outputs": [{"S3Uri": {"Std:Join": {"On": "/", "Values": [
        "s3://b", {"Get": "Execution.PipelineExecutionId"}, {"Get": "Parameters.N"}, {"Get": "Parameters.On"}]}}}]}
    assert resolve(value, scope(N=3, On=True)) == {"Outputs": [{"S3Uri": "s3://b/abc123def456/3/true"}]}


def test_json_get_reads_the_property_file_the_scope_gives() -> None:
    files = {("Eval", "Report"): {"metrics": {"f1": [{"value": 0.7}, {"value": 0.8}]}}}
    expression = {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Eval.PropertyFiles.Report"}, "Path": "metrics.f1[1].value"}}
    assert resolve(expression, scope(files)) == 0.8
    by_name = {"Std:JsonGet": {"PropertyFile": "Report", "Path": "metrics.f1[0].value"}}
    assert resolve(by_name, Scope({}, {}, {}, lambda step, name: files[("Eval", name)])) == 0.7
    with pytest.raises(ExpressionError):
        json_path({"a": 1}, "a.b")


@pytest.mark.parametrize(("condition", "expected"), [
    ({"Type": "GreaterThanOrEqualTo", "LeftValue": 0.8, "RightValue": {"Get": "Parameters.T"}}, True),
    ({"Type": "GreaterThan", "LeftValue": 0.8, "RightValue": {"Get": "Parameters.T"}}, False),
    ({"Type": "LessThan", "LeftValue": "0.5", "RightValue": 0.8}, True),
    ({"Type": "LessThanOrEqualTo", "LeftValue": 0.9, "RightValue": 0.8}, False),
    ({"Type": "Equals", "LeftValue": 1, "RightValue": 1.0}, True),
    ({"Type": "Equals", "LeftValue": "a", "RightValue": "b"}, False),
    ({"Type": "In", "QueryValue": {"Get": "Parameters.Algo"}, "Values": ["xgboost", "linear"]}, True),
    ({"Type": "Not", "Condition": {"Type": "In", "QueryValue": "x", "Values": ["y"]}}, True),
    ({"Type": "Or", "Conditions": [{"Type": "Equals", "LeftValue": 1, "RightValue": 2},
                                   {"Type": "Equals", "LeftValue": 2, "RightValue": 2}]}, True),
    ({"Type": "Or", "Conditions": []}, False),
])
def test_conditions(condition: dict[str, Any], expected: bool) -> None:
    assert evaluate_condition(condition, scope(T=0.8, Algo="xgboost")) is expected


def test_a_conditions_list_is_an_and_and_a_non_number_cannot_be_compared() -> None:
    both = [{"Type": "GreaterThan", "LeftValue": 2, "RightValue": 1}, {"Type": "LessThan", "LeftValue": 2, "RightValue": 1}]
    assert evaluate_conditions(both, scope()) is False
    with pytest.raises(ExpressionError, match="not a number"):
        evaluate_condition({"Type": "GreaterThan", "LeftValue": "high", "RightValue": 1}, scope())
    with pytest.raises(ExpressionError, match="Unknown condition type"):
        evaluate_condition({"Type": "Between"}, scope())


@pytest.fixture(scope="module")
def sdk_definition() -> dict[str, Any]:
    return gate_pipeline(0.9)


@pytest.mark.parametrize(("accuracy", "minimum", "outcome"), [(0.9, 0.7, True), (0.6, 0.7, False), (0.7, 0.7, True)])
def test_the_sdk_written_gate_condition(sdk_definition: dict[str, Any], accuracy: float, minimum: float, outcome: bool) -> None:
    gate = next(step for step in sdk_definition["Steps"] if step["Name"] == "Gate")
    files = {("Eval", "EvalReport"): {"metrics": {"accuracy": {"value": accuracy}}}}
    assert evaluate_conditions(gate["Arguments"]["Conditions"], scope(files, MinAccuracy=minimum,
                                                                      InputData="s3://sdk-bucket/raw/")) is outcome
    fail = gate["Arguments"]["ElseSteps"][0]
    assert resolve(fail["Arguments"]["ErrorMessage"], scope(files, MinAccuracy=minimum)) == \
        f"Accuracy {accuracy} is below {minimum}"


def test_the_sdk_written_output_location_joins_the_execution_id(sdk_definition: dict[str, Any]) -> None:
    evaluate = next(step for step in sdk_definition["Steps"] if step["Name"] == "Eval")
    resolved = resolve(evaluate["Arguments"], scope())
    assert resolved["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == "s3://sdk-bucket/abc123def456/evaluation"
    assert resolved["ProcessingInputs"][0]["S3Input"]["S3Uri"] == "s3://b/out/train"
