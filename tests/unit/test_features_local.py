"""The local Feature Store beyond the contract: the offline store's layout and SQL over it, TTL with an injected
clock, SoftDelete/HardDelete in both stores, chunked ingestion (bad rows per cause, all-or-nothing chunks,
progress), ingestion as a job in a worker process, statistics, and hostile or wrong input."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from services.errors import BackendUnavailable, InvalidInput, NotFound, QueryRefused
from services.features.local import LocalFeatures
from services.features.models import FeatureDefinition, FeatureGroupSpec, IngestSource
from services.features.online_store import OnlineStore, OnlineWriter
from services.registry import Services, build_services
from tests.helpers.workspace import settings_for_tests

FEATURES = (FeatureDefinition("review_id", "Integral"), FeatureDefinition("event_time", "String"),
            FeatureDefinition("rating", "Integral"), FeatureDefinition("tags", "String", "List"))
SPEC = FeatureGroupSpec("Review-Features", "review_id", "event_time", FEATURES, ttl_seconds=3600)
T0 = 1_704_067_200.0  # 2024-01-01T00:00:00Z


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def services(tmp_path: Path) -> Services:
    return build_services(settings_for_tests(home=tmp_path / "workspace", seed_on_start=False))


@pytest.fixture
def clock() -> Clock:
    return Clock(T0 + 60)


@pytest.fixture
def features(services: Services, clock: Clock) -> LocalFeatures:
    return LocalFeatures(services.stack, services.catalog, services.query, services.storage, clock=clock)


def reviews_csv(tmp_path: Path, rows: int = 6) -> Path:
    frame = pd.DataFrame({"review_id": range(1, rows + 1),
                          "event_time": [f"2024-01-01T00:{m:02d}:00Z" for m in range(rows)],
                          "rating": [str((i % 5) + 1) for i in range(rows)], "tags": ['["soft"]'] * rows})
    frame.loc[1, "rating"] = "five"  # a type mismatch
    frame.loc[3, "event_time"] = "last tuesday"  # not a time
    path = tmp_path / "reviews.csv"
    frame.to_csv(path, index=False)
    return path


def test_the_offline_store_is_partitioned_parquet_queryable_with_sql(features: LocalFeatures, services: Services,
                                                                      tmp_path: Path) -> None:
    group = features.create_feature_group(SPEC)
    result = features.ingest(SPEC.name, IngestSource(path=str(reviews_csv(tmp_path))))
    assert (result.ingested, result.failed) == (4, 2)
    assert result.errors == ("1 row: event_time is not an ISO-8601 time", "1 row: rating is not a whole number")
    epoch = int(T0 + 60)
    folder = services.stack.workspace.lake / "sagemaker-featurestore" / f"Review-Features-{epoch}" / "data"
    written = [p for p in folder.rglob("*.parquet") if pq.ParquetFile(p).metadata.num_rows]
    assert [p.relative_to(folder).parent.as_posix() for p in written] == ["year=2024/month=01/day=01/hour=00"]
    assert re.fullmatch(r"20240101T000500Z_[0-9a-f]{16}\.parquet", written[0].name)  # the latest event time in it
    assert group.offline_table == f"sagemaker_featurestore.review_features_{epoch}"
    table = services.catalog.get_table("sagemaker_featurestore", f"review_features_{epoch}")
    assert [(c.name, c.type) for c in table.columns] == [
        ("review_id", "bigint"), ("event_time", "string"), ("rating", "bigint"), ("tags", "array<string>"),
        ("write_time", "timestamp"), ("api_invocation_time", "timestamp"), ("is_deleted", "boolean")]
    frame = services.query.run(f"SELECT review_id, rating, tags, is_deleted, CAST(write_time AS VARCHAR) AS written "
                               f"FROM {group.offline_table} WHERE NOT is_deleted ORDER BY review_id").frame
    assert frame["review_id"].tolist() == [1, 3, 5, 6]
    assert frame["rating"].tolist() == [1, 3, 5, 1] and list(frame["tags"][0]) == ["soft"]
    assert frame["written"][0].startswith("2024-01-01 00:01:00")
    assert features.describe_feature_group("review-features").record_count == 4


def test_ttl_expires_online_records_by_event_time(features: LocalFeatures, clock: Clock) -> None:
    features.create_feature_group(SPEC)
    features.put_record(SPEC.name, {"review_id": 1, "event_time": "2024-01-01T00:00:00Z", "rating": 4})
    features.put_record(SPEC.name, {"review_id": 2, "event_time": "2024-01-01T00:30:00Z", "rating": 2})
    assert len(features.batch_get_record(SPEC.name, ["1", "2"])) == 2
    clock.now = T0 + 3600  # ExpiresAt of record 1: its event time + 3600 s
    assert features.get_record(SPEC.name, "1") is None
    assert [r["review_id"] for r in features.batch_get_record(SPEC.name, ["1", "2"])] == [2]


def test_soft_delete_keeps_a_marker_and_hard_delete_removes_the_rows(features: LocalFeatures, services: Services) -> None:
    group = features.create_feature_group(SPEC)
    for review_id, minute in ((1, 0), (1, 5), (2, 0)):
        features.put_record(SPEC.name, {"review_id": review_id, "event_time": f"2024-01-01T00:0{minute}:00Z", "rating": 3})
    features.delete_record(SPEC.name, "1", "2024-01-01T00:10:00Z", "SoftDelete")
    features.put_record(SPEC.name, {"review_id": 1, "event_time": "2024-01-01T00:09:00Z", "rating": 5})
    assert features.get_record(SPEC.name, "1") is None  # older than the delete: not brought back
    rows = services.query.run(f"SELECT review_id, is_deleted, event_time FROM {group.offline_table} "
                              "ORDER BY review_id, event_time").frame
    assert rows.values.tolist() == [[1, False, "2024-01-01T00:00:00Z"], [1, False, "2024-01-01T00:05:00Z"],
                                    [1, False, "2024-01-01T00:09:00Z"], [1, True, "2024-01-01T00:10:00Z"],
                                    [2, False, "2024-01-01T00:00:00Z"]]
    features.delete_record(SPEC.name, "1", "2024-01-01T00:11:00Z", "HardDelete")
    left = services.query.run(f"SELECT review_id FROM {group.offline_table}").frame
    assert left["review_id"].tolist() == [2]
    assert features.describe_feature_group(SPEC.name).record_count == 1
    features.put_record(SPEC.name, {"review_id": 1, "event_time": "2024-01-01T00:01:00Z", "rating": 1})
    assert features.get_record(SPEC.name, "1") == {"review_id": 1, "event_time": "2024-01-01T00:01:00Z", "rating": 1}


def test_ingestion_commits_chunk_by_chunk_with_progress(features: LocalFeatures, tmp_path: Path) -> None:
    group = features.create_feature_group(SPEC)
    features.chunk_rows = 2
    seen: list[tuple[int, int]] = []
    result = features.ingest(SPEC.name, IngestSource(path=str(reviews_csv(tmp_path))), progress=lambda d, t: seen.append((d, t)))
    assert seen == [(2, 6), (4, 6), (6, 6)]
    assert (result.ingested, result.failed) == (4, 2)
    folder = Path(features.groups.get(group.name)[1])
    assert sorted(pq.ParquetFile(p).metadata.num_rows for p in folder.rglob("*.parquet")) == [0, 1, 1, 2]


def test_a_chunk_that_fails_to_commit_leaves_nothing_in_either_store(features: LocalFeatures, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    group = features.create_feature_group(SPEC)
    folder = Path(features.groups.get(group.name)[1])
    before = sorted(folder.rglob("*"))
    real_put = OnlineWriter.put

    def put_then_fail(writer: OnlineWriter, name: str, rows: object) -> None:
        real_put(writer, name, rows)  # type: ignore[arg-type]
        raise OSError("disk full")

    monkeypatch.setattr(OnlineWriter, "put", put_then_fail)
    with pytest.raises(OSError, match="disk full"):
        features.ingest(SPEC.name, IngestSource(path=str(reviews_csv(tmp_path))))
    assert sorted(p for p in folder.rglob("*") if p.is_file()) == [p for p in before if p.is_file()]
    assert features.batch_get_record(SPEC.name, ["1", "3"]) == []
    assert features.describe_feature_group(SPEC.name).record_count == 0


def test_ingesting_the_same_rows_again_keeps_the_online_store_and_appends_offline(features: LocalFeatures,
                                                                                   services: Services) -> None:
    group = features.create_feature_group(replace(SPEC, ttl_seconds=None))
    sql = ("SELECT 7 AS review_id, '2024-01-02T00:00:00Z' AS event_time, 4 AS rating "
           "UNION ALL SELECT 8, '2024-01-03T00:00:00Z', 2")
    first = features.ingest(SPEC.name, IngestSource(sql=sql))
    online = features.batch_get_record(SPEC.name, ["7", "8"])
    second = features.ingest(SPEC.name, IngestSource(sql=sql))
    assert first == second and (first.ingested, first.failed) == (2, 0)
    assert features.batch_get_record(SPEC.name, ["7", "8"]) == online
    assert services.query.run(f"SELECT count(*) AS n FROM {group.offline_table}").frame["n"][0] == 4


def test_json_lines_and_parquet_files_with_other_column_spellings(features: LocalFeatures, tmp_path: Path) -> None:
    features.create_feature_group(replace(SPEC, features=FEATURES[:3]))
    frame = pd.DataFrame({"Review ID": [1, 2], "Event-Time": ["2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"],
                          "rating": [4.0, 3.0], "other": ["x", "y"]})
    frame.to_json(tmp_path / "reviews.jsonl", orient="records", lines=True)
    frame.to_parquet(tmp_path / "reviews.parquet")
    for name in ("reviews.jsonl", "reviews.parquet"):
        result = features.ingest(SPEC.name, IngestSource(path=str(tmp_path / name)))
        assert (result.ingested, result.failed) == (2, 0), name
    assert features.get_record(SPEC.name, "2") == {"review_id": 2, "event_time": "2024-01-01T00:00:00Z", "rating": 3}


def test_wrong_sources_are_refused_before_anything_is_written(features: LocalFeatures, tmp_path: Path) -> None:
    features.create_feature_group(SPEC)
    with pytest.raises(InvalidInput, match="has no column 'review_id' for the record identifier"):
        features.ingest(SPEC.name, IngestSource(sql="SELECT 1 AS id, '2024-01-01T00:00:00Z' AS event_time"))
    with pytest.raises(InvalidInput, match="exactly one source"):
        features.ingest(SPEC.name, IngestSource(table="demo.reviews", sql="SELECT 1"))
    with pytest.raises(InvalidInput):
        features.ingest(SPEC.name, IngestSource(path="/etc/passwd"))  # outside the import roots
    with pytest.raises(NotFound):
        features.ingest("no-such-group", IngestSource(sql="SELECT 1"))
    with pytest.raises(QueryRefused):
        features.start_ingestion(SPEC.name, IngestSource(sql="DROP TABLE demo.reviews"))
    with pytest.raises(NotFound):
        features.start_ingestion(SPEC.name, IngestSource(table="demo.no_such_table"))
    assert features.describe_feature_group(SPEC.name).record_count == 0


def test_hostile_names_never_reach_the_lake(features: LocalFeatures, services: Services) -> None:
    for name in ("../escaped", "a/b", "..", "x" * 65):
        with pytest.raises(InvalidInput, match="not a valid feature group name"):
            features.create_feature_group(replace(SPEC, name=name))
    with pytest.raises(NotFound):
        features.describe_feature_group("../escaped")
    lake = services.stack.workspace.lake
    assert not (lake / "escaped").exists() and not (lake.parent / "escaped").exists()
    assert not (lake / "sagemaker-featurestore").exists()
    assert features.list_feature_groups() == []


def test_a_recreated_group_starts_empty_and_the_old_data_stays(features: LocalFeatures, services: Services) -> None:
    first = features.create_feature_group(SPEC)
    features.put_record(SPEC.name, {"review_id": 1, "event_time": "2024-01-01T00:00:00Z", "rating": 4})
    features.delete_feature_group(SPEC.name)
    second = features.create_feature_group(SPEC)
    assert second.offline_table != first.offline_table
    assert features.get_record(SPEC.name, "1") is None
    assert services.query.run(f"SELECT count(*) AS n FROM {second.offline_table}").frame["n"][0] == 0
    assert services.query.run(f"SELECT count(*) AS n FROM {first.offline_table}").frame["n"][0] == 1


def test_groups_whose_names_give_one_table_name_get_tables_of_their_own(features: LocalFeatures) -> None:
    dashed = features.create_feature_group(replace(SPEC, name="a-b"))
    underscored = features.create_feature_group(replace(SPEC, name="a_b"))  # the same second: the clock stands still
    assert dashed.offline_table == f"sagemaker_featurestore.a_b_{int(T0 + 60)}"
    assert underscored.offline_table == f"sagemaker_featurestore.a_b_{int(T0 + 61)}"
    assert features.catalog.get_table("sagemaker_featurestore", f"a_b_{int(T0 + 60)}").location.startswith(
        "s3://sagemaker-featurestore/a-b-")


def test_one_store_only(features: LocalFeatures) -> None:
    features.create_feature_group(replace(SPEC, name="online-only", offline=False))
    features.create_feature_group(replace(SPEC, name="offline-only", online=False, ttl_seconds=None))
    assert "OfflineStoreConfig" not in features.describe_feature_group("online-only").as_api()
    assert "OnlineStoreConfig" not in features.describe_feature_group("offline-only").as_api()
    features.put_record("online-only", {"review_id": 1, "event_time": "2024-01-01T00:00:00Z"})
    features.put_record("offline-only", {"review_id": 1, "event_time": "2024-01-01T00:00:00Z"})
    assert features.get_record("online-only", "1") == {"review_id": 1, "event_time": "2024-01-01T00:00:00Z"}
    with pytest.raises(InvalidInput, match="has no online store"):
        features.get_record("offline-only", "1")
    with pytest.raises(InvalidInput, match="no offline store"):
        features.feature_statistics("online-only")
    assert features.feature_statistics("offline-only")[0]["non_null"] == 1


def test_statistics_per_feature_and_freshness(features: LocalFeatures) -> None:
    features.create_feature_group(SPEC)
    for review_id, rating in ((1, 2), (2, 4), (3, 4)):
        features.put_record(SPEC.name, {"review_id": review_id, "event_time": "2024-01-01T00:00:00Z", "rating": rating})
    features.delete_record(SPEC.name, "3", "2024-01-02T00:00:00Z")
    rating = next(s for s in features.feature_statistics(SPEC.name) if s["feature"] == "rating")
    assert {k: rating[k] for k in ("type", "rows", "non_null", "distinct", "min", "max", "mean")} == {
        "type": "Integral", "rows": 3, "non_null": 3, "distinct": 2, "min": 2.0, "max": 4.0, "mean": pytest.approx(10 / 3)}
    assert rating["last_written_at"] == "2024-01-01T00:01:00.000+00:00"


def test_ingestion_runs_as_a_job_in_another_process(services: Services, tmp_path: Path) -> None:
    features = services.features
    features.create_feature_group(replace(SPEC, ttl_seconds=None))
    name = features.start_ingestion(SPEC.name, IngestSource(path=str(reviews_csv(tmp_path))))
    job = services.jobs.wait_for_job(name, 60)
    assert (job.kind, job.status) == ("ingestion", "Completed"), services.jobs.job_logs(name)
    assert {k: job.result[k] for k in ("Ingested", "Failed", "progress", "progress_message")} == {
        "Ingested": 4, "Failed": 2, "progress": 1.0, "progress_message": "6 of 6 rows ingested"}
    assert "Skipped 1 row: rating is not a whole number" in services.jobs.job_logs(name)
    record = features.get_record(SPEC.name, "5")  # written by the worker process, read here
    assert record == {"review_id": 5, "event_time": "2024-01-01T00:04:00Z", "rating": 5, "tags": ["soft"]}
    assert json.loads(json.dumps(job.result))["Errors"] == list(features.ingest(SPEC.name, IngestSource(
        path=str(tmp_path / "reviews.csv"))).errors)


def test_arns_name_groups_and_deletes_are_idempotent(features: LocalFeatures) -> None:
    group = features.create_feature_group(SPEC)
    assert group.arn == "arn:aws:sagemaker:us-east-1:000000000000:feature-group/review-features"
    assert features.describe_feature_group(group.arn) == features.describe_feature_group("REVIEW-FEATURES") == group
    features.put_record(SPEC.name, {"review_id": 1, "event_time": "2024-01-01T00:00:00Z", "rating": 2})
    for _ in range(2):
        features.delete_record(SPEC.name, "1", "2024-01-01T00:05:00Z", "SoftDelete")
        assert features.get_record(SPEC.name, "1") is None
    features.put_record(SPEC.name, {"review_id": 1, "event_time": "2024-01-01T00:06:00Z", "rating": 3})
    assert features.get_record(SPEC.name, "1", ("rating",)) == {"rating": 3}  # newer than the delete
    for _ in range(2):
        features.delete_record(SPEC.name, "1", "2024-01-01T00:07:00Z", "HardDelete")
    assert features.get_record(SPEC.name, "1") is None
    assert features.describe_feature_group(SPEC.name).record_count == 0
    with pytest.raises(InvalidInput, match="not an ISO-8601 time"):
        features.delete_record(SPEC.name, "1", "tomorrow")


def test_a_write_waiting_too_long_for_another_process_says_the_store_is_busy(features: LocalFeatures) -> None:
    import sqlite3

    features.create_feature_group(SPEC)
    holder = sqlite3.connect(features.online.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # as an ingestion in another process does while it writes a chunk
    features.online = OnlineStore(features.online.path, lock_timeout_seconds=0.05)
    try:
        with pytest.raises(BackendUnavailable, match="online store is busy"):
            features.put_record(SPEC.name, {"review_id": 1, "event_time": "2024-01-01T00:00:00Z"})
    finally:
        holder.execute("ROLLBACK")
    assert list(Path(features.groups.get(SPEC.name)[1]).rglob("_*")) == []  # its staged file was removed
    features.put_record(SPEC.name, {"review_id": 1, "event_time": "2024-01-01T00:00:00Z"})
    assert features.get_record(SPEC.name, "1") is not None
