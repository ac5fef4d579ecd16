"""An invocation's request and response on an endpoint server: the body's format from ``Content-Type``, the
answer's from ``Accept``, the instances a body holds, and the rendered predictions. Errors are
``RequestError`` with the HTTP status the route answers (400, 406, 413, 415)."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from services.endpoints.guards import REQUEST_FORMATS, BodyTooLarge, content_type_problem, media_type, read_limited
from services.endpoints.models import MAX_PAYLOAD_BYTES
from services.endpoints.serving import ServingModel

TRUE_WORDS = ("true", "1", "yes")
RESPONSE_FORMATS = {"application/json": "json", "application/jsonlines": "jsonlines", "text/csv": "csv",
                    "*/*": "json", "application/*": "json", "text/*": "csv"}
FORMAT_TYPES = {"json": "application/json", "jsonlines": "application/jsonlines", "csv": "text/csv"}


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
