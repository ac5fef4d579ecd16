"""The inference server of one local endpoint: ``python -m services.endpoints.server --config PATH``.

``PATH`` is ``<home>/endpoints/<name>/endpoint.json``::

    {"name": "reviews", "host": "127.0.0.1", "port": 8080, "capture_percent": 100,
     "capture_dir": "/abs/endpoints/reviews/data-capture",
     "variants": [{"name": "AllTraffic", "model_id": "m/1", "artifact_path": "/abs/models/m/1",
                   "weight": 1.0, "shadow": false}]}

(optional: ``"seed"``, the seed of the traffic-splitting random numbers, default 0). Every variant's
model is loaded (``serving.load_serving_model``) and warmed up (``server_warm_up``: one prediction, and one
explanation for review models) before the server listens, so ``GET /ping`` answers 200 as soon as it answers
at all, and the first request is as fast as the next ones. Then uvicorn serves a Starlette app in this one process; the
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
  Top-level and variant ``errors`` count invocations answered with a non-200 status. Each variant also has
  ``warm_up``: ``{"predict_ms", "explain_ms", "error"}`` of the warm-up before the server listened (not counted
  as a request, not captured).

Concurrency: each model has a ``Batcher``, one thread that runs the model on everything queued
at that moment (up to ``MAX_BATCH_INSTANCES``), so concurrent requests share one ONNX Runtime or
scikit-learn call instead of fighting over two cores; if a shared call fails, each request is
retried alone so only the bad one gets its error. A lone small request (no other invocation in progress,
at most ``INLINE_PREDICT_INSTANCES`` instances) is scored on the event loop itself while its model is idle:
the batcher's two thread hops cost more than the work for one review. Large bodies are parsed and explanations computed
on worker threads; the event loop only moves bytes. Shadow variants get a copy of the instances
after the live answer is ready (without waiting for them); their predictions are compared with the
live ones and captured with the live request's sampling decision, never returned. A shadow more than
``SHADOW_BACKLOG`` requests behind skips copies (counted as ``dropped``) so memory stays bounded.

Modules: this one is the app (routes, startup); ``server_config`` reads ``endpoint.json``;
``server_requests`` parses requests and renders answers; ``server_endpoint`` routes traffic to the
variants, counts it and captures it; ``server_batching`` batches predictions; ``server_explain``
adds explanations.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.endpoints.guards import HostCheck, media_type
from services.endpoints.server_config import ServerConfig, log, read_config
from services.endpoints.server_endpoint import Answer, Endpoint, LiveVariant
from services.endpoints.server_requests import (
    Call,
    RequestError,
    error_response,
    read_body,
    request_format,
    response_format,
    wants_explanation,
)
from services.errors import ServiceError

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
    parser.add_argument("--serves", default="", help="a blue/green update's new fleet: the endpoint.json it will take over "
                                                     "(only named here, so process checks recognise the server)")
    config_path = parser.parse_args(argv).config
    try:
        config = read_config(config_path)
        capture = f"{config.capture_percent}% of requests to {config.capture_dir}" if config.capture_percent else "off"
        log(f"endpoint {config.name}: {len(config.variants)} variant(s), data capture {capture}")
        endpoint = Endpoint.load(config)  # loaded and warmed up: /ping answers only once the first request is fast
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
