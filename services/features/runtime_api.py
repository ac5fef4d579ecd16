"""SageMaker Feature Store Runtime's REST API over a features port, for the local runtime gateway.

The routes and shapes are botocore's service model ``sagemaker-featurestore-runtime`` (``rest-json``), so an
unchanged boto3 client pointed at the gateway (``endpoint_url=``) works as it does against AWS:

* PutRecord ``PUT /FeatureGroup/{FeatureGroupName}`` — body ``Record`` (+ ``TargetStores``, ``TtlDuration``);
* GetRecord ``GET /FeatureGroup/{FeatureGroupName}?RecordIdentifierValueAsString=…&FeatureName=…`` →
  ``{"Record": [...]}``, or ``{}`` when there is no record, as the service answers;
* DeleteRecord ``DELETE /FeatureGroup/{FeatureGroupName}?RecordIdentifierValueAsString=…&EventTime=…&DeletionMode=…``;
* BatchGetRecord ``POST /BatchGetRecord`` — ``Identifiers`` → ``Records``, ``Errors``, ``UnprocessedIdentifiers``.

Errors go out as the service sends them: the code in ``x-amzn-ErrorType`` and in the body's ``__type``, the text in
``message``, with the status botocore's model gives the code: ``ResourceNotFound`` 404 (an unknown group; botocore
raises ``client.exceptions.ResourceNotFound``), ``ValidationError`` 400 (a bad record or parameter),
``ServiceUnavailable`` 503, ``InternalFailure`` 500. A group may be named by its ARN, as on AWS.

Choices, and why:

* ``TargetStores`` other than both stores and a record-level ``TtlDuration`` are refused (400) rather than
  ignored: the local port writes both stores and applies the group's TTL, and a client that asked for something
  else must not be told it happened.
* ``ExpirationTimeResponse=Enabled`` adds ``ExpiresAt`` (event time + the group's TTL, ISO-8601 in UTC) to a record
  of a group with a TTL, as the service does; the local port applies the group's TTL only.
* BatchGetRecord: a group that does not exist gives one ``Errors`` entry per identifier (``ResourceNotFound``), the
  other groups are still answered; a record that does not exist is simply not in ``Records``.
* Bodies are read by the gateway's bounded reader (6 MB, as for invocations; 413 over it) and must be JSON
  (415 otherwise), as the endpoints' invocations must name their format: a cross-site "simple" request cannot.
* The workspace's Feature Store is opened on the first request (``workspace_features``), so a gateway that only
  serves endpoints never loads it; every request is noted in ``Activity``, which keeps the gateway's idle watchdog
  from stopping a gateway that serves feature lookups but no endpoint.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.errors import BackendUnavailable, InvalidInput, NotFound, ServiceError
from services.features.base import FeaturesPort
from services.features.models import DELETION_MODES, FeatureGroup, record_as_api
from services.features.record_codec import record_from_api
from services.features.validation import event_time_seconds

BATCH_LIMIT = 100  # BatchGetRecordIdentifiers and RecordIdentifiers allow at most 100 entries
ARN_MARK = ":feature-group/"
JSON_TYPES = ("application/json", "application/x-amz-json-1.1")
STATUS = {"ResourceNotFound": 404, "ValidationError": 400, "ServiceUnavailable": 503, "InternalFailure": 500}

FeaturesFactory = Callable[[], FeaturesPort]
# The gateway's bounded body reader (``endpoints.guards.read_limited`` at the gateway's limit), given by the gateway so
# the features package does not depend on the endpoints package; over the limit it raises ``BodyRefused``.
BodyReader = Callable[[Request], Awaitable[bytes]]


class BodyRefused(Exception):
    """The body is over the gateway's limit; ``close``: its rest was not read, so the connection must end."""

    def __init__(self, message: str, close: bool) -> None:
        super().__init__(message)
        self.message = message
        self.close = close


