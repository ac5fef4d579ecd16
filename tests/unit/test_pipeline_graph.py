"""Step order from DependsOn and from property references (SDK definitions have no DependsOn)."""

from __future__ import annotations

from typing import Any

import pytest

from services.errors import InvalidInput
from services.pipelines.graph import downstream, step_dependencies, topological_order
from tests.helpers.pipeline_executors import definition, output_ref, processing_step
from tests.helpers.sdk_pipelines import gate_pipeline


@pytest.fixture(scope="module")
def sdk_definition() -> dict[str, Any]:
    return gate_pipeline(0.9)


def test_sdk_definition_dependencies_come_from_references_and_condition_branches(sdk_definition: dict[str, Any]) -> None:
    assert all("DependsOn" not in step for step in sdk_definition["Steps"])
    assert step_dependencies(sdk_definition) == {
        "Prep": set(), "Eval": {"Prep"}, "Gate": {"Eval"}, "Publish": {"Gate", "Prep"}, "TooLow": {"Gate", "Eval"}}
    order = topological_order(step_dependencies(sdk_definition))
    assert order.index("Prep") < order.index("Eval") < order.index("Gate") < order.index("Publish")


def test_depends_on_and_named_property_files_count_too() -> None:
    value = definition([
        processing_step("A", ["s3://b/in/"], ["out"], PropertyFiles=[
            {"PropertyFileName": "Report", "OutputName": "out", "FilePath": "r.json"}]),
        processing_step("B", ["s3://b/in/"], ["out"], DependsOn=["A"]),
        processing_step("C", ["s3://b/in/"], ["out"], {"X": {"Std:JsonGet": {"PropertyFile": "Report", "Path": "a"}}}),
    ])
    assert step_dependencies(value) == {"A": set(), "B": {"A"}, "C": {"A"}}


def test_a_cycle_is_refused_naming_its_steps() -> None:
    value = definition([processing_step("A", [output_ref("C", "out")], ["out"]),
                        processing_step("B", [output_ref("A", "out")], ["out"]),
                        processing_step("C", [output_ref("B", "out")], ["out"])])
    with pytest.raises(InvalidInput, match="cycle") as error:
        topological_order(step_dependencies(value))
    assert all(name in str(error.value) for name in "ABC")


def test_downstream_follows_every_path() -> None:
    dependencies = {"A": set(), "B": {"A"}, "C": {"B"}, "D": set()}
    assert downstream(dependencies, {"A"}) == {"B", "C"}
    assert downstream(dependencies, {"D"}) == set()
