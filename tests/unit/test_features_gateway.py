"""SageMaker Feature Store Runtime on the local gateway: an unchanged boto3 ``sagemaker-featurestore-runtime`` client
against a real gateway process serving a real workspace's Feature Store (services/features/runtime_api.py)."""

from __future__ import annotations

import importlib.util
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from services.endpoints.gateway import Watchdog
from services.endpoints.local import LocalEndpoints
from services.features.aws import group_file
from services.features.models import FeatureDefinition, FeatureGroupSpec
from services.features.runtime_api import Activity
from services.registry import Services, build_services
from tests.helpers.servers import unused_port
from tests.helpers.workspace import close_services, settings_for_tests

SPEC = FeatureGroupSpec("reviews", "review_id", "event_time", (
    FeatureDefinition("review_id", "String"), FeatureDefinition("event_time", "String"),
    FeatureDefinition("rating", "Integral"), FeatureDefinition("score", "Fractional"),
    FeatureDefinition("tokens", "String", collection_type="List")))


def wire(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"FeatureName": k, "ValueAsStringList": v} if isinstance(v, list) else {"FeatureName": k, "ValueAsString": v}
            for k, v in values.items()]


def review(review_id: str, when: str = "2024-05-01T10:00:00Z", rating: str = "5") -> list[dict[str, Any]]:
    return wire({"review_id": review_id, "event_time": when, "rating": rating, "score": "0.75", "tokens": ["soft", "warm"]})


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, str]]:
    """A workspace with the ``reviews`` group, and its gateway's URL (the process is stopped at the end)."""
    home = tmp_path_factory.mktemp("features-gateway") / "ws"
    services = build_services(settings_for_tests(home=home, seed_on_start=False, gateway_port=unused_port()))
    services.features.create_feature_group(SPEC)
    endpoints: LocalEndpoints = services.endpoints  # type: ignore[assignment]
    try:
        yield services, endpoints.gateway_url()
    finally:
        endpoints.stop_gateway()
        close_services(services)


