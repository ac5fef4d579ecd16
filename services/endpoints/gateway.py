"""The local SageMaker Runtime: ``InvokeEndpoint``'s REST shape on one port for every local endpoint.

``python -m services.endpoints.gateway --home HOME --port P --host H`` serves
``POST /endpoints/{EndpointName}/invocations`` (the path boto3's ``sagemaker-runtime`` client calls),
looks the endpoint's port up in the workspace's store and forwards the request to its server, so an
unchanged boto3 client pointed at this URL (``endpoint_url=``) works as it does against AWS.
Signatures are not checked. Answers follow the ``rest-json`` protocol botocore parses: the variant
that answered in ``x-Amzn-Invoked-Production-Variant``; errors with ``x-amzn-ErrorType`` and a JSON
body, e.g. ``ValidationError`` (400) for an unknown endpoint and ``ModelError`` (424, with
``OriginalStatusCode``/``OriginalMessage``) when the model's server answered with an error.
``GET /ping`` tells the app that the gateway of this workspace is up.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import urllib3
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.embedded.metadata import MetadataStore
from services.embedded.workspace import Workspace
from services.endpoints.launcher import connect_host
from services.endpoints.models import MAX_PAYLOAD_BYTES
from services.endpoints.store import EndpointRow, EndpointStore

ACCOUNT = "local"
FORWARDED_HEADERS = ("Content-Type", "Accept", "X-Amzn-SageMaker-Custom-Attributes", "X-Amzn-SageMaker-Target-Variant")
RETURNED_HEADERS = ("Content-Type", "x-Amzn-Invoked-Production-Variant", "X-Amzn-SageMaker-Custom-Attributes")
VARIANT_HEADER = "x-Amzn-Invoked-Production-Variant"
MODEL_TIMEOUT_SECONDS = 60  # SageMaker's limit for a container to answer an invocation


def build_app(home: Path) -> Starlette:
    """The gateway over the workspace at ``home``."""
    store = EndpointStore(MetadataStore(Workspace(home).metadata_path))
    pool = urllib3.PoolManager(maxsize=16, retries=False, timeout=urllib3.Timeout(connect=2, read=MODEL_TIMEOUT_SECONDS))

    async def ping(request: Request) -> Response:
        return JSONResponse({"service": "sagemaker-runtime", "home": str(home)})

    async def invocations(request: Request) -> Response:
        name = request.path_params["name"]
        if int(request.headers.get("content-length") or 0) > MAX_PAYLOAD_BYTES:
            return too_large()
        body = await request.body()
        if len(body) > MAX_PAYLOAD_BYTES:
            return too_large()
        row = await run_in_threadpool(store.find, name)
        if row is None or row.status == "Deleting":
            return error_response(400, "ValidationError", f"Endpoint {name} of account {ACCOUNT} not found.")
        headers = {key: request.headers[key] for key in FORWARDED_HEADERS if key in request.headers}
        return await run_in_threadpool(forward, pool, row, body, headers, home)

    routes = [Route("/ping", ping, methods=["GET"]),
              Route("/endpoints/{name}/invocations", invocations, methods=["POST"])]
    return Starlette(routes=routes)


def forward(pool: urllib3.PoolManager, row: EndpointRow, body: bytes, headers: dict[str, str], home: Path) -> Response:
    """Send the invocation to the endpoint's server and shape its answer like SageMaker's."""
    url = f"http://{connect_host(row.host)}:{row.port}/invocations"
    try:
        answer = pool.request("POST", url, body=body, headers=headers)
    except urllib3.exceptions.ReadTimeoutError:
        return error_response(424, "ModelError", f"Your invocation timed out while waiting for a response from {row.name}'s "
                                                 f"model (limit {MODEL_TIMEOUT_SECONDS} s).")
    except urllib3.exceptions.HTTPError:
        return unreachable(row)
    if answer.status >= 400:
        return model_error(row, answer, home)
    returned = {key: answer.headers[key] for key in RETURNED_HEADERS if key in answer.headers}
    return Response(answer.data, status_code=answer.status, headers=returned | request_id())


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
    log = Path(home) / "endpoints" / row.name / "server.log"
    message = f'Received {kind} error ({answer.status}) from {variant} with message "{text}". See {log} for more information.'
    extra = {"ErrorCode": f"{kind.upper()}_ERROR_FROM_MODEL", "OriginalStatusCode": answer.status, "OriginalMessage": text}
    return error_response(424, "ModelError", message, extra)


def too_large() -> Response:
    limit = MAX_PAYLOAD_BYTES // (1024 * 1024)
    return error_response(413, "ValidationError", f"Request payload is larger than the {limit} MB that InvokeEndpoint accepts.")


def error_response(status: int, error_type: str, message: str, extra: dict[str, Any] | None = None) -> Response:
    return JSONResponse({"Message": message, **(extra or {})}, status_code=status,
                        headers={"x-amzn-ErrorType": error_type} | request_id())


def request_id() -> dict[str, str]:
    return {"x-amzn-RequestId": str(uuid.uuid4())}


def main(argv: Sequence[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m services.endpoints.gateway")
    parser.add_argument("--home", required=True, type=Path)
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    print(f"gateway: SageMaker Runtime for {args.home} on http://{args.host}:{args.port}", flush=True)
    uvicorn.run(build_app(args.home), host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
