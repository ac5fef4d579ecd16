"""The inference server of one local endpoint: ``python -m services.endpoints.server --config PATH``.

``PATH`` is ``<home>/endpoints/<name>/endpoint.json``::

    {"name": "reviews", "host": "127.0.0.1", "port": 8080, "capture_percent": 100,
     "capture_dir": "/abs/endpoints/reviews/data-capture",
     "variants": [{"name": "AllTraffic", "model_id": "m/1", "artifact_path": "/abs/models/m/1",
                   "weight": 1.0, "shadow": false}]}

(optional: ``"seed"``, the seed of the traffic-splitting random numbers, default 0). Every variant's
model is loaded (``serving.load_serving_model``) before the server listens, so ``GET /ping`` answers
200 as soon as it answers at all. Then uvicorn serves a Starlette app in this one process; the
torch-free model code paths keep it light (see ``serving``). Logs go to stdout: one line per
startup step, one per error, none per request.

Routes (SageMaker's inference container contract, plus ``/stats``):

* ``GET /ping``: 200 ``{"status": "Healthy"}``.
* ``POST /invocations``: request ``Content-Type`` (required) ``application/json`` (``{"instances": [...]}``,
  ``{"inputs": text | [...]}``, a bare array, or one feature object), ``text/csv`` (one record per line,
  no header expected; a first line equal to the input column names is skipped) or
  ``application/jsonlines`` (one instance per line); see ``serving`` for what an instance is.
  ``Accept`` ``application/json`` (also ``*/*`` or none) gives ``{"predictions": [{"predicted_label":
  "1", "probability": 0.93, "probabilities": {...}}]}``, ``text/csv`` gives ``label,probability`` lines
  (just the label for regression), ``application/jsonlines`` one prediction object per line.
  Errors are JSON ``{"message": ...}``: 400 malformed or empty body, bad instances, unknown target
  variant, JSON nested too deeply to read; 406 unknown Accept; 413 body over 6 MB (``Content-Length``
  and the bytes actually read; the rest of the body is read and discarded first, within bounds, so
  the client gets the 413); 415 missing or unsupported Content-Type; 421 a ``Host`` header that is
  not the address the server was started on (every route; see ``guards``); 500 the model failed
  (logged; the next request is served as usual).
  ``explain=true`` in ``X-Amzn-SageMaker-Custom-Attributes`` (or ``?explain=true``) adds an
  ``explanation`` to each prediction of a text model (at most ``MAX_EXPLAINED_INSTANCES`` per request);
  for tabular models and CSV responses none is added and ``X-Explanation-Omitted`` says why.
  ``X-Amzn-SageMaker-Target-Variant`` picks the variant, else a production (non-shadow) variant is
  drawn by weight. The answer names it in ``x-Amzn-Invoked-Production-Variant``.
* ``GET /stats`` (ours): ``{"name", "started_at", "uptime_seconds", "requests", "errors",
  "capture": {"percent", "written", "dropped"}, "variants": {name: {"model_id", "weight", "shadow",
  "requests", "errors", "latency_ms": {"p50", "p99"}, "agreement", "compared", "dropped"}}}``.
  Latencies (ms, from the request's arrival to its answer; for a shadow, to its prediction) cover
  the last ``LATENCY_WINDOW`` requests per variant; ``agreement`` is the share of a shadow's
  predictions whose label equals the live one (null for production variants or before any).
  Top-level and variant ``errors`` count invocations answered with a non-200 status.

Concurrency: each model has a ``Batcher``, one thread that runs the model on everything queued
at that moment (up to ``MAX_BATCH_INSTANCES``), so concurrent requests share one ONNX Runtime or
scikit-learn call instead of fighting over two cores; if a shared call fails, each request is
retried alone so only the bad one gets its error. Large bodies are parsed and explanations computed
on worker threads; the event loop only moves bytes. Shadow variants get a copy of the instances
after the live answer is ready (without waiting for them); their predictions are compared with the
live ones and captured with the live request's sampling decision, never returned. A shadow more than
``SHADOW_BACKLOG`` requests behind skips copies (counted as ``dropped``) so memory stays bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import csv
import io
import json
import queue
import random
import re
import sys
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.endpoints.capture import CaptureWriter, Exchange, iso_z
from services.endpoints.guards import REQUEST_FORMATS, BodyTooLarge, HostCheck, content_type_problem, media_type, read_limited
from services.endpoints.models import MAX_PAYLOAD_BYTES
from services.endpoints.serving import ExplanationUnavailable, ServingModel, load_serving_model
from services.errors import InvalidInput, ServiceError

LATENCY_WINDOW = 10_000
MAX_BATCH_INSTANCES = 64
MAX_EXPLAINED_INSTANCES = 10
SHADOW_BACKLOG = 200
INLINE_PARSE_BYTES = 64 * 1024  # smaller bodies are parsed on the event loop (a thread hop costs more)
VARIANT_HEADER = "x-Amzn-Invoked-Production-Variant"
EXPLAIN_OMITTED_HEADER = "X-Explanation-Omitted"
TRUE_WORDS = ("true", "1", "yes")
RESPONSE_FORMATS = {"application/json": "json", "application/jsonlines": "jsonlines", "text/csv": "csv",
                    "*/*": "json", "application/*": "json", "text/*": "csv"}
FORMAT_TYPES = {"json": "application/json", "jsonlines": "application/jsonlines", "csv": "text/csv"}


def log(message: str) -> None:
    print(f"{iso_z(datetime.now(UTC))} {message}", flush=True)


# -- configuration -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VariantConfig:
    name: str
    model_id: str
    artifact_path: str
    weight: float = 1.0
    shadow: bool = False


@dataclass(frozen=True)
class ServerConfig:
    name: str
    host: str
    port: int
    capture_percent: int
    capture_dir: str
    variants: tuple[VariantConfig, ...]
    seed: int = 0


def read_config(path: Path) -> ServerConfig:
    """The endpoint's ``endpoint.json``; ``InvalidInput`` naming what is wrong."""
    try:
        raw = json.loads(Path(path).read_text())
        variants = tuple(VariantConfig(name=str(v["name"]), model_id=str(v.get("model_id", "")), artifact_path=str(v["artifact_path"]),
                                       weight=float(v.get("weight", 1.0)), shadow=bool(v.get("shadow", False)))
                         for v in raw["variants"])
        config = ServerConfig(name=str(raw["name"]), host=str(raw.get("host", "127.0.0.1")), port=int(raw["port"]),
                              capture_percent=int(raw.get("capture_percent", 0)),
                              capture_dir=str(raw.get("capture_dir") or Path(path).parent / "data-capture"),
                              variants=variants, seed=int(raw.get("seed", 0)))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"The endpoint configuration {path} cannot be read: {type(exc).__name__}: {exc}.",
                           hint="Redeploy the endpoint to rewrite it.") from exc
    check_config(config)
    return config


