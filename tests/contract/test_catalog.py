"""The catalog port's contract: every adapter must pass ``CatalogContract``.

``TestLocalCatalog`` runs it on the local adapter; ``TestAwsCatalog`` on the aws adapter against
moto's Glue and S3 (which moto implements for real, so the whole contract applies).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from services.catalog.base import CatalogPort
from services.errors import InvalidInput, NotFound
from services.registry import build_services
from tests.helpers.aws import aws_settings
from tests.helpers.workspace import settings_for_tests


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


class CatalogContract:
    """Tests any catalog adapter must pass. Subclasses provide the ``catalog`` fixture."""

    @pytest.fixture
    def catalog(self) -> CatalogPort:
        raise NotImplementedError

    @pytest.fixture
    def files(self, tmp_path: Path) -> Path:
        folder = tmp_path / "files"
        folder.mkdir()
        return folder

    def test_create_and_list_databases(self, catalog: CatalogPort) -> None:
        created = catalog.create_database("Contract DB", "for tests")
        assert created.name == "contract_db"
        assert catalog.create_database("contract_db").name == "contract_db"  # exists: returned, not an error
        assert "contract_db" in [d.name for d in catalog.list_databases()]
        names = [d.name for d in catalog.list_databases()]
        assert names == sorted(names)

    def test_import_csv_and_get_table_shape(self, catalog: CatalogPort, files: Path) -> None:
        source = write(files / "reviews.csv", "Clothing ID,Review Text,Rating,\n1,\"Nice, soft\",5,x\n2,Bad,1,y\n")
        imported = catalog.import_path(source, "Contract", "Reviews")
        table = catalog.get_table("contract", "reviews")
        assert (table.database, table.name, table.format) == ("contract", "reviews", "csv")
        assert [(c.name, c.type, c.comment) for c in table.columns] == [
            ("clothing_id", "bigint", "Clothing ID"),
            ("review_text", "string", "Review Text"),
            ("rating", "bigint", "Rating"),
            ("col3", "string", ""),
        ]
        assert table.partition_keys == ()
        assert table.location.startswith("s3://") and "/contract/reviews/" in table.location  # local: a version folder
        assert table.parameters["classification"] == "csv"
        assert table.parameters["recordCount"] == "2"
        assert int(table.parameters["sizeKey"]) == source.stat().st_size
        assert imported.columns == table.columns
        assert [t.name for t in catalog.list_tables("contract")] == ["reviews"]
        glue = table.to_glue()
        assert glue["StorageDescriptor"]["Columns"][0] == {"Name": "clothing_id", "Type": "bigint",
                                                           "Comment": "Clothing ID"}
        json.dumps(glue)

    @pytest.mark.parametrize("first", ["", "Unnamed: 0"], ids=["blank", "placeholder"])
    def test_a_nameless_first_column_is_col0(self, catalog: CatalogPort, files: Path, first: str) -> None:
        csv = catalog.import_path(write(files / "indexed.csv", f"{first},Rating\n0,5\n1,4\n"), "contract", "csv_t")
        pq.write_table(pa.table({first: [0, 1], "Rating": [5, 4]}), files / "indexed.parquet")
        parquet = catalog.import_path(files / "indexed.parquet", "contract", "parquet_t")
        for table in (csv, parquet):
            assert [(c.name, c.comment) for c in table.columns] == [("col0", first), ("rating", "Rating")]

    def test_an_upload_is_imported_and_its_staged_copy_removed(self, catalog: CatalogPort, tmp_path: Path) -> None:
        staging = tmp_path / "workspace" / "uploads"
        table = catalog.import_upload("../Sales 2024.csv", io.BytesIO(b"region,total\nnorth,3\nsouth,4\n"),
                                      "uploads", "sales_2024")
        assert ([c.name for c in table.columns], table.parameters["recordCount"]) == (["region", "total"], "2")
        assert list(staging.iterdir()) == []
        with pytest.raises(InvalidInput, match="wrong number of fields"):
            catalog.import_upload("broken.csv", io.BytesIO(b"a,b\n1,2,3\n"), "uploads", "broken")
        assert list(staging.iterdir()) == []
        with pytest.raises(InvalidInput, match="extension"):
            catalog.import_upload("report.xlsx", io.BytesIO(b"PK\x03\x04"), "uploads", "report")

    def test_import_parquet_with_nested_types(self, catalog: CatalogPort, files: Path) -> None:
        pq.write_table(pa.table({"id": pa.array([1, 2], pa.int32()), "tags": [["a"], []], "score": [0.5, 1.5],
                                 "ok": [True, False]}), files / "t.parquet")
        table = catalog.import_path(files / "t.parquet", "contract", "nested")
        assert table.format == "parquet"
        assert {c.name: c.type for c in table.columns} == {"id": "int", "tags": "array<string>", "score": "double",
                                                           "ok": "boolean"}

    def test_a_changed_schema_makes_a_new_version(self, catalog: CatalogPort, files: Path) -> None:
        catalog.import_path(write(files / "v1.csv", "a\n1\n"), "contract", "versioned")
        catalog.import_path(write(files / "v2.csv", "a,b\n1,2\n"), "contract", "versioned")
        versions = catalog.table_versions("contract", "versioned")
        assert len(versions) >= 2
        assert [c.name for c in versions[0].columns] == ["a", "b"]
        assert [c.name for c in versions[-1].columns] == ["a"]
        assert int(versions[0].version_id) > int(versions[-1].version_id)
        current = catalog.get_table("contract", "versioned")
        assert [c.name for c in current.columns] == ["a", "b"]
        assert current.version_id == versions[0].version_id

    def test_partitions_of_a_hive_folder(self, catalog: CatalogPort, files: Path) -> None:
        root = files / "by_division"
        for division, count in (("General", 2), ("Initmates", 1)):
            folder = root / f"division={division}"
            folder.mkdir(parents=True)
            for i in range(count):
                pq.write_table(pa.table({"rating": [5, 4]}), folder / f"part-{i}.parquet")
        table = catalog.import_path(root, "contract", "by_division")
        assert [(k.name, k.type) for k in table.partition_keys] == [("division", "string")]
        partitions = catalog.list_partitions("contract", "by_division")
        assert [p.values for p in partitions] == [("General",), ("Initmates",)]
        assert [p.file_count for p in partitions] == [2, 1]
        assert all(p.size_bytes > 0 for p in partitions)
        assert all("division=" in p.location for p in partitions)

    def test_unpartitioned_table_has_no_partitions(self, catalog: CatalogPort, files: Path) -> None:
        catalog.import_path(write(files / "a.csv", "a\n1\n"), "contract", "flat")
        assert catalog.list_partitions("contract", "flat") == []

    def test_missing_things_are_not_found(self, catalog: CatalogPort, files: Path) -> None:
        with pytest.raises(NotFound, match="does not exist"):
            catalog.list_tables("no_such_database")
        catalog.create_database("contract")
        with pytest.raises(NotFound, match=r"contract\.missing does not exist"):
            catalog.get_table("contract", "missing")
        with pytest.raises(NotFound):
            catalog.table_versions("contract", "missing")
        with pytest.raises(NotFound):
            catalog.list_partitions("contract", "missing")
        with pytest.raises(NotFound):
            catalog.delete_table("contract", "missing")
        with pytest.raises(NotFound):
            catalog.import_path(files / "missing.csv", "contract", "t")

    def test_delete_table(self, catalog: CatalogPort, files: Path) -> None:
        catalog.import_path(write(files / "a.csv", "a\n1\n"), "contract", "gone")
        catalog.delete_table("contract", "gone")
        assert "gone" not in [t.name for t in catalog.list_tables("contract")]
        with pytest.raises(NotFound):
            catalog.get_table("contract", "gone")

    @pytest.mark.parametrize("content, message", [
        (b"", "is empty"),
        (b"a,b\n1,2\n3,4,5\n", "wrong number of fields"),
        ("a\nJos\u00e9\n".encode("latin-1"), "not UTF-8"),
        (b"a,A\n1,2\n", "both become 'a'"),
        (b"\x00\x01\x02binary", "not a text file"),
    ], ids=["empty", "ragged", "latin-1", "duplicates", "binary"])
    def test_a_bad_file_keeps_the_existing_table(self, catalog: CatalogPort, files: Path, content: bytes,
                                                 message: str) -> None:
        catalog.import_path(write(files / "good.csv", "id,name\n1,kept\n"), "contract", "kept")
        before = catalog.get_table("contract", "kept")
        (files / "bad.csv").write_bytes(content)
        with pytest.raises(InvalidInput, match=message) as caught:
            catalog.import_path(files / "bad.csv", "contract", "kept")
        assert caught.value.hint
        after = catalog.get_table("contract", "kept")
        assert (after.version_id, after.columns, after.location) == (before.version_id, before.columns,
                                                                     before.location)
        assert len(catalog.table_versions("contract", "kept")) == 1


class TestLocalCatalog(CatalogContract):
    @pytest.fixture
    def catalog(self, tmp_path: Path) -> CatalogPort:
        return build_services(settings_for_tests(home=tmp_path / "workspace", seed_on_start=False)).catalog


class TestAwsCatalog(CatalogContract):
    @pytest.fixture
    def catalog(self, mocked_aws: None, tmp_path: Path) -> CatalogPort:  # noqa: F811
        return build_services(aws_settings(tmp_path / "workspace")).catalog
