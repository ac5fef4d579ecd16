"""The local SageMaker Runtime: ``InvokeEndpoint``'s REST shape on one port for every local endpoint.

``python -m services.endpoints.gateway --home HOME --port P --host H`` serves
``POST /endpoints/{EndpointName}/invocations`` (the path boto3's ``sagemaker-runtime`` client calls),
looks the endpoint's port up in the workspace's store and forwards the request to its server, so an
unchanged boto3 client pointed at this URL (``endpoint_url=``) works as it does against AWS.
Signatures are not checked. Answers follow the ``rest-json`` protocol botocore parses: the variant
that answered in ``x-Amzn-Invoked-Production-Variant``; errors with ``x-amzn-ErrorType`` and a JSON
body, e.g. ``ValidationError`` (400) for an unknown endpoint and ``ModelError`` (424, with
``OriginalStatusCode``/``OriginalMessage``) when the model's server answered with an error.
During a blue/green update (``deployment_driver``) the gateway sends the recorded share of an endpoint's
invocations to the new fleet; an invocation the new fleet fails (a 5xx, or no answer) is sent to the old fleet,
so clients see no failure while the failure still counts on the new fleet's figures, which its alarms watch.
The same port serves SageMaker Feature Store Runtime's REST API (PutRecord, GetRecord, DeleteRecord,
BatchGetRecord) over the workspace's local Feature Store, for an unchanged ``sagemaker-featurestore-runtime``
client (``services/features/runtime_api.py``).
``GET /ping`` tells the app that the gateway of this workspace is up: it answers the workspace's
``launcher.workspace_id`` (a digest, so no path leaves the machine over HTTP).

Like the endpoint servers (see ``guards``), the gateway serves only requests whose ``Host`` names the
address it was started on (else 421), requires a supported ``Content-Type`` on invocations (else 415),
and streams the body with SageMaker's 6 MB limit (413, after reading the rest within bounds).

The gateway stops itself (``Watchdog``) when its workspace is gone (the metadata file or folder
was deleted) or when no endpoint has been Creating or InService, and no Feature Store request came, for
``--idle-seconds`` (default ``launcher.GATEWAY_IDLE_SECONDS``); the app starts it again on the next call.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import urllib3
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.embedded.metadata import MetadataStore
from services.embedded.workspace import Workspace
from services.endpoints.deployment_store import DeploymentStore, Routing
from services.endpoints.guards import BodyTooLarge, HostCheck, content_type_problem, read_limited
from services.endpoints.launcher import GATEWAY_IDLE_SECONDS, connect_host, workspace_id
from services.endpoints.models import MAX_PAYLOAD_BYTES
from services.endpoints.store import EndpointRow, EndpointStore
from services.features.runtime_api import Activity, BodyRefused, featurestore_routes, workspace_features

ACCOUNT = "local"
FORWARDED_HEADERS = ("Content-Type", "Accept", "X-Amzn-SageMaker-Custom-Attributes", "X-Amzn-SageMaker-Target-Variant")
RETURNED_HEADERS = ("Content-Type", "x-Amzn-Invoked-Production-Variant", "X-Amzn-SageMaker-Custom-Attributes")
VARIANT_HEADER = "x-Amzn-Invoked-Production-Variant"
MODEL_TIMEOUT_SECONDS = 60  # SageMaker's limit for a container to answer an invocation
WATCH_SECONDS = 2.0  # how often the watchdog looks at the workspace


def build_app(home: Path, host: str = "127.0.0.1", port: int = 0, activity: Activity | None = None) -> Starlette:
    """The gateway over the workspace at ``home``, serving requests addressed to ``host``:``port``; Feature Store
    requests are noted in ``activity``."""
    metadata = MetadataStore(Workspace(home).metadata_path)
    store = EndpointStore(metadata)
    deployments = DeploymentStore(metadata)
    pool = urllib3.PoolManager(maxsize=16, retries=False, timeout=urllib3.Timeout(connect=2, read=MODEL_TIMEOUT_SECONDS))
    identity = workspace_id(home)

    async def ping(request: Request) -> Response:
        return JSONResponse({"service": "sagemaker-runtime", "workspace": identity})

    async def invocations(request: Request) -> Response:
        name = request.path_params["name"]
        problem = content_type_problem(request.headers.get("content-type", ""))
        if problem:
            return error_response(415, "ValidationError", problem)
        try:
            body = await read_limited(request, MAX_PAYLOAD_BYTES)
        except BodyTooLarge as exc:
            return too_large(exc.drained)
        row = await run_in_threadpool(store.find, name)
        if row is None or row.status == "Deleting":
            return error_response(400, "ValidationError", f"Endpoint {name} of account {ACCOUNT} not found.")
        headers = {key: request.headers[key] for key in FORWARDED_HEADERS if key in request.headers}
        routing = await run_in_threadpool(deployments.routing, name)
        response = await run_in_threadpool(forward, pool, row, body, headers, home, new_fleet_port(routing))
        if response.status_code == 503:  # an update just moved the endpoint to its new fleet and stopped the old one
            fresh = await run_in_threadpool(store.find, name)
            if fresh is not None and fresh.port != row.port:
                response = await run_in_threadpool(forward, pool, fresh, body, headers, home)
        return response

    routes = [Route("/ping", ping, methods=["GET"]),
              Route("/endpoints/{name}/invocations", invocations, methods=["POST"]),
              *featurestore_routes(workspace_features(home), read_record_body, request_id, activity)]
    refuse = lambda status, message: error_response(status, "ValidationError", message)  # noqa: E731
    return Starlette(routes=routes, middleware=[Middleware(HostCheck, host=host, port=port, refuse=refuse)])


async def read_record_body(request: Request) -> bytes:
    """A Feature Store Runtime body, read with the invocations' limit."""
    try:
        return await read_limited(request, MAX_PAYLOAD_BYTES)
    except BodyTooLarge as exc:
        raise BodyRefused(exc.message, close=not exc.drained) from exc


