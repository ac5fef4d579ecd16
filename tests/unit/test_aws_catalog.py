"""The aws catalog adapter against moto's Glue and S3 (request shapes, paging, error translation)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError, NoRegionError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.glue.models import glue_backends
from moto.moto_api import state_manager

from services.aws.errors import translate
from services.aws.session import build_aws, make_session
from services.catalog.aws import AwsCatalog, crawler_name
from services.config import Settings
from services.errors import AlreadyExists, BackendUnavailable, InternalError, InvalidInput, NotFound, QueryFailed
from tests.helpers.aws import fake_aws_credentials
from tests.helpers.workspace import settings_for_tests

REGION = "us-east-1"
BUCKET = "workbench-lake"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_aws_credentials(monkeypatch, tmp_path)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_for_tests(
        backend="aws",
        home=tmp_path / "workspace",
        aws_region=REGION,
        s3_bucket=BUCKET,
        glue_crawler_role="arn:aws:iam::123456789012:role/workbench-glue",
        athena_output=f"s3://{BUCKET}/athena/",
    )


@pytest.fixture
def session(aws_env: None, settings: Settings) -> Iterator[boto3.Session]:
    with mock_aws():
        made = make_session(settings)
        made.client("s3").create_bucket(Bucket=BUCKET)
        yield made


@pytest.fixture
def catalog(session: boto3.Session, settings: Settings) -> AwsCatalog:
    return AwsCatalog(session, settings, poll_seconds=0)


def glue_table(name: str, location: str, **extra: Any) -> dict[str, Any]:
    return {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "parquet", "recordCount": "3"},
        "StorageDescriptor": {
            "Location": location,
            "Columns": [{"Name": "review_text", "Type": "string", "Comment": "Review Text"},
                        {"Name": "rating", "Type": "int"}],
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        },
        **extra,
    }


def write_csv(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def object_keys(session: boto3.Session, prefix: str) -> set[str]:
    listing = session.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return {item["Key"] for item in listing.get("Contents", [])}


# -- sessions and settings ------------------------------------------------------------------------


def test_make_session_without_credentials_is_backend_unavailable(aws_env: None, settings: Settings,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(BackendUnavailable) as raised:
        make_session(settings)
    assert "credentials" in raised.value.message.lower()
    assert "aws configure" in raised.value.hint


def test_make_session_without_region_names_the_setting(aws_env: None, settings: Settings,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(BackendUnavailable) as raised:
        make_session(Settings(backend="aws", home=settings.home))
    assert "WORKBENCH_AWS_REGION" in raised.value.hint


def test_make_session_uses_the_configured_region(aws_env: None, settings: Settings) -> None:
    session = make_session(Settings(backend="aws", aws_region="eu-west-1"))
    assert session.region_name == "eu-west-1"


def test_sessions_share_one_reader_of_the_service_models(aws_env: None, settings: Settings) -> None:
    """Each new session used to read SageMaker's service model again (~1 s) when the services were rebuilt."""
    first = make_session(Settings(backend="aws", aws_region="eu-west-1"))
    second = make_session(Settings(backend="aws", aws_region="us-east-1"))
    assert first._session.get_component("data_loader") is second._session.get_component("data_loader")
    assert first._session is not second._session  # the loader is shared, never the credentials or the region
    assert second.client("sagemaker").meta.region_name == "us-east-1"


def test_build_aws_creates_the_workspace_for_history(session: boto3.Session, settings: Settings) -> None:
    core = build_aws(settings)
    catalog, query = core.catalog, core.query
    assert isinstance(catalog, AwsCatalog)
    assert (settings.home / "metadata.sqlite").exists()
    assert query.history() == []


def test_importing_registry_and_config_does_not_import_boto3() -> None:
    code = ("import sys, services.registry, services.config; "
            "assert 'boto3' not in sys.modules and 'awswrangler' not in sys.modules, 'boto3 imported'")
    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr


# -- error translation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("EntityNotFoundException", NotFound),
        ("AlreadyExistsException", AlreadyExists),
        ("InvalidInputException", InvalidInput),
        ("AccessDeniedException", BackendUnavailable),
        ("ThrottlingException", BackendUnavailable),
        ("InvalidRequestException", QueryFailed),
        ("NoSuchBucket", BackendUnavailable),
        ("SomethingNewException", InternalError),
    ],
)
def test_translate_maps_error_codes(code: str, expected: type) -> None:
    error = ClientError({"Error": {"Code": code, "Message": "details from AWS"}}, "GetTable")
    translated = translate(error)
    assert type(translated) is expected
    assert "details from AWS" in translated.message and "GetTable" in translated.message
    assert translated.hint


def test_translate_missing_region() -> None:
    translated = translate(NoRegionError())
    assert isinstance(translated, BackendUnavailable) and "WORKBENCH_AWS_REGION" in translated.hint


