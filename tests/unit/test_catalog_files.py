"""Inspecting data files the way a Glue crawler does: names, Glue types, formats, partitions."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from services.catalog.files import glue_columns, glue_type, inspect_path, sanitize_column_name, sanitize_table_name
from services.errors import InvalidInput, NotFound

HEADERS = ["Clothing ID", "Review Text", "Recommended IND", "Café Ümlaut", "Price ($)", "a-b.c", "ÅNGSTRÖM", "x__y", "ok_1"]


@pytest.mark.parametrize(
    "header, expected",
    [
        ("Clothing ID", "clothing_id"),
        ("Review Text", "review_text"),
        ("Positive Feedback Count", "positive_feedback_count"),
        ("Café Ümlaut", "cafe_umlaut"),
        ("ÅNGSTRÖM", "angstrom"),
        ("a-b.c", "a_b_c"),
        ("Price ($)", "price_"),
        ("already_fine_1", "already_fine_1"),
    ],
)
def test_sanitize_column_name(header: str, expected: str) -> None:
    assert sanitize_column_name(header) == expected


def test_sanitize_column_name_matches_awswrangler() -> None:
    import awswrangler as wr  # a requirement: a missing awswrangler must fail here, not skip

    assert [sanitize_column_name(h) for h in HEADERS] == [wr.catalog.sanitize_column_name(h) for h in HEADERS]


def test_table_names_are_sanitised_and_never_empty() -> None:
    assert sanitize_table_name("  My Table ") == "my_table"
    with pytest.raises(InvalidInput, match="cannot be used as a name"):
        sanitize_table_name("$$$")


def test_blank_header_becomes_col_and_its_zero_based_position() -> None:
    columns = glue_columns(["Name", "", "  ", "Total €"], ["string", "bigint", "double", "double"])
    assert [c.name for c in columns] == ["name", "col1", "col2", "total_"]
    assert [c.comment for c in columns] == ["Name", "", "  ", "Total €"]


def test_headers_that_collide_after_sanitising_are_refused() -> None:
    with pytest.raises(InvalidInput, match="'a' and 'A' both become 'a'") as caught:
        glue_columns(["a", "A"], ["bigint", "bigint"])
    assert "unique" in caught.value.hint


@pytest.mark.parametrize(
    "arrow_type, expected",
    [
        (pa.int64(), "bigint"),
        (pa.int32(), "int"),
        (pa.int16(), "smallint"),
        (pa.float64(), "double"),
        (pa.float32(), "float"),
        (pa.bool_(), "boolean"),
        (pa.string(), "string"),
        (pa.large_string(), "string"),
        (pa.date32(), "date"),
        (pa.timestamp("us"), "timestamp"),
        (pa.decimal128(10, 2), "decimal(10,2)"),
        (pa.list_(pa.int64()), "array<bigint>"),
        (pa.struct([("First Name", pa.string()), ("n", pa.int32())]), "struct<first_name:string,n:int>"),
        (pa.list_(pa.struct([("a", pa.float64())])), "array<struct<a:double>>"),
        (pa.map_(pa.string(), pa.int64()), "map<string,bigint>"),
    ],
)
def test_glue_types(arrow_type: pa.DataType, expected: str) -> None:
    assert glue_type(arrow_type) == expected


def test_csv_types_are_inferred_and_rows_counted(tmp_path: Path) -> None:
    path = tmp_path / "sales.csv"
    path.write_text("id,price,ok,day,at,name\n1,2.5,true,2024-01-01,2024-01-01 10:00:00,a\n2,3,false,2024-02-01,"
                    "2024-01-02 11:00:00,b\n")
    inspected = inspect_path(path)
    assert inspected.format == "csv"
    assert [(c.name, c.type) for c in inspected.columns] == [
        ("id", "bigint"), ("price", "double"), ("ok", "boolean"), ("day", "date"), ("at", "timestamp"),
        ("name", "string"),
    ]
    assert inspected.row_count == 2
    assert inspected.size_bytes == path.stat().st_size
    assert inspected.partition_keys == ()


def test_a_column_that_changes_type_late_in_a_big_file_becomes_string(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    lines = ["id,code"] + [f"{i},{i}" for i in range(400_000)] + ["400000,X-1"]
    path.write_text("\n".join(lines) + "\n")
    inspected = inspect_path(path)
    assert {c.name: c.type for c in inspected.columns} == {"id": "bigint", "code": "string"}
    assert inspected.row_count == 400_001


def test_tsv_and_json_lines(tmp_path: Path) -> None:
    tsv = tmp_path / "t.tsv"
    tsv.write_text("a\tb c\n1\tx, y\n")
    inspected = inspect_path(tsv)
    assert inspected.format == "tsv"
    assert [(c.name, c.type, c.comment) for c in inspected.columns] == [("a", "bigint", "a"), ("b_c", "string", "b c")]

    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in [{"id": 1, "tags": ["a"], "who": {"name": "x"}},
                                                        {"id": 2, "tags": [], "who": {"name": "y"}}]))
    inspected = inspect_path(jsonl)
    assert inspected.format == "json"
    assert {c.name: c.type for c in inspected.columns} == {
        "id": "bigint", "tags": "array<string>", "who": "struct<name:string>"
    }
    assert inspected.row_count == 2


def test_hive_partitioned_parquet_folder(tmp_path: Path) -> None:
    root = tmp_path / "sales"
    for year, month in (("2023", "12"), ("2024", "01"), ("2024", "02")):
        folder = root / f"year={year}" / f"month={month}"
        folder.mkdir(parents=True)
        pq.write_table(pa.table({"amount": [1.0, 2.0]}), folder / "part-0.parquet")
    (root / "_SUCCESS").write_text("")
    (root / "year=2024" / ".hidden.parquet.crc").write_text("x")
    inspected = inspect_path(root)
    assert inspected.format == "parquet"
    assert [(k.name, k.type) for k in inspected.partition_keys] == [("year", "string"), ("month", "string")]
    assert [c.name for c in inspected.columns] == ["amount"]
    assert len(inspected.files) == 3
    assert inspected.row_count == 6


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "is empty"),
        (bytes(range(256)) * 4, "not a text file"),
        (b"a,b\n1,2\n3,4,5\n", "wrong number of fields"),
        ("a,b\ncaf\u00e9,1\n".encode("latin-1"), "not UTF-8"),
        (b"a,A\n1,2\n", "both become 'a'"),
    ],
    ids=["empty", "binary", "ragged", "latin-1", "duplicate-columns"],
)
def test_bad_csv_files_are_refused_with_a_hint(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message) as caught:
        inspect_path(path)
    assert caught.value.hint


def test_non_utf8_byte_deep_in_a_big_file_is_found(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    body = "".join(f"{i},plain text\n" for i in range(300_000)).encode()
    path.write_bytes(b"id,text\n" + body + "300000,caf\xe9\n".encode("latin-1"))
    with pytest.raises(InvalidInput, match="not UTF-8") as caught:
        inspect_path(path)
    assert "UTF-8" in caught.value.hint


def test_missing_path_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        inspect_path(tmp_path / "nope.csv")


def test_unknown_extension_and_mixed_formats(tmp_path: Path) -> None:
    (tmp_path / "a.xlsx").write_bytes(b"PK")
    with pytest.raises(InvalidInput, match="extension"):
        inspect_path(tmp_path / "a.xlsx")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "a.csv").write_text("a\n1\n")
    (mixed / "b.jsonl").write_text('{"a": 1}\n')
    with pytest.raises(InvalidInput, match="mixes formats"):
        inspect_path(mixed)


def test_broken_parquet_and_json(tmp_path: Path) -> None:
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(InvalidInput, match="not a readable Parquet file"):
        inspect_path(tmp_path / "broken.parquet")
    (tmp_path / "array.json").write_text('[{"a": 1}, {"a": 2}]')
    with pytest.raises(InvalidInput, match="not JSON lines") as caught:
        inspect_path(tmp_path / "array.json")
    assert "one JSON object" in caught.value.hint


def test_partition_key_that_is_also_a_column_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "t" / "division=General"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"division": ["General"], "x": [1]}), folder / "p.parquet")
    with pytest.raises(InvalidInput, match="division"):
        inspect_path(tmp_path / "t")


def test_non_partition_sub_folders_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "t" / "2024"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text("a\n1\n")
    with pytest.raises(InvalidInput, match="not a partition folder"):
        inspect_path(tmp_path / "t")


def test_csv_files_of_one_table_must_share_headers(tmp_path: Path) -> None:
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "a.csv").write_text("a,b\n1,2\n")
    (folder / "b.csv").write_text("a,c\n1,2\n")
    with pytest.raises(InvalidInput, match="different columns"):
        inspect_path(folder)


# A blank first header (a CSV written by pandas with its index) or pandas' own placeholder for it
# ("Unnamed: 0", what pandas writes when such a frame is saved again) is named col<i>, as Glue's crawler does.
BLANK_FIRST = {"": [0, 1], "a": [10, 11]}
PLACEHOLDER_FIRST = {"Unnamed: 0": [0, 1], "a": [10, 11]}


def write_format(folder: Path, fmt: str, columns: dict[str, list[int]]) -> Path:
    headers, rows = list(columns), list(zip(*columns.values()))
    path = folder / f"data.{fmt}"
    if fmt == "parquet":
        pq.write_table(pa.table(columns), path)
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps(dict(zip(headers, row))) + "\n" for row in rows))
    else:
        sep = "\t" if fmt == "tsv" else ","
        path.write_text("\n".join(sep.join(map(str, line)) for line in [headers, *rows]) + "\n")
    return path


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet"])
@pytest.mark.parametrize("columns", [BLANK_FIRST, PLACEHOLDER_FIRST], ids=["blank", "placeholder"])
def test_a_blank_or_placeholder_header_is_named_like_glue(tmp_path: Path, fmt: str, columns: dict[str, list[int]]) -> None:
    inspected = inspect_path(write_format(tmp_path, fmt, columns))
    assert [c.name for c in inspected.columns] == ["col0", "a"]
    assert inspected.columns[0].comment == next(iter(columns))  # the file's own name, to read it by


def test_placeholders_are_named_by_their_position() -> None:
    names = [c.name for c in glue_columns(["id", "Unnamed: 1", "", "Unnamed: 3_level_0", "Unnamed"], ["int"] * 5)]
    assert names == ["id", "col1", "col2", "col3", "unnamed"]


REAL_REVIEWS = Path(__file__).resolve().parents[3] / "shared" / "data" / "womens_clothing_ecommerce_reviews.csv"


def test_the_public_reviews_file_has_col0_first(tmp_path: Path) -> None:
    if not REAL_REVIEWS.exists():
        reason = f"the public reviews file is not at {REAL_REVIEWS}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    inspected = inspect_path(REAL_REVIEWS)
    assert [c.name for c in inspected.columns] == [
        "col0", "clothing_id", "age", "title", "review_text", "rating", "recommended_ind",
        "positive_feedback_count", "division_name", "department_name", "class_name"]
    assert inspected.row_count == 16_503
