"""The aws labels adapter on moto: the queue over an endpoint's data capture in S3 (as SageMaker writes it), the
labellers' history with compare-and-swap writes, and the ground truth Model Monitor reads, in its S3 layout."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from services.aws.label_history import History, S3History
from services.errors import BackendUnavailable, InvalidInput, NotFound
from services.labels.aws import AwsLabels
from services.labels.models import LabelSource
from tests.helpers.aws import BUCKET, REGION, aws_settings, create_lake_bucket, fake_aws_credentials
from tests.helpers.aws_endpoints import ROLE
from tests.helpers.aws_monitoring import monitored_endpoint, put_capture
from tests.helpers.moto_gaps import fail_calls

LIVE = LabelSource(endpoint="live")
REQUESTS = [("e1", {"division_name": "General", "age": 31}, "positive", 0.9),
            ("e2", {"division_name": "Petite", "age": 45}, "negative", 0.4),
            ("e3", {"division_name": "Intimates", "age": 52}, "neutral", 0.6),
            ("e4", {"division_name": "General", "age": 27}, "positive", 0.5)]


@pytest.fixture
def labels(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AwsLabels]:
    from services.registry import build_services

    fake_aws_credentials(monkeypatch, tmp_path)
    with mock_aws():
        create_lake_bucket()
        services = build_services(replace(aws_settings(tmp_path / "workspace"), sagemaker_role=ROLE))
        monitored_endpoint("live")
        put_capture("live", REQUESTS[:2], hour="2025/01/01/10")
        put_capture("live", REQUESTS[2:], hour="2025/01/01/11")
        yield services.labels  # type: ignore[misc]


def _s3() -> object:
    return boto3.client("s3", region_name=REGION)


def _ground_truth_files() -> dict[str, list[dict]]:
    s3 = boto3.client("s3", region_name=REGION)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="ground-truth/live/").get("Contents", [])]
    return {k: [json.loads(line) for line in s3.get_object(Bucket=BUCKET, Key=k)["Body"].read().decode().splitlines()]
            for k in keys}


def test_the_queue_is_the_endpoints_captured_requests_least_certain_first(labels: AwsLabels) -> None:
    queue = labels.queue(LIVE, labeller="ann")

    assert [item.item_id for item in queue.items] == ["e2", "e4", "e3", "e1"]
    assert queue.classes == ("negative", "neutral", "positive")
    assert (queue.total, queue.labelled) == (4, 0)
    first = queue.items[0]
    assert (first.prediction, first.probability, first.record) == ("negative", 0.4, {"division_name": "Petite", "age": 45})
    assert first.text == "division_name: Petite\nage: 45"
    assert first.captured_at == "2025-01-01T10:01:00Z"


def test_a_label_becomes_model_monitor_ground_truth_in_one_snapshot(labels: AwsLabels) -> None:
    labels.submit(LIVE, "e2", "negative", "ann")
    labels.submit(LIVE, "e4", "neutral", "ann")

    files = _ground_truth_files()
    assert len(files) == 1
    (key, lines), = files.items()
    assert key.startswith("ground-truth/live/") and key.split("/")[-1].startswith("ground-truth-")
    assert len(key.split("/")) == 7  # ground-truth/live/yyyy/mm/dd/hh/file
    assert lines == [{"groundTruthData": {"data": "negative", "encoding": "CSV"}, "eventMetadata": {"eventId": "e2"},
                      "eventVersion": "0"},
                     {"groundTruthData": {"data": "neutral", "encoding": "CSV"}, "eventMetadata": {"eventId": "e4"},
                      "eventVersion": "0"}]
    assert labels.ground_truth("live") == {"e2": "negative", "e4": "neutral"}
    table = boto3.client("glue", region_name=REGION).get_table(DatabaseName="monitoring", Name="ground_truth_live")["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == \
        ["event_id", "label", "labeller", "labelled_at", "is_ground_truth"]


def test_skip_and_undo_per_labeller(labels: AwsLabels) -> None:
    labels.submit(LIVE, "e2", "negative", "ann")
    labels.skip(LIVE, "e4", "ann")
    assert [i.item_id for i in labels.queue(LIVE, labeller="ann").items] == ["e3", "e1"]
    assert [i.item_id for i in labels.queue(LIVE, labeller="bob").items] == ["e2", "e4", "e3", "e1"]

    assert labels.undo(LIVE, "ann") is None  # the skip
    taken_back = labels.undo(LIVE, "ann")
    assert taken_back is not None and (taken_back.item_id, taken_back.label) == ("e2", "negative")
    assert [i.item_id for i in labels.queue(LIVE, labeller="ann").items][:2] == ["e2", "e4"]
    assert labels.ground_truth("live") == {}
    assert list(_ground_truth_files().values()) == [[]]  # the undone label left the snapshot
    assert labels.undo(LIVE, "ann") is None


def test_progress_with_two_labellers_and_their_agreement(labels: AwsLabels) -> None:
    for item, label in (("e1", "positive"), ("e2", "negative"), ("e3", "neutral")):
        labels.submit(LIVE, item, label, "ann")
    for item, label in (("e1", "positive"), ("e2", "neutral")):
        labels.submit(LIVE, item, label, "bob")

    progress = labels.progress(LIVE)

    assert (progress.total, progress.labelled, progress.by_labeller) == (4, 3, {"ann": 3, "bob": 2})
    (pair,) = progress.agreement
    assert (pair["a"], pair["b"], pair["items"], pair["percent"]) == ("ann", "bob", 2, 50.0)
    assert labels.ground_truth("live")["e2"] == "neutral"  # a tie goes to the latest label
    assert labels.queue(LIVE, labeller="carl").items[0].labels == ("negative", "neutral")


def test_import_reports_unknown_event_ids_and_bad_lines_and_export_round_trips(labels: AwsLabels) -> None:
    data = "\n".join([
        json.dumps({"groundTruthData": {"data": "positive", "encoding": "CSV"}, "eventMetadata": {"eventId": "e1"}, "eventVersion": "0"}),
        json.dumps({"groundTruthData": {"data": "negative", "encoding": "CSV"}, "eventMetadata": {"eventId": "nope"}, "eventVersion": "0"}),
        json.dumps({"groundTruthData": {"data": "awful", "encoding": "CSV"}, "eventMetadata": {"eventId": "e2"}, "eventVersion": "0"}),
        "not json"]).encode()

    result = labels.import_labels("live", "labels.jsonl", data)

    assert (result.imported, result.unknown_event_ids) == (1, ("nope",))
    assert result.bad_lines == ("line 4: not JSON", "event e2: 'awful' is not one of the model's classes")
    exported = labels.export_labels("live")
    assert [json.loads(line)["eventMetadata"]["eventId"] for line in exported.decode().splitlines()] == ["e1"]
    assert labels.import_labels("live", "again.jsonl", exported).imported == 1


def test_refusals(labels: AwsLabels) -> None:
    with pytest.raises(NotFound, match="No SageMaker endpoint named 'gone'"):
        labels.queue(LabelSource(endpoint="gone"))
    with pytest.raises(InvalidInput, match="'great' is not one of the classes of endpoint live"):
        labels.submit(LIVE, "e1", "great", "ann")
    with pytest.raises(InvalidInput, match="'e9' is not an item"):
        labels.submit(LIVE, "e9", "positive", "ann")
    with pytest.raises(InvalidInput, match="Unknown queue order"):
        labels.queue(LIVE, order="alphabetical")
    no_bucket = AwsLabels(labels.session, replace(labels.settings, s3_bucket=None), catalog=labels.catalog,
                          query=labels.query, storage=labels.storage)
    with pytest.raises(BackendUnavailable, match="No S3 bucket"):
        no_bucket.ground_truth("live")


def test_access_denied_on_the_capture_is_translated(labels: AwsLabels, monkeypatch: pytest.MonkeyPatch) -> None:
    fail_calls(monkeypatch, "s3", "GetObject", "AccessDenied", "Access Denied")
    fresh = AwsLabels(boto3.Session(region_name=REGION), labels.settings, catalog=labels.catalog, query=labels.query,
                      storage=labels.storage)
    with pytest.raises(BackendUnavailable, match="Access Denied"):
        fresh.queue(LIVE)


def test_a_concurrent_write_is_applied_again_on_the_newer_history(labels: AwsLabels) -> None:
    """Two labellers save at once: the second write finds the ETag changed and applies its label to the newer
    history, so neither label is lost."""
    s3 = boto3.client("s3", region_name=REGION)
    store = S3History(s3, BUCKET, "ground-truth/_history/race.jsonl")
    store.change(lambda h: h.add("e1", "ann", "label", "positive"))
    rounds: list[int] = []

    def add_while_bob_writes(history: History) -> None:
        rounds.append(len(history.actions))
        if len(rounds) == 1:  # bob saves between our read and our write
            S3History(s3, BUCKET, store.key).change(lambda h: h.add("e2", "bob", "label", "negative"))
        history.add("e3", "ann", "label", "neutral")

    store.change(add_while_bob_writes)

    assert rounds == [1, 2]
    assert [(v.item_id, v.labeller) for v in store.read().votes()] == [("e1", "ann"), ("e2", "bob"), ("e3", "ann")]
