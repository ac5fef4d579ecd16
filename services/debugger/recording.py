"""What a job records for Debugger, in ``jobs/<name>/debug-output/`` (layout: ``services/debugger/models.py``).

* ``SystemSampler``: every ``SYSTEM_SAMPLE_MS`` a line in ``system.jsonl`` — per-core CPU % from ``/proc/stat``,
  memory % from ``/proc/meminfo``, RSS and I/O (MB read / written, ``/proc/<pid>/io``) summed over the job's process
  group (the worker leads it; scripts run in it). It sleeps between samples and reads a handful of small files.
* ``mirror_scalars``: the job's metric points (``metrics.jsonl``) copied into ``scalars.jsonl`` with a TRAIN / EVAL
  mode from the name, read incrementally (``JsonlTail`` keeps its offset).
* ``record_labels``: the training labels' counts (``labels.json``) for ClassImbalance.
* ``record_predictions``: a split's labels and the model's predicted classes at a step, as two tensors
  (``<split>/labels``, ``<split>/predictions``: ``{"name", "step", "values", "rows"}``) in ``predictions.jsonl``, for
  ClassImbalance's misprediction check; at most ``MAX_OUTPUT_VALUES`` values a tensor (the first rows; ``rows``
  says how many there were).

The worker tells the code it runs what to record through two ``SM_*``-style variables of ours (they pass into a
script's environment as part of the training contract): ``SM_DEBUGGER_OUTPUT_DIR`` (the folder) and
``SM_DEBUGGER_COLLECTIONS`` (comma list: ``losses`` — report training losses too, ``gradients`` — gradient
statistics, ``labels`` — label counts, ``predictions`` — labels with predictions), set only for the collections the
configured rules read.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from services.debugger.models import SYSTEM_SAMPLE_MS
from services.debugger.rules import mode_of

DEBUG_DIR = "debug-output"
OUTPUT_ENV = "SM_DEBUGGER_OUTPUT_DIR"
COLLECTIONS_ENV = "SM_DEBUGGER_COLLECTIONS"
SCALARS, TENSORS, SYSTEM, LABELS, RULES = "scalars.jsonl", "tensors.jsonl", "system.jsonl", "labels.json", "rules.json"
PREDICTIONS = "predictions.jsonl"
MAX_OUTPUT_VALUES = 10_000  # numbers per labels / predictions tensor: a line stays well under READ_CHUNK
READ_CHUNK = 1 << 20  # at most 1 MB of a file per read; the rest on the next read
MB = 1024 * 1024
MEMBERS_EVERY = 6  # samples between two looks for the process group's members (3 s)


def debug_dir(job_dir: Path) -> Path:
    return job_dir / DEBUG_DIR


def collections_wanted(environ: Mapping[str, str] | None = None) -> set[str]:
    """The collections this process should record (empty when no Debugger rule reads them)."""
    environ = os.environ if environ is None else environ
    if not environ.get(OUTPUT_ENV):
        return set()
    return {c for c in environ.get(COLLECTIONS_ENV, "").split(",") if c}


def output_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    environ = os.environ if environ is None else environ
    value = environ.get(OUTPUT_ENV)
    return Path(value) if value else None


def append_jsonl(path: Path, records: Iterable[Mapping[str, Any]]) -> None:
    lines = "".join(json.dumps(dict(r)) + "\n" for r in records)
    if lines:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(lines)


def record_labels(values: Iterable[Any]) -> None:
    """Count the training labels into ``labels.json`` when ClassImbalance asked for them (else nothing)."""
    folder = output_dir()
    if folder is None or "labels" not in collections_wanted():
        return
    counts: dict[str, int] = {}
    for value in values:
        counts[str(value)] = counts.get(str(value), 0) + 1
    (folder / LABELS).write_text(json.dumps(counts))


def record_predictions(split: str, labels: Iterable[Any], predictions: Iterable[Any], step: int) -> None:
    """Append ``split``'s labels and predicted classes at ``step`` when ClassImbalance asked for them (else
    nothing): two tensors, ``<split>/labels`` and ``<split>/predictions``, of at most ``MAX_OUTPUT_VALUES`` rows."""
    folder = output_dir()
    if folder is None or "predictions" not in collections_wanted():
        return
    truth, predicted = [_plain(v) for v in labels], [_plain(v) for v in predictions]
    append_jsonl(folder / PREDICTIONS, [
        {"name": f"{split}/{kind}", "step": int(step), "values": values[:MAX_OUTPUT_VALUES], "rows": len(values)}
        for kind, values in (("labels", truth), ("predictions", predicted))])


def record_split_predictions(predictor: Any, frame: Any, target: str, step: int, split: str = "validation",
                             predicted: Sequence[Any] | None = None) -> None:
    """When ClassImbalance asked for predictions (else nothing, not even the scoring): record the labels in
    ``target`` with the predicted labels — ``predicted`` when the fit already made them (one per row of ``frame``),
    else ``frame`` scored by the trained ``predictor`` (its ``predict_frame``)."""
    if output_dir() is None or "predictions" not in collections_wanted() or len(frame) == 0:
        return
    if predicted is None or len(predicted) != len(frame):
        predicted = list(predictor.predict_frame(frame.head(MAX_OUTPUT_VALUES))["predicted_label"])
    record_predictions(split, frame[target].head(MAX_OUTPUT_VALUES), list(predicted)[:MAX_OUTPUT_VALUES], step)


def _plain(value: Any) -> Any:
    """A label or prediction as JSON has it (numpy scalars become Python numbers, other values text)."""
    if hasattr(value, "item"):
        value = value.item()
    return value if isinstance(value, (int, float, str)) else str(value)


def read_labels(folder: Path) -> dict[str, int]:
    path = folder / LABELS
    if not path.is_file():
        return {}
    data = json.loads(path.read_text())
    return {str(k): int(v) for k, v in data.items()} if isinstance(data, dict) else {}


class JsonlTail:
    """Reads the complete lines appended to a JSON-lines file since the last read (a partial last line waits)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def read(self) -> list[dict[str, Any]]:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read(READ_CHUNK)
        except FileNotFoundError:
            return []
        end = chunk.rfind(b"\n") + 1
        self.offset += end
        return [json.loads(line) for line in chunk[:end].splitlines() if line.strip()]


