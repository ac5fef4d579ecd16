"""The loaded endpoint of a server: its variants and their models, traffic routing by weight, shadow copies,
per-variant statistics and data capture.

Shadow variants get a copy of the instances after the live answer is ready (without waiting for them);
their predictions are compared with the live ones and captured with the live request's sampling
decision, never returned. A shadow more than ``SHADOW_BACKLOG`` requests behind skips copies (counted
as ``dropped``) so memory stays bounded.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from services.endpoints.capture import CaptureWriter, Exchange, iso_z
from services.endpoints.server_batching import Batcher
from services.endpoints.server_config import ServerConfig, VariantConfig, log
from services.endpoints.server_explain import EXPLAIN_OMITTED_HEADER, explain
from services.endpoints.server_requests import FORMAT_TYPES, Call, RequestError, parse_instances, render
from services.endpoints.server_warm_up import WarmUp, warm_up
from services.endpoints.serving import ServingModel, load_serving_model
from services.errors import InvalidInput

LATENCY_WINDOW = 10_000
SHADOW_BACKLOG = 200
INLINE_PARSE_BYTES = 64 * 1024  # smaller bodies are parsed on the event loop (a thread hop costs more)
INLINE_PREDICT_INSTANCES = 4  # a lone request this small is scored on the event loop when its model is idle
VARIANT_HEADER = "x-Amzn-Invoked-Production-Variant"


# -- statistics -------------------------------------------------------------------------------------------


@dataclass
class VariantCounters:
    """A variant's traffic figures; latencies over a bounded window so memory does not grow with traffic."""

    requests: int = 0
    errors: int = 0
    compared: int = 0
    agreed: int = 0
    dropped: int = 0
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_WINDOW))

    def as_dict(self, shadow: bool) -> dict[str, Any]:
        window = np.fromiter(self.latencies, dtype=float)
        latency = {"p50": None, "p99": None} if not len(window) else \
            {"p50": round(float(np.percentile(window, 50)), 3), "p99": round(float(np.percentile(window, 99)), 3)}
        agreement = round(self.agreed / self.compared, 6) if shadow and self.compared else None
        return {"requests": self.requests, "errors": self.errors, "latency_ms": latency, "shadow": shadow,
                "agreement": agreement, "compared": self.compared, "dropped": self.dropped}