# -- databases and tables -------------------------------------------------------------------------


def test_databases_are_sorted_and_create_is_idempotent(catalog: AwsCatalog) -> None:
    catalog.create_database("sales", "Sales data")
    catalog.create_database("demo")
    again = catalog.create_database("sales", "ignored")
    assert [d.name for d in catalog.list_databases()] == ["demo", "sales"]
    assert again.description == "Sales data"


def test_get_table_converts_glue_shape(catalog: AwsCatalog, session: boto3.Session) -> None:
    catalog.create_database("demo")
    session.client("glue").create_table(
        DatabaseName="demo",
        TableInput=glue_table("reviews", f"s3://{BUCKET}/demo/reviews/",
                              PartitionKeys=[{"Name": "division", "Type": "string"}]),
    )
    table = catalog.get_table("demo", "reviews")
    assert table.qualified_name == "demo.reviews"
    assert table.location == f"s3://{BUCKET}/demo/reviews/"
    assert table.format == "parquet"
    assert table.columns[0].name == "review_text" and table.columns[0].comment == "Review Text"
    assert table.columns[1].type == "int"
    assert [k.name for k in table.partition_keys] == ["division"]
    assert table.parameters["recordCount"] == "3"
    assert table.version_id and table.created_at.endswith("+00:00")


def test_tab_separated_csv_reads_as_tsv_and_tables_are_sorted(catalog: AwsCatalog, session: boto3.Session) -> None:
    catalog.create_database("demo")
    tsv = glue_table("zeta", f"s3://{BUCKET}/demo/zeta/")
    tsv["Parameters"] = {"classification": "csv", "delimiter": "\t"}
    glue = session.client("glue")
    glue.create_table(DatabaseName="demo", TableInput=tsv)
    glue.create_table(DatabaseName="demo", TableInput=glue_table("alpha", f"s3://{BUCKET}/demo/alpha/"))
    tables = catalog.list_tables("demo")
    assert [t.name for t in tables] == ["alpha", "zeta"]
    assert tables[1].format == "tsv"


def test_table_versions_newest_first_after_update(catalog: AwsCatalog, session: boto3.Session) -> None:
    catalog.create_database("demo")
    glue = session.client("glue")
    glue.create_table(DatabaseName="demo", TableInput=glue_table("reviews", f"s3://{BUCKET}/demo/reviews/"))
    changed = glue_table("reviews", f"s3://{BUCKET}/demo/reviews/")
    changed["StorageDescriptor"]["Columns"].append({"Name": "age", "Type": "bigint"})
    glue.update_table(DatabaseName="demo", TableInput=changed)
    versions = catalog.table_versions("demo", "reviews")
    assert [int(v.version_id) for v in versions] == sorted((int(v.version_id) for v in versions), reverse=True)
    assert len(versions) == 2
    assert [c.name for c in versions[0].columns] == ["review_text", "rating", "age"]
    assert [c.name for c in versions[1].columns] == ["review_text", "rating"]
    assert catalog.get_table("demo", "reviews").version_id == versions[0].version_id


def test_partitions_have_file_counts_and_sizes(catalog: AwsCatalog, session: boto3.Session) -> None:
    catalog.create_database("demo")
    glue, s3 = session.client("glue"), session.client("s3")
    location = f"s3://{BUCKET}/demo/reviews/"
    glue.create_table(DatabaseName="demo", TableInput=glue_table(
        "reviews", location, PartitionKeys=[{"Name": "year", "Type": "string"}]))
    for key, size in [("year=2024/a.parquet", 10), ("year=2024/b.parquet", 5), ("year=2024/_SUCCESS", 0),
                      ("year=2025/a.parquet", 7), ("year=20250/x.parquet", 100)]:
        s3.put_object(Bucket=BUCKET, Key=f"demo/reviews/{key}", Body=b"x" * size)
    for year in ("2025", "2024"):
        glue.create_partition(DatabaseName="demo", TableName="reviews", PartitionInput={
            "Values": [year], "StorageDescriptor": {"Location": f"{location}year={year}/"}})
    partitions = catalog.list_partitions("demo", "reviews")
    assert [(p.values, p.file_count, p.size_bytes) for p in partitions] == [(("2024",), 2, 15), (("2025",), 1, 7)]
    assert partitions[0].location == f"{location}year=2024/"


def test_unpartitioned_table_has_no_partitions(catalog: AwsCatalog, session: boto3.Session) -> None:
    catalog.create_database("demo")
    session.client("glue").create_table(DatabaseName="demo", TableInput=glue_table("t", f"s3://{BUCKET}/demo/t/"))
    assert catalog.list_partitions("demo", "t") == []


