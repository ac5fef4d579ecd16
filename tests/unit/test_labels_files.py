"""Label files in and out: the three import formats, Model Monitor's ground-truth snapshot, appending to a table."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from services.errors import InvalidInput
from services.labels import importing
from services.labels.ground_truth import read_ground_truth, snapshot_files, table_rows, write_snapshot
from services.labels.importing import parse_labels
from services.labels.items import SourceItems
from services.labels.models import Label, LabelItem
from services.labels.summary import file_labels, split_import
from services.labels.table_append import appended_table, unseen_rows
from services.models import Table
from tests.helpers.labels import ground_truth_lines, ground_truth_manifest, labels_csv


def test_ground_truth_json_lines_with_bad_lines_numbered() -> None:
    data = ground_truth_lines({"e1": "1"}) + b"\n[1, 2]\n{\"groundTruthData\": {}}\n{broken\n"
    pairs, bad = parse_labels("truth.jsonl", data)
    assert pairs == [("e1", "1")]
    assert bad == ["line 3: not a JSON object", "line 4: no eventMetadata.eventId or groundTruthData.data",
                   "line 5: not JSON"]


def test_csv_with_either_column_spelling() -> None:
    assert parse_labels("l.csv", labels_csv({"e1": "pos", "e2": "neg"})) == ([("e1", "pos"), ("e2", "neg")], [])
    pairs, bad = parse_labels("l.csv", b"event_id,groundTruth\ne3,neu\n,pos\ne4,\n")
    assert pairs == [("e3", "neu")] and bad == ["line 3: no event id", "line 4: no label"]
    with pytest.raises(InvalidInput, match="eventId"):
        parse_labels("l.csv", b"id,text\n1,x\n")


def test_ground_truth_manifest_takes_the_class_name() -> None:
    data = ground_truth_manifest({"e1": "neutral", "e2": "positive"}, ("negative", "neutral", "positive"))
    data += json.dumps({"source-ref": "s3://b/x.txt", "id": "e5", "job": 0, "job-metadata": {"class-name": "negative"}}).encode()
    data += b"\n" + json.dumps({"source": "no id", "sentiment": 1, "sentiment-metadata": {"class-name": "neutral"}}).encode()
    data += b"\n" + json.dumps({"source": "no label", "eventId": "e6", "sentiment": 1}).encode() + b"\n"
    pairs, bad = parse_labels("output.manifest", data)
    assert pairs == [("e1", "neutral"), ("e2", "positive"), ("e5", "negative")]
    assert bad == ["line 4: no event id (eventId, event_id, id), and no captured request's text is its source",
                   "line 5: no label attribute with a <job>-metadata class-name"]


def test_files_over_the_cap_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "MAX_IMPORT_BYTES", 10)
    with pytest.raises(InvalidInput, match="up to"):
        parse_labels("big.csv", b"eventId,label\n" * 2)


def test_snapshot_replaces_the_older_one_and_reads_back(tmp_path: Path) -> None:
    root = tmp_path / "ground-truth"
    write_snapshot(root, {"e1": "1", "e2": "0"}, datetime(2026, 12, 5, 9, 30, tzinfo=UTC))
    newest = write_snapshot(root, {"e1": "-1"}, datetime(2026, 12, 5, 10, 5, tzinfo=UTC))
    assert snapshot_files(root) == [newest]
    assert newest.parent == root / "2026" / "12" / "05" / "10"
    assert json.loads(newest.read_text()) == {"groundTruthData": {"data": "-1", "encoding": "CSV"},
                                              "eventMetadata": {"eventId": "e1"}, "eventVersion": "0"}
    assert not [p for p in root.rglob("*") if p.name.startswith(".")]  # no temp file left behind


def test_a_later_line_for_the_same_event_wins(tmp_path: Path) -> None:
    older, newer = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    older.write_bytes(ground_truth_lines({"e1": "0", "e2": "1"}))
    newer.write_bytes(ground_truth_lines({"e1": "1"}))
    assert read_ground_truth([older, newer]) == {"e1": "1", "e2": "1"}


def test_table_rows_mark_the_label_that_is_ground_truth() -> None:
    labels = [Label("e1", "1", "ann", "t1"), Label("e1", "0", "bob", "t2"), Label("e1", "1", "cy", "t3")]
    rows = table_rows(labels, {"e1": "1"})
    assert [row["is_ground_truth"] for row in rows] == [False, False, True]


TRAIN = Table("demo", "train", "s3://lake/demo/train/", "parquet", ())


def test_append_fills_other_columns_with_nulls_and_keeps_types() -> None:
    current = pa.table({"text": ["a"], "label": ["1"], "rating": pa.array([5], pa.int64())})
    combined = appended_table(current, TRAIN, [("b", "0"), ("c", "1")], "text", "label")
    assert combined.schema == current.schema
    assert combined.to_pydict() == {"text": ["a", "b", "c"], "label": ["1", "0", "1"], "rating": [5, None, None]}
    numeric = pa.table({"text": ["a"], "label": pa.array([1], pa.int64())})
    assert appended_table(numeric, TRAIN, [("b", "-1")], "text", "label").column("label").to_pylist() == [1, -1]


@pytest.mark.parametrize("text_column, label_column, rows", [
    ("missing", "label", [("b", "1")]), ("rating", "label", [("b", "1")]), ("text", "rating", [("b", "positive")]),
    ("text", "text", [("b", "1")])])
def test_append_refuses_columns_that_do_not_fit(text_column: str, label_column: str, rows: list[tuple[str, str]]) -> None:
    current = pa.table({"text": ["a"], "label": ["1"], "rating": pa.array([5], pa.int64())})
    with pytest.raises(InvalidInput):
        appended_table(current, TRAIN, rows, text_column, label_column)


def test_a_ground_truth_manifest_as_ground_truth_writes_it_is_matched_by_its_source_text() -> None:
    """Ground Truth's output for a manifest of texts alone (sms-data-output's text-classification example: the label
    attribute's value is the class index, as a string here) carries no event id: its ``source`` is the review, so it
    labels every captured request with that text; a text no request has is a numbered bad line."""
    line = {"source": "a bad day", "mood": "1", "mood-metadata": {
        "class-name": "sad", "confidence": 0.8, "type": "groundtruth/text-classification", "job-name": "label-mood",
        "human-annotated": "yes", "creation-date": "2018-10-18T22:18:13.527256"}}
    other = {**line, "source": "a good day", "mood-metadata": {**line["mood-metadata"], "class-name": "happy"}}
    data = "\n".join(json.dumps(x) for x in (line, other, {**line, "source-ref": "s3://b/r.txt", "source": 3})).encode()
    pairs, bad = parse_labels("output.manifest", data, {"a bad day": ["e1", "e7"]})
    assert pairs == [("e1", "sad"), ("e7", "sad")]
    assert bad == ["line 2: no event id (eventId, event_id, id), and no captured request's text is its source",
                   "line 3: no event id (eventId, event_id, id), and no source text to match (a source-ref is not read)"]


@pytest.mark.parametrize("name, data, message", [
    ("empty.jsonl", b"\n \n", "is empty"), ("junk.jsonl", b'{"x": 1}\n{"y": 2}\n', "line 1: neither"),
    ("array.json", b'[{"eventId": "e1"}]\n', "line 1: not a JSON object"), ("header.csv", b"eventId,label\n", "header"),
    ("all-bad.manifest", b'{"source": "x", "job": 0}\n', "line 1: no label attribute")])
def test_a_file_without_any_label_is_refused_as_a_whole(name: str, data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_labels(name, data)


def test_labels_given_by_class_name_become_the_models_classes() -> None:
    """A Ground Truth job's categories are words; the review model's classes are -1 / 0 / 1 (negative / neutral /
    positive): the names map to the classes, anything else is refused with its event."""
    items = tuple(LabelItem(e, f"text {e}") for e in ("e1", "e2", "e3", "e4"))
    found = SourceItems(items, ("-1", "0", "1"))
    accepted, unknown, refused = split_import(found, [("e1", "Positive"), ("e2", "neutral (0)"), ("e3", "-1"),
                                                      ("e4", "meh"), ("e9", "positive")])
    assert accepted == [("e1", "1"), ("e2", "0"), ("e3", "-1")]
    assert unknown == ("e9",) and refused == ["event e4: 'meh' is not one of the model's classes"]
    texts = SourceItems(items, ("-1", "0", "1"))
    manifest = json.dumps({"source": "text e2", "s": 2, "s-metadata": {"class-name": "positive"}}).encode()
    assert file_labels(texts, "out.manifest", manifest) == ([("e2", "1")], (), [])


def test_rows_the_table_holds_already_are_not_appended_again() -> None:
    current = pa.table({"text": ["a", "b", None], "label": pa.array([1, None, 0], pa.int64())})
    rows = [("a", "1"), ("a", "0"), ("b", "1"), ("b", "1"), ("c", "0")]
    assert unseen_rows(current, rows, "text", "label") == [("a", "0"), ("b", "1"), ("c", "0")]
