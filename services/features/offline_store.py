"""The local offline store of one feature group: append-only Parquet under the lake, as SageMaker writes it.

``<lake>/sagemaker-featurestore/<group>-<creation epoch>/data/year=YYYY/month=MM/day=DD/hour=HH/<latest event
time>_<16 random characters>.parquet``, partitioned by write time. (SageMaker partitions by event time; here a
backfill spread over years would then write one file per hour of events, thousands of tiny files.) The creation
epoch keeps a re-created group (same name) apart from the data a deleted one left in the lake, as SageMaker's
``<group>-<epoch>`` prefix does. A file is written under a name no reader picks up (``_`` prefix, no ``.parquet``
suffix) and renamed into place when its chunk commits, so a query never sees half a chunk. Only HardDelete
rewrites files (without the deleted record's rows), again by rename.
"""

from __future__ import annotations

import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from services.embedded.duckdb_engine import literal, quote
from services.features.models import FeatureGroupSpec
from services.features.validation import offline_schema

PARTITION_DEPTH = 4  # year / month / day / hour
NUMERIC_TYPES = ("Integral", "Fractional")


@dataclass(frozen=True)
class StagedFile:
    """A chunk's Parquet file, written but not yet visible."""

    temp: Path
    final: Path

    def commit(self) -> None:
        os.replace(self.temp, self.final)

    def discard(self) -> None:
        self.temp.unlink(missing_ok=True)
        self.final.unlink(missing_ok=True)


class OfflineStore:
    def __init__(self, folder: Path, spec: FeatureGroupSpec) -> None:
        self.folder = folder  # …/data
        self.spec = spec
        self.schema = offline_schema(spec)

    def stage(self, table: pa.Table, write_time: datetime, latest_event: datetime) -> StagedFile:
        """Write ``table`` (the offline schema's columns) into the write time's partition, not yet visible. The
        file is named as SageMaker names them: ``<latest event time in the file>_<16 random characters>.parquet``."""
        partition = self.folder / partition_path(write_time)
        partition.mkdir(parents=True, exist_ok=True)
        name = f"{latest_event:%Y%m%dT%H%M%SZ}_{secrets.token_hex(8)}"
        staged = StagedFile(partition / f"_{name}.parquet.partial", partition / f"{name}.parquet")
        pq.write_table(table.select(self.schema.names).cast(self.schema), staged.temp)
        return staged

    def files(self) -> list[Path]:
        return sorted(self.folder.glob("*/" * PARTITION_DEPTH + "*.parquet")) if self.folder.is_dir() else []

    def remove_record(self, record_id: str) -> int:
        """HardDelete: rewrite every file holding the record without its rows; the number of rows removed."""
        identifier = self.spec.record_identifier
        removed = 0
        for path in self._files_with(record_id):
            table = pq.read_table(path)
            keep = [not same_id(value, record_id) for value in table.column(identifier).to_pylist()]
            removed += keep.count(False)
            temp = path.with_name(f"_{uuid.uuid4().hex}.parquet.partial")
            pq.write_table(table.filter(pa.array(keep)), temp)
            os.replace(temp, path)
        return removed

    def _files_with(self, record_id: str) -> list[Path]:
        files = self.files()
        if not files:
            return []
        column = quote(self.spec.record_identifier)
        sql = (f"SELECT DISTINCT filename FROM read_parquet([{', '.join(literal(str(f)) for f in files)}], "
               f"filename = true, union_by_name = true) WHERE CAST({column} AS VARCHAR) = ? "
               f"OR TRY_CAST({column} AS DOUBLE) = TRY_CAST(? AS DOUBLE)")
        with duckdb.connect() as conn:
            return [Path(row[0]) for row in conn.execute(sql, [record_id, record_id]).fetchall()]

    def statistics(self) -> tuple[dict[str, dict[str, Any]], str, int]:
        """Per feature: non-null, distinct, min, max, mean (numbers) over the rows not marked deleted; the
        latest write time ("" before any write) and the row count."""
        files = self.files()
        if not files:
            return {}, "", 0
        parts = [part for feature in self.spec.features for part in _aggregates(feature.name, feature.type,
                                                                                   bool(feature.collection_type))]
        sql = (f"SELECT count(*), max(write_time), {', '.join(parts)} FROM read_parquet("
               f"[{', '.join(literal(str(f)) for f in files)}], union_by_name = true) WHERE NOT is_deleted")
        with duckdb.connect() as conn:
            row = conn.execute(sql).fetchone()
        assert row is not None  # an aggregate always answers one row
        return _by_feature(self.spec, row[2:]), _iso(row[1]), int(row[0])


def partition_path(write_time: datetime) -> str:
    return f"year={write_time:%Y}/month={write_time:%m}/day={write_time:%d}/hour={write_time:%H}"


def same_id(value: Any, record_id: str) -> bool:
    if isinstance(value, float):
        return value == float(record_id) if _is_number(record_id) else False
    return str(value) == record_id


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


STATISTICS = ("non_null", "distinct", "min", "max", "mean")


def _aggregates(name: str, feature_type: str, collection: bool) -> list[str]:
    column = quote(name)
    if collection:
        return [f"count({column})", "NULL", "NULL", "NULL", "NULL"]
    if feature_type in NUMERIC_TYPES:
        return [f"count({column})", f"count(DISTINCT {column})", f"min({column})::DOUBLE", f"max({column})::DOUBLE",
                f"avg({column})::DOUBLE"]
    return [f"count({column})", f"count(DISTINCT {column})", f"min({column})", f"max({column})", "NULL"]


def _by_feature(spec: FeatureGroupSpec, values: tuple[Any, ...]) -> dict[str, dict[str, Any]]:
    width = len(STATISTICS)
    return {feature.name: dict(zip(STATISTICS, values[index * width:(index + 1) * width]))
            for index, feature in enumerate(spec.features)}


def _iso(value: Any) -> str:
    return value.isoformat(timespec="milliseconds") + "+00:00" if isinstance(value, datetime) else ""