def new_fleet_port(routing: Routing | None) -> int | None:
    """The new fleet's port when this invocation is one of the share an update sends there, else None."""
    return routing.port if routing is not None and routing.port and random.random() < routing.share else None


def try_new_fleet(pool: urllib3.PoolManager, row: EndpointRow, port: int, body: bytes, headers: dict[str, str]) -> Any:
    """The new fleet's answer, or None when it failed (5xx or no answer) and the old fleet should answer instead."""
    try:
        answer = pool.request("POST", f"http://{connect_host(row.host)}:{port}/invocations", body=body, headers=headers)
    except urllib3.exceptions.HTTPError:
        return None
    return answer if answer.status < 500 else None


def forward(pool: urllib3.PoolManager, row: EndpointRow, body: bytes, headers: dict[str, str], home: Path,
            new_fleet: int | None = None) -> Response:
    """Send the invocation to the endpoint's server (first to an update's new fleet when it has this one) and shape
    its answer like SageMaker's."""
    answer = try_new_fleet(pool, row, new_fleet, body, headers) if new_fleet not in (None, row.port) else None
    if answer is None:
        answer = send(pool, row, body, headers)
        if isinstance(answer, Response):
            return answer
    if answer.status >= 400:
        return model_error(row, answer, home)
    returned = {key: answer.headers[key] for key in RETURNED_HEADERS if key in answer.headers}
    return Response(answer.data, status_code=answer.status, headers=returned | request_id())


def send(pool: urllib3.PoolManager, row: EndpointRow, body: bytes, headers: dict[str, str]) -> Any:
    """The endpoint's server's answer, or the error response when it gave none."""
    url = f"http://{connect_host(row.host)}:{row.port}/invocations"
    try:
        answer = pool.request("POST", url, body=body, headers=headers)
    except urllib3.exceptions.ReadTimeoutError:
        return error_response(424, "ModelError", f"Your invocation timed out while waiting for a response from {row.name}'s "
                                                 f"model (limit {MODEL_TIMEOUT_SECONDS} s).")
    except urllib3.exceptions.HTTPError:
        return unreachable(row)
    return answer


def unreachable(row: EndpointRow) -> Response:
    if row.status != "InService":
        return error_response(400, "ValidationError", f"Endpoint {row.name} of account {ACCOUNT} is not in service "
                                                      f"(status {row.status}).")
    return error_response(503, "ServiceUnavailable", f"Endpoint {row.name} is not answering: its server has stopped. "
                                                     "Describe the endpoint to see why.")


