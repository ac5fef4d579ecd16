"""The aws query adapter: Athena request shapes and result conversion on moto, failures via Stubber."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pyarrow.parquet as pq
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from moto.athena.models import QueryResults, athena_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_api import state_manager

from services.aws.session import make_session
from services.catalog.aws import AwsCatalog
from services.config import Settings
from services.embedded.metadata import MetadataStore
from services.errors import AlreadyExists, BackendUnavailable, QueryFailed, QueryRefused, QueryTimeout
from services.models import SavedQuery
from services.query.aws import AwsQuery
from services.query.history import QueryHistory
from tests.helpers.aws import fake_aws_credentials

REGION = "us-east-1"
BUCKET = "workbench-lake"
OUTPUT = f"s3://{BUCKET}/athena/"
COLUMNS = [("review_text", "varchar"), ("rating", "integer"), ("score", "double"), ("recommended", "boolean")]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(backend="aws", home=tmp_path / "workspace", aws_region=REGION, s3_bucket=BUCKET,
                    athena_output=OUTPUT, query_timeout_seconds=30)


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, settings: Settings) -> Iterator[boto3.Session]:
    fake_aws_credentials(monkeypatch, tmp_path)
    with mock_aws():
        made = make_session(settings)
        made.client("s3").create_bucket(Bucket=BUCKET)
        yield made


def make_query(session: boto3.Session, settings: Settings, **options: Any) -> AwsQuery:
    history = QueryHistory(MetadataStore(settings.home / "metadata.sqlite"))
    return AwsQuery(session, settings, history, AwsCatalog(session, settings), poll_seconds=0, **options)


@pytest.fixture
def query(session: boto3.Session, settings: Settings) -> AwsQuery:
    return make_query(session, settings, sleep=lambda seconds: None)


def athena() -> Any:
    return athena_backends[DEFAULT_ACCOUNT_ID][REGION]


def queue_result(rows: list[list[str | None]], columns: list[tuple[str, str]] = COLUMNS) -> None:
    """What Athena returns for a SELECT: a header row of labels, then the data as text."""
    header = [{"VarCharValue": name} for name, _ in columns]
    data = [[{} if v is None else {"VarCharValue": v} for v in row] for row in rows]
    info = [{"Name": n, "Label": n, "Type": t} for n, t in columns]
    athena().query_results_queue.append(QueryResults([{"Data": header}] + [{"Data": d} for d in data], info))


@pytest.fixture
def slow_athena() -> Iterator[None]:
    """Each GetQueryExecution moves an execution one state on (QUEUED -> RUNNING -> SUCCEEDED)."""
    state_manager.set_transition(model_name="athena::execution", transition={"progression": "manual", "times": 1})
    yield
    state_manager.unset_transition("athena::execution")


REVIEWS = [["Great, fits", "5", "0.9", "true"], ["Poor", "1", None, "false"]]


def test_run_converts_columns_types_and_rows(query: AwsQuery) -> None:
    queue_result(REVIEWS)
    result = query.run("SELECT * FROM reviews", "demo")
    assert [(c.name, c.type) for c in result.columns] == COLUMNS
    assert result.frame["review_text"].tolist() == ["Great, fits", "Poor"]
    assert result.frame["rating"].tolist() == [5, 1] and str(result.frame["rating"].dtype) == "Int64"
    assert result.frame["score"].iloc[0] == pytest.approx(0.9) and result.frame["score"].isna().iloc[1]
    assert result.frame["recommended"].tolist() == [True, False]
    assert result.statistics.rows == 2 and not result.truncated


def test_start_sends_workgroup_output_and_database(query: AwsQuery) -> None:
    query_id = query.start_query("SELECT 1", "demo")
    execution = athena().executions[query_id]
    assert execution.context == {"Database": "demo"}
    assert execution.workgroup.name == "primary"
    assert execution.config["OutputLocation"].startswith(OUTPUT)


def test_display_cap_sets_truncated(query: AwsQuery) -> None:
    queue_result([[f"r{i}", str(i), "1.0", "true"] for i in range(5)])
    result = query.run("SELECT * FROM reviews", "demo", max_rows=2)
    assert result.frame["review_text"].tolist() == ["r0", "r1"]
    assert result.truncated and result.notices


def test_status_then_result_and_history(query: AwsQuery, slow_athena: None) -> None:
    queue_result(REVIEWS)
    query_id = query.start_query("SELECT * FROM reviews", "demo")
    assert query.query_status(query_id).status == "RUNNING"
    assert query.history()[0].status == "QUEUED"
    result = query.get_result(query_id)
    assert result.query_id == query_id and len(result.frame) == 2
    entry = query.history()[0]
    assert (entry.query_id, entry.status, entry.rows, entry.database) == (query_id, "SUCCEEDED", 2, "demo")
    assert query.query_status(query_id).rows == 2


def test_get_result_waits_with_the_injected_sleep(session: boto3.Session, settings: Settings,
                                                  slow_athena: None) -> None:
    naps: list[float] = []
    query = make_query(session, settings, sleep=naps.append)
    query.poll_seconds = 0.25
    queue_result(REVIEWS)
    query.run("SELECT * FROM reviews", "demo")
    assert naps == [0.25]


def stub_failed_query(session: boto3.Session, monkeypatch: pytest.MonkeyPatch, reason: str) -> Stubber:
    client = session.client("athena")
    stubber = Stubber(client)
    stubber.add_response("get_work_group", {"WorkGroup": {"Name": "primary", "Configuration": {
        "EnforceWorkGroupConfiguration": False}}})
    stubber.add_response("start_query_execution", {"QueryExecutionId": "q-failed"},
                         {"QueryString": "SELECT nope FROM reviews", "QueryExecutionContext": {"Database": "demo"},
                          "ResultConfiguration": {"OutputLocation": OUTPUT}, "WorkGroup": "primary"})
    stubber.add_response("get_query_execution", {"QueryExecution": {
        "QueryExecutionId": "q-failed", "Query": "SELECT nope FROM reviews",
        "QueryExecutionContext": {"Database": "demo"},
        "Status": {"State": "FAILED", "StateChangeReason": reason,
                   "SubmissionDateTime": datetime(2025, 1, 1, tzinfo=UTC)},
        "Statistics": {"EngineExecutionTimeInMillis": 12, "DataScannedInBytes": 0}}})
    stubber.activate()
    real_client = session.client
    monkeypatch.setattr(session, "client", lambda service_name, *a, **k: client
                        if service_name == "athena" else real_client(service_name, *a, **k))
    return stubber


def test_failed_query_raises_athena_reason_and_is_recorded(session: boto3.Session, settings: Settings,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    reason = "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved"
    stubber = stub_failed_query(session, monkeypatch, reason)
    query = make_query(session, settings, sleep=lambda s: None)
    with pytest.raises(QueryFailed) as raised:
        query.run("SELECT nope FROM reviews", "demo")
    assert raised.value.message == reason and raised.value.hint
    entry = query.history()[0]
    assert (entry.query_id, entry.status, entry.error, entry.elapsed_ms) == ("q-failed", "FAILED", reason, 12)
    stubber.assert_no_pending_responses()


def test_cancel_stops_a_running_query(query: AwsQuery, slow_athena: None) -> None:
    state_manager.set_transition(model_name="athena::execution", transition={"progression": "manual", "times": 100})
    query_id = query.start_query("SELECT * FROM reviews", "demo")
    query.cancel(query_id)
    assert athena().executions[query_id].status == "CANCELLED"
    assert query.history()[0].status == "CANCELLED"


def test_cancel_of_a_finished_query_does_nothing(query: AwsQuery) -> None:
    queue_result(REVIEWS)
    query_id = query.start_query("SELECT * FROM reviews", "demo")
    query.get_result(query_id)
    query.cancel(query_id)
    assert athena().executions[query_id].status == "SUCCEEDED"


def test_timeout_stops_the_query(session: boto3.Session, settings: Settings, slow_athena: None) -> None:
    state_manager.set_transition(model_name="athena::execution", transition={"progression": "manual", "times": 100})
    query = make_query(session, Settings(**{**settings.__dict__, "query_timeout_seconds": 0.000001}),
                       sleep=lambda s: None)
    with pytest.raises(QueryTimeout) as raised:
        query.run("SELECT * FROM reviews", "demo")
    assert "WORKBENCH_QUERY_TIMEOUT_SECONDS" in raised.value.hint
    entry = query.history()[0]
    assert entry.status == "FAILED" and "timeout" in entry.error
    assert athena().executions[entry.query_id].status == "CANCELLED"


def test_refused_sql_starts_nothing_and_is_in_the_history_as_failed(query: AwsQuery) -> None:
    with pytest.raises(QueryRefused):
        query.start_query("DROP TABLE demo.reviews", "demo")
    assert athena().executions == {}
    assert [(e.sql, e.status) for e in query.history()] == [("DROP TABLE demo.reviews", "FAILED")]


def test_missing_output_location_names_the_setting(session: boto3.Session, settings: Settings) -> None:
    query = make_query(session, Settings(**{**settings.__dict__, "athena_output": None}))
    with pytest.raises(BackendUnavailable) as raised:
        query.start_query("SELECT 1")
    assert "WORKBENCH_ATHENA_OUTPUT" in raised.value.hint


def test_workgroup_output_location_is_used_when_the_setting_is_unset(session: boto3.Session,
                                                                      settings: Settings) -> None:
    session.client("athena").create_work_group(
        Name="analysts", Configuration={"ResultConfiguration": {"OutputLocation": f"s3://{BUCKET}/wg/"}})
    query = make_query(session, Settings(**{**settings.__dict__, "athena_output": None,
                                            "athena_workgroup": "analysts"}))
    query_id = query.start_query("SELECT 1")
    assert athena().executions[query_id].config["OutputLocation"].startswith(f"s3://{BUCKET}/wg/")


# -- tables: sample, estimate, save ---------------------------------------------------------------


def create_table(session: boto3.Session, name: str, location: str, partition_keys: tuple[str, ...] = ()) -> None:
    glue = session.client("glue")
    with contextlib.suppress(glue.exceptions.AlreadyExistsException):
        glue.create_database(DatabaseInput={"Name": "demo"})
    glue.create_table(DatabaseName="demo", TableInput={
        "Name": name, "Parameters": {"classification": "parquet"},
        "PartitionKeys": [{"Name": k, "Type": "string"} for k in partition_keys],
        "StorageDescriptor": {"Location": location, "Columns": [{"Name": "amount", "Type": "bigint"}]}})


def put_objects(session: boto3.Session, sizes: dict[str, int]) -> None:
    for key, size in sizes.items():
        session.client("s3").put_object(Bucket=BUCKET, Key=key, Body=b"x" * size)


def test_sample_rows_is_not_recorded(query: AwsQuery, session: boto3.Session) -> None:
    create_table(session, "reviews", f"s3://{BUCKET}/demo/reviews/")
    queue_result(REVIEWS)
    result = query.sample_rows("demo", "reviews", limit=5)
    assert len(result.frame) == 2
    (execution,) = athena().executions.values()
    assert execution.query == 'SELECT * FROM "demo"."reviews" LIMIT 5'
    assert query.history() == []


def test_estimate_sums_sizes_and_flags_unfiltered_partitions(query: AwsQuery, session: boto3.Session) -> None:
    create_table(session, "items", f"s3://{BUCKET}/demo/items/")
    create_table(session, "sales", f"s3://{BUCKET}/demo/sales/", ("year",))
    put_objects(session, {"demo/items/a.parquet": 100, "demo/items/b.parquet": 50, "demo/items/_SUCCESS": 9,
                          "demo/sales/year=2024/a.parquet": 1000, "demo/sales/year=2025/a.parquet": 300})
    glue = session.client("glue")
    for year in ("2024", "2025"):
        glue.create_partition(DatabaseName="demo", TableName="sales", PartitionInput={
            "Values": [year], "StorageDescriptor": {"Location": f"s3://{BUCKET}/demo/sales/year={year}/"}})
    sql = "WITH s AS (SELECT * FROM sales) SELECT * FROM s JOIN demo.items i ON s.amount = i.amount"
    estimate = query.estimate(sql, "demo")
    assert estimate.bytes_to_scan == 1450
    assert set(estimate.tables) == {"demo.sales", "demo.items"}
    assert estimate.unfiltered_partitioned_tables == ("demo.sales",)
    filtered = query.estimate("SELECT * FROM sales WHERE year = '2025'", "demo")
    assert (filtered.bytes_to_scan, filtered.unfiltered_partitioned_tables) == (300, ())


def test_export_reads_athena_output(query: AwsQuery) -> None:
    queue_result(REVIEWS)
    query_id = query.run("SELECT * FROM reviews", "demo").query_id
    csv = query.export_result(query_id, "csv").decode()
    assert csv.splitlines()[0] == '"review_text","rating","score","recommended"'
    assert '"Great, fits"' in csv
    assert b"".join(query.export_chunks(query_id, "csv")) == csv.encode()  # streamed from S3 for downloads
    table = pq.read_table(io.BytesIO(query.export_result(query_id, "parquet")))
    assert table.column("rating").to_pylist() == [5, 1]
    assert table.column("review_text").to_pylist() == ["Great, fits", "Poor"]


def test_save_result_as_table_runs_ctas(session: boto3.Session, settings: Settings) -> None:
    def athena_writes_table(seconds: float) -> None:
        create_table(session, "top_reviews", f"s3://{BUCKET}/demo/top_reviews/")

    query = make_query(session, settings, sleep=athena_writes_table)
    queue_result(REVIEWS)
    query_id = query.run("SELECT * FROM reviews WHERE rating > 4;", "demo").query_id
    state_manager.set_transition(model_name="athena::execution", transition={"progression": "manual", "times": 1})
    try:
        table = query.save_result_as_table(query_id, "demo", "top_reviews")
    finally:
        state_manager.unset_transition("athena::execution")
    assert table.qualified_name == "demo.top_reviews"
    ctas = [e for e in athena().executions.values() if e.query.startswith("CREATE TABLE")]
    assert len(ctas) == 1 and ctas[0].context == {"Database": "demo"}
    assert ctas[0].query == ('CREATE TABLE "demo"."top_reviews" WITH (format = \'PARQUET\', external_location = '
                             f"'s3://{BUCKET}/demo/top_reviews/') AS\nSELECT * FROM reviews WHERE rating > 4")
    assert all(e.query_id != ctas[0].id for e in query.history())


def test_save_result_over_an_existing_table_is_refused(query: AwsQuery, session: boto3.Session) -> None:
    create_table(session, "reviews", f"s3://{BUCKET}/demo/reviews/")
    queue_result(REVIEWS)
    query_id = query.run("SELECT * FROM reviews", "demo").query_id
    with pytest.raises(AlreadyExists):
        query.save_result_as_table(query_id, "demo", "reviews")
    put_objects(session, {"demo/fresh/leftover.parquet": 3})
    with pytest.raises(AlreadyExists):
        query.save_result_as_table(query_id, "demo", "fresh")


def test_save_result_without_bucket_names_the_setting(session: boto3.Session, settings: Settings) -> None:
    query = make_query(session, Settings(**{**settings.__dict__, "s3_bucket": None}))
    with pytest.raises(BackendUnavailable) as raised:
        query.save_result_as_table("any", "demo", "t")
    assert "WORKBENCH_S3_BUCKET" in raised.value.hint


def test_history_search_and_saved_queries(query: AwsQuery) -> None:
    query.run("SELECT 1 AS one", "demo")
    query.run("SELECT 2 AS two", "demo")
    assert [e.sql for e in query.history(search="two")] == ["SELECT 2 AS two"]
    query.save_query(SavedQuery("b", "SELECT 2"))
    query.save_query(SavedQuery("a", "SELECT 1", "demo"))
    assert [q.name for q in query.saved_queries()] == ["a", "b"]
    query.delete_saved_query("a")
    assert [q.name for q in query.saved_queries()] == ["b"]
