"""Checking a pipeline definition at upsert: what is refused names the step; parameters at start."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import pytest

from services.errors import InvalidInput
from services.pipelines.definition import (
    MAX_DEFINITION_CHARS,
    all_steps,
    execution_parameters,
    parse_definition,
    parse_duration,
    validate_definition,
)
from tests.helpers.pipeline_executors import definition, output_ref, processing_step
from tests.helpers.sdk_pipelines import gate_pipeline


class RecordingExecutor:
    def __init__(self) -> None:
        self.validated: list[str] = []

    def validate(self, step_name: str, arguments: dict[str, Any]) -> None:
        self.validated.append(step_name)
        if "unknown" in json.dumps(arguments.get("AppSpecification")):
            raise InvalidInput(f"Step {step_name!r}: unknown image.")

    def start(self, run: Any) -> str:
        raise AssertionError("not started at upsert")

    def outcome(self, run: Any) -> Any:
        raise AssertionError("not started at upsert")


@pytest.fixture(scope="module")
def sdk_definition() -> dict[str, Any]:
    return gate_pipeline(0.9)


def two_steps() -> dict[str, Any]:
    return definition([processing_step("A", ["s3://b/in/"], ["out"]),
                       processing_step("B", [output_ref("A", "out")], ["out"])],
                      [{"Name": "Threshold", "Type": "Float", "DefaultValue": 0.5}])


def refused(value: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        validate_definition(value, {"Processing": RecordingExecutor()})


def test_the_sdk_written_definition_is_valid_and_every_executor_checks_its_steps(sdk_definition: dict[str, Any]) -> None:
    executor = RecordingExecutor()
    validate_definition(sdk_definition, {"Processing": executor})
    assert sorted(executor.validated) == ["Eval", "Prep", "Publish"]  # Publish sits in the Condition's IfSteps
    assert [e.name for e in all_steps(sdk_definition)] == ["Prep", "Eval", "Gate", "Publish", "TooLow"]


def test_bad_json_says_line_and_column() -> None:
    with pytest.raises(InvalidInput, match="line 3, column 5"):
        parse_definition('{\n  "Version": "2020-12-01",\n    ,\n}')
    with pytest.raises(InvalidInput, match="JSON object"):
        parse_definition("[1, 2]")


def test_a_definition_over_one_megabyte_is_refused_before_parsing() -> None:
    with pytest.raises(InvalidInput, match="1 MB"):
        parse_definition('{"Metadata": "' + "x" * MAX_DEFINITION_CHARS + '"}')
    assert parse_definition(two_steps()) == two_steps()


def test_unknown_step_types_and_images_are_refused_naming_the_step(sdk_definition: dict[str, Any]) -> None:
    value = copy.deepcopy(sdk_definition)
    value["Steps"][2]["Arguments"]["IfSteps"][0]["Type"] = "EMR"
    refused(value, "Step 'Publish' has type 'EMR'.*supported: Processing")
    value = two_steps()
    value["Steps"][1]["Arguments"]["AppSpecification"]["ImageUri"] = "unknown/image"
    refused(value, "Step 'B': unknown image")


def test_a_step_type_without_an_executor_here_is_refused(sdk_definition: dict[str, Any]) -> None:
    value = two_steps()
    value["Steps"][1]["Type"] = "Transform"
    refused(value, "Step 'B' has type 'Transform', which this workbench cannot run locally yet; it runs Condition, Fail, "
                   "Processing")
    validate_definition(value)  # without executors only the definition itself is checked


def test_duplicate_names_unknown_steps_parameters_and_property_files_are_refused() -> None:
    value = two_steps()
    value["Steps"][1]["Name"] = "A"
    refused(value, "Step 'A' is defined twice")
    value = two_steps()
    value["Steps"][1]["Arguments"]["ProcessingInputs"][0]["S3Input"]["S3Uri"] = output_ref("Nope", "out")
    refused(value, "Step 'B' refers to .*Steps.Nope.*no such step")
    value = two_steps()
    value["Steps"][0]["Arguments"]["Environment"] = {"T": {"Get": "Parameters.Missing"}}
    refused(value, "Step 'A' refers to 'Parameters.Missing': no such parameter")
    value = two_steps()
    value["Steps"][1]["Arguments"]["Environment"] = {"T": {"Std:JsonGet": {
        "PropertyFile": {"Get": "Steps.A.PropertyFiles.Report"}, "Path": "a"}}}
    refused(value, "Step 'B' refers to 'Steps.A.PropertyFiles.Report': step 'A' declares no such property file")
    value = two_steps()
    value["Steps"][0]["DependsOn"] = ["Ghost"]
    refused(value, "Step 'A' depends on 'Ghost'")
    value = two_steps()
    value["Steps"][0]["Arguments"]["Environment"] = {"T": {"Get": "Execution.Nope"}}
    refused(value, "Step 'A' refers to 'Execution.Nope'")
    value = two_steps()
    value["Steps"][0]["Arguments"]["Environment"] = {"T": {"Std:Split": {}}}
    refused(value, "Step 'A' uses the function 'Std:Split'")


@pytest.mark.parametrize("file_path", ["../../../etc/passwd", "/etc/passwd", "a/../../b.json"])
def test_a_property_file_path_leaving_its_output_is_refused(file_path: str) -> None:
    value = two_steps()
    value["Steps"][0]["PropertyFiles"] = [{"PropertyFileName": "Report", "OutputName": "out", "FilePath": file_path}]
    refused(value, "Step 'A': property file 'Report' has FilePath")


def test_cycles_are_refused_naming_the_steps() -> None:
    value = two_steps()
    value["Steps"][0]["DependsOn"] = ["B"]
    refused(value, "cycle: .*A.*B|cycle: .*B.*A")


@pytest.mark.parametrize(("kind", "default"), [("Integer", 1.5), ("Integer", True), ("Float", "0.5"),
                                                ("Boolean", "true"), ("String", 3)])
def test_a_default_of_the_wrong_type_is_refused(kind: str, default: Any) -> None:
    value = two_steps()
    value["Parameters"] = [{"Name": "P", "Type": kind, "DefaultValue": default}]
    refused(value, f"Parameter 'P' is {kind}")


def test_cache_and_retry_settings_are_checked() -> None:
    value = two_steps()
    value["Steps"][0]["CacheConfig"] = {"Enabled": True, "ExpireAfter": "thirty days"}
    refused(value, "Step 'A': CacheConfig.ExpireAfter")
    value = two_steps()
    value["Steps"][0]["RetryPolicies"] = [{"ExceptionType": ["Step.EVERYTHING"], "MaxAttempts": 2}]
    refused(value, "Step 'A': a retry policy's ExceptionType")
    value = two_steps()
    value["Steps"][0]["RetryPolicies"] = [{"ExceptionType": ["Step.SERVICE_FAULT"], "MaxAttempts": 50}]
    refused(value, "MaxAttempts must be")


@pytest.mark.parametrize(("text", "expected"), [
    ("P30D", timedelta(days=30)), ("PT1H", timedelta(hours=1)), ("PT16M", timedelta(minutes=16)),
    ("P1Y", timedelta(days=365)), ("P2W", timedelta(days=14)), ("P30DT5H", timedelta(days=30, hours=5))])
def test_iso_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_parameters_at_start_are_converted_checked_and_defaulted(sdk_definition: dict[str, Any]) -> None:
    assert execution_parameters(sdk_definition, {"MinAccuracy": "0.85"}) == {
        "MinAccuracy": 0.85, "InputData": "s3://sdk-bucket/raw/"}
    with pytest.raises(InvalidInput, match="Unknown parameter.*Nope"):
        execution_parameters(sdk_definition, {"Nope": "1"})
    with pytest.raises(InvalidInput, match="'MinAccuracy' is Float, but 'high' is not"):
        execution_parameters(sdk_definition, {"MinAccuracy": "high"})
    required = definition([], [{"Name": "Epochs", "Type": "Integer"}, {"Name": "Fast", "Type": "Boolean", "DefaultValue": False}])
    with pytest.raises(InvalidInput, match="'Epochs' has no default"):
        execution_parameters(required, {})
    assert execution_parameters(required, {"Epochs": "3", "Fast": "TRUE"}) == {"Epochs": 3, "Fast": True}
    with pytest.raises(InvalidInput, match="Boolean"):
        execution_parameters(required, {"Epochs": "3", "Fast": "maybe"})
