"""Warming a served model up before the endpoint's server listens (issue 14, UX #12).

A model that has only been loaded is cold: its first prediction pays for lazy imports and first-call set-up,
and a review model's first explanation imports shap and compiles its numba helpers (seconds: the Score page's
first review took 13.5 s and showed as a p99 of 11.5 s). The server therefore runs one prediction per variant —
and, for review models, one explanation — on an input of its own before it starts listening; ``GET /ping``
answers only once that is done, so an endpoint is InService only when its first request is as fast as the next
ones. The warm-up is neither counted nor captured; ``/stats`` reports it per variant as ``warm_up``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from services.endpoints.serving import ServingModel

WARM_UP_REVIEW = "Warming up: the fabric feels soft and the dress fits well."


@dataclass(frozen=True)
class WarmUp:
    """How long the warm-up's prediction and explanation took (ms; None when not run), or why it stopped."""

    predict_ms: float | None = None
    explain_ms: float | None = None
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"predict_ms": self.predict_ms, "explain_ms": self.explain_ms, "error": self.error}

    def summary(self) -> str:
        if self.error:
            return f"warm-up stopped ({self.error}); its first request pays for what was not warmed"
        explained = f", explain {self.explain_ms:.0f} ms" if self.explain_ms is not None else ""
        return f"warmed up: predict {self.predict_ms:.0f} ms{explained}"


def warm_up_instance(model: ServingModel) -> Any:
    """A review for text models; for tabular ones a record with every input column missing."""
    return WARM_UP_REVIEW if model.text_model else {name: None for name in model.input_columns}


def warm_up(model: ServingModel) -> WarmUp:
    """Run one prediction (and for review models one explanation) so nothing is left to load on the first request."""
    predict_ms: float | None = None
    try:
        started = time.perf_counter()
        model.predict([warm_up_instance(model)])
        predict_ms = _ms_since(started)
        if not model.text_model:
            return WarmUp(predict_ms=predict_ms)
        started = time.perf_counter()
        model.explain(WARM_UP_REVIEW)
        return WarmUp(predict_ms=predict_ms, explain_ms=_ms_since(started))
    except Exception as exc:  # the input is ours, not a client's: a model that refuses it still serves, cold
        return WarmUp(predict_ms=predict_ms, error=f"{type(exc).__name__}: {exc}")


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