def same_label(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return bool(np.isclose(left, right, rtol=1e-6, atol=1e-9))
    return str(left) == str(right)


# -- the endpoint ------------------------------------------------------------------------------------------------


@dataclass
class LiveVariant:
    config: VariantConfig
    model: ServingModel
    batcher: Batcher
    counters: VariantCounters = field(default_factory=VariantCounters)
    warm_up: WarmUp = field(default_factory=WarmUp)


@dataclass
class Answer:
    response: Response
    instances: list[Any]
    predictions: list[dict[str, Any]]


class Endpoint:
    """The loaded variants, traffic routing, statistics and data capture of one endpoint."""

    def __init__(self, config: ServerConfig, variants: list[LiveVariant]) -> None:
        self.config = config
        self.variants = {variant.config.name: variant for variant in variants}
        self.live = [variant for variant in variants if not variant.config.shadow]
        self.shadows = [variant for variant in variants if variant.config.shadow]
        self.capture = CaptureWriter(Path(config.capture_dir), config.capture_percent, seed=config.seed)
        self.started = datetime.now(UTC)
        self.requests = 0
        self.errors = 0
        self.in_flight = 0  # invocations between parsing and their answer (changed on the event loop only)
        self._random = random.Random(config.seed)
        self._lock = threading.Lock()

    @classmethod
    def load(cls, config: ServerConfig) -> Endpoint:
        """Load every variant's model and warm it up (``server_warm_up``; one log line per step)."""
        variants = []
        for variant in config.variants:
            started = time.monotonic()
            role = "shadow variant" if variant.shadow else "variant"
            log(f"endpoint {config.name}: loading {role} {variant.name} (model {variant.model_id}) from {variant.artifact_path}")
            model = load_serving_model(variant.artifact_path)
            log(f"endpoint {config.name}: {role} {variant.name} loaded in {time.monotonic() - started:.1f} s "
                f"({model.framework or 'model'}, {model.problem_type}, {'text' if model.text_model else 'tabular'} input)")
            warmed = warm_up(model)
            log(f"endpoint {config.name}: {role} {variant.name} {warmed.summary()}")
            variants.append(LiveVariant(variant, model, Batcher(variant.name, model.predict), warm_up=warmed))
        return cls(config, variants)

    def close(self) -> None:
        for variant in self.variants.values():
            variant.batcher.close()
        self.capture.close()

    def choose(self, target: str) -> LiveVariant:
        """The target variant when one is named, else a production variant drawn by weight."""
        if target:
            variant = self.variants.get(target)
            if variant is None or variant.config.shadow:
                names = ", ".join(v.config.name for v in self.live)
                raise RequestError(400, f"Target variant {target!r} is not a production variant of this endpoint; use one of {names}.")
            return variant
        if len(self.live) == 1:
            return self.live[0]
        with self._lock:
            return self._random.choices(self.live, weights=[v.config.weight for v in self.live])[0]

    async def answer(self, call: Call, variant: LiveVariant) -> Answer:
        """Parse, predict (and explain) for one call on ``variant``."""
        self.in_flight += 1
        try:
            return await self._answer(call, variant)
        finally:
            self.in_flight -= 1

    async def _answer(self, call: Call, variant: LiveVariant) -> Answer:
        small = len(call.body) <= INLINE_PARSE_BYTES
        if small:
            instances = parse_instances(call.body, call.request_format, variant.model)
        else:
            instances = await run_in_threadpool(parse_instances, call.body, call.request_format, variant.model)
        predictions = await predict(variant, instances, inline=small and await self.alone() and len(instances) <= INLINE_PREDICT_INSTANCES)
        headers = {VARIANT_HEADER: variant.config.name}
        if call.explain:
            omitted = await explain(variant.model, instances, predictions, call.response_format)
            if omitted:
                headers[EXPLAIN_OMITTED_HEADER] = omitted
        body = render(predictions, call.response_format)
        return Answer(Response(body, media_type=FORMAT_TYPES[call.response_format], headers=headers), instances, predictions)

    async def alone(self) -> bool:
        """Whether this is the only invocation in progress, once every request already received has started
        (one turn of the event loop: requests that arrived together are then all counted)."""
        await asyncio.sleep(0)
        return self.in_flight == 1

    def finish(self, variant: LiveVariant | None, status: int, started: float) -> None:
        with self._lock:
            self.requests += 1
            self.errors += status != 200
            if variant is not None:
                variant.counters.requests += 1
                variant.counters.errors += status != 200
                variant.counters.latencies.append((time.perf_counter() - started) * 1000)

    def after_answer(self, call: Call, variant: LiveVariant, answer: Answer) -> None:
        """Capture the exchange (when sampled) and send shadow copies, without delaying the answer."""
        sampled = self.capture.sampled()
        response_type = FORMAT_TYPES[call.response_format]
        if sampled:
            self.capture.capture(Exchange(variant.config.name, call.body, call.content_type, bytes(answer.response.body), response_type))
        for shadow in self.shadows:
            if shadow.batcher.pending > SHADOW_BACKLOG:
                with self._lock:
                    shadow.counters.dropped += 1
                continue
            future = shadow.batcher.submit(answer.instances)
            future.add_done_callback(partial(self._shadow_done, shadow, call, answer.predictions, sampled, time.perf_counter()))

    def _shadow_done(self, shadow: LiveVariant, call: Call, live: list[dict[str, Any]], sampled: bool, started: float,
                     future: concurrent.futures.Future[list[dict[str, Any]]]) -> None:
        error = future.exception()
        with self._lock:
            counters = shadow.counters
            counters.requests += 1
            counters.latencies.append((time.perf_counter() - started) * 1000)
            if error is not None:
                counters.errors += 1
            else:
                results = future.result()
                counters.compared += len(results)
                counters.agreed += sum(same_label(a["predicted_label"], b["predicted_label"]) for a, b in zip(results, live))
        if error is not None:
            log(f"error: shadow variant {shadow.config.name} failed: {type(error).__name__}: {error}")
        elif sampled:
            self.capture.capture(Exchange(shadow.config.name, call.body, call.content_type,
                                          render(future.result(), call.response_format), FORMAT_TYPES[call.response_format]))

    def stats(self) -> dict[str, Any]:
        with self._lock:
            variants = {name: {"model_id": v.config.model_id, "weight": v.config.weight, **v.counters.as_dict(v.config.shadow),
                               "warm_up": v.warm_up.as_dict()}
                        for name, v in self.variants.items()}
            return {"name": self.config.name, "started_at": iso_z(self.started),
                    "uptime_seconds": round((datetime.now(UTC) - self.started).total_seconds(), 3),
                    "requests": self.requests, "errors": self.errors,
                    "capture": {"percent": self.capture.percent, "written": self.capture.written, "dropped": self.capture.dropped},
                    "variants": variants}


async def predict(variant: LiveVariant, instances: list[Any], inline: bool = False) -> list[dict[str, Any]]:
    """The variant's predictions; bad instances are 400, a failing model 500 (and a log line). With ``inline``
    they are computed on the event loop's thread when the model is idle (``Batcher.run_if_idle``), else batched."""
    try:
        predictions = variant.batcher.run_if_idle(instances) if inline else None
        if predictions is not None:
            return predictions
        return await asyncio.wrap_future(variant.batcher.submit(instances))
    except InvalidInput as exc:
        raise RequestError(400, str(exc)) from exc
    except Exception as exc:
        log(f"error: variant {variant.config.name} failed to predict: {type(exc).__name__}: {exc}")
        raise RequestError(500, f"The model failed: {type(exc).__name__}: {exc}") from exc
