"""The endpoint server's per-request path without a server process: a lone request scored on the caller's
thread only when its model is idle (``Batcher.run_if_idle``), data capture appended in gathered writes to files
kept open (``CaptureWriter``)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from services.endpoints.capture import FLUSH_SECONDS, CaptureWriter, Exchange
from services.endpoints.server_batching import Batcher

# -- Batcher.run_if_idle ---------------------------------------------------------------------------------------


class Model:
    """Labels each instance with the thread that scored it; ``hold`` keeps a call running until released."""

    def __init__(self) -> None:
        self.hold = threading.Event()
        self.running = threading.Event()
        self.hold.set()

    def predict(self, instances: list[Any]) -> list[dict[str, Any]]:
        if instances == ["bad"]:
            raise ValueError("bad instance")
        self.running.set()
        self.hold.wait(30)
        return [{"predicted_label": str(instance), "thread": threading.current_thread().name} for instance in instances]


def test_an_idle_model_scores_on_the_callers_thread() -> None:
    model = Model()
    batcher = Batcher("v", model.predict)
    try:
        assert batcher.run_if_idle(["a"]) == [{"predicted_label": "a", "thread": threading.current_thread().name}]
        with pytest.raises(ValueError, match="bad instance"):
            batcher.run_if_idle(["bad"])
        assert batcher.submit(["b"]).result(10) == [{"predicted_label": "b", "thread": "model-v"}]
    finally:
        batcher.close()


def test_a_busy_model_is_not_called_twice_at_once() -> None:
    model = Model()
    batcher = Batcher("v", model.predict)
    try:
        model.hold.clear()
        running = batcher.submit(["first"])
        assert model.running.wait(10)
        queued = batcher.submit(["second"])
        assert batcher.run_if_idle(["third"]) is None  # the model thread is in a call: nothing run here
        model.hold.set()
        assert [r["predicted_label"] for r in running.result(10) + queued.result(10)] == ["first", "second"]
    finally:
        batcher.close()


# -- CaptureWriter -------------------------------------------------------------------------------------------


def exchange(number: int) -> Exchange:
    return Exchange("AllTraffic", json.dumps({"instances": [f"review {number}"]}).encode(), "application/json",
                    b'{"predictions": []}', "application/json")


def records(folder: Path) -> list[str]:
    return [json.loads(line)["captureData"]["endpointInput"]["data"] for path in sorted(folder.rglob("*.jsonl"))
            for line in path.read_text().splitlines()]


class CountingWriter(CaptureWriter):
    """Counts the writer thread's appends."""

    appends = 0

    def _append(self, items: list[Any]) -> None:
        self.appends += 1
        super()._append(items)


def test_a_burst_of_captures_is_one_append_and_close_writes_the_rest(tmp_path: Path) -> None:
    writer = CountingWriter(tmp_path, 100, seed=0, flush_seconds=60)  # the writer waits for close()
    for number in range(20):
        writer.capture(exchange(number))
    writer.close()
    assert records(tmp_path) == [json.dumps({"instances": [f"review {n}"]}) for n in range(20)]
    assert writer.appends == 1 and writer.written == 20


def test_a_capture_file_deleted_while_open_is_written_again(tmp_path: Path) -> None:
    writer = CaptureWriter(tmp_path, 100, seed=0)
    try:
        writer.capture(exchange(1))
        wait_for(lambda: writer.written == 1)
        [path] = tmp_path.rglob("*.jsonl")
        path.unlink()  # e.g. retention: the open handle must not write into the deleted file
        writer.capture(exchange(2))
        wait_for(lambda: writer.written == 2)
        assert records(tmp_path) == [json.dumps({"instances": ["review 2"]})]
    finally:
        writer.close()


def wait_for(check: Any) -> None:
    event = threading.Event()
    for _ in range(int(30 / FLUSH_SECONDS)):
        if check():
            return
        event.wait(FLUSH_SECONDS)
    pytest.fail("the capture writer did not write in 30 s")