def test_missing_table_and_database_are_not_found(catalog: AwsCatalog) -> None:
    catalog.create_database("demo")
    with pytest.raises(NotFound) as raised:
        catalog.get_table("demo", "nope")
    assert "demo.nope" in raised.value.message and raised.value.hint
    with pytest.raises(NotFound):
        catalog.list_tables("no_such_database")
    with pytest.raises(NotFound):
        catalog.table_versions("demo", "nope")
    with pytest.raises(NotFound):
        catalog.delete_table("demo", "nope")


def test_delete_table_keeps_the_files(catalog: AwsCatalog, session: boto3.Session, tmp_path: Path) -> None:
    catalog.import_path(write_csv(tmp_path / "t.csv", "a,b\n1,x\n"), "demo", "t")
    catalog.delete_table("demo", "t")
    assert catalog.list_tables("demo") == []
    assert object_keys(session, "demo/t/") == {"demo/t/t.csv"}


# -- import ---------------------------------------------------------------------------------------


def test_import_csv_uploads_and_catalogs(catalog: AwsCatalog, session: boto3.Session, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "reviews.csv", 'Review Text,Rating\n"Great, fits well",5\nPoor,1\n')
    table = catalog.import_path(source, "Demo", "Reviews")
    assert table.qualified_name == "demo.reviews"
    assert table.location == f"s3://{BUCKET}/demo/reviews/"
    assert table.format == "csv"
    assert [(c.name, c.type, c.comment) for c in table.columns] == [
        ("review_text", "string", "Review Text"), ("rating", "bigint", "Rating")]
    assert table.parameters["classification"] == "csv"
    assert table.parameters["recordCount"] == "2"
    assert table.parameters["skip.header.line.count"] == "1"
    assert object_keys(session, "demo/reviews/") == {"demo/reviews/reviews.csv"}
    raw = session.client("glue").get_table(DatabaseName="demo", Name="reviews")["Table"]
    assert raw["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("OpenCSVSerde")


def test_reimport_makes_a_new_version_and_drops_stale_files(catalog: AwsCatalog, session: boto3.Session,
                                                             tmp_path: Path) -> None:
    first = tmp_path / "one"
    write_csv(first / "a.csv", "a,b\n1,x\n")
    write_csv(first / "old.csv", "a,b\n2,y\n")
    catalog.import_path(first, "demo", "t")
    second = tmp_path / "two"
    write_csv(second / "a.csv", "a,b,c\n1,x,1.5\n")
    table = catalog.import_path(second, "demo", "t")
    assert [c.name for c in table.columns] == ["a", "b", "c"]
    assert len(catalog.table_versions("demo", "t")) == 2
    assert object_keys(session, "demo/t/") == {"demo/t/a.csv"}


def test_import_hive_partitioned_parquet(catalog: AwsCatalog, session: boto3.Session, tmp_path: Path) -> None:
    folder = tmp_path / "sales"
    for year, rows in (("2024", 3), ("2025", 2)):
        (folder / f"year={year}").mkdir(parents=True)
        pq.write_table(pa.table({"amount": list(range(rows)), "item": ["x"] * rows}),
                       folder / f"year={year}" / "part-0.parquet")
    table = catalog.import_path(folder, "demo", "sales")
    assert table.format == "parquet"
    assert [c.name for c in table.columns] == ["amount", "item"]
    assert [(k.name, k.type) for k in table.partition_keys] == [("year", "string")]
    assert object_keys(session, "demo/sales/") == {
        "demo/sales/year=2024/part-0.parquet", "demo/sales/year=2025/part-0.parquet"}
    partitions = catalog.list_partitions("demo", "sales")
    assert [(p.values, p.file_count) for p in partitions] == [(("2024",), 1), (("2025",), 1)]
    assert all(p.size_bytes > 0 for p in partitions)
    assert partitions[1].location == f"s3://{BUCKET}/demo/sales/year=2025/"


def serde_parameters(session: boto3.Session, table: str) -> dict[str, str]:
    raw = session.client("glue").get_table(DatabaseName="demo", Name=table)["Table"]
    return raw["StorageDescriptor"]["SerdeInfo"].get("Parameters", {})


def test_json_keys_unlike_their_column_names_are_mapped(catalog: AwsCatalog, session: boto3.Session,
                                                         tmp_path: Path) -> None:
    """Athena's OpenX JSON SerDe finds a column by its (lower-cased) key; a renamed key needs a mapping."""
    source = tmp_path / "rows.jsonl"
    source.write_text('{"Unnamed: 0": 0, "Clothing ID": 7, "rating": 5}\n')
    table = catalog.import_path(source, "demo", "rows")
    assert [c.name for c in table.columns] == ["col0", "clothing_id", "rating"]
    assert serde_parameters(session, "rows") == {"mapping.col0": "unnamed: 0", "mapping.clothing_id": "clothing id"}


def test_parquet_with_renamed_columns_is_read_by_position(catalog: AwsCatalog, session: boto3.Session,
                                                          tmp_path: Path) -> None:
    """Athena reads Parquet by name unless told to read by index; col0 is not a name in the file."""
    pq.write_table(pa.table({"Unnamed: 0": [0, 1], "rating": [5, 4]}), tmp_path / "indexed.parquet")
    pq.write_table(pa.table({"id": [0, 1], "rating": [5, 4]}), tmp_path / "plain.parquet")
    indexed = catalog.import_path(tmp_path / "indexed.parquet", "demo", "indexed")
    catalog.import_path(tmp_path / "plain.parquet", "demo", "plain")
    assert [c.name for c in indexed.columns] == ["col0", "rating"]
    assert serde_parameters(session, "indexed")["parquet.column.index.access"] == "true"
    assert "parquet.column.index.access" not in serde_parameters(session, "plain")


def test_import_bad_file_is_invalid_input(catalog: AwsCatalog, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a,b\n\x00\x01\x02")
    with pytest.raises(InvalidInput):
        catalog.import_path(bad, "demo", "bad")


def test_import_without_bucket_names_the_setting(session: boto3.Session, settings: Settings, tmp_path: Path) -> None:
    catalog = AwsCatalog(session, Settings(backend="aws", aws_region=REGION))
    with pytest.raises(BackendUnavailable) as raised:
        catalog.import_path(write_csv(tmp_path / "t.csv", "a\n1\n"), "demo", "t")
    assert "WORKBENCH_S3_BUCKET" in raised.value.hint


# -- crawl ----------------------------------------------------------------------------------------


def test_crawl_without_role_names_the_setting(session: boto3.Session) -> None:
    catalog = AwsCatalog(session, Settings(backend="aws", aws_region=REGION, s3_bucket=BUCKET))
    with pytest.raises(BackendUnavailable) as raised:
        catalog.crawl(f"s3://{BUCKET}/raw/", "demo")
    assert "WORKBENCH_GLUE_CRAWLER_ROLE" in raised.value.hint


@pytest.fixture
def slow_crawls() -> Iterator[None]:
    state_manager.set_transition(model_name="glue::crawl", transition={"progression": "manual", "times": 1000})
    yield
    state_manager.unset_transition("glue::crawl")


def test_crawl_waits_and_diffs_tables(session: boto3.Session, settings: Settings, slow_crawls: None) -> None:
    glue = session.client("glue")
    glue.create_database(DatabaseInput={"Name": "demo"})
    glue.create_table(DatabaseName="demo", TableInput=glue_table("raw_orders", f"s3://{BUCKET}/raw/orders/"))
    glue.create_table(DatabaseName="demo", TableInput=glue_table("raw_items", f"s3://{BUCKET}/raw/items/"))
    glue.create_table(DatabaseName="demo", TableInput=glue_table("elsewhere", f"s3://{BUCKET}/other/x/"))
    polls: list[float] = []

    def crawler_runs(seconds: float) -> None:
        # What Glue's crawler would do meanwhile: a new table, a changed schema, then finish.
        polls.append(seconds)
        glue.create_table(DatabaseName="demo", TableInput=glue_table("raw_users", f"s3://{BUCKET}/raw/users/"))
        changed = glue_table("raw_orders", f"s3://{BUCKET}/raw/orders/")
        changed["StorageDescriptor"]["Columns"].append({"Name": "total", "Type": "double"})
        glue.update_table(DatabaseName="demo", TableInput=changed)
        glue_backends[DEFAULT_ACCOUNT_ID][REGION].crawlers[name].crawls[-1].status = "COMPLETED"

    name = crawler_name("demo", f"s3://{BUCKET}/raw/", "raw_")
    catalog = AwsCatalog(session, settings, poll_seconds=0.5, crawl_timeout_seconds=5, sleep=crawler_runs)
    result = catalog.crawl(f"s3://{BUCKET}/raw", "demo", table_prefix="raw_")
    assert polls == [0.5]
    assert result.created == ("demo.raw_users",)
    assert result.updated == ("demo.raw_orders",)
    assert result.unchanged == ("demo.raw_items",)
    crawler = glue.get_crawler(Name=name)["Crawler"]
    assert name.startswith("workbench-demo-")
    assert crawler["Targets"]["S3Targets"] == [{"Path": f"s3://{BUCKET}/raw/"}]
    assert crawler["Role"] == settings.glue_crawler_role and crawler["TablePrefix"] == "raw_"


def test_crawl_that_never_finishes_times_out(session: boto3.Session, settings: Settings, slow_crawls: None) -> None:
    catalog = AwsCatalog(session, settings, poll_seconds=0, crawl_timeout_seconds=0.0, sleep=lambda s: None)
    with pytest.raises(BackendUnavailable) as raised:
        catalog.crawl("raw/", "demo")
    assert "did not finish" in raised.value.message