@pytest.fixture(scope="module")
def client(workspace: tuple[Services, str]) -> Any:
    import boto3

    return boto3.client("sagemaker-featurestore-runtime", endpoint_url=workspace[1], region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


def refused(call: Any, **arguments: Any) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call(**arguments)
    return caught.value


def test_put_then_get_a_record_and_a_subset_and_nothing_for_an_unknown_id(client: Any) -> None:
    client.put_record(FeatureGroupName="reviews", Record=review("r1"))
    answer = client.get_record(FeatureGroupName="reviews", RecordIdentifierValueAsString="r1")
    assert answer["Record"] == review("r1")
    subset = client.get_record(FeatureGroupName="reviews", RecordIdentifierValueAsString="r1", FeatureNames=["rating", "tokens"])
    assert subset["Record"] == wire({"rating": "5", "tokens": ["soft", "warm"]})
    missing = client.get_record(FeatureGroupName="reviews", RecordIdentifierValueAsString="nobody")
    assert "Record" not in missing and missing["ResponseMetadata"]["HTTPStatusCode"] == 200  # {} as the service answers


def test_an_older_event_time_does_not_replace_the_record_and_an_arn_names_the_group(client: Any) -> None:
    client.put_record(FeatureGroupName="reviews", Record=review("r2", "2024-05-02T00:00:00Z", rating="2"))
    arn = "arn:aws:sagemaker:us-east-1:000000000000:feature-group/reviews"
    client.put_record(FeatureGroupName=arn, Record=review("r2", "2024-05-01T00:00:00Z", rating="4"))
    answer = client.get_record(FeatureGroupName=arn, RecordIdentifierValueAsString="r2", FeatureNames=["rating"])
    assert answer["Record"] == wire({"rating": "2"})


def test_an_unknown_group_raises_botocores_resource_not_found(client: Any) -> None:
    with pytest.raises(client.exceptions.ResourceNotFound) as caught:
        client.get_record(FeatureGroupName="missing", RecordIdentifierValueAsString="r1")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert "missing" in caught.value.response["Error"]["Message"]
    with pytest.raises(client.exceptions.ResourceNotFound):
        client.put_record(FeatureGroupName="missing", Record=review("r1"))


@pytest.mark.parametrize(("record", "words"), [
    (review("r3", rating="five"), "rating is Integral"),
    (review("r3", when="yesterday"), "event_time is not an ISO-8601 time"),
    (review("r3") + wire({"colour": "red"}), "'colour' is not a feature of feature group reviews"),
    (wire({"review_id": "r3", "event_time": "2024-05-01T10:00:00Z", "tokens": "soft"}), "tokens is a List"),
])
def test_a_bad_record_is_a_validation_error_naming_the_feature(client: Any, record: list[dict[str, Any]], words: str) -> None:
    error = refused(client.put_record, FeatureGroupName="reviews", Record=record)
    assert error.response["Error"]["Code"] == "ValidationError"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert words in error.response["Error"]["Message"]
    assert "Record" not in client.get_record(FeatureGroupName="reviews", RecordIdentifierValueAsString="r3")


def test_options_the_local_store_cannot_honour_are_refused_not_ignored(client: Any) -> None:
    for extra in ({"TargetStores": ["OnlineStore"]}, {"TtlDuration": {"Unit": "Hours", "Value": 1}}):
        error = refused(client.put_record, FeatureGroupName="reviews", Record=review("r4"), **extra)
        assert error.response["Error"]["Code"] == "ValidationError"
    client.put_record(FeatureGroupName="reviews", Record=review("r4"), TargetStores=["OnlineStore", "OfflineStore"])


def test_batch_get_answers_records_in_order_and_errors_for_an_unknown_group(client: Any) -> None:
    for review_id in ("b1", "b2", "b3"):
        client.put_record(FeatureGroupName="reviews", Record=review(review_id, rating=review_id[1]))
    answer = client.batch_get_record(Identifiers=[
        {"FeatureGroupName": "reviews", "RecordIdentifiersValueAsString": ["b3", "nobody", "b1"], "FeatureNames": ["rating"]},
        {"FeatureGroupName": "missing", "RecordIdentifiersValueAsString": ["b1"]}])
    assert answer["Records"] == [
        {"FeatureGroupName": "reviews", "RecordIdentifierValueAsString": "b3", "Record": wire({"rating": "3"})},
        {"FeatureGroupName": "reviews", "RecordIdentifierValueAsString": "b1", "Record": wire({"rating": "1"})}]
    assert [(e["FeatureGroupName"], e["RecordIdentifierValueAsString"], e["ErrorCode"]) for e in answer["Errors"]] == [
        ("missing", "b1", "ResourceNotFound")]
    assert answer["UnprocessedIdentifiers"] == []


def test_delete_record_soft_and_hard_and_a_bad_mode(client: Any, workspace: tuple[Services, str]) -> None:
    for review_id in ("d1", "d2"):
        client.put_record(FeatureGroupName="reviews", Record=review(review_id))
    client.delete_record(FeatureGroupName="reviews", RecordIdentifierValueAsString="d1", EventTime="2024-05-02T00:00:00Z")
    client.delete_record(FeatureGroupName="reviews", RecordIdentifierValueAsString="d2", EventTime="2024-05-02T00:00:00Z",
                         DeletionMode="HardDelete")
    for review_id in ("d1", "d2"):
        assert "Record" not in client.get_record(FeatureGroupName="reviews", RecordIdentifierValueAsString=review_id)
    error = refused(client.delete_record, FeatureGroupName="reviews", RecordIdentifierValueAsString="d1",
                    EventTime="2024-05-03T00:00:00Z", DeletionMode="Shred")
    assert error.response["Error"]["Code"] == "ValidationError" and "DeletionMode" in error.response["Error"]["Message"]
    offline = workspace[0].features.describe_feature_group("reviews").offline_table
    deleted = workspace[0].query.run(f"SELECT review_id FROM {offline} WHERE is_deleted ORDER BY review_id").frame
    assert deleted["review_id"].tolist() == ["d1"]  # SoftDelete's marker; HardDelete also removed d2's rows


def test_the_gateway_and_the_app_share_one_store(client: Any, workspace: tuple[Services, str]) -> None:
    features = workspace[0].features
    client.put_record(FeatureGroupName="reviews", Record=review("s1", rating="3"))
    assert features.get_record("reviews", "s1", ("rating", "tokens")) == {"rating": 3, "tokens": ["soft", "warm"]}
    features.put_record("reviews", {"review_id": "s2", "event_time": "2024-05-01T10:00:00Z", "rating": 1})
    answer = client.get_record(FeatureGroupName="reviews", RecordIdentifierValueAsString="s2")
    assert answer["Record"] == wire({"review_id": "s2", "event_time": "2024-05-01T10:00:00Z", "rating": "1"})


def raw(url: str, method: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_the_gateways_guards_hold_for_the_runtime_routes(workspace: tuple[Services, str]) -> None:
    url = workspace[1]
    status, body = raw(f"{url}/FeatureGroup/reviews?RecordIdentifierValueAsString=r1", "GET", headers={"Host": "evil.example"})
    assert status == 421
    status, body = raw(f"{url}/BatchGetRecord", "POST", b'{"Identifiers": []}', {"Content-Type": "text/plain"})
    assert status == 415 and body["__type"] == "ValidationError"
    status, body = raw(f"{url}/FeatureGroup/reviews", "PUT", b" " * (6 * 1024 * 1024 + 1), {"Content-Type": "application/json"})
    assert status == 413 and "6 MB" in body["message"]
    status, body = raw(f"{url}/FeatureGroup/reviews", "PUT", b"{not json", {"Content-Type": "application/json"})
    assert status == 400 and "not JSON" in body["message"]


def test_feature_store_requests_keep_the_idle_gateway_serving(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    services = build_services(settings_for_tests(home=home, seed_on_start=False))
    close_services(services)
    activity = Activity()
    watchdog = Watchdog(home, idle_seconds=0.2, stop=lambda reason: None, activity=activity)
    time.sleep(0.3)
    assert watchdog.check().startswith("no endpoint")
    activity.touch()
    assert watchdog.check() == ""


def test_the_aws_ingestion_jobs_script_puts_a_files_rows_through_an_unchanged_client(
        workspace: tuple[Services, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """services/features/ingest_job/ingest.py as a SageMaker Processing job runs it (its main, in this process to save
    an interpreter start), pointed at the gateway."""
    services, url = workspace
    data = tmp_path / "input" / "part-0.csv"
    data.parent.mkdir()
    data.write_text("review_id,event_time,rating,score,tokens\n"
                    'j1,2024-05-01T10:00:00Z,4,0.5,"[""soft"", ""warm""]"\n'
                    "j2,2024-05-01T10:00:00Z,3,0.25,\n"
                    "j3,2024-05-01T10:00:00Z,lots,0.5,\n"
                    "j4,not a time,3,0.5,\n"
                    ",2024-05-01T10:00:00Z,3,0.5,\n")
    group = tmp_path / "group.json"
    group.write_text(json.dumps(group_file(services.features.describe_feature_group("reviews"))))
    for name, value in (("FEATURESTORE_RUNTIME_URL", url), ("AWS_ACCESS_KEY_ID", "local"), ("AWS_SECRET_ACCESS_KEY", "local"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    script = importlib.util.spec_from_file_location("ingest_script", Path(__file__).parents[2] / "services" / "features" /
                                                    "ingest_job" / "ingest.py")
    assert script is not None and script.loader is not None
    module = importlib.util.module_from_spec(script)
    script.loader.exec_module(module)
    assert module.main(["--feature-group", "reviews", "--input", str(data.parent), "--output", str(tmp_path / "result"),
                        "--group-file", str(group), "--chunk-rows", "2"]) == 0
    result = json.loads((tmp_path / "result" / "result.json").read_text())
    assert (result["Ingested"], result["Failed"]) == (2, 3)
    assert set(result["Errors"]) == {"1 row: rating is not a whole number", "1 row: event_time is not an ISO-8601 time",
                                     "1 row: review_id has no value (it is the record identifier)"}
    assert services.features.get_record("reviews", "j1", ("rating", "tokens")) == {"rating": 4, "tokens": ["soft", "warm"]}
    assert services.features.get_record("reviews", "j2", ("score",)) == {"score": 0.25}
    assert "ingest: 2 rows ingested, 2 failed so far" in capsys.readouterr().out  # progress per chunk of two, in the log


def test_expires_at_is_the_event_time_plus_the_groups_ttl_when_asked(client: Any, workspace: tuple[Services, str]) -> None:
    workspace[0].features.create_feature_group(replace(SPEC, name="fresh-reviews", ttl_seconds=3600))
    now = datetime.now(UTC).replace(microsecond=0)
    client.put_record(FeatureGroupName="fresh-reviews", Record=review("t1", now.isoformat().replace("+00:00", "Z")))
    expected = (now + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    answer = client.get_record(FeatureGroupName="fresh-reviews", RecordIdentifierValueAsString="t1", FeatureNames=["rating"],
                               ExpirationTimeResponse="Enabled")
    assert (answer["ExpiresAt"], answer["Record"]) == (expected, wire({"rating": "5"}))
    assert "ExpiresAt" not in client.get_record(FeatureGroupName="fresh-reviews", RecordIdentifierValueAsString="t1")
    client.put_record(FeatureGroupName="reviews", Record=review("t1"))
    assert "ExpiresAt" not in client.get_record(FeatureGroupName="reviews", RecordIdentifierValueAsString="t1",
                                                ExpirationTimeResponse="Enabled")  # no TTL: never expires
    batch = client.batch_get_record(Identifiers=[{"FeatureGroupName": "fresh-reviews", "RecordIdentifiersValueAsString": ["t1"]}],
                                    ExpirationTimeResponse="Enabled")
    assert batch["Records"][0]["ExpiresAt"] == expected