def check_config(config: ServerConfig) -> None:
    names = [variant.name for variant in config.variants]
    live = [variant for variant in config.variants if not variant.shadow]
    problems = [
        (not 0 < config.port < 65536, f"port {config.port} is not a TCP port"),
        (not 0 <= config.capture_percent <= 100, f"capture_percent {config.capture_percent} is not between 0 and 100"),
        (len(set(names)) != len(names), "variant names repeat"),
        (not live, "there is no production (non-shadow) variant"),
        (any(variant.weight < 0 for variant in config.variants), "a variant weight is negative"),
        (bool(live) and sum(variant.weight for variant in live) <= 0, "the production variants' weights add up to 0"),
    ]
    for failed, problem in problems:
        if failed:
            raise InvalidInput(f"The endpoint configuration is not valid: {problem}.", hint="Redeploy the endpoint with valid variants.")


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


# -- batching ------------------------------------------------------------------------------------------------


@dataclass
class _Job:
    instances: list[Any]
    future: concurrent.futures.Future[list[dict[str, Any]]]


class Batcher:
    """One model's predictions on its own thread, several queued requests per call."""

    def __init__(self, name: str, predict: Callable[[list[Any]], list[dict[str, Any]]]) -> None:
        self.predict = predict
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name=f"model-{name}", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def submit(self, instances: list[Any]) -> concurrent.futures.Future[list[dict[str, Any]]]:
        future: concurrent.futures.Future[list[dict[str, Any]]] = concurrent.futures.Future()
        self._queue.put(_Job(instances, future))
        return future

    def close(self, timeout: float = 10.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            jobs, count, stopping = [job], len(job.instances), False
            while count < MAX_BATCH_INSTANCES and not stopping:
                try:
                    queued = self._queue.get_nowait()
                except queue.Empty:
                    break
                if queued is None:
                    stopping = True
                else:
                    jobs.append(queued)
                    count += len(queued.instances)
            self._run(jobs)
            if stopping:
                return

    def _run(self, jobs: list[_Job]) -> None:
        if len(jobs) > 1 and self._run_together(jobs):
            return
        for job in jobs:
            try:
                job.future.set_result(self.predict(job.instances))
            except Exception as exc:  # the request's own error, handed to its handler
                job.future.set_exception(exc)

    def _run_together(self, jobs: list[_Job]) -> bool:
        try:
            results = self.predict([instance for job in jobs for instance in job.instances])
        except Exception:  # one bad request: score each alone so the others still succeed
            return False
        start = 0
        for job in jobs:
            job.future.set_result(results[start:start + len(job.instances)])
            start += len(job.instances)
        return True


# -- requests and responses ------------------------------------------------------------------------------


class RequestError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass(frozen=True)
class Call:
    """One invocation's request, decoded from its headers."""

    body: bytes
    content_type: str  # as sent, for data capture
    request_format: str  # json | jsonlines | csv
    response_format: str
    explain: bool
    target: str


def request_format(content_type: str) -> str:
    """The body's format from ``Content-Type``; 415 when it is missing or not one we read."""
    problem = content_type_problem(content_type)
    if problem:
        raise RequestError(415, problem)
    return REQUEST_FORMATS[media_type(content_type)]


def response_format(accept: str) -> str:
    """The first format ``Accept`` lists that we write (JSON when none is given); 406 otherwise."""
    kinds = [media_type(part) for part in accept.split(",") if part.strip()]
    for kind in kinds or ["application/json"]:
        if kind in RESPONSE_FORMATS:
            return RESPONSE_FORMATS[kind]
    raise RequestError(406, f"Accept {accept!r} is not supported; use application/json, application/jsonlines or text/csv.")


def wants_explanation(request: Request) -> bool:
    if request.query_params.get("explain", "").strip().lower() in TRUE_WORDS:
        return True
    attributes = request.headers.get("x-amzn-sagemaker-custom-attributes", "")
    for part in re.split(r"[;,]", attributes):
        key, _, value = part.partition("=")
        if key.strip().lower() == "explain" and value.strip().lower() in TRUE_WORDS:
            return True
    return False


async def read_body(request: Request) -> bytes:
    """The body, refused with 413 once it is over the SageMaker payload limit (declared or read);
    see ``guards.read_limited`` for why the rest of a refused body is read before answering."""
    try:
        return await read_limited(request, MAX_PAYLOAD_BYTES)
    except BodyTooLarge as exc:
        raise RequestError(413, exc.message, {} if exc.drained else {"Connection": "close"}) from exc


def parse_instances(body: bytes, body_format: str, model: ServingModel) -> list[Any]:
    """The instances a body holds; ``RequestError(400)`` for empty or malformed bodies."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RequestError(400, f"The body is not UTF-8 text ({exc}).") from exc
    if not text.strip():
        raise RequestError(400, "The request body is empty; send at least one instance.")
    if body_format == "json":
        instances = json_instances(text)
    elif body_format == "jsonlines":
        instances = [json_document(line, f"Line {number}") for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    else:
        instances = csv_instances(text, model)
    if not instances:
        raise RequestError(400, "The request holds no instances.")
    return instances


def json_document(text: str, what: str = "The body") -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise RequestError(400, f"{what} is not valid JSON: {exc}.") from exc
    except RecursionError as exc:  # the decoder recurses per level: [[[[… a few thousand deep
        raise RequestError(400, f"{what} nests arrays or objects too deeply to be read; an instance is a flat "
                                "record, a list of values or a text.") from exc


def json_instances(text: str) -> list[Any]:
    document = json_document(text)
    if isinstance(document, dict) and "instances" in document:
        if not isinstance(document["instances"], list):
            raise RequestError(400, '"instances" must be an array.')
        return list(document["instances"])
    if isinstance(document, dict) and "inputs" in document:
        inputs = document["inputs"]
        return list(inputs) if isinstance(inputs, list) else [inputs]
    return list(document) if isinstance(document, list) else [document]


def csv_instances(text: str, model: ServingModel) -> list[Any]:
    """One instance per CSV record; for a one-column text model an unquoted review keeps its commas."""
    try:
        records = [record for record in csv.reader(io.StringIO(text)) if record]
    except csv.Error as exc:
        raise RequestError(400, f"The body is not valid CSV: {exc}.") from exc
    if records and records[0] == list(model.input_columns):
        records = records[1:]
    if model.text_model and len(model.input_columns) == 1:
        return [",".join(record) for record in records]
    return list(records)


def render(predictions: list[dict[str, Any]], body_format: str) -> bytes:
    if body_format == "json":
        return json.dumps({"predictions": predictions}).encode("utf-8")
    if body_format == "jsonlines":
        return "".join(json.dumps(prediction) + "\n" for prediction in predictions).encode("utf-8")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for prediction in predictions:
        probability = prediction.get("probability")
        writer.writerow([prediction["predicted_label"]] + ([] if probability is None else [probability]))
    return out.getvalue().encode("utf-8")


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status, headers=headers)


# -- the endpoint ------------------------------------------------------------------------------------------------


@dataclass
class LiveVariant:
    config: VariantConfig
    model: ServingModel
    batcher: Batcher
    counters: VariantCounters = field(default_factory=VariantCounters)


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
        self._random = random.Random(config.seed)
        self._lock = threading.Lock()

    @classmethod
    def load(cls, config: ServerConfig) -> Endpoint:
        """Load every variant's model (one log line per step)."""
        variants = []
        for variant in config.variants:
            started = time.monotonic()
            role = "shadow variant" if variant.shadow else "variant"
            log(f"endpoint {config.name}: loading {role} {variant.name} (model {variant.model_id}) from {variant.artifact_path}")
            model = load_serving_model(variant.artifact_path)
            log(f"endpoint {config.name}: {role} {variant.name} ready in {time.monotonic() - started:.1f} s "
                f"({model.framework or 'model'}, {model.problem_type}, {'text' if model.text_model else 'tabular'} input)")
            variants.append(LiveVariant(variant, model, Batcher(variant.name, model.predict)))
        return cls(config, variants)

    def serves_text(self) -> bool:
        return any(variant.model.text_model for variant in self.variants.values())

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
        if len(call.body) <= INLINE_PARSE_BYTES:
            instances = parse_instances(call.body, call.request_format, variant.model)
        else:
            instances = await run_in_threadpool(parse_instances, call.body, call.request_format, variant.model)
        predictions = await predict(variant, instances)
        headers = {VARIANT_HEADER: variant.config.name}
        if call.explain:
            omitted = await explain(variant.model, instances, predictions, call.response_format)
            if omitted:
                headers[EXPLAIN_OMITTED_HEADER] = omitted
        body = render(predictions, call.response_format)
        return Answer(Response(body, media_type=FORMAT_TYPES[call.response_format], headers=headers), instances, predictions)

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
            variants = {name: {"model_id": v.config.model_id, "weight": v.config.weight, **v.counters.as_dict(v.config.shadow)}
                        for name, v in self.variants.items()}
            return {"name": self.config.name, "started_at": iso_z(self.started),
                    "uptime_seconds": round((datetime.now(UTC) - self.started).total_seconds(), 3),
                    "requests": self.requests, "errors": self.errors,
                    "capture": {"percent": self.capture.percent, "written": self.capture.written, "dropped": self.capture.dropped},
                    "variants": variants}


async def predict(variant: LiveVariant, instances: list[Any]) -> list[dict[str, Any]]:
    """The variant's predictions; bad instances are 400, a failing model 500 (and a log line)."""
    try:
        return await asyncio.wrap_future(variant.batcher.submit(instances))
    except InvalidInput as exc:
        raise RequestError(400, str(exc)) from exc
    except Exception as exc:
        log(f"error: variant {variant.config.name} failed to predict: {type(exc).__name__}: {exc}")
        raise RequestError(500, f"The model failed: {type(exc).__name__}: {exc}") from exc


async def explain(model: ServingModel, instances: list[Any], predictions: list[dict[str, Any]], body_format: str) -> str:
    """Add each prediction's ``explanation``; returns why they were left out ("" when added)."""
    if body_format == "csv":
        return "text/csv responses carry no explanations; ask for application/json"
    if not model.text_model:
        return "per-request explanations are given for text models; run a SHAP job on the Explain page for this model"
    if len(instances) > MAX_EXPLAINED_INSTANCES:
        raise RequestError(400, f"Explanations are computed for at most {MAX_EXPLAINED_INSTANCES} instances per request; "
                                f"this one has {len(instances)}.")
    try:
        for text, prediction in zip(model.texts(instances), predictions):
            prediction["explanation"] = await run_in_threadpool(model.explain, text)
    except InvalidInput as exc:
        raise RequestError(400, str(exc)) from exc
    except ExplanationUnavailable as exc:
        return str(exc)
    return ""


# -- the app -----------------------------------------------------------------------------------------------------


async def read_call(request: Request) -> Call:
    content_type = request.headers.get("content-type", "")
    body_format = request_format(content_type)
    accept_format = response_format(request.headers.get("accept", ""))
    body = await read_body(request)
    return Call(body=body, content_type=media_type(content_type), request_format=body_format,
                response_format=accept_format, explain=wants_explanation(request),
                target=request.headers.get("x-amzn-sagemaker-target-variant", "").strip())


async def invocations(request: Request) -> Response:
    endpoint: Endpoint = request.app.state.endpoint
    started = time.perf_counter()
    call: Call | None = None
    variant: LiveVariant | None = None
    answer: Answer | None = None
    try:
        call = await read_call(request)
        variant = endpoint.choose(call.target)
        answer = await endpoint.answer(call, variant)
        response: Response = answer.response
    except RequestError as exc:
        response = error_response(exc.status, exc.message, exc.headers)
    except Exception as exc:  # a bug or a failing explainer: answered, logged, and the server goes on
        log(f"error: an invocation failed: {type(exc).__name__}: {exc}")
        response = error_response(500, f"The invocation failed: {type(exc).__name__}: {exc}")
    endpoint.finish(variant, response.status_code, started)
    if call is not None and variant is not None and answer is not None:
        endpoint.after_answer(call, variant, answer)
    return response


async def ping(request: Request) -> Response:
    return JSONResponse({"status": "Healthy"})


async def stats(request: Request) -> Response:
    return JSONResponse(request.app.state.endpoint.stats())


async def http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "Internal error."
    return error_response(status, str(detail))


def build_app(endpoint: Endpoint) -> Starlette:
    """The Starlette app serving ``endpoint`` (closed when the app shuts down)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        log(f"endpoint {endpoint.config.name}: serving on http://{endpoint.config.host}:{endpoint.config.port}")
        try:
            yield
        finally:
            endpoint.close()
            log(f"endpoint {endpoint.config.name}: stopped ({endpoint.requests} requests, {endpoint.capture.written} captured)")

    routes = [Route("/ping", ping, methods=["GET"]), Route("/invocations", invocations, methods=["POST"]),
              Route("/stats", stats, methods=["GET"])]
    host_check = Middleware(HostCheck, host=endpoint.config.host, port=endpoint.config.port, refuse=error_response)
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: http_error}, middleware=[host_check])
    app.state.endpoint = endpoint
    return app


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.endpoints.server", description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, type=Path, help="the endpoint's endpoint.json")
    config_path = parser.parse_args(argv).config
    try:
        config = read_config(config_path)
        capture = f"{config.capture_percent}% of requests to {config.capture_dir}" if config.capture_percent else "off"
        log(f"endpoint {config.name}: {len(config.variants)} variant(s), data capture {capture}")
        endpoint = Endpoint.load(config)
        if endpoint.serves_text():
            from services.explain.shap_text import warm_up_in_background

            warm_up_in_background()  # the first explain=true request would otherwise compile shap's helpers
    except ServiceError as exc:
        log(f"error: {exc}")
        return 2
    except Exception as exc:  # a model that cannot be loaded: say so in one line, exit non-zero
        log(f"error: loading the endpoint's models failed: {type(exc).__name__}: {exc}")
        return 2
    return serve(build_app(endpoint), config)


def serve(app: Starlette, config: ServerConfig) -> int:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=config.host, port=config.port, workers=1, access_log=False,
                                           log_level="warning", lifespan="on", timeout_graceful_shutdown=5))
    server.run()
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