def model_error(row: EndpointRow, answer: Any, home: Path) -> Response:
    """SageMaker's ModelError: the container answered 4xx/5xx; its status and message travel along."""
    text = answer.data.decode(errors="replace")[:4000]
    kind = "client" if answer.status < 500 else "server"
    variant = answer.headers.get(VARIANT_HEADER) or "model"
    log = f"endpoints/{row.name}/server.log"  # relative to the workspace: no local path goes out over HTTP
    message = (f'Received {kind} error ({answer.status}) from {variant} with message "{text}". '
               f"See {log} in the workspace for more information.")
    extra = {"ErrorCode": f"{kind.upper()}_ERROR_FROM_MODEL", "OriginalStatusCode": answer.status, "OriginalMessage": text}
    return error_response(424, "ModelError", message, extra)


def too_large(drained: bool = True) -> Response:
    limit = MAX_PAYLOAD_BYTES // (1024 * 1024)
    response = error_response(413, "ValidationError", f"Request payload is larger than the {limit} MB that InvokeEndpoint accepts.")
    if not drained:  # the rest of the body is still coming: end the connection rather than read it
        response.headers["Connection"] = "close"
    return response


def error_response(status: int, error_type: str, message: str, extra: dict[str, Any] | None = None) -> Response:
    return JSONResponse({"Message": message, **(extra or {})}, status_code=status,
                        headers={"x-amzn-ErrorType": error_type} | request_id())


def request_id() -> dict[str, str]:
    return {"x-amzn-RequestId": str(uuid.uuid4())}


# -- stopping when nothing needs the gateway ------------------------------------------------------------------


def stop_reason(workspace_exists: bool, idle_for: float, idle_seconds: float) -> str:
    """Why the gateway should stop now ("" to keep serving)."""
    if not workspace_exists:
        return "its workspace is gone"
    if idle_for >= idle_seconds:
        return f"no endpoint has been in service for {idle_seconds:g} s"
    return ""


class Watchdog:
    """A daemon thread that calls ``stop(reason)`` once the workspace is gone or idle (see the module docstring)."""

    def __init__(self, home: Path, idle_seconds: float, stop: Callable[[str], None], activity: Activity | None = None) -> None:
        self.metadata_path = Workspace(home).metadata_path
        self.activity = activity or Activity()
        self.store = EndpointStore(MetadataStore(self.metadata_path))
        self.idle_seconds = idle_seconds
        self.stop = stop
        self.last_active = time.monotonic()
        self.thread = threading.Thread(target=self._loop, name="gateway-watchdog", daemon=True)

    def check(self) -> str:
        """Look once; the stop reason, or ""."""
        exists = self.metadata_path.is_file()  # checked first: the open connection still reads a deleted file
        if exists and self._serving():
            self.last_active = time.monotonic()
        self.last_active = max(self.last_active, self.activity.last)  # Feature Store lookups keep it serving too
        return stop_reason(exists, time.monotonic() - self.last_active, self.idle_seconds)

    def _serving(self) -> bool:
        try:
            return any(row.status in ("Creating", "InService") for row in self.store.all())
        except Exception:  # noqa: BLE001 - a workspace being deleted under us: the next look sees it gone
            return False

    def _loop(self) -> None:
        while True:
            time.sleep(WATCH_SECONDS)
            reason = self.check()
            if reason:
                self.stop(reason)
                return


def main(argv: Sequence[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m services.endpoints.gateway")
    parser.add_argument("--home", required=True, type=Path)
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--idle-seconds", type=float, default=GATEWAY_IDLE_SECONDS,
                        help="stop when no endpoint has been Creating or InService for this long")
    args = parser.parse_args(argv)
    print(f"gateway: SageMaker Runtime for {args.home} on http://{args.host}:{args.port}", flush=True)
    activity = Activity()
    server = uvicorn.Server(uvicorn.Config(build_app(args.home, args.host, args.port, activity), host=args.host,
                                           port=args.port, log_level="warning", access_log=False))

    def stop(reason: str) -> None:
        print(f"gateway: stopping: {reason}", flush=True)
        server.should_exit = True

    Watchdog(args.home, args.idle_seconds, stop, activity).thread.start()
    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
