"""The local Feature Store: groups in the metadata store, the online store in SQLite (``online_store.py``) and
the offline store as Parquet in the lake (``offline_store.py``), catalogued through the storage port as
``sagemaker_featurestore.<group>_<creation epoch>``, SageMaker's default table name.

Every write — a PutRecord, a DeleteRecord, an ingestion chunk — goes through ``_commit``: the offline file is
written under a hidden name, the online rows are written in one SQLite transaction, and the file is renamed
into place just before that transaction commits; if anything fails, the file is removed and the transaction
rolled back, so neither store holds part of a chunk. Another process (the runtime gateway, an ingestion job)
opens its own ``LocalFeatures`` over the same workspace and sees the same groups and records.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from services.catalog.base import CatalogPort
from services.catalog.files import inspect_path
from services.config import Settings
from services.embedded.embedded_stack import EmbeddedStack
from services.errors import InvalidInput, NotFound
from services.features.dataset import build_dataset
from services.features.group_store import GroupStore, already_exists
from services.features.ingestion import Progress, ingest_rows
from services.features.models import (
    DELETION_MODES,
    LOCAL_ACCOUNT,
    LOCAL_REGION,
    OFFLINE_BUCKET,
    OFFLINE_DATABASE,
    DatasetRequest,
    DatasetResult,
    FeatureDefinition,
    FeatureGroup,
    FeatureGroupSpec,
    IngestResult,
    IngestSource,
)
from services.features.offline_store import OfflineStore
from services.features.online_store import OnlineRows, OnlineStore, OnlineWriter, records_as_json
from services.features.sources import CHUNK_ROWS, open_source, source_sql, table_sql
from services.features.validation import (
    CheckedRows,
    cast_feature,
    check_rows,
    check_spec,
    event_time_seconds,
    offline_schema,
)
from services.models import Column
from services.paths import readable_path
from services.query.base import QueryPort
from services.storage.base import StoragePort

FEATURE_STORE_FOLDER = "feature-store"  # <home>/feature-store/: the online store's file, ingestion's temporary files
INGESTION_KIND = "ingestion"
INTEGER_TYPES = ("tinyint", "smallint", "int", "integer", "bigint")
FLOAT_TYPES = ("float", "real", "double")


@dataclass(frozen=True)
class _Target:
    """A group and where its offline store lives ("" without one)."""

    group: FeatureGroup
    folder: str

    @property
    def offline(self) -> OfflineStore | None:
        return OfflineStore(Path(self.folder), self.group.spec) if self.folder else None


class LocalFeatures:
    def __init__(self, stack: EmbeddedStack, catalog: CatalogPort, query: QueryPort, storage: StoragePort,
                 clock: Callable[[], float] = time.time) -> None:
        self.stack = stack
        self.settings: Settings = stack.settings
        self.catalog = catalog
        self.query = query
        self.storage = storage
        self.clock = clock
        self.groups = GroupStore(stack.store)
        self.folder = stack.settings.home / FEATURE_STORE_FOLDER
        self.online = OnlineStore(self.folder / "online.sqlite")
        self.chunk_rows = CHUNK_ROWS  # rows checked and committed together

    # -- groups -------------------------------------------------------------------------------------------------

    def infer_definitions(self, source: IngestSource) -> list[FeatureDefinition]:
        return [definition_for(column) for column in self._source_columns(source)]

    def _source_columns(self, source: IngestSource) -> list[Column]:
        _require_one(source)
        if source.path:
            return list(inspect_path(readable_path(source.path, self.settings)).columns)
        if source.table:
            database, _, table = source.table.lower().partition(".")
            table_sql(source.table)  # InvalidInput for a name that is not DATABASE.TABLE
            return list(self.catalog.get_table(database, table).all_columns)
        result = self.query.run(f"SELECT * FROM ({source_sql(source)}) AS source LIMIT 0")
        return [Column(c.name, c.type) for c in result.columns]

    def create_feature_group(self, spec: FeatureGroupSpec) -> FeatureGroup:
        check_spec(spec)
        if self.groups.find(spec.name) is not None:
            raise already_exists(spec.name)
        now = self.clock()
        group = FeatureGroup(spec, group_arn(spec.name), "Created", _iso(now))
        folder = self._new_offline_store(spec, now) if spec.offline else None
        if folder is not None:
            epoch = int(folder.parent.name.rsplit("-", 1)[1])
            group = FeatureGroup(spec, group.arn, "Created", group.created_at,
                                 offline_table=f"{OFFLINE_DATABASE}.{offline_table_name(spec.name, epoch)}",
                                 offline_s3_uri=self.stack.workspace.to_uri(folder))
        try:
            self.groups.insert(group, str(folder or ""))
        except BaseException:
            if folder is not None:
                shutil.rmtree(folder.parent, ignore_errors=True)
            raise
        return group

    def _new_offline_store(self, spec: FeatureGroupSpec, now: float) -> Path:
        """``…/<group>-<epoch>/data`` with one empty file carrying the schema, catalogued: the table exists (and
        can be queried) from creation on, as SageMaker's Glue table does."""
        base = self.stack.workspace.lake / OFFLINE_BUCKET
        epoch = int(now)
        # a group of this name deleted in the same second, or a-b beside a_b (one table name): the next second
        while (base / f"{spec.name}-{epoch}").exists() or self._table_exists(offline_table_name(spec.name, epoch)):
            epoch += 1
        folder = base / f"{spec.name}-{epoch}" / "data"
        try:
            OfflineStore(folder, spec).stage(offline_schema(spec).empty_table(), _utc(now), _utc(now)).commit()
            self.storage.register_table(OFFLINE_DATABASE, offline_table_name(spec.name, epoch), folder)
        except BaseException:
            shutil.rmtree(folder.parent, ignore_errors=True)
            raise
        return folder

    def _table_exists(self, table: str) -> bool:
        try:
            self.catalog.get_table(OFFLINE_DATABASE, table)
        except NotFound:
            return False
        return True

    def describe_feature_group(self, name: str) -> FeatureGroup:
        return self._target(name).group

    def list_feature_groups(self) -> list[FeatureGroup]:
        return self.groups.all()

    def search(self, text: str) -> list[FeatureGroup]:
        wanted = text.strip().lower()
        return [group for group in self.groups.all() if wanted in searchable_text(group)]

    def delete_feature_group(self, name: str) -> None:
        group = self._target(name).group
        self.online.drop_group(group.name)
        self.groups.delete(group.name)

    def _target(self, name: str) -> _Target:
        group, folder = self.groups.get(name.rsplit("feature-group/", 1)[-1] if name.startswith("arn:") else name)
        return _Target(group, folder)

    # -- records ------------------------------------------------------------------------------------------------

    def put_record(self, name: str, record: dict[str, Any]) -> None:
        target = self._target(name)
        spec = target.group.spec
        _require_known(target.group, tuple(record))
        given = {k: v for k, v in record.items() if v is not None}
        batch = pa.table({k: pa.array([v]) for k, v in given.items()}) if given else pa.table({})
        checked = check_rows(spec, batch)
        if checked.failed:
            causes = "; ".join(checked.failures)
            raise InvalidInput(f"The record cannot be stored: {causes}.",
                               hint=f"Give {spec.record_identifier} and {spec.event_time}, and values of each feature's type.")
        self.write_rows(target, checked)

    def get_record(self, name: str, record_id: str, features: tuple[str, ...] = ()) -> dict[str, Any] | None:
        group = self._online_group(name, features)
        record = self.online.get(group.name, str(record_id), self.clock())
        return None if record is None else _only(record, features)

    def batch_get_record(self, name: str, record_ids: list[str], features: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        group = self._online_group(name, features)
        records = self.online.get_many(group.name, [str(i) for i in record_ids], self.clock())
        return [_only(record, features) for record in records]

    def delete_record(self, name: str, record_id: str, event_time: str, mode: str = "SoftDelete") -> None:
        if mode not in DELETION_MODES:
            raise InvalidInput(f"Deletion mode {mode!r} is not one of {', '.join(DELETION_MODES)}.")
        target = self._target(name)
        spec = target.group.spec
        event_feature = target.group.feature(spec.event_time)
        assert event_feature is not None  # check_spec: the event time is a feature
        seconds = event_time_seconds(event_feature, event_time)
        if mode == "HardDelete":
            self._hard_delete(target, str(record_id))
            return
        marker = _deleted_marker(spec, str(record_id), event_time)
        self._commit(target, marker, lambda writer: writer.tombstone(target.group.name, str(record_id), seconds),
                     seconds, deleted=True)

    def _hard_delete(self, target: _Target, record_id: str) -> None:
        if target.group.spec.online:
            self.online.remove(target.group.name, record_id)
        offline = target.offline
        if offline is not None:
            removed = offline.remove_record(record_id)
            self.groups.add_writes(target.group.name, -removed, "")

    def _online_group(self, name: str, features: tuple[str, ...]) -> FeatureGroup:
        group = self._target(name).group
        if not group.spec.online:
            raise InvalidInput(f"Feature group {group.name!r} has no online store.",
                               hint="Read its records from the offline store (the Query page), or create a group "
                                    "with the online store enabled.")
        _require_known(group, features)
        return group

    # -- writing ------------------------------------------------------------------------------------------------

    def write_rows(self, target: _Target, checked: CheckedRows) -> None:
        """Checked rows into both stores, all or nothing."""
        spec = target.group.spec
        seconds = checked.event_seconds.astype("float64")
        latest = float(seconds.max())
        if not spec.online:
            self._commit(target, checked.table, lambda writer: None, latest)
            return
        expires = (seconds + spec.ttl_seconds).tolist() if spec.ttl_seconds else [None] * len(seconds)
        rows = OnlineRows(checked.record_ids, seconds.tolist(), expires, records_as_json(checked.table))
        self._commit(target, checked.table, lambda writer: writer.put(target.group.name, rows), latest)

    def _commit(self, target: _Target, table: pa.Table, write_online: Callable[[OnlineWriter], None],
                latest_event: float, deleted: bool = False) -> None:
        offline = target.offline
        now = self.clock()
        staged = None
        if offline is not None:
            staged = offline.stage(_with_extras(table, _utc(now), deleted), _utc(now), _utc(latest_event))
        try:
            with self.online.writing() as writer:
                if target.group.spec.online:
                    write_online(writer)
                if staged is not None:
                    staged.commit()
        except BaseException:
            if staged is not None:
                staged.discard()
            raise
        if staged is not None:
            self.groups.add_writes(target.group.name, table.num_rows, _iso(now))

    # -- ingestion ----------------------------------------------------------------------------------------------

    def ingest(self, name: str, source: IngestSource, progress: Any = None) -> IngestResult:
        return self.ingest_checked_source(name, self._checked_source(source), progress)

    def ingest_checked_source(self, name: str, source: IngestSource, progress: Progress | None = None) -> IngestResult:
        """``ingest`` for a source already checked (a job's: its file was checked when the job was submitted,
        against the app's import roots)."""
        target = self._target(name)
        with open_source(source, self.query, self.folder / "tmp", self.chunk_rows) as rows:
            return ingest_rows(target.group.spec, rows, lambda checked: self.write_rows(target, checked), progress)

    def start_ingestion(self, name: str, source: IngestSource) -> str:
        group = self._target(name).group
        source = self._checked_source(source)
        if source.table:
            database, _, table = source.table.lower().partition(".")
            self.catalog.get_table(database, table)
        if source.sql:
            self.query.estimate(source.sql)  # refused or broken SQL fails here, not in the job
        config = {"feature_group": group.name, "source": asdict(source)}
        return self.stack.runner.submit(INGESTION_KIND, config, heavy=False).name

    def _checked_source(self, source: IngestSource) -> IngestSource:
        _require_one(source)
        if source.table:
            table_sql(source.table)
        if source.path:
            return IngestSource(path=str(readable_path(source.path, self.settings)))
        return source

    # -- datasets and statistics --------------------------------------------------------------------------------

    def build_dataset(self, request: DatasetRequest) -> DatasetResult:
        return build_dataset(self, request)

    def feature_statistics(self, name: str) -> list[dict[str, Any]]:
        target = self._target(name)
        offline = target.offline
        if offline is None:
            raise InvalidInput(f"Feature group {target.group.name!r} has no offline store to compute statistics from.",
                               hint="Statistics are computed over the offline store's rows.")
        by_feature, last_written, rows = offline.statistics()
        return [{"feature": f.name, "type": f.type, "collection_type": f.collection_type, "rows": rows,
                 **by_feature.get(f.name, dict.fromkeys(("non_null", "distinct", "min", "max", "mean"))),
                 "last_written_at": last_written} for f in target.group.spec.features]


def build_local_features(stack: EmbeddedStack, *, catalog: CatalogPort, query: QueryPort,
                         storage: StoragePort) -> LocalFeatures:
    return LocalFeatures(stack, catalog, query, storage)


def open_local_features(settings: Settings) -> LocalFeatures:
    """The local Feature Store for a process of its own (an ingestion job, the runtime gateway)."""
    from services.stack import open_local

    core = open_local(settings)
    return build_local_features(core.stack, catalog=core.catalog, query=core.query, storage=core.storage)


def group_arn(name: str) -> str:
    return f"arn:aws:sagemaker:{LOCAL_REGION}:{LOCAL_ACCOUNT}:feature-group/{name.lower()}"


def offline_table_name(name: str, epoch: int) -> str:
    """SageMaker's default Glue table: the group name lower-cased, - → _, then _<creation epoch seconds>."""
    return f"{name.lower().replace('-', '_')}_{epoch}"


def definition_for(column: Column) -> FeatureDefinition:
    """A catalog (Glue) or query result (Athena) column as a feature: integers → Integral, floating point and
    decimals → Fractional, arrays of those → List, anything else → String."""
    kind = column.type.strip().lower()
    if kind.startswith(("array<", "array(")):
        element = definition_for(Column(column.name, kind[6:-1]))
        return FeatureDefinition(column.name, element.type if not element.collection_type else "String", "List")
    if kind in INTEGER_TYPES:
        return FeatureDefinition(column.name, "Integral")
    if kind in FLOAT_TYPES or kind.startswith("decimal"):
        return FeatureDefinition(column.name, "Fractional")
    return FeatureDefinition(column.name, "String")


def searchable_text(group: FeatureGroup) -> str:
    spec = group.spec
    parts = [spec.name, spec.description, *(f.name for f in spec.features), *spec.tags, *spec.tags.values()]
    return "\n".join(parts).lower()


def _require_one(source: IngestSource) -> None:
    if sum(bool(v) for v in (source.table, source.sql, source.path)) != 1:
        raise InvalidInput("Give exactly one source: a catalog table, a SQL query or a file.",
                           hint="Use --table DB.TABLE, --sql SQL or --data FILE.")


def _require_known(group: FeatureGroup, names: tuple[str, ...]) -> None:
    unknown = [n for n in names if group.feature(n) is None]
    if unknown:
        raise InvalidInput(f"Feature group {group.name!r} has no feature {unknown[0]!r}.",
                           hint=f"Its features: {', '.join(f.name for f in group.spec.features[:30])}.")


def _only(record: dict[str, Any], features: tuple[str, ...]) -> dict[str, Any]:
    return {f: record[f] for f in features if f in record} if features else record


def _deleted_marker(spec: FeatureGroupSpec, record_id: str, event_time: str) -> pa.Table:
    """The offline row a SoftDelete appends: the identifier and event time, every other feature null."""
    columns = []
    for feature in spec.features:
        value = record_id if feature.name == spec.record_identifier else event_time if feature.name == spec.event_time else None
        columns.append(cast_feature(feature, pa.array([value], type=pa.string() if value is not None else pa.null()))[0])
    return pa.Table.from_arrays(columns, names=[f.name for f in spec.features])


def _with_extras(table: pa.Table, written: datetime, deleted: bool) -> pa.Table:
    rows = table.num_rows
    stamp = np.full(rows, np.datetime64(written.replace(tzinfo=None), "us"))
    return (table.append_column("write_time", pa.array(stamp, type=pa.timestamp("us")))
            .append_column("api_invocation_time", pa.array(stamp, type=pa.timestamp("us")))
            .append_column("is_deleted", pa.array(np.full(rows, deleted), type=pa.bool_())))


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _iso(seconds: float) -> str:
    return _utc(seconds).isoformat(timespec="milliseconds")
