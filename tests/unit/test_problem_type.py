"""One problem-type rule (services/training/problem_type.py) instead of three.

Before issue 10 the built-in algorithms (algorithms/common.py), local Autopilot (autopilot/objectives.py)
and the AWS adapter (training/aws.py) each inferred the problem type their own way. The table keeps
what each answered, measured on the code of commit 83695e8, beside the one rule's answer; the rows
where they disagreed are marked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from services.errors import InvalidInput
from services.training.algorithms.dataset import prepare_dataset
from services.training.autopilot.prepare import prepare_data
from services.training.problem_type import (
    BINARY,
    MULTICLASS,
    REGRESSION,
    infer_problem_type,
    label_strings,
    problem_type_and_classes,
    sorted_classes,
)

ERROR = "InvalidInput"

# name: (values, built-ins, Autopilot, AWS adapter, the one rule)
TABLE = {
    "0/1": ([1, 0] * 20, BINARY, BINARY, BINARY, BINARY),
    "two non-whole numbers (disagreed)": ([0.5, 1.5] * 20, REGRESSION, BINARY, REGRESSION, BINARY),
    "three whole numbers in 3 rows (disagreed)": ([1.0, 2.0, 3.0], MULTICLASS, REGRESSION, MULTICLASS, MULTICLASS),
    "-1/0/1 in 4 rows (disagreed)": ([-1, 0, 1, 1], MULTICLASS, REGRESSION, MULTICLASS, MULTICLASS),
    "-1/0/1 in 120 rows": ([-1, 0, 1] * 40, MULTICLASS, MULTICLASS, MULTICLASS, MULTICLASS),
    "15 whole numbers in 30 rows (disagreed)": (list(range(15)) * 2, MULTICLASS, REGRESSION, MULTICLASS, MULTICLASS),
    "20 whole numbers": (list(range(20)) * 20, MULTICLASS, MULTICLASS, MULTICLASS, MULTICLASS),
    "21 whole numbers": (list(range(21)) * 20, REGRESSION, REGRESSION, REGRESSION, REGRESSION),
    "strings a/b/c": (["a", "b", "c"] * 5, MULTICLASS, MULTICLASS, MULTICLASS, MULTICLASS),
    "booleans": ([True, False, True] * 10, BINARY, BINARY, BINARY, BINARY),
    "non-whole numbers": ([0.5, 1.5, 2.0] * 10, REGRESSION, REGRESSION, REGRESSION, REGRESSION),
    "one value (disagreed: the built-ins failed later)": ([7] * 30, MULTICLASS, ERROR, ERROR, ERROR),
    "one value and gaps (disagreed)": ([7, None] * 15, MULTICLASS, ERROR, ERROR, ERROR),
}


def answer(values: list[object]) -> str:
    try:
        return infer_problem_type(pd.Series(values, name="y"))
    except InvalidInput:
        return ERROR


@pytest.mark.parametrize("name", TABLE)
def test_the_one_rule(name: str) -> None:
    values, _, _, _, rule = TABLE[name]
    assert answer(values) == rule


def test_the_table_marks_every_row_where_the_three_disagreed() -> None:
    for name, (_, builtin, autopilot, aws, _) in TABLE.items():
        assert ("disagreed" in name) == (len({builtin, autopilot, aws}) > 1), name


def test_a_target_without_two_values_says_so() -> None:
    with pytest.raises(InvalidInput, match=r"'y' has a single value \('7'\), so there is nothing to learn"):
        infer_problem_type(pd.Series([7, 7, None], name="y"))
    with pytest.raises(InvalidInput, match="'y' has no values"):
        infer_problem_type(pd.Series([None, None], name="y", dtype=float))


def frame_with(target: list[object]) -> pd.DataFrame:
    rows = len(target)
    return pd.DataFrame({"x": np.arange(rows, dtype=float), "z": np.arange(rows, dtype=float) % 7, "y": target})


@pytest.mark.parametrize(("values", "expected"), [
    ([0.5, 1.5] * 20, BINARY),  # the built-ins said Regression, Autopilot Binary
    (list(range(15)) * 3, MULTICLASS),  # Autopilot said Regression (15 values > a fifth of 45 rows), the built-ins Multiclass
])
def test_the_built_ins_and_autopilot_now_agree(values: list[object], expected: str) -> None:
    assert prepare_dataset(frame_with(values), "y").problem_type == expected
    assert prepare_data(frame_with(values), "y").dataset.problem_type == expected


def test_the_aws_adapter_encodes_training_data_by_the_same_rule() -> None:
    from services.training.aws.builtin_data import encode_table

    data = encode_table(frame_with([0.5, 1.5] * 20), "y", seed=1)  # it said Regression before
    assert (data.problem_type, data.classes) == (BINARY, ["0.5", "1.5"])
    assert sorted(data.train["y"].unique()) == [0, 1]  # class indices, as SageMaker's XGBoost reads them
    with pytest.raises(InvalidInput, match="single value"):
        encode_table(frame_with([7] * 30), "y", seed=1)


def test_classes_come_with_the_problem_type_in_label_order() -> None:
    assert problem_type_and_classes(pd.Series([2.0, 10.0, None, 2.0, 1.0])) == (MULTICLASS, ["1", "2", "10"])
    assert problem_type_and_classes(pd.Series(["no", "yes", "no"])) == (BINARY, ["no", "yes"])
    assert problem_type_and_classes(pd.Series([0.5, 1.25, 3.0, 7.5])) == (REGRESSION, [])


def test_labels_lose_the_point_zero_of_whole_numbers_only() -> None:
    assert label_strings(pd.Series([-1.0, 0.0, 1.0])).tolist() == ["-1", "0", "1"]
    assert label_strings(pd.Series([0.5, 1.0])).tolist() == ["0.5", "1.0"]
    assert sorted_classes(pd.Series(["10", "9", "1"])) == ["1", "9", "10"]
    assert sorted_classes(pd.Series(["b", "a", "10"])) == ["10", "a", "b"]
