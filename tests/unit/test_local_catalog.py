"""The local Glue-shaped catalog: import, versions, partitions, crawl, and bad input losing nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from services.config import Settings
from services.errors import InvalidInput, NotFound, ServiceError
from services.registry import Services, build_services


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def partitioned_parquet(root: Path, divisions: dict[str, int]) -> Path:
    for division, rows in divisions.items():
        folder = root / f"division={division}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table({"id": list(range(rows)), "rating": [5] * rows}), folder / "part-0.parquet")
    return root


def test_a_fresh_workspace_has_no_databases(services: Services) -> None:
    assert services.catalog.list_databases() == []


def test_create_database_is_idempotent_and_sanitised(services: Services) -> None:
    first = services.catalog.create_database("Sales Data", "numbers")
    again = services.catalog.create_database("sales_data")
    assert first.name == again.name == "sales_data"
    assert [d.name for d in services.catalog.list_databases()] == ["sales_data"]
    assert services.catalog.list_databases()[0].description == "numbers"


def test_import_csv_catalogs_a_glue_table(services: Services, data_dir: Path) -> None:
    source = write_csv(data_dir / "orders.csv", "Order ID,Café,,Amount $,Day\n1,x,7,2.5,2024-01-01\n2,y,8,3.5,2024-01-02\n")
    table = services.catalog.import_path(source, "Shop", "Orders 2024")

    assert (table.database, table.name) == ("shop", "orders_2024")
    assert table.format == "csv"
    assert table.location.startswith("s3://workbench-lake/shop/orders_2024/_v") and table.location.endswith("/")
    assert [(c.name, c.type, c.comment) for c in table.columns] == [
        ("order_id", "bigint", "Order ID"),
        ("cafe", "string", "Café"),
        ("col2", "bigint", ""),
        ("amount_", "double", "Amount $"),
        ("day", "date", "Day"),
    ]
    assert table.partition_keys == ()
    assert table.parameters["classification"] == "csv"
    assert table.parameters["recordCount"] == "2"
    assert table.parameters["sizeKey"] == str(source.stat().st_size)
    assert table.version_id == "1"
    assert [d.name for d in services.catalog.list_databases()] == ["shop"]
    assert services.catalog.get_table("shop", "orders_2024") == table
    assert [t.name for t in services.catalog.list_tables("shop")] == ["orders_2024"]


def test_imported_data_is_copied_into_the_lake(services: Services, data_dir: Path) -> None:
    source = write_csv(data_dir / "a.csv", "a,b\n1,x\n")
    services.catalog.import_path(source, "d", "t")
    source.unlink()
    result = services.query.run("SELECT a, b FROM d.t")
    assert result.frame.values.tolist() == [[1, "x"]]


def test_glue_get_table_shape(services: Services, data_dir: Path) -> None:
    table = services.catalog.import_path(write_csv(data_dir / "a.csv", "A b\n1\n"), "d", "t")
    glue = table.to_glue()
    assert {"Name", "DatabaseName", "TableType", "Parameters", "PartitionKeys", "StorageDescriptor",
            "VersionId"} <= set(glue)
    assert glue["StorageDescriptor"]["Columns"] == [{"Name": "a_b", "Type": "bigint", "Comment": "A b"}]
    assert glue["StorageDescriptor"]["Location"] == table.location
    assert glue["TableType"] == "EXTERNAL_TABLE"
    json.dumps(glue)  # plain data all the way down


def test_reimport_with_a_new_schema_makes_a_new_version(services: Services, data_dir: Path) -> None:
    services.catalog.import_path(write_csv(data_dir / "v1.csv", "a\n1\n"), "d", "t")
    second = services.catalog.import_path(write_csv(data_dir / "v2.csv", "a,b\n1,2\n"), "d", "t")
    assert second.version_id == "2"
    versions = services.catalog.table_versions("d", "t")
    assert [v.version_id for v in versions] == ["2", "1"]
    assert [c.name for c in versions[0].columns] == ["a", "b"]
    assert [c.name for c in versions[1].columns] == ["a"]
    assert services.catalog.get_table("d", "t").version_id == "2"
    assert services.query.run("SELECT * FROM d.t").frame.columns.tolist() == ["a", "b"]


def test_import_tsv_json_and_parquet(services: Services, data_dir: Path) -> None:
    tsv = services.catalog.import_path(write_csv(data_dir / "a.tsv", "x\ty\n1\thello, world\n"), "d", "tsv_t")
    jsonl = data_dir / "a.jsonl"
    jsonl.write_text('{"id": 1, "tags": ["a", "b"], "who": {"name": "x"}}\n{"id": 2, "tags": [], "who": {"name": "y"}}\n')
    json_t = services.catalog.import_path(jsonl, "d", "json_t")
    pq.write_table(pa.table({"n": [1, 2, 3], "ok": [True, False, True]}), data_dir / "a.parquet")
    parquet_t = services.catalog.import_path(data_dir / "a.parquet", "d", "parquet_t")

    assert (tsv.format, json_t.format, parquet_t.format) == ("tsv", "json", "parquet")
    assert {c.name: c.type for c in json_t.columns} == {"id": "bigint", "tags": "array<string>",
                                                        "who": "struct<name:string>"}
    assert {c.name: c.type for c in parquet_t.columns} == {"n": "bigint", "ok": "boolean"}
    assert services.query.run("SELECT y FROM d.tsv_t").frame["y"].tolist() == ["hello, world"]
    assert services.query.run("SELECT who.name AS n FROM d.json_t ORDER BY id").frame["n"].tolist() == ["x", "y"]
    assert services.query.run("SELECT sum(n) AS s FROM d.parquet_t WHERE ok").frame["s"].tolist() == [4]


def test_import_hive_partitioned_folder(services: Services, data_dir: Path) -> None:
    root = partitioned_parquet(data_dir / "by_division", {"General": 3, "Initmates": 2})
    table = services.catalog.import_path(root, "d", "by_division")
    assert [(k.name, k.type) for k in table.partition_keys] == [("division", "string")]
    assert [c.name for c in table.columns] == ["id", "rating"]
    partitions = services.catalog.list_partitions("d", "by_division")
    assert [p.values for p in partitions] == [("General",), ("Initmates",)]
    assert [p.file_count for p in partitions] == [1, 1]
    assert all(p.size_bytes > 0 for p in partitions)
    assert partitions[0].location.endswith("/division=General/")
    frame = services.query.run("SELECT division, count(*) AS n FROM d.by_division GROUP BY 1 ORDER BY 1").frame
    assert frame.values.tolist() == [["General", 3], ["Initmates", 2]]


def test_unpartitioned_table_has_no_partitions(services: Services, data_dir: Path) -> None:
    services.catalog.import_path(write_csv(data_dir / "a.csv", "a\n1\n"), "d", "t")
    assert services.catalog.list_partitions("d", "t") == []


def test_missing_database_and_table_are_not_found(services: Services, data_dir: Path) -> None:
    with pytest.raises(NotFound, match="Database 'nope' does not exist"):
        services.catalog.list_tables("nope")
    services.catalog.import_path(write_csv(data_dir / "a.csv", "a\n1\n"), "d", "t")
    with pytest.raises(NotFound, match=r"Table d\.missing does not exist") as caught:
        services.catalog.get_table("d", "missing")
    assert caught.value.hint
    with pytest.raises(NotFound):
        services.catalog.table_versions("d", "missing")
    with pytest.raises(NotFound):
        services.catalog.list_partitions("d", "missing")
    with pytest.raises(NotFound):
        services.catalog.delete_table("d", "missing")


def test_delete_table_leaves_the_files(services: Services, data_dir: Path) -> None:
    table = services.catalog.import_path(write_csv(data_dir / "a.csv", "a\n1\n"), "d", "t")
    services.catalog.delete_table("d", "t")
    assert services.catalog.list_tables("d") == []
    folder = services.catalog.workspace.from_uri(table.location)  # type: ignore[attr-defined]
    assert any(folder.iterdir())
    with pytest.raises(ServiceError, match="does not exist"):
        services.query.run("SELECT * FROM d.t")


def test_catalog_survives_rebuilding_services(services: Services, data_dir: Path) -> None:
    services.catalog.import_path(write_csv(data_dir / "a.csv", "a\n1\n"), "d", "t")
    again = build_services(services.settings)
    assert again.catalog.get_table("d", "t").columns == services.catalog.get_table("d", "t").columns


# -- crawl ------------------------------------------------------------------------------------


def lake_folder(services: Services, *parts: str) -> Path:
    folder = services.catalog.workspace.lake.joinpath("workbench-lake", *parts)  # type: ignore[attr-defined]
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_crawl_creates_then_leaves_unchanged_then_updates(services: Services) -> None:
    write_csv(lake_folder(services, "raw", "customers") / "c.csv", "id,name\n1,a\n")
    partitioned_parquet(lake_folder(services, "raw", "events"), {"General": 2})

    first = services.catalog.crawl("s3://workbench-lake/raw/", "Raw")
    assert sorted(first.created) == ["raw.customers", "raw.events"]
    assert first.updated == first.unchanged == ()
    assert services.catalog.get_table("raw", "events").partition_keys[0].name == "division"

    second = services.catalog.crawl("s3://workbench-lake/raw/", "raw")
    assert sorted(second.unchanged) == ["raw.customers", "raw.events"]
    assert second.created == second.updated == ()
    assert services.catalog.get_table("raw", "customers").version_id == "1"

    write_csv(lake_folder(services, "raw", "customers") / "c.csv", "id,name,email\n1,a,a@x\n")
    third = services.catalog.crawl("s3://workbench-lake/raw/", "raw")
    assert third.updated == ("raw.customers",)
    assert third.unchanged == ("raw.events",)
    assert [v.version_id for v in services.catalog.table_versions("raw", "customers")] == ["2", "1"]
    assert services.query.run("SELECT email FROM raw.customers").frame["email"].tolist() == ["a@x"]


def test_crawl_with_table_prefix(services: Services) -> None:
    write_csv(lake_folder(services, "raw2", "customers") / "c.csv", "id\n1\n")
    result = services.catalog.crawl("s3://workbench-lake/raw2/", "raw", table_prefix="src_")
    assert result.created == ("raw.src_customers",)


def test_crawl_refuses_locations_outside_the_lake_or_missing(services: Services, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="outside the lake"):
        services.catalog.crawl(str(tmp_path), "d")
    with pytest.raises(InvalidInput, match="outside the lake"):
        services.catalog.crawl("s3://workbench-lake/../../../", "d")
    with pytest.raises(NotFound, match="not a folder"):
        services.catalog.crawl("s3://workbench-lake/nothing-here/", "d")


# -- bad input loses nothing -------------------------------------------------------------------

BAD_FILES = {
    "empty.csv": (b"", "is empty"),
    "junk.csv": (bytes(range(256)) * 8, "not a text file"),
    "ragged.csv": (b"a,b\n1,2\n3,4,5\n", "wrong number of fields"),
    "latin1.csv": ("name,city\nJos\u00e9,M\u00fcnchen\n".encode("latin-1"), "not UTF-8"),
    "duplicates.csv": (b"a,A\n1,2\n", "both become 'a'"),
    "array.json": (b'[{"a": 1}]', "not JSON lines"),
    "broken.parquet": (b"PAR1garbage", "not a readable Parquet"),
}


@pytest.fixture
def existing_table(services: Services, data_dir: Path) -> Services:
    services.catalog.import_path(write_csv(data_dir / "good.csv", "id,name\n1,kept\n2,safe\n"), "d", "t")
    services.query.run("SELECT count(*) FROM d.t")
    return services


def assert_table_intact(services: Services) -> None:
    table = services.catalog.get_table("d", "t")
    assert table.version_id == "1"
    assert [c.name for c in table.columns] == ["id", "name"]
    assert [v.version_id for v in services.catalog.table_versions("d", "t")] == ["1"]
    assert services.query.run("SELECT name FROM d.t ORDER BY id").frame["name"].tolist() == ["kept", "safe"]
    assert [d.name for d in services.catalog.list_databases()] == ["d"]


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_importing_a_bad_file_over_a_table_keeps_the_old_table(existing_table: Services, data_dir: Path,
                                                               name: str) -> None:
    content, message = BAD_FILES[name]
    (data_dir / name).write_bytes(content)
    history_before = existing_table.query.history()
    with pytest.raises(InvalidInput, match=message) as caught:
        existing_table.catalog.import_path(data_dir / name, "d", "t")
    assert caught.value.hint
    assert_table_intact(existing_table)
    assert len(existing_table.query.history()) == len(history_before) + 1  # the check query above


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_importing_a_bad_file_as_a_new_table_creates_nothing(services: Services, data_dir: Path, name: str) -> None:
    content, message = BAD_FILES[name]
    (data_dir / name).write_bytes(content)
    with pytest.raises(InvalidInput, match=message):
        services.catalog.import_path(data_dir / name, "newdb", "t")
    assert services.catalog.list_databases() == []
    lake_db = services.catalog.workspace.table_folder("newdb", "t")  # type: ignore[attr-defined]
    assert not lake_db.exists()


def test_importing_a_missing_path_keeps_the_old_table(existing_table: Services, data_dir: Path) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        existing_table.catalog.import_path(data_dir / "nope.csv", "d", "t")
    assert_table_intact(existing_table)


def test_importing_a_folder_with_a_bad_file_keeps_the_old_table(existing_table: Services, data_dir: Path) -> None:
    folder = data_dir / "many"
    folder.mkdir()
    write_csv(folder / "a.csv", "id,name\n3,x\n")
    (folder / "b.csv").write_bytes(b"id,name\n4,y,z\n")
    with pytest.raises(InvalidInput, match="wrong number of fields"):
        existing_table.catalog.import_path(folder, "d", "t")
    assert_table_intact(existing_table)


def test_importing_the_tables_own_folder_is_refused(existing_table: Services) -> None:
    folder = existing_table.catalog.workspace.table_folder("d", "t")  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput, match="already"):
        existing_table.catalog.import_path(folder, "d", "t")
    assert_table_intact(existing_table)


def test_import_of_a_bad_name_is_refused(services: Services, data_dir: Path) -> None:
    source = write_csv(data_dir / "a.csv", "a\n1\n")
    with pytest.raises(InvalidInput, match="'!!!' is not a valid table name"):
        services.catalog.import_path(source, "d", "!!!")
    assert services.catalog.list_databases() == []


def test_a_header_only_csv_imports_as_an_empty_table(services: Services, data_dir: Path) -> None:
    table = services.catalog.import_path(write_csv(data_dir / "h.csv", "a,b\n"), "d", "h")
    assert table.parameters["recordCount"] == "0"
    assert services.query.run("SELECT count(*) AS n FROM d.h").frame["n"].tolist() == [0]


def test_crawl_of_a_folder_with_a_bad_file_keeps_the_existing_table(services: Services) -> None:
    folder = lake_folder(services, "raw3", "customers")
    write_csv(folder / "c.csv", "id,name\n1,a\n")
    services.catalog.crawl("s3://workbench-lake/raw3/", "raw")
    (folder / "d.csv").write_bytes("id,name\n2,Jos\u00e9\n".encode("latin-1"))
    with pytest.raises(InvalidInput, match="not UTF-8"):
        services.catalog.crawl("s3://workbench-lake/raw3/", "raw")
    assert services.catalog.get_table("raw", "customers").version_id == "1"


def test_settings_home_isolated(tmp_path: Path) -> None:
    """Two workspaces never see each other's tables."""
    one = build_services(Settings(home=tmp_path / "one", seed_on_start=False))
    two = build_services(Settings(home=tmp_path / "two", seed_on_start=False))
    one.catalog.create_database("only_here")
    assert two.catalog.list_databases() == []