class Activity:
    """When the runtime last served a request (``time.monotonic()``)."""

    def __init__(self) -> None:
        self.last = time.monotonic()

    def touch(self) -> None:
        self.last = time.monotonic()


def workspace_features(home: Path) -> FeaturesFactory:
    """The local Feature Store of the workspace at ``home``, opened once, on first use."""
    lock = threading.Lock()
    opened: list[FeaturesPort] = []

    def features() -> FeaturesPort:
        with lock:
            if not opened:
                from services.config import Settings
                from services.features.local import open_local_features

                opened.append(open_local_features(replace(Settings.from_env(), home=home)))
            return opened[0]

    return features


def featurestore_routes(features: FeaturesFactory, read_body: BodyReader, request_id: Callable[[], dict[str, str]],
                        activity: Activity | None = None) -> list[Route]:
    """The four runtime routes over ``features()`` (called per request, so it may open the port lazily)."""
    api = RuntimeApi(features, read_body, request_id, activity or Activity())
    return [Route("/FeatureGroup/{name:path}", api.put_record, methods=["PUT"]),
            Route("/FeatureGroup/{name:path}", api.get_record, methods=["GET"]),
            Route("/FeatureGroup/{name:path}", api.delete_record, methods=["DELETE"]),
            Route("/BatchGetRecord", api.batch_get_record, methods=["POST"])]


def group_name(name_or_arn: str) -> str:
    """A group's name from its name or ARN (``arn:aws:sagemaker:…:feature-group/<name>``)."""
    return name_or_arn.rsplit(ARN_MARK, 1)[1] if ARN_MARK in name_or_arn else name_or_arn


