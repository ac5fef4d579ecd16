"""Data capture in SageMaker's format: what an endpoint was asked and what it answered.

Each captured invocation is one JSON line::

    {"captureData": {"endpointInput":  {"observedContentType": "text/csv", "mode": "INPUT",
                                         "data": "...", "encoding": "CSV"},
                     "endpointOutput": {"observedContentType": "application/json", "mode": "OUTPUT",
                                         "data": "...", "encoding": "JSON"}},
     "eventMetadata": {"eventId": "<uuid4>", "inferenceTime": "2025-01-31T12:00:00.123Z", "variant": "AllTraffic"},
     "eventVersion": "0"}

``data`` is the body as text for JSON (``application/json``, ``application/jsonlines``) and CSV
(``text/csv``) bodies, and base64 for anything else or a body that is not UTF-8 (then the encoding
says ``BASE64``). Files live under ``<capture_dir>/<variant>/YYYY/MM/DD/HH/<pid>-<hex>.jsonl``
(UTC hour of the inference): one file per variant, hour and server process, so files rotate hourly.

Writing happens on a background thread fed by a queue, so a request only pays for queueing its
bodies. The thread wakes for the first capture queued, waits ``FLUSH_SECONDS`` for more, and appends
and flushes everything queued meanwhile in one write per file (readers see a record within about
``FLUSH_SECONDS``); its files stay open between writes (reopened when a file was deleted). A request
therefore never wakes the thread while a write is pending: waking it for every request (then opening the
file, appending one line and closing it) cost a 60-word review's request ~0.1 ms on 2 busy cores.
The queue is bounded by bytes (``QUEUE_LIMIT_BYTES`` of request and response bodies not
yet written) as well as by count: when the disk cannot keep up, new captures are dropped and counted
(``dropped``, shown by the server's ``/stats``; a log line when dropping starts) rather than held in
memory or making the request wait, as SageMaker drops captures it cannot keep up with.
``close()`` writes what is left and stops the thread.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import random
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

JSON_TYPES = ("application/json", "application/jsonlines")
CSV_TYPES = ("text/csv",)
QUEUE_LIMIT = 10_000
QUEUE_LIMIT_BYTES = 64 * 1024 * 1024
FLUSH_SECONDS = 0.1
RECORD_OVERHEAD_BYTES = 512  # the record's envelope and the queue entry, counted with the bodies
EVENT_VERSION = "0"


@dataclass(frozen=True)
class Exchange:
    """One invocation as the variant saw it."""

    variant: str
    request_body: bytes
    request_type: str
    response_body: bytes
    response_type: str


def encoded(body: bytes, content_type: str) -> tuple[str, str]:
    """``(data, encoding)``: the body as text for JSON and CSV content, else base64."""
    base_type = content_type.split(";")[0].strip().lower()
    if base_type in JSON_TYPES or base_type in CSV_TYPES:
        try:
            return body.decode("utf-8"), "JSON" if base_type in JSON_TYPES else "CSV"
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), "BASE64"


def capture_record(exchange: Exchange, when: datetime, event_id: str = "") -> dict[str, Any]:
    """The SageMaker capture record of one exchange at ``when`` (UTC)."""
    input_data, input_encoding = encoded(exchange.request_body, exchange.request_type)
    output_data, output_encoding = encoded(exchange.response_body, exchange.response_type)
    return {
        "captureData": {
            "endpointInput": {"observedContentType": exchange.request_type, "mode": "INPUT",
                              "data": input_data, "encoding": input_encoding},
            "endpointOutput": {"observedContentType": exchange.response_type, "mode": "OUTPUT",
                               "data": output_data, "encoding": output_encoding},
        },
        "eventMetadata": {"eventId": event_id or str(uuid.uuid4()), "inferenceTime": iso_z(when),
                          "variant": exchange.variant},
        "eventVersion": EVENT_VERSION,
    }


def exchange_bytes(exchange: Exchange) -> int:
    """What one queued capture holds in memory, roughly."""
    return len(exchange.request_body) + len(exchange.response_body) + RECORD_OVERHEAD_BYTES


def iso_z(when: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a ``Z``, as SageMaker writes ``inferenceTime``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def capture_path(folder: Path, variant: str, when: datetime, file_stem: str) -> Path:
    """``<folder>/<variant>/YYYY/MM/DD/HH/<file_stem>.jsonl`` for the UTC hour of ``when``."""
    return folder / variant / when.astimezone(UTC).strftime("%Y/%m/%d/%H") / f"{file_stem}.jsonl"


class CaptureWriter:
    """Samples ``percent`` of invocations and appends their records from a background thread."""

    def __init__(self, folder: Path, percent: int, seed: int | None = None, limit_bytes: int = QUEUE_LIMIT_BYTES,
                 flush_seconds: float = FLUSH_SECONDS) -> None:
        self.folder = Path(folder)
        self.percent = max(0, min(100, int(percent)))
        self.file_stem = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.limit_bytes = limit_bytes
        self.flush_seconds = flush_seconds
        self.written = 0
        self.dropped = 0
        self.queued_bytes = 0
        self._dropping = False
        self._lock = threading.Lock()  # capture() runs on the event loop and on shadow callbacks' threads
        self._random = random.Random(seed)
        self._queue: queue.Queue[tuple[Exchange, datetime] | None] = queue.Queue(QUEUE_LIMIT)
        self._closing = threading.Event()  # ends the writer's wait for more captures
        self._files: dict[Path, TextIO] = {}  # open on the writer thread only
        self._thread = threading.Thread(target=self._write_loop, name="data-capture", daemon=True)
        self._thread.start()

    def sampled(self) -> bool:
        """Whether this invocation is one of the sampled ``percent``."""
        return self.percent >= 100 or (self.percent > 0 and self._random.random() * 100 < self.percent)

    def capture(self, exchange: Exchange) -> None:
        """Queue ``exchange`` for writing, or drop (and count) it when the queue already holds
        ``limit_bytes`` or ``QUEUE_LIMIT`` captures; never waits. The record is built on the writer thread."""
        size = exchange_bytes(exchange)
        with self._lock:
            queued = self.queued_bytes + size <= self.limit_bytes
            if queued:
                try:
                    self._queue.put_nowait((exchange, datetime.now(UTC)))
                    self.queued_bytes += size
                except queue.Full:
                    queued = False
            if queued:
                self._dropping = False
                return
            self.dropped += 1
            starting, self._dropping = not self._dropping, True
        if starting:
            print(f"warning: data capture cannot keep up ({self.queued_bytes:,} bytes waiting to be written): "
                  f"dropping captures ({self.dropped} dropped so far)", flush=True)

    def close(self, timeout: float = 10.0) -> None:
        """Write everything queued, then stop the thread."""
        if self._thread.is_alive():
            self._closing.set()
            self._queue.put(None)
            self._thread.join(timeout)

    def _write_loop(self) -> None:
        stopping = False
        while not stopping:
            items = [self._queue.get()]
            if items[0] is not None:
                self._closing.wait(self.flush_seconds)  # let captures gather: one write for all of them
            while True:  # take everything queued meanwhile, so one append serves many records
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stopping = None in items
            exchanges = [item for item in items if item is not None]
            self._append(exchanges)
            with self._lock:
                self.queued_bytes -= sum(exchange_bytes(exchange) for exchange, _ in exchanges)
        self._close(list(self._files))

    def _append(self, items: list[tuple[Exchange, datetime]]) -> None:
        batch: dict[Path, list[str]] = {}
        for exchange, when in items:
            path = capture_path(self.folder, exchange.variant, when, self.file_stem)
            batch.setdefault(path, []).append(json.dumps(capture_record(exchange, when), ensure_ascii=False))
        if not batch:
            return
        self._close([path for path in self._files if path not in batch])  # an hour (or a variant) no longer written
        for path, lines in batch.items():
            try:
                handle = self._file(path)
                handle.write("".join(line + "\n" for line in lines))
                handle.flush()
                self.written += len(lines)
            except OSError as exc:  # a full or read-only disk must not stop serving
                self._close([path])  # reopened by the next write
                with self._lock:
                    self.dropped += len(lines)
                print(f"error: data capture could not write {path}: {exc}", flush=True)

    def _file(self, path: Path) -> TextIO:
        """``path`` open for appending; reopened when the file was deleted (e.g. by retention) since."""
        handle = self._files.get(path)
        if handle is not None and os.fstat(handle.fileno()).st_nlink == 0:
            self._close([path])
            handle = None
        if handle is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = self._files[path] = path.open("a", encoding="utf-8")
        return handle

    def _close(self, paths: list[Path]) -> None:
        for path in paths:
            try:
                self._files.pop(path).close()
            except OSError as exc:  # its last write is already counted; say it may be incomplete
                print(f"error: data capture could not close {path}: {exc}", flush=True)
