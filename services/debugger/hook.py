"""A tiny Debugger hook for training code: tensor and gradient statistics into ``tensors.jsonl``.

Standalone on purpose (standard library only; torch / numpy used only when handed their tensors): the job
worker copies this file as ``debug_hook.py`` beside a script-mode job's code, so a script writes::

    from debug_hook import Hook
    hook = Hook()                       # reads SM_DEBUGGER_OUTPUT_DIR; does nothing when Debugger is off
    hook.register_module(model)         # a torch.nn.Module whose gradients to watch
    ...
    loss.backward()
    hook.record_gradients(step)         # one line of gradient statistics over the module's parameters
    hook.record_tensor("loss", loss, step)
    hook.record_labels(train_labels)    # training labels' counts, for ClassImbalance
    hook.record_predictions(y_valid, model_output, step)  # labels and predictions, for ClassImbalance

Each line of ``tensors.jsonl`` is ``{"name", "step", "mean", "std", "min", "max", "norm", "abs_mean"}``;
``record_predictions`` writes two tensors to ``predictions.jsonl``, ``<prefix>labels`` and ``<prefix>predictions``
(``{"name", "step", "values", "rows"}``, at most ``MAX_OUTPUT_VALUES`` numbers each). Predictions are classes, or
per-row probability vectors for the rule's ``argmax=True``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

OUTPUT_ENV = "SM_DEBUGGER_OUTPUT_DIR"
COLLECTIONS_ENV = "SM_DEBUGGER_COLLECTIONS"
MAX_OUTPUT_VALUES = 10_000  # as services.debugger.recording (this file stands alone)


def summarize(total: float, squares: float, absolute: float, low: float, high: float, count: int) -> dict[str, float]:
    """Statistics from sums over ``count`` values."""
    if count == 0:
        return {"mean": 0.0, "std": 0.0, "min": 0.0, "max": 0.0, "norm": 0.0, "abs_mean": 0.0}
    mean = total / count
    variance = max(squares / count - mean * mean, 0.0) if math.isfinite(squares) else squares
    return {"mean": mean, "std": math.sqrt(variance) if variance == variance else variance, "min": low, "max": high,
            "norm": math.sqrt(squares) if squares == squares else squares, "abs_mean": absolute / count}


def sums(values: Any) -> tuple[float, float, float, float, float, int]:
    """(sum, sum of squares, sum of |x|, min, max, count) of a torch tensor, numpy array or sequence of numbers."""
    if hasattr(values, "detach"):  # torch
        t = values.detach().double().reshape(-1)
        if t.numel() == 0:
            return 0.0, 0.0, 0.0, 0.0, 0.0, 0
        return (t.sum().item(), (t * t).sum().item(), t.abs().sum().item(), t.min().item(), t.max().item(),
                int(t.numel()))
    flat = [float(v) for v in _flatten(values)]
    if not flat:
        return 0.0, 0.0, 0.0, 0.0, 0.0, 0
    return sum(flat), sum(v * v for v in flat), sum(abs(v) for v in flat), min(flat), max(flat), len(flat)


def gradient_sums(grads: list[Any], scratch: Any = None) -> list[tuple[float, float, float, float, float, int]]:
    """``sums`` of each gradient. Torch's without a double-precision copy (that and reading each value back cost a
    MiniLM step ~8 %): float32 sums are pairwise and the dot product blocked (relative error ~1e-6 and ~1e-5),
    |x| goes through ``scratch`` (a flat tensor of the gradients' dtype, at least the largest's size, reused
    between calls: a fresh buffer per gradient is mostly page faults), and all is read back in one transfer."""
    if not grads or not hasattr(grads[0], "detach"):
        return [sums(g) for g in grads]
    import torch

    rows = []
    for g in (g.detach().reshape(-1) for g in grads if g.numel()):
        buffer = scratch[:g.numel()] if scratch is not None and scratch.dtype == g.dtype else None
        absolute = torch.abs(g, out=buffer) if buffer is not None and buffer.numel() == g.numel() else g.abs()
        rows.append(torch.stack([g.sum(), torch.dot(g, g), absolute.sum(), *torch.aminmax(g)]).double())
    return [(*row[:5], int(g.numel())) for row, g in zip(torch.stack(rows).tolist() if rows else [],
                                                          [g for g in grads if g.numel()], strict=True)]


def _rows(values: Any) -> list[Any]:
    """A tensor, array or sequence as a list of rows (numbers, or lists of numbers for 2-D input)."""
    if hasattr(values, "detach"):
        values = values.detach().cpu()
    if hasattr(values, "tolist"):
        values = values.tolist()
    return [list(v) if isinstance(v, (list, tuple)) else v for v in values]


def _flatten(values: Any) -> list[Any]:
    if hasattr(values, "tolist"):
        values = values.tolist()
    if isinstance(values, (int, float)):
        return [values]
    out: list[Any] = []
    for value in values:
        out.extend(_flatten(value) if isinstance(value, (list, tuple)) else [value])
    return out


class Hook:
    """Records into ``$SM_DEBUGGER_OUTPUT_DIR/tensors.jsonl`` (or ``out_dir``); a no-op without either."""

    def __init__(self, out_dir: str | os.PathLike[str] | None = None) -> None:
        folder = out_dir or os.environ.get(OUTPUT_ENV)
        self.path = Path(folder) / "tensors.jsonl" if folder else None
        self.collections = set(filter(None, os.environ.get(COLLECTIONS_ENV, "").split(",")))
        self.modules: list[Any] = []
        self.step = 0
        self._scratch: Any = None

    @property
    def enabled(self) -> bool:
        return self.path is not None

    def wants(self, collection: str) -> bool:
        """Whether a configured rule reads ``collection`` (gradients, losses, labels)."""
        return self.enabled and collection in self.collections

    def register_module(self, module: Any) -> None:
        """Watch the gradients of a torch module's parameters (``record_gradients``)."""
        self.modules.append(module)

    def record_tensor(self, name: str, tensor: Any, step: int | None = None) -> None:
        """One line of statistics of ``tensor`` at ``step`` (default: the hook's step counter)."""
        if self.enabled:
            self._write({"name": name, "step": self._step(step), **summarize(*sums(tensor))})

    def record_gradients(self, step: int | None = None) -> None:
        """Gradient statistics over every registered module's parameters, as one line named ``gradients/all``
        (a few reductions per parameter; nothing is copied)."""
        if not self.enabled or not self.modules:
            return
        grads = [p.grad for m in self.modules for p in m.parameters() if getattr(p, "grad", None) is not None]
        parts = [part for part in gradient_sums(grads, self._scratch_for(grads)) if part[5]]
        if not parts:
            return
        total = [sum(p[i] for p in parts) for i in (0, 1, 2)]
        low, high, count = min(p[3] for p in parts), max(p[4] for p in parts), sum(p[5] for p in parts)
        self._write({"name": "gradients/all", "step": self._step(step),
                     **summarize(total[0], total[1], total[2], low, high, count)})

    def record_labels(self, labels: Any) -> None:
        """Counts of the training labels, for ClassImbalance."""
        if self.path is None:
            return
        counts: dict[str, int] = {}
        for label in _flatten(labels):
            counts[str(label)] = counts.get(str(label), 0) + 1
        (self.path.parent / "labels.json").write_text(json.dumps(counts))

    def record_predictions(self, labels: Any, predictions: Any, step: int | None = None, prefix: str = "") -> None:
        """One step's labels and predictions (classes, or probability vectors), for ClassImbalance's
        misprediction check; the first rows only when they hold more than ``MAX_OUTPUT_VALUES`` numbers."""
        if self.path is None:
            return
        truth, predicted = _rows(labels), _rows(predictions)
        width = max((len(p) for p in predicted if isinstance(p, list)), default=1)
        keep, at = max(1, MAX_OUTPUT_VALUES // width), self._step(step)
        lines = [{"name": f"{prefix}{kind}", "step": at, "values": values[:keep], "rows": len(values)}
                 for kind, values in (("labels", truth), ("predictions", predicted))]
        with (self.path.parent / "predictions.jsonl").open("a", encoding="utf-8") as handle:
            handle.write("".join(json.dumps(line) + "\n" for line in lines))

    def _scratch_for(self, grads: list[Any]) -> Any:
        """A flat torch buffer for ``gradient_sums``, kept while it fits (None for non-torch gradients)."""
        if not grads or not hasattr(grads[0], "new_empty"):
            return None
        size = max(g.numel() for g in grads)
        if self._scratch is None or self._scratch.numel() < size or self._scratch.dtype != grads[0].dtype:
            self._scratch = grads[0].new_empty(size)
        return self._scratch

    def _step(self, step: int | None) -> int:
        if step is None:
            step, self.step = self.step, self.step + 1
        return int(step)

    def _write(self, record: dict[str, Any]) -> None:
        assert self.path is not None
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
