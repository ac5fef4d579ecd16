"""SageMaker Feature Store for the aws adapter's tests, where moto 5.2 stops: moto creates and describes feature
groups (without their online store or description) and searches them, but has no DeleteFeatureGroup, no tags for them
and no ``sagemaker-featurestore-runtime`` at all.

``FakeFeatureStore`` answers those calls through botocore's own event hooks (as ``moto_gaps`` does) on the session
it is attached to, so every client the adapter makes from that session receives them and no other session does. It
keeps groups and records as the API documentation describes them: groups as DescribeFeatureGroup answers them (the
Glue table ``sagemaker_featurestore.<name>_<epoch>``, status Created); the online store the latest record per
identifier, a record with an older event time not replacing a newer one; errors with the documented codes and
statuses (``ResourceNotFound``, ``ResourceInUse``, ``ValidationError``). botocore still validates every request
against the model before the hook answers, and each success answer is checked against the operation's output
shape, as ``Stubber`` checks its responses, so no invented shape passes. ``calls`` records each call (operation, params) in order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.exceptions import ParamValidationError
from botocore.validate import ParamValidator

ACCOUNT = "123456789012"
REGION = "us-east-1"
SAGEMAKER = ("CreateFeatureGroup", "DescribeFeatureGroup", "DeleteFeatureGroup", "ListTags", "Search")
RUNTIME = ("PutRecord", "GetRecord", "BatchGetRecord", "DeleteRecord")
RUNTIME_SERVICE = "sagemaker-featurestore-runtime"


class ServiceFault(Exception):
    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class FakeFeatureStore:
    def __init__(self, search_page: int = 100) -> None:
        self.groups: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, list[dict[str, str]]] = {}
        self.records: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.search_page = search_page
        self.clock = datetime(2024, 5, 1, tzinfo=UTC)
        self.faults: dict[str, ServiceFault] = {}  # operation -> the error it answers next
        self.unprocessed_rounds = 0  # BatchGetRecord leaves everything unprocessed this many times first

    def attach(self, session: Any) -> FakeFeatureStore:
        """Answer the calls above for every client ``session`` (a boto3 Session) makes from now on."""
        for service, operations in (("sagemaker", SAGEMAKER), (RUNTIME_SERVICE, RUNTIME)):
            for operation in operations:
                for event, handler in self._handlers(service, operation):
                    session.events.register(event, handler)
        return self

    def reset(self) -> None:
        """Forget every group, record, call and planned fault (a module's tests share one store)."""
        self.__init__(self.search_page)  # type: ignore[misc]

    def fail_next(self, operation: str, code: str, message: str, status: int = 400) -> None:
        self.faults[operation] = ServiceFault(code, message, status)

    def called(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == operation]

    # -- plumbing -----------------------------------------------------------------------------------

    def _handlers(self, service: str, operation: str) -> list[tuple[str, Callable[..., Any]]]:
        output_shape = service_model(service).operation_model(operation).output_shape
        handler: Callable[[dict[str, Any]], dict[str, Any]] = getattr(self, snake(operation))

        def remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            context["fake_params"] = dict(params)

        def respond(context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
            params = context["fake_params"]
            self.calls.append((operation, params))
            try:
                fault = self.faults.pop(operation, None)
                if fault is not None:
                    raise fault
                body = handler(params)
            except ServiceFault as exc:
                error = {"Error": {"Code": exc.code, "Message": exc.message}, "ResponseMetadata": {"HTTPStatusCode": exc.status}}
                return AWSResponse("", exc.status, HTTPHeaders(), None), error
            if output_shape is not None:
                report = ParamValidator().validate(body, output_shape)
                if report.has_errors():
                    raise ParamValidationError(report=report.generate_report())
            return AWSResponse("", 200, HTTPHeaders(), None), {**body, "ResponseMetadata": {"HTTPStatusCode": 200}}

        return [(f"before-parameter-build.{service}.{operation}", remember), (f"before-call.{service}.{operation}", respond)]

    def _existing(self, name: str, status: int = 400) -> dict[str, Any]:
        group = self.groups.get(name.rsplit("/", 1)[-1])
        if group is None:
            raise ServiceFault("ResourceNotFound", f"Resource Not Found: Amazon SageMaker can't find a FeatureGroup with name {name}",
                               status)
        return group

    # -- sagemaker ----------------------------------------------------------------------------------

    def create_feature_group(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p["FeatureGroupName"]
        if name in self.groups:
            raise ServiceFault("ResourceInUse", f"Resource Already Exists: FeatureGroup with name {name} already exists. "
                                                "Choose a different name.", 400)
        self.clock += timedelta(seconds=1)
        arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:feature-group/{name.lower()}"
        group = {key: p[key] for key in ("FeatureGroupName", "RecordIdentifierFeatureName", "EventTimeFeatureName",
                                         "FeatureDefinitions", "Description", "OnlineStoreConfig", "RoleArn") if key in p}
        group |= {"FeatureGroupArn": arn, "CreationTime": self.clock, "FeatureGroupStatus": "Created"}
        if "OfflineStoreConfig" in p:
            epoch = int(self.clock.timestamp())
            uri = p["OfflineStoreConfig"]["S3StorageConfig"]["S3Uri"]
            group["OfflineStoreConfig"] = {
                "S3StorageConfig": {"S3Uri": uri, "ResolvedOutputS3Uri": f"{uri}/{ACCOUNT}/sagemaker/{REGION}/offline-store/"
                                                                         f"{name}-{epoch}/data"},
                "DataCatalogConfig": {"Catalog": "AwsDataCatalog", "Database": "sagemaker_featurestore",
                                      "TableName": f"{name.lower().replace('-', '_')}_{epoch}"}}
            group["OfflineStoreStatus"] = {"Status": "Active"}
        self.groups[name] = group
        self.tags[arn] = list(p.get("Tags", []))
        return {"FeatureGroupArn": arn}

    def describe_feature_group(self, p: dict[str, Any]) -> dict[str, Any]:
        return dict(self._existing(p["FeatureGroupName"])) | {"NextToken": ""}  # required in the output shape

    def delete_feature_group(self, p: dict[str, Any]) -> dict[str, Any]:
        group = self._existing(p["FeatureGroupName"])
        del self.groups[group["FeatureGroupName"]]
        self.records = {key: value for key, value in self.records.items() if key[0] != group["FeatureGroupName"]}
        return {}

    def list_tags(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"Tags": self.tags.get(p["ResourceArn"], [])}

    def search(self, p: dict[str, Any]) -> dict[str, Any]:
        assert p["Resource"] == "FeatureGroup", p
        groups = sorted(self.groups.values(), key=lambda g: g["CreationTime"], reverse=p.get("SortOrder") == "Descending")
        start = int(p.get("NextToken") or 0)
        page = groups[start:start + min(self.search_page, p.get("MaxResults", 100))]
        answer: dict[str, Any] = {"Results": [{"FeatureGroup": g | {"Tags": self.tags[g["FeatureGroupArn"]]}} for g in page]}
        if start + len(page) < len(groups):
            answer["NextToken"] = str(start + len(page))
        return answer

    # -- sagemaker-featurestore-runtime -------------------------------------------------------------

    def put_record(self, p: dict[str, Any]) -> dict[str, Any]:
        group = self._existing(p["FeatureGroupName"], status=404)
        record = p["Record"]
        known = {d["FeatureName"] for d in group["FeatureDefinitions"]}
        given = {value["FeatureName"]: value for value in record}
        if set(given) - known:
            raise ServiceFault("ValidationError", f"Unknown features {sorted(set(given) - known)}", 400)
        for role in ("RecordIdentifierFeatureName", "EventTimeFeatureName"):
            if group[role] not in given:
                raise ServiceFault("ValidationError", f"The record has no {group[role]}", 400)
        key = (group["FeatureGroupName"], given[group["RecordIdentifierFeatureName"]]["ValueAsString"])
        stored = self.records.get(key)
        event = group["EventTimeFeatureName"]
        if stored is None or event_key(given[event]["ValueAsString"]) >= event_key(value_of(stored, event)):
            self.records[key] = record
        return {}

    def get_record(self, p: dict[str, Any]) -> dict[str, Any]:
        group = self._existing(p["FeatureGroupName"], status=404)
        record = self.records.get((group["FeatureGroupName"], p["RecordIdentifierValueAsString"]))
        if record is None:
            return {}
        wanted = p.get("FeatureNames")
        return {"Record": [value for value in record if not wanted or value["FeatureName"] in wanted]}

    def batch_get_record(self, p: dict[str, Any]) -> dict[str, Any]:
        if self.unprocessed_rounds:
            self.unprocessed_rounds -= 1
            return {"Records": [], "Errors": [], "UnprocessedIdentifiers": p["Identifiers"]}
        answer: dict[str, list[Any]] = {"Records": [], "Errors": [], "UnprocessedIdentifiers": []}
        for identifier in p["Identifiers"]:
            name = identifier["FeatureGroupName"]
            for record_id in identifier["RecordIdentifiersValueAsString"]:
                if name not in self.groups:
                    answer["Errors"].append({"FeatureGroupName": name, "RecordIdentifierValueAsString": record_id,
                                             "ErrorCode": "ResourceNotFound", "ErrorMessage": f"Feature group {name} not found"})
                    continue
                found = self.get_record({"FeatureGroupName": name, "RecordIdentifierValueAsString": record_id,
                                         "FeatureNames": identifier.get("FeatureNames")})
                if found:
                    answer["Records"].append({"FeatureGroupName": name, "RecordIdentifierValueAsString": record_id,
                                              "Record": found["Record"]})
        return answer

    def delete_record(self, p: dict[str, Any]) -> dict[str, Any]:
        group = self._existing(p["FeatureGroupName"], status=404)
        key = (group["FeatureGroupName"], p["RecordIdentifierValueAsString"])
        stored = self.records.get(key)
        if stored is not None and event_key(p["EventTime"]) >= event_key(value_of(stored, group["EventTimeFeatureName"])):
            del self.records[key]
        return {}


@functools.cache
def service_model(service: str) -> Any:
    """botocore's model of ``service``, loaded once (SageMaker's is large)."""
    return botocore.session.get_session().get_service_model(service)


def snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


def value_of(record: list[dict[str, Any]], name: str) -> str:
    return next(str(value.get("ValueAsString", "")) for value in record if value["FeatureName"] == name)


def event_key(text: str) -> float:
    """An event time (ISO-8601 or epoch seconds) as seconds, to compare two."""
    try:
        return float(text)
    except ValueError:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