class ApiError(Exception):
    """An answer the service gives as an error: its code (``ResourceNotFound``, ``ValidationError``, …), text and
    HTTP status (the one botocore's model gives the code, unless told)."""

    def __init__(self, code: str, message: str, status: int = 0, close: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS[code]
        self.close = close  # end the connection: the rest of an over-limit body was not read


def api_error(exc: ServiceError) -> ApiError:
    """The runtime's error for one of our errors."""
    if isinstance(exc, NotFound):
        return ApiError("ResourceNotFound", exc.message)
    if isinstance(exc, InvalidInput):
        return ApiError("ValidationError", str(exc))
    if isinstance(exc, BackendUnavailable):
        return ApiError("ServiceUnavailable", str(exc))
    return ApiError("InternalFailure", str(exc))


class RuntimeApi:
    def __init__(self, features: FeaturesFactory, read_body: BodyReader, request_id: Callable[[], dict[str, str]],
                 activity: Activity) -> None:
        self.features = features
        self.read_body = read_body
        self._opened: FeaturesPort | None = None
        self.request_id = request_id
        self.activity = activity

    # -- the four operations ------------------------------------------------------------------------

    async def put_record(self, request: Request) -> Response:
        async def work() -> Response:
            body = await self._json_body(request)
            check_put_options(body)
            name = group_name(request.path_params["name"])
            await self._call(lambda: self._put(name, body.get("Record")))
            return self._answer(None)
        return await self._answered(work)

    async def get_record(self, request: Request) -> Response:
        async def work() -> Response:
            name = group_name(request.path_params["name"])
            record_id = required_param(request, "RecordIdentifierValueAsString")
            features = tuple(request.query_params.getlist("FeatureName"))
            expiry = request.query_params.get("ExpirationTimeResponse") == "Enabled"
            port = await self._port()
            # With the expiry asked for, the whole record is read: ExpiresAt comes from its event time.
            record = await self._call(lambda: port.get_record(name, record_id, () if expiry else features), inline=True)
            if not record:
                return self._answer({})
            answer: dict[str, Any] = {}
            if expiry:
                group = await self._call(lambda: port.describe_feature_group(name), inline=True)
                answer |= expiry_field(group, record)
            return self._answer(answer | {"Record": record_as_api(only(record, features))})
        return await self._answered(work)

    async def delete_record(self, request: Request) -> Response:
        async def work() -> Response:
            name = group_name(request.path_params["name"])
            record_id = required_param(request, "RecordIdentifierValueAsString")
            event_time = required_param(request, "EventTime")
            mode = request.query_params.get("DeletionMode") or "SoftDelete"
            if mode not in DELETION_MODES:
                raise ApiError("ValidationError", f"DeletionMode {mode!r} is not one of {', '.join(DELETION_MODES)}.")
            if request.query_params.getlist("TargetStores") not in ([], ["OnlineStore", "OfflineStore"],
                                                                    ["OfflineStore", "OnlineStore"]):
                raise ApiError("ValidationError", "The local Feature Store deletes from both stores; leave out TargetStores.")
            await self._call(lambda: self.features().delete_record(name, record_id, event_time, mode))
            return self._answer(None)
        return await self._answered(work)

    async def batch_get_record(self, request: Request) -> Response:
        async def work() -> Response:
            body = await self._json_body(request)
            identifiers = batch_identifiers(body)
            answer: dict[str, list[Any]] = {"Records": [], "Errors": [], "UnprocessedIdentifiers": []}
            expiry = body.get("ExpirationTimeResponse") == "Enabled"
            for identifier in identifiers:
                part = await run_in_threadpool(self._batch_part, identifier, expiry)
                for key, entries in part.items():
                    answer[key].extend(entries)
            return self._answer(answer)
        return await self._answered(work)

    # -- helpers ------------------------------------------------------------------------------------

    def _put(self, name: str, record: Any) -> None:
        features = self.features()
        group = features.describe_feature_group(name)
        features.put_record(name, record_from_api(group, record))

    def _batch_part(self, identifier: dict[str, Any], expiry: bool) -> dict[str, list[Any]]:
        """One identifier's records, or one error per record id when its group is unknown."""
        name = group_name(identifier["FeatureGroupName"])
        record_ids = [str(value) for value in identifier["RecordIdentifiersValueAsString"]]
        wanted = tuple(identifier.get("FeatureNames") or ())
        features = self.features()
        try:
            group = features.describe_feature_group(name)
            records = features.batch_get_record(name, record_ids, ())
        except ServiceError as exc:
            error = api_error(exc)
            return {"Errors": [{"FeatureGroupName": name, "RecordIdentifierValueAsString": record_id,
                                "ErrorCode": error.code, "ErrorMessage": error.message} for record_id in record_ids]}
        return {"Records": found_records(group, records, record_ids, wanted, expiry)}

    async def _json_body(self, request: Request) -> dict[str, Any]:
        if request.headers.get("content-type", "").split(";")[0].strip().lower() not in JSON_TYPES:
            # As the endpoints' invocations: a cross-site "simple" request cannot send JSON.
            raise ApiError("ValidationError", f"Send the body as JSON (Content-Type {JSON_TYPES[0]}).", status=415)
        try:
            raw = await self.read_body(request)
        except BodyRefused as exc:
            raise ApiError("ValidationError", f"The request is over the 6 MB the gateway accepts: {exc.message}",
                           status=413, close=exc.close) from exc
        try:
            body = json.loads(raw or b"{}")
        except ValueError as exc:
            raise ApiError("ValidationError", f"The request body is not JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise ApiError("ValidationError", "The request body must be a JSON object.")
        return body

    async def _port(self) -> FeaturesPort:
        """The features port, opened off the event loop the first time (that takes seconds)."""
        if self._opened is None:
            self._opened = await run_in_threadpool(self.features)
        return self._opened

    async def _call(self, work: Callable[[], Any], inline: bool = False) -> Any:
        """``work()`` off the event loop (the port is synchronous), or ``inline`` on it for an online read: a
        WAL read of one row takes tens of microseconds, far less than handing it to a thread and back on a busy
        machine; our errors become the runtime's."""
        try:
            return work() if inline else await run_in_threadpool(work)
        except ServiceError as exc:
            raise api_error(exc) from exc

    async def _answered(self, work: Callable[[], Any]) -> Response:
        self.activity.touch()
        try:
            response: Response = await work()
        except ApiError as exc:
            return self._error(exc)
        return response

    def _answer(self, body: dict[str, Any] | None) -> Response:
        if body is None:
            return Response(b"", status_code=200, headers=self.request_id())
        return JSONResponse(body, headers=self.request_id())

    def _error(self, error: ApiError) -> Response:
        closing = {"Connection": "close"} if error.close else {}
        return JSONResponse({"__type": error.code, "message": error.message}, status_code=error.status,
                            headers={"x-amzn-ErrorType": error.code} | self.request_id() | closing)


def required_param(request: Request, name: str) -> str:
    value = request.query_params.get(name)
    if not value:
        raise ApiError("ValidationError", f"{name} is required.")
    return value


def check_put_options(body: dict[str, Any]) -> None:
    """PutRecord's options the local port cannot honour are refused, never ignored (see the module docstring)."""
    stores = body.get("TargetStores")
    if stores is not None and sorted(stores) != ["OfflineStore", "OnlineStore"]:
        raise ApiError("ValidationError", "The local Feature Store writes every record to both stores; leave out "
                                          "TargetStores (or name both).")
    if body.get("TtlDuration") is not None:
        raise ApiError("ValidationError", "The local Feature Store applies the feature group's TtlDuration; a "
                                          "record-level TtlDuration is not supported.")


def batch_identifiers(body: dict[str, Any]) -> list[dict[str, Any]]:
    """BatchGetRecord's ``Identifiers``, checked as the service checks them (1–100 of each)."""
    identifiers = body.get("Identifiers")
    if not isinstance(identifiers, list) or not 1 <= len(identifiers) <= BATCH_LIMIT:
        raise ApiError("ValidationError", f"Identifiers must list 1 to {BATCH_LIMIT} feature groups.")
    for identifier in identifiers:
        ids = identifier.get("RecordIdentifiersValueAsString") if isinstance(identifier, dict) else None
        if not identifier.get("FeatureGroupName") or not isinstance(ids, list) or not 1 <= len(ids) <= BATCH_LIMIT:
            raise ApiError("ValidationError", "Each identifier needs a FeatureGroupName and 1 to "
                                              f"{BATCH_LIMIT} RecordIdentifiersValueAsString.")
    return identifiers


def found_records(group: FeatureGroup, records: list[dict[str, Any]], record_ids: list[str],
                  wanted: tuple[str, ...], expiry: bool = False) -> list[dict[str, Any]]:
    """BatchGetRecordResultDetail entries in the order asked (only ``wanted`` features when given; ``ExpiresAt``
    when ``expiry`` and the record expires)."""
    by_id = {str(record.get(group.spec.record_identifier)): record for record in records}
    details = []
    for record_id in record_ids:
        record = by_id.get(record_id)
        if record is None:
            continue
        details.append({"FeatureGroupName": group.name, "RecordIdentifierValueAsString": record_id,
                        "Record": record_as_api(only(record, wanted)), **(expiry_field(group, record) if expiry else {})})
    return details


def only(record: dict[str, Any], features: tuple[str, ...]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if not features or key in features}


def expiry_field(group: FeatureGroup, record: dict[str, Any]) -> dict[str, str]:
    """``{"ExpiresAt": ISO time}``: the record's event time plus the group's TTL; {} when records never expire."""
    event = record.get(group.spec.event_time)
    definition = group.feature(group.spec.event_time)
    if not group.spec.ttl_seconds or event is None or definition is None:
        return {}
    seconds = event_time_seconds(definition, event) + group.spec.ttl_seconds
    return {"ExpiresAt": datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")}
