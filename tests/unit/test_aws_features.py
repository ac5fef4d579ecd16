"""The SageMaker Feature Store adapter (services/features/aws.py), offline.

moto answers CreateFeatureGroup/DescribeFeatureGroup and CreateProcessingJob in one test; tests/helpers/aws_features.py answers the
Feature Store calls moto lacks (DeleteFeatureGroup, tags, the whole featurestore runtime), each answer checked against
botocore's service model. The point-in-time SQL written for Athena is run for real: transpiled by sqlglot (as the local
query engine does) and executed by DuckDB on small offline tables.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import boto3
import pytest

from services.errors import AlreadyExists, BackendUnavailable, InvalidInput, NotFound
from services.features import athena_sql
from services.features.aws import AwsFeatures, definition_for, group_from_api
from services.features.models import DatasetRequest, FeatureDefinition, FeatureGroupSpec, IngestSource
from services.models import Column, Table
from services.registry import build_services
from tests.helpers.aws import BUCKET, REGION, aws_settings, fake_aws_credentials, queue_athena_result, refuse_network
from tests.helpers.aws_features import FakeFeatureStore
from tests.helpers.moto_gaps import answer_calls

ROLE = "arn:aws:iam::123456789012:role/workbench-sagemaker"
FEATURES = (FeatureDefinition("review_id", "String"), FeatureDefinition("event_time", "String"),
            FeatureDefinition("rating", "Integral"), FeatureDefinition("score", "Fractional"),
            FeatureDefinition("tokens", "String", collection_type="List"))


def spec(name: str = "reviews", **changes: object) -> FeatureGroupSpec:
    base = FeatureGroupSpec(name=name, record_identifier="review_id", event_time="event_time", features=FEATURES,
                            description="Review ratings", tags={"team": "Sentiment"}, ttl_seconds=3600)
    return replace(base, **changes)  # type: ignore[arg-type]


def record(review_id: str, when: str, rating: int = 5, score: float = 0.9) -> dict[str, object]:
    return {"review_id": review_id, "event_time": when, "rating": rating, "score": score, "tokens": ["nice", "fit"]}


def make_adapter(home: Path, store: FakeFeatureStore | None = None) -> AwsFeatures:
    """The adapter on its own session (with the fake store attached when given); building makes no AWS call."""
    settings = replace(aws_settings(home), sagemaker_role=ROLE)
    services = build_services(settings)
    session = boto3.Session(region_name=REGION)
    if store is not None:
        store.attach(session)
    return AwsFeatures(session, settings, query=services.query, catalog=services.catalog)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AwsFeatures, FakeFeatureStore]]:
    """One adapter and fake store for the module; nothing reaches the network."""
    with pytest.MonkeyPatch.context() as patch:
        fake_aws_credentials(patch, tmp_path_factory.mktemp("aws"))
        refuse_network(patch)
        store = FakeFeatureStore(search_page=2)
        yield make_adapter(tmp_path_factory.mktemp("features") / "ws", store), store


@pytest.fixture
def store(shared: tuple[AwsFeatures, FakeFeatureStore]) -> FakeFeatureStore:
    shared[1].reset()
    return shared[1]


@pytest.fixture
def adapter(shared: tuple[AwsFeatures, FakeFeatureStore], store: FakeFeatureStore) -> AwsFeatures:
    adapter = shared[0]
    adapter._groups.clear()
    adapter.settings = replace(adapter.settings, sagemaker_role=ROLE)
    return adapter


@pytest.fixture
def features(adapter: AwsFeatures) -> Iterator[AwsFeatures]:
    adapter.create_feature_group(spec())
    yield adapter


# -- feature groups ---------------------------------------------------------------------------------------


def test_create_sends_sagemakers_request_and_answers_the_description(adapter: AwsFeatures, store: FakeFeatureStore) -> None:
    group = adapter.create_feature_group(spec())
    [request] = store.called("CreateFeatureGroup")
    assert request["OnlineStoreConfig"] == {"EnableOnlineStore": True, "TtlDuration": {"Unit": "Seconds", "Value": 3600}}
    assert request["OfflineStoreConfig"] == {"S3StorageConfig": {"S3Uri": f"s3://{BUCKET}/sagemaker-featurestore"}}
    assert request["Tags"] == [{"Key": "team", "Value": "Sentiment"}] and request["RoleArn"] == ROLE
    assert request["FeatureDefinitions"][4] == {"FeatureName": "tokens", "FeatureType": "String", "CollectionType": "List"}
    assert group.spec == spec() and group.status == "Created" and group.created_at.startswith("2024-05-01T00:00:01")
    assert group.as_api()["OfflineStoreConfig"]["DataCatalogConfig"]["Database"] == "sagemaker_featurestore"
    with pytest.raises(AlreadyExists):
        adapter.create_feature_group(spec())


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": "../reviews"}, "feature group name"),
    ({"record_identifier": "missing"}, "record identifier feature 'missing'"),
    ({"event_time": "rating"}, "event time feature 'rating' is Integral"),
    ({"online": False, "offline": False, "ttl_seconds": None}, "online store, an offline store"),
])
def test_a_spec_sagemaker_would_refuse_is_refused_before_any_call(adapter: AwsFeatures, store: FakeFeatureStore,
                                                                    changes: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        adapter.create_feature_group(spec(**changes))
    assert store.calls == []


def test_an_offline_store_needs_a_role_and_an_online_only_group_does_not(adapter: AwsFeatures, store: FakeFeatureStore) -> None:
    adapter.settings = replace(adapter.settings, sagemaker_role=None)
    with pytest.raises(InvalidInput, match="IAM role") as caught:
        adapter.create_feature_group(spec())
    assert "WORKBENCH_SAGEMAKER_ROLE" in caught.value.hint
    group = adapter.create_feature_group(spec(offline=False))
    assert "RoleArn" not in store.called("CreateFeatureGroup")[0] and group.offline_table == ""


def test_list_pages_through_search_newest_first_and_search_matches_any_case(adapter: AwsFeatures, store: FakeFeatureStore) -> None:
    adapter.create_feature_group(spec("reviews"))
    adapter.create_feature_group(spec("customers", description="Customer Profiles", tags={"Owner": "CRM"}))
    adapter.create_feature_group(spec("wine", features=(*FEATURES, FeatureDefinition("Alcohol_Level", "Fractional")),
                                      description="", tags={}))
    assert [g.name for g in adapter.list_feature_groups()] == ["wine", "customers", "reviews"]
    assert len(store.called("Search")) == 2  # pages of two, following NextToken
    assert [g.name for g in adapter.search("PROFILE")] == ["customers"]  # description
    assert [g.name for g in adapter.search("alcohol")] == ["wine"]  # a feature name
    assert [g.name for g in adapter.search("crm")] == ["customers"]  # a tag value
    assert [g.name for g in adapter.search("owner")] == ["customers"]  # a tag key
    assert adapter.search("nothing-like-it") == []


def test_unknown_groups_are_not_found_and_delete_forgets_the_definitions(features: AwsFeatures, store: FakeFeatureStore) -> None:
    with pytest.raises(NotFound):
        features.describe_feature_group("missing")
    with pytest.raises(NotFound):
        features.delete_feature_group("missing")
    features.put_record("reviews", record("r1", "2024-05-01T10:00:00Z"))
    features.delete_feature_group("reviews")
    with pytest.raises(NotFound):
        features.get_record("reviews", "r1")
    assert store.called("DeleteFeatureGroup") == [{"FeatureGroupName": "missing"}, {"FeatureGroupName": "reviews"}]


def test_group_from_api_reads_ttl_units_vectors_and_a_failure() -> None:
    described = {"FeatureGroupArn": "arn", "FeatureGroupName": "g", "RecordIdentifierFeatureName": "id",
                 "EventTimeFeatureName": "t", "FeatureGroupStatus": "CreateFailed", "FailureReason": "no access",
                 "FeatureDefinitions": [{"FeatureName": "id", "FeatureType": "String"},
                                        {"FeatureName": "v", "FeatureType": "Fractional", "CollectionType": "Vector",
                                         "CollectionConfig": {"VectorConfig": {"Dimension": 384}}}],
                 "OnlineStoreConfig": {"EnableOnlineStore": True, "TtlDuration": {"Unit": "Days", "Value": 2}}}
    group = group_from_api(described)
    assert group.spec.ttl_seconds == 172800 and not group.spec.offline and group.failure_reason == "no access"
    assert group.spec.features[1] == FeatureDefinition("v", "Fractional", "Vector", 384)


def test_definitions_are_inferred_from_glue_and_pandas_types() -> None:
    assert [definition_for("x", t).type for t in ("bigint", "int", "double", "decimal(10,2)", "string", "timestamp",
                                                  "int64", "float64", "object")] == \
        ["Integral", "Integral", "Fractional", "Fractional", "String", "String", "Integral", "Fractional", "String"]
    assert definition_for("x", "array<double>") == FeatureDefinition("x", "Fractional", collection_type="List")


def test_definitions_are_inferred_from_a_glue_table_and_a_files_first_rows(adapter: AwsFeatures, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    table = Table("demo", "reviews", f"s3://{BUCKET}/reviews/", "parquet",
                  (Column("review_id", "bigint"), Column("rating", "int"), Column("embedding", "array<double>")))
    monkeypatch.setattr(adapter.catalog, "get_table", lambda database, name: table)
    assert adapter.infer_definitions(IngestSource(table="demo.reviews")) == [
        FeatureDefinition("review_id", "Integral"), FeatureDefinition("rating", "Integral"),
        FeatureDefinition("embedding", "Fractional", collection_type="List")]
    data = tmp_path / "rows.csv"
    data.write_text("id,when,score,label\n1,2024-05-01T00:00:00Z,0.5,good\n")
    assert [(d.name, d.type) for d in adapter.infer_definitions(IngestSource(path=str(data)))] == [
        ("id", "Integral"), ("when", "String"), ("score", "Fractional"), ("label", "String")]


# -- records ----------------------------------------------------------------------------------------------


def test_records_round_trip_typed_with_a_subset_of_features(features: AwsFeatures, store: FakeFeatureStore) -> None:
    features.put_record("reviews", record("r1", "2024-05-01T10:00:00Z", rating=4, score=0.25))
    [put] = store.called("PutRecord")
    assert {"FeatureName": "rating", "ValueAsString": "4"} in put["Record"]
    assert {"FeatureName": "tokens", "ValueAsStringList": ["nice", "fit"]} in put["Record"]
    assert features.get_record("reviews", "r1") == record("r1", "2024-05-01T10:00:00Z", rating=4, score=0.25)
    assert features.get_record("reviews", "r1", ("rating", "score")) == {"rating": 4, "score": 0.25}
    assert store.called("GetRecord")[-1]["FeatureNames"] == ["rating", "score"]
    assert features.get_record("reviews", "nobody") is None


def test_an_older_event_time_does_not_replace_the_online_record(features: AwsFeatures) -> None:
    features.put_record("reviews", record("r1", "2024-05-02T00:00:00Z", rating=2))
    features.put_record("reviews", record("r1", "2024-05-01T00:00:00Z", rating=5))
    assert features.get_record("reviews", "r1", ("rating",)) == {"rating": 2}


@pytest.mark.parametrize(("bad", "message"), [
    ({"rating": "five"}, "rating is not a whole number"),
    ({"event_time": "yesterday"}, "event_time is not an ISO-8601 time"),
    ({"review_id": None}, "review_id has no value"),
    ({"colour": "red"}, "Feature group 'reviews' has no feature 'colour'"),
])
def test_a_bad_record_is_refused_naming_the_feature_before_any_call(features: AwsFeatures, store: FakeFeatureStore,
                                                                      bad: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        features.put_record("reviews", record("r1", "2024-05-01T10:00:00Z") | bad)
    assert store.called("PutRecord") == []


def test_batch_get_asks_100_ids_at_a_time_in_order_and_retries_unprocessed(features: AwsFeatures, store: FakeFeatureStore) -> None:
    for index in range(0, 150, 7):
        features.put_record("reviews", record(f"r{index}", "2024-05-01T10:00:00Z", rating=index))
    asked = [f"r{index}" for index in reversed(range(150))]
    store.unprocessed_rounds = 1
    found = features.batch_get_record("reviews", asked, ("review_id", "rating"))
    assert [r["rating"] for r in found] == sorted(range(0, 150, 7), reverse=True)
    assert [len(c["Identifiers"][0]["RecordIdentifiersValueAsString"]) for c in store.called("BatchGetRecord")] == [100, 100, 50]
    store.unprocessed_rounds = 5
    with pytest.raises(BackendUnavailable, match="unprocessed"):
        features.batch_get_record("reviews", ["r0"])


def test_batch_errors_and_runtime_refusals_become_our_errors(features: AwsFeatures, store: FakeFeatureStore) -> None:
    del store.groups["reviews"]  # gone behind the adapter's back: its cached definitions are stale
    with pytest.raises(NotFound, match="ResourceNotFound"):
        features.batch_get_record("reviews", ["r1"])
    with pytest.raises(NotFound, match="no feature group 'reviews'"):
        features.get_record("reviews", "r1")
    features.create_feature_group(spec())
    store.fail_next("PutRecord", "ValidationError", "Invalid EventTime", 400)
    with pytest.raises(InvalidInput, match="refused PutRecord: Invalid EventTime"):
        features.put_record("reviews", record("r1", "2024-05-01T10:00:00Z"))
    store.fail_next("GetRecord", "AccessForbidden", "not authorized", 403)
    with pytest.raises(BackendUnavailable, match="not authorized") as caught:
        features.get_record("reviews", "r1")
    assert "credentials" in caught.value.hint


def test_delete_record_sends_the_mode_and_checks_it_and_the_event_time(features: AwsFeatures, store: FakeFeatureStore) -> None:
    features.put_record("reviews", record("r1", "2024-05-01T10:00:00Z"))
    features.delete_record("reviews", "r1", "2024-05-02T00:00:00Z", "HardDelete")
    assert store.called("DeleteRecord") == [{"FeatureGroupName": "reviews", "RecordIdentifierValueAsString": "r1",
                                             "EventTime": "2024-05-02T00:00:00Z", "DeletionMode": "HardDelete"}]
    assert features.get_record("reviews", "r1") is None
    with pytest.raises(InvalidInput, match="DeletionMode"):
        features.delete_record("reviews", "r1", "2024-05-02T00:00:00Z", "Shred")
    with pytest.raises(InvalidInput, match="ISO-8601"):
        features.delete_record("reviews", "r1", "tomorrow")


def test_ingest_puts_good_rows_of_a_file_in_chunks_and_counts_bad_ones_per_cause(features: AwsFeatures, store: FakeFeatureStore,
                                                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("services.features.aws.CHUNK_ROWS", 4)
    rows = ["review_id,event_time,rating,score,extra"] + [f"r{i},2024-05-01T10:00:0{i}Z,{i},0.5,x" for i in range(7)]
    rows += ["bad1,2024-05-01T10:00:00Z,lots,0.5,x", "bad2,not a time,3,0.5,x", ",2024-05-01T10:00:00Z,3,0.5,x"]
    path = tmp_path / "reviews.csv"
    path.write_text("\n".join(rows) + "\n")
    seen: list[tuple[int, int]] = []
    result = features.ingest("reviews", IngestSource(path=str(path)), progress=lambda done, total: seen.append((done, total)))
    assert (result.ingested, result.failed) == (7, 3)
    assert set(result.errors) == {"1 row: rating is not a whole number", "1 row: event_time is not an ISO-8601 time",
                                  "1 row: review_id has no value (it is the record identifier)"}
    assert len(store.called("PutRecord")) == 7 and len(seen) == 3  # three chunks of at most four rows
    assert features.get_record("reviews", "r6", ("rating",)) == {"rating": 6}


# -- the offline store through Athena ---------------------------------------------------------------------


def duckdb_rows(sql: str, tables: dict[str, str]) -> list[tuple[object, ...]]:
    """Run Athena SQL the way the local query engine does: sqlglot to DuckDB, over tables made by ``tables``."""
    import duckdb
    import sqlglot

    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA demo; CREATE SCHEMA sagemaker_featurestore; SET TimeZone='UTC'")
    for statement in tables.values():
        connection.execute(statement)
    return connection.execute(sqlglot.transpile(sql, read="athena", write="duckdb")[0]).fetchall()


OFFLINE = """CREATE TABLE sagemaker_featurestore.ratings_1 AS SELECT * FROM (VALUES
  ('c1', '2024-01-01T00:00:00Z', 1, TIMESTAMP '2024-01-01 00:05:00', TIMESTAMP '2024-01-01 00:05:00', false),
  ('c1', '2024-01-03T00:00:00Z', 3, TIMESTAMP '2024-01-03 00:05:00', TIMESTAMP '2024-01-03 00:05:00', false),
  ('c1', '2024-01-05T00:00:00Z', NULL, TIMESTAMP '2024-01-05 00:05:00', TIMESTAMP '2024-01-05 00:05:00', true),
  ('c2', '2024-01-02T00:00:00Z', 20, TIMESTAMP '2024-01-09 00:00:00', TIMESTAMP '2024-01-09 00:00:00', false)
) t(customer_id, event_time, rating, write_time, api_invocation_time, is_deleted)"""
BASE = """CREATE TABLE demo.orders AS SELECT * FROM (VALUES
  ('c1', '2023-12-31T00:00:00Z', 'o1'), ('c1', '2024-01-02T00:00:00Z', 'o2'), ('c1', '2024-01-04T00:00:00Z', 'o3'),
  ('c1', '2024-01-06T00:00:00Z', 'o4'), ('c2', '2024-01-03T00:00:00Z', 'o5'), ('c3', '2024-01-03T00:00:00Z', 'o6')
) t(customer_id, order_time, order_id)"""
SOURCES = (athena_sql.BaseSource("demo.orders", "customer_id", "order_time", "String", ("customer_id", "order_time", "order_id")),
           (athena_sql.GroupSource("ratings", "sagemaker_featurestore.ratings_1", "customer_id", "event_time", "String",
                                   (("rating", "rating"),)),))


def test_the_athena_point_in_time_join_picks_the_latest_record_at_or_before_each_row() -> None:
    rows = duckdb_rows(athena_sql.dataset_sql(*SOURCES), {"offline": OFFLINE, "base": BASE})
    # o1 before any record; o2 sees the 01-01 record; o3 the 01-03 one; o4 a delete marker; o5 c2's; o6 no such id.
    assert [(order, rating) for _, _, order, rating in rows] == [("o1", None), ("o2", 1), ("o3", 3), ("o4", None),
                                                                 ("o5", 20), ("o6", None)]
    kept = duckdb_rows(athena_sql.dataset_sql(*SOURCES, athena_sql.Window(include_deleted=True)), {"o": OFFLINE, "b": BASE})
    assert [rating for *_, rating in kept] == [None, 1, 3, 3, 20, None]


def test_as_of_and_the_event_time_range_and_the_leakage_count() -> None:
    as_of = athena_sql.Window(as_of="2024-01-04T00:00:00Z", start="2024-01-02T00:00:00Z")
    rows = duckdb_rows(athena_sql.dataset_sql(*SOURCES, as_of), {"o": OFFLINE, "b": BASE})
    assert [(order, rating) for _, _, order, rating in rows] == [("o2", 1), ("o3", 3), ("o4", 3), ("o5", None), ("o6", None)]
    # o5 uses c2's record written on 01-09, after the order's own time (01-03): one leaking row.
    assert duckdb_rows(athena_sql.leakage_sql(*SOURCES), {"o": OFFLINE, "b": BASE}) == [(1,)]
    assert duckdb_rows(athena_sql.leakage_sql(*SOURCES, as_of), {"o": OFFLINE, "b": BASE}) == [(0,)]


def test_statistics_sql_describes_every_feature_without_the_delete_markers() -> None:
    sql = athena_sql.statistics_sql("sagemaker_featurestore.ratings_1", (("customer_id", "String", False),
                                                                         ("rating", "Integral", False),
                                                                         ("tokens", "String", True)))
    offline = OFFLINE.replace("is_deleted)", "is_deleted, tokens)").replace("false)", "false, NULL)").replace(
        "true)", "true, NULL)")
    [row] = duckdb_rows(sql, {"o": offline})
    rows, written, *values = row
    assert (rows, written[:16]) == (3, "2024-01-09 00:00")
    assert values[:5] == [3, 2, "c1", "c2", None]  # customer_id: non-null, distinct, min, max, no mean
    assert values[5:10] == [3, 3, 1.0, 20.0, 8.0]  # rating
    assert values[10] == 0  # tokens: only the count


def test_athena_feeds_ingestion_in_chunks_and_runs_the_dataset_join_the_leakage_count_and_statistics(
        mocked_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    features = make_adapter(tmp_path / "ws", FakeFeatureStore())  # Athena is moto's
    features.create_feature_group(spec())
    queue_athena_result([("review_id", "varchar"), ("event_time", "varchar"), ("rating", "bigint")],
                        [["r1", "2024-05-01T10:00:00Z", "4"], ["r2", "yesterday", "3"]])
    ingested = features.ingest("reviews", IngestSource(table="demo.reviews"))
    assert (ingested.ingested, ingested.failed, ingested.errors) == (1, 1, ("1 row: event_time is not an ISO-8601 time",))
    assert features.get_record("reviews", "r1", ("rating",)) == {"rating": 4}
    athena = boto3.client("athena", region_name=REGION)
    [execution] = athena.list_query_executions()["QueryExecutionIds"]
    assert athena.get_query_execution(QueryExecutionId=execution)["QueryExecution"]["Query"] == 'SELECT * FROM "demo"."reviews"'
    orders = Table("demo", "orders", f"s3://{BUCKET}/orders/", "parquet",
                   (Column("review_id", "string"), Column("event_time", "string"), Column("rating", "int")))
    monkeypatch.setattr(features.catalog, "get_table", lambda database, table: orders)
    saved: list[tuple[str, str, str]] = []
    monkeypatch.setattr(features.query, "save_result_as_table", lambda qid, db, table: saved.append((qid, db, table)))
    queue_athena_result([("review_id", "varchar"), ("event_time", "varchar"), ("label", "integer"),
                         ("review_id_rating", "bigint")], [["r1", "2024-05-01T10:00:00Z", "1", "5"]])
    queue_athena_result([("leaking_rows", "bigint")], [["2"]])
    result = features.build_dataset(DatasetRequest(record_identifier="review_id", event_time="event_time", groups=("reviews",),
                                                   base_table="demo.orders", out_table="demo.orders_features"))
    assert "row_number() OVER (PARTITION BY base" in result.sql and "sagemaker_featurestore" in result.sql
    assert result.columns == ("review_id", "event_time", "rating", "reviews__rating", "score", "tokens")  # as locally
    assert 'f."rating" AS "reviews__rating"' in result.sql
    assert result.leaking_rows == 2 and "as-of" in result.leakage_note
    assert saved[0][1:] == ("demo", "orders_features") and result.table == "demo.orders_features"
    types = dict(zip(athena_sql.STATISTICS, ("bigint", "bigint", "double", "double", "double")))
    queue_athena_result([("rows", "bigint"), ("last_written", "varchar")] + [(f"f{i}_{k}", types[k]) for i in range(5)
                        for k in athena_sql.STATISTICS], [["4", "2024-05-01 10:00:00.000"] + ["3", "2", "1.0", "5.0", "4.5"] * 5])
    statistics = features.feature_statistics("reviews")
    assert [s["feature"] for s in statistics] == [f.name for f in FEATURES]
    assert statistics[2] == {"feature": "rating", "type": "Integral", "collection_type": "", "rows": 4, "non_null": 3,
                             "distinct": 2, "min": 1.0, "max": 5.0, "mean": 4.5, "last_written_at": "2024-05-01 10:00:00.000"}
    with pytest.raises(InvalidInput, match="'yesterday' is not an ISO-8601 time"):
        features.build_dataset(DatasetRequest(record_identifier="review_id", event_time="event_time", groups=("reviews",),
                                              base_table="demo.orders", out_table="demo.x", as_of="yesterday"))
    with pytest.raises(InvalidInput, match="catalog table or a feature group"):
        features.build_dataset(DatasetRequest(record_identifier="review_id", event_time="event_time", groups=("reviews",),
                                              base_path="orders.csv", out_table="demo.x"))


# -- ingestion as a SageMaker Processing job --------------------------------------------------------------


def test_moto_takes_the_create_request_and_start_ingestion_runs_the_script_as_a_processing_job(
        mocked_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto creates and describes the group and records the CreateProcessingJob the processing port sends; the code,
    the group's definitions and an uploaded file are in S3 where the job's inputs say (the script itself is run for
    real in test_features_gateway)."""
    settings = replace(aws_settings(tmp_path / "ws"), sagemaker_role=ROLE)
    services = build_services(settings)
    features = AwsFeatures(boto3.Session(region_name=REGION), settings, query=services.query, catalog=services.catalog,
                           processing=services.processing)
    answer_calls(monkeypatch, "sagemaker", "ListTags", lambda _: {"Tags": [{"Key": "team", "Value": "Sentiment"}]},
                 clients=[features._sagemaker])  # moto keeps no tags for feature groups
    group = features.create_feature_group(spec("review_scores"))
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    described = sagemaker.describe_feature_group(FeatureGroupName="review_scores")
    assert described["RoleArn"] == ROLE
    assert described["OfflineStoreConfig"]["S3StorageConfig"]["S3Uri"] == f"s3://{BUCKET}/sagemaker-featurestore"
    assert [d["FeatureName"] for d in described["FeatureDefinitions"]] == [f.name for f in FEATURES]
    assert group.spec.features == FEATURES and group.spec.tags == {"team": "Sentiment"}
    assert group.offline_table.startswith("sagemaker_featurestore.review_scores_")

    data = tmp_path / "scores.csv"
    data.write_text("review_id,event_time,rating\nr1,2024-05-01T10:00:00Z,5\n")
    job = features.start_ingestion("review_scores", IngestSource(path=str(data)))
    assert job.startswith("ingest-review-scores-")
    created = sagemaker.describe_processing_job(ProcessingJobName=job)
    assert created["AppSpecification"]["ContainerEntrypoint"] == ["python3", "/opt/ml/processing/input/code/ingest.py"]
    assert created["AppSpecification"]["ContainerArguments"] == ["--feature-group", "review_scores"]
    assert created["RoleArn"] == ROLE
    inputs = {i["InputName"]: i["S3Input"]["S3Uri"] for i in created["ProcessingInputs"]}
    s3 = boto3.client("s3", region_name=REGION)

    def text(uri: str) -> str:
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()

    assert text(inputs["data"]) == data.read_text()
    assert "def checked(" in text(inputs["code"] + "ingest.py")
    definitions = json.loads(text(inputs["group"] + "group.json"))
    assert definitions["RecordIdentifierFeatureName"] == "review_id" and len(definitions["FeatureDefinitions"]) == len(FEATURES)
    assert [j.name for j in services.processing.list_processing_jobs()] == [job]  # the Jobs page follows it
    with pytest.raises(InvalidInput, match="not a SQL result"):
        features.start_ingestion("review_scores", IngestSource(sql="SELECT 1"))