def test_an_uploaded_file_is_staged_imported_and_discarded(services: Services, tmp_path: Path) -> None:
    import io

    from services.catalog.uploads import discard_upload, stage_upload

    staged = stage_upload(tmp_path / "uploads", "../Sales 2024.csv", io.BytesIO(b"region,total\nnorth,3\nsouth,4\n"))
    assert staged.parent.parent == tmp_path / "uploads"  # the name cannot escape the staging folder
    table = services.catalog.import_path(staged, "uploads", staged.stem)
    discard_upload(staged)
    assert not staged.exists()
    assert table.name == "sales_2024" and table.parameters["recordCount"] == "2"
    assert services.query.run("SELECT sum(total) AS t FROM uploads.sales_2024").frame["t"][0] == 7


def test_an_upload_with_an_unreadable_extension_is_refused(tmp_path: Path) -> None:
    import io

    from services.catalog.uploads import stage_upload
    from services.errors import InvalidInput

    with pytest.raises(InvalidInput, match="extension"):
        stage_upload(tmp_path / "uploads", "report.xlsx", io.BytesIO(b"PK\x03\x04"))
    assert not any((tmp_path / "uploads").glob("*")) if (tmp_path / "uploads").exists() else True


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet"])
@pytest.mark.parametrize("first", ["", "Unnamed: 0"], ids=["blank", "placeholder"])
def test_a_blank_or_placeholder_first_column_is_queried_as_col0(services: Services, data_dir: Path, fmt: str,
                                                                first: str) -> None:
    path = data_dir / f"indexed.{fmt}"
    if fmt == "parquet":
        pq.write_table(pa.table({first: [0, 1], "a": [10, 11]}), path)
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps({first: i, "a": 10 + i}) + "\n" for i in range(2)))
    else:
        sep = "\t" if fmt == "tsv" else ","
        write_csv(path, f"{first}{sep}a\n0{sep}10\n1{sep}11\n")
    services.catalog.import_path(path, "d", "indexed")
    services.catalog.import_path(write_csv(data_dir / "other.csv", "x\n1\n"), "d", "other")

    assert services.query.run("SELECT col0, a FROM d.indexed ORDER BY col0").frame.values.tolist() == [[0, 10], [1, 11]]
    assert services.query.run("SELECT x FROM d.other").frame["x"].tolist() == [1]  # other tables still readable


