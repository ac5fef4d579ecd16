"""Cache keys as SageMaker documents them per step type, plus the input data's content hash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.errors import InvalidInput
from services.pipelines.cache import cache_key, find_hit, hash_inputs, input_uris, key_parts, lake_path, miss_reason

TRAINING = {
    "AlgorithmSpecification": {"TrainingImage": "xgboost", "TrainingInputMode": "File"},
    "HyperParameters": {"max_depth": "5"},
    "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": "s3://b/train/"}}}],
    "OutputDataConfig": {"S3OutputPath": "s3://b/exec-1/model"},
    "ResourceConfig": {"InstanceType": "ml.m5.large"},
}


def test_training_key_ignores_output_locations_and_resources() -> None:
    moved = {**TRAINING, "OutputDataConfig": {"S3OutputPath": "s3://b/exec-2/model"},
             "ResourceConfig": {"InstanceType": "ml.m5.xlarge"}}
    assert key_parts("Training", TRAINING) == key_parts("Training", moved)
    assert set(key_parts("Training", TRAINING)) == {"AlgorithmSpecification", "CheckpointConfig", "DebugHookConfig",
                                                    "DebugRuleConfigurations", "Environment", "HyperParameters",
                                                    "InputDataConfig"}


def test_a_changed_attribute_is_named_as_the_miss_reason(tmp_path: Path) -> None:
    before = cache_key("Training", TRAINING, tmp_path)
    after = cache_key("Training", {**TRAINING, "HyperParameters": {"max_depth": "6"}}, tmp_path)
    assert miss_reason(after, before) == "HyperParameters changed"
    assert miss_reason(after, None) == "no earlier run of this step"


def test_input_data_content_is_part_of_the_key(tmp_path: Path) -> None:
    (tmp_path / "b" / "train").mkdir(parents=True)
    (tmp_path / "b" / "train" / "part-0.csv").write_text("1,2\n")
    before = cache_key("Training", TRAINING, tmp_path)
    assert cache_key("Training", TRAINING, tmp_path) == before
    (tmp_path / "b" / "train" / "part-1.csv").write_text("3,4\n")
    assert miss_reason(cache_key("Training", TRAINING, tmp_path), before) == "input data changed"


def test_processing_and_tuning_keys() -> None:
    processing = {"AppSpecification": {"ImageUri": "x"}, "ProcessingInputs": [{"S3Input": {"S3Uri": "s3://b/in/"}}],
                  "ProcessingOutputConfig": {"Outputs": [{"S3Output": {"S3Uri": "s3://b/exec-1/out"}}]}}
    moved = {**processing, "ProcessingOutputConfig": {"Outputs": [{"S3Output": {"S3Uri": "s3://b/exec-2/out"}}]}}
    assert key_parts("Processing", processing) == key_parts("Processing", moved)
    assert input_uris("Processing", processing) == ["s3://b/in/"]
    tuning = {"HyperParameterTuningJobConfig": {"Strategy": "Bayesian"},
              "TrainingJobDefinition": {**TRAINING, "StaticHyperParameters": {"a": "1"}}}
    tuning_moved = {**tuning, "TrainingJobDefinition": {**tuning["TrainingJobDefinition"],
                                                        "OutputDataConfig": {"S3OutputPath": "s3://elsewhere"}}}
    assert key_parts("Tuning", tuning) == key_parts("Tuning", tuning_moved)
    assert input_uris("Tuning", tuning) == ["s3://b/train/"]


@pytest.mark.parametrize("uri", ["s3://b/../../etc/passwd", "s3:///abs", "s3://", "/etc/passwd", "s3://b/./x"])
def test_keys_that_leave_the_lake_are_refused(tmp_path: Path, uri: str) -> None:
    with pytest.raises(InvalidInput):
        lake_path(tmp_path, uri)
    with pytest.raises(InvalidInput):
        hash_inputs(tmp_path, [uri])


def test_a_link_out_of_the_lake_is_refused(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    (lake / "b").mkdir(parents=True)
    (lake / "b" / "link").symlink_to(tmp_path)
    with pytest.raises(InvalidInput, match="link"):
        lake_path(lake, "s3://b/link/secret")


def test_a_hit_needs_the_same_key_within_expire_after() -> None:
    now = datetime(2026, 1, 2, tzinfo=UTC)
    key = {"Environment": "1", "input data": "2"}
    runs = [{"cache_key": {"Environment": "9", "input data": "2"}, "ended_at": "2026-01-01T23:59:00+00:00"},
            {"cache_key": key, "ended_at": "2026-01-01T22:00:00+00:00", "execution": "old"}]
    assert find_hit(key, runs, timedelta(hours=1), now) is None
    hit = find_hit(key, runs, timedelta(hours=3), now)
    assert hit is not None and hit["execution"] == "old"
    assert find_hit(key, runs, timedelta.max, now) is hit