def mirror_scalars(tail: JsonlTail, folder: Path) -> list[dict[str, Any]]:
    """Copy the new metric points into ``scalars.jsonl`` with their mode; returns them."""
    points = [{"name": p["name"], "value": p["value"], "step": p.get("step"), "seconds": p.get("seconds"),
               "mode": mode_of(str(p["name"]))} for p in tail.read()]
    append_jsonl(folder / SCALARS, points)
    return points


# -- system metrics ------------------------------------------------------------------------------


def cpu_times() -> list[tuple[int, int]]:
    """(busy, total) jiffies per core from /proc/stat."""
    cores: list[tuple[int, int]] = []
    with open("/proc/stat", encoding="ascii") as handle:
        for line in handle:
            if not line.startswith("cpu") or line.startswith("cpu "):
                if cores:
                    break
                continue
            values = [int(v) for v in line.split()[1:]]
            idle = values[3] + (values[4] if len(values) > 4 else 0)
            cores.append((sum(values[:8]) - idle, sum(values[:8])))
    return cores


def cpu_percents(before: list[tuple[int, int]], after: list[tuple[int, int]]) -> list[float]:
    return [round(100.0 * (b2 - b1) / (t2 - t1), 1) if t2 > t1 else 0.0
            for (b1, t1), (b2, t2) in zip(before, after, strict=False)]


def memory_percent() -> float:
    values: dict[str, int] = {}
    with open("/proc/meminfo", encoding="ascii") as handle:
        for line in handle:
            name, _, rest = line.partition(":")
            if name in ("MemTotal", "MemAvailable"):
                values[name] = int(rest.split()[0])
            if len(values) == 2:
                break
    total = values.get("MemTotal", 0)
    return round(100.0 * (total - values.get("MemAvailable", total)) / total, 1) if total else 0.0


def group_members(pid: int) -> list[int]:
    """The processes of ``pid``'s process group when ``pid`` leads one, else ``pid`` alone."""
    group = os.getpgid(pid)
    if group != pid:
        return [pid]
    members = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[-1].split()
                if int(fields[2]) == group:
                    members.append(int(entry.name))
    return members


def process_usage(pids: Iterable[int]) -> tuple[float, float, float]:
    """(RSS MB, read MB, written MB) summed over ``pids`` (processes that ended meanwhile are skipped)."""
    rss = read = write = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            io = dict(line.split(": ") for line in Path(f"/proc/{pid}/io").read_text().splitlines())
            read, write = read + int(io["read_bytes"]), write + int(io["write_bytes"])
    return round(rss / MB, 1), round(read / MB, 2), round(write / MB, 2)


class SystemSampler:
    """A daemon thread writing one ``system.jsonl`` line every ``interval`` seconds until ``stop``."""

    def __init__(self, folder: Path, started: float, interval: float = SYSTEM_SAMPLE_MS / 1000) -> None:
        self.path = folder / SYSTEM
        self.started = started
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="debugger-sampler", daemon=True)
        self._members: list[int] = []
        self._samples = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        before = cpu_times()
        while not self._stop.wait(self.interval):
            after = cpu_times()
            append_jsonl(self.path, [self.sample(before, after)])
            before = after

    def sample(self, before: list[tuple[int, int]], after: list[tuple[int, int]]) -> dict[str, Any]:
        if self._samples % MEMBERS_EVERY == 0:  # a scan of /proc is the costly part: every few seconds only
            self._members = group_members(os.getpid())
        self._samples += 1
        rss, read, write = process_usage(self._members)
        return {"seconds": round(time.monotonic() - self.started, 3), "cpu": cpu_percents(before, after),
                "memory_percent": memory_percent(), "rss_mb": rss, "read_mb": read, "write_mb": write}
