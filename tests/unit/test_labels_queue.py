"""Queue ordering, and the items read from capture files written in SageMaker's data-capture format."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from services.aws import label_history as history_module
from services.aws.label_history import History
from services.embedded.metadata import MetadataStore
from services.errors import InvalidInput
from services.labels import store as store_module
from services.labels.items import capture_item, record_text
from services.labels.models import LabelItem
from services.labels.queue import labeller_queue, ordered_items, undo_time
from services.labels.store import LabelStore


def item(item_id: str, probability: float | None) -> LabelItem:
    return LabelItem(item_id, f"text {item_id}", probability=probability)


ITEMS = [item("a", 0.9), item("b", None), item("c", 0.4), item("d", 0.6), item("e", None)]


def test_uncertainty_puts_the_least_sure_first_and_unknown_last() -> None:
    assert [i.item_id for i in ordered_items(ITEMS, "uncertainty")] == ["c", "d", "a", "b", "e"]


def test_random_is_repeatable_per_seed() -> None:
    first = [i.item_id for i in ordered_items(ITEMS, "random", seed=3)]
    assert first == [i.item_id for i in ordered_items(ITEMS, "random", seed=3)]
    assert sorted(first) == ["a", "b", "c", "d", "e"]
    assert {tuple(i.item_id for i in ordered_items(ITEMS, "random", seed=s)) for s in range(6)} != {tuple(first)}


def test_done_items_leave_and_taken_back_items_come_first() -> None:
    queue = labeller_queue(ITEMS, "uncertainty", 0, done={"c"}, front=["e", "c", "a"])
    assert [i.item_id for i in queue] == ["e", "a", "d", "b"]  # c is done again, so it stays out


def test_an_unknown_order_is_refused() -> None:
    with pytest.raises(InvalidInput):
        ordered_items(ITEMS, "alphabetical")


def capture_record(event_id: str, body: dict[str, object], output: str, content_type: str = "application/json") -> dict:
    """A data-capture record as SageMaker writes it (captureData.endpointInput/endpointOutput, eventMetadata)."""
    return {"captureData": {
        "endpointInput": {"observedContentType": "application/json", "mode": "INPUT",
                          "data": base64.b64encode(json.dumps(body).encode()).decode(), "encoding": "BASE64"},
        "endpointOutput": {"observedContentType": content_type, "mode": "OUTPUT", "data": output, "encoding": "JSON"}},
        "eventMetadata": {"eventId": event_id, "inferenceTime": "2026-12-05T10:00:00Z"}, "eventVersion": "0"}


def test_a_review_capture_becomes_an_item_with_the_top_probability() -> None:
    record = capture_record("ev-1", {"instances": [{"review_body": "Lovely"}]},
                            json.dumps({"predictions": [{"predicted_label": 1.0, "probability": 0.62}]}))
    found = capture_item(record, ["review_body"], "review_body")
    assert found is not None
    assert (found.item_id, found.text, found.prediction, found.probability) == ("ev-1", "Lovely", "1", 0.62)
    assert found.captured_at == "2026-12-05T10:00:00Z"


def test_a_tabular_capture_shows_name_value_lines_and_a_bad_body_gives_no_item() -> None:
    record = capture_record("ev-2", {"instances": [[13.2, 2.1]]}, json.dumps({"predictions": [{"predicted_label": "class_0"}]}))
    found = capture_item(record, ["alcohol", "malic_acid"], "")
    assert found is not None and found.text == "alcohol: 13.2\nmalic_acid: 2.1" and found.probability is None
    assert record_text({"a": 1}) == "a: 1"
    broken = capture_record("ev-3", {}, "")
    broken["captureData"]["endpointInput"] = {"observedContentType": "application/json", "data": "{not json", "encoding": "JSON"}
    assert capture_item(broken, ["review_body"], "review_body") is None


def test_two_undos_in_one_clock_tick_take_back_the_later_undone_item_first(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The label/skip/undo/undo journey failed under load: both undos got the same millisecond and the tie went to
    the skip (the higher id), so the labelled item did not come back to the front."""
    monkeypatch.setattr(store_module, "utc_now", lambda: "2026-12-05T10:00:00.123+00:00")
    labels = LabelStore(MetadataStore(tmp_path / "metadata.sqlite"))
    labels.add("endpoint:e", "first", "ann", "label", "1")
    labels.add("endpoint:e", "second", "ann", "skip")
    labels.undo_latest("endpoint:e", "ann")
    labels.undo_latest("endpoint:e", "ann")
    assert labels.taken_back("endpoint:e", "ann") == ["first", "second"]
    history = History()  # the aws adapter's copy of the same actions
    monkeypatch.setattr(history_module, "utc_now", lambda: "2026-12-05T10:00:00.123456+00:00")
    history.add("first", "ann", "label", "1")
    history.add("second", "ann", "skip")
    history.undo_latest("ann")
    history.undo_latest("ann")
    assert history.taken_back("ann") == ["first", "second"]


@pytest.mark.parametrize(("now", "latest", "expected"), [
    ("2026-12-05T10:00:00.124+00:00", "2026-12-05T10:00:00.123+00:00", "2026-12-05T10:00:00.124+00:00"),
    ("2026-12-05T10:00:00.123+00:00", "2026-12-05T10:00:00.123+00:00", "2026-12-05T10:00:00.124+00:00"),
    ("2026-12-05T10:00:00.999+00:00", "2026-12-05T10:00:00.999+00:00", "2026-12-05T10:00:01.000+00:00"),
    ("2026-12-05T10:00:00.123456+00:00", "2026-12-05T10:00:00.123456+00:00", "2026-12-05T10:00:00.123457+00:00"),
    ("2026-12-05T10:00:00.123+00:00", "", "2026-12-05T10:00:00.123+00:00"),
])
def test_undo_times_strictly_increase(now: str, latest: str, expected: str) -> None:
    assert undo_time(now, latest) == expected