def test_json_with_a_blank_key_keeps_every_other_column_and_type(services: Services, data_dir: Path) -> None:
    path = data_dir / "blank.jsonl"
    path.write_text('{"": 1, "a/b~c": "x y", "who": {"n": "z"}, "tags": [1, 2]}\n'
                    '{"": 2, "a/b~c": null, "who": {"n": "w"}, "tags": []}\n')
    table = services.catalog.import_path(path, "d", "blank_json")
    assert [c.name for c in table.columns] == ["col0", "a_b_c", "who", "tags"]
    frame = services.query.run("SELECT col0, a_b_c, who.n AS n, len(tags) AS k FROM d.blank_json ORDER BY col0").frame
    assert frame.values.tolist() == [[1, "x y", "z", 2], [2, None, "w", 0]]


def test_preview_sql_reads_the_table_or_only_one_partition(services: Services, data_dir: Path) -> None:
    table = services.catalog.import_path(partitioned_parquet(data_dir / "sales", {"General": 3, "O'Neil": 2}), "d", "sales")
    partitions = services.catalog.list_partitions("d", "sales")
    assert len(services.query.run(table.preview_sql(limit=4)).frame) == 4
    only = services.query.run(table.preview_sql(partitions[1])).frame
    assert (len(only), set(only["division"])) == (2, {"O'Neil"})  # the quote in the value is escaped
