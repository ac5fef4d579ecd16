"""Feature Store in SageMaker's shapes: feature groups (DescribeFeatureGroup), records (GetRecord's
``Record``: a list of ``{FeatureName, ValueAsString | ValueAsStringList}``), ingestion results and the dataset
builder's request and answer.

Locally a feature group's offline store is append-only Parquet under ``lake/sagemaker-featurestore/<group>/``,
catalogued as ``sagemaker_featurestore.<group table>`` with SageMaker's extra columns (``write_time``,
``api_invocation_time``, ``is_deleted``); its online store keeps the latest record per identifier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.errors import InvalidInput
from services.models import DataSource

FEATURE_TYPES = ("Integral", "Fractional", "String")
COLLECTION_TYPES = ("", "List", "Set", "Vector")  # "" = a scalar feature
DELETION_MODES = ("SoftDelete", "HardDelete")
OFFLINE_DATABASE = "sagemaker_featurestore"
OFFLINE_BUCKET = "sagemaker-featurestore"  # lake/<bucket>/<group>/… locally
EXTRA_OFFLINE_COLUMNS = ("write_time", "api_invocation_time", "is_deleted")
GROUP_STATUSES = ("Creating", "Created", "CreateFailed", "Deleting", "DeleteFailed")
LOCAL_ACCOUNT = "000000000000"
LOCAL_REGION = "us-east-1"


@dataclass(frozen=True)
class FeatureDefinition:
    """One feature: SageMaker's FeatureDefinition (``FeatureName``, ``FeatureType``, ``CollectionType``; a
    ``Vector`` carries its ``dimension``)."""

    name: str
    type: str  # one of FEATURE_TYPES
    collection_type: str = ""  # one of COLLECTION_TYPES
    dimension: int = 0  # Vector only

    def as_api(self) -> dict[str, Any]:
        shape: dict[str, Any] = {"FeatureName": self.name, "FeatureType": self.type}
        if self.collection_type:
            shape["CollectionType"] = self.collection_type
        if self.collection_type == "Vector":
            shape["CollectionConfig"] = {"VectorConfig": {"Dimension": self.dimension}}
        return shape


@dataclass(frozen=True)
class FeatureGroupSpec:
    """What CreateFeatureGroup takes."""

    name: str
    record_identifier: str
    event_time: str
    features: tuple[FeatureDefinition, ...]
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    online: bool = True
    offline: bool = True
    ttl_seconds: int | None = None  # online store TtlDuration; None = records never expire


@dataclass(frozen=True)
class FeatureGroup:
    """A feature group as DescribeFeatureGroup answers, plus what the page shows (record count, last write)."""

    spec: FeatureGroupSpec
    arn: str
    status: str = "Created"
    created_at: str = ""
    offline_table: str = ""  # "sagemaker_featurestore.<table>" ("" without an offline store)
    offline_s3_uri: str = ""
    record_count: int = 0  # offline rows (every write, deletes included)
    last_written_at: str = ""  # freshness: the latest write_time ("" before any ingestion)
    failure_reason: str = ""

    @property
    def name(self) -> str:
        return self.spec.name

    def feature(self, name: str) -> FeatureDefinition | None:
        return next((f for f in self.spec.features if f.name == name), None)

    def as_api(self) -> dict[str, Any]:
        """DescribeFeatureGroup's response shape."""
        spec = self.spec
        shape: dict[str, Any] = {
            "FeatureGroupArn": self.arn, "FeatureGroupName": spec.name,
            "RecordIdentifierFeatureName": spec.record_identifier, "EventTimeFeatureName": spec.event_time,
            "FeatureDefinitions": [f.as_api() for f in spec.features], "FeatureGroupStatus": self.status,
            "CreationTime": self.created_at, "Description": spec.description,
        }
        if spec.online:
            online: dict[str, Any] = {"EnableOnlineStore": True}
            if spec.ttl_seconds:
                online["TtlDuration"] = {"Unit": "Seconds", "Value": spec.ttl_seconds}
            shape["OnlineStoreConfig"] = online
        if spec.offline and self.offline_table:
            database, _, table = self.offline_table.partition(".")
            shape["OfflineStoreConfig"] = {
                "S3StorageConfig": {"S3Uri": self.offline_s3_uri},
                "DataCatalogConfig": {"Catalog": "AwsDataCatalog", "Database": database, "TableName": table},
            }
        if self.failure_reason:
            shape["FailureReason"] = self.failure_reason
        return shape


@dataclass(frozen=True)
class IngestSource:
    """Where rows to ingest come from: a catalog table, a SQL result (Athena SQL) or a file."""

    table: str = ""  # "database.table"
    sql: str = ""
    path: str = ""

    @property
    def label(self) -> str:
        return self.table or self.path or "SQL result"

    def as_data_source(self) -> DataSource:
        return DataSource(table=self.table, path=self.path)


@dataclass(frozen=True)
class IngestResult:
    """``{"Ingested": n, "Failed": m}``; ``errors`` says in words why rows failed (one line per cause, with counts)."""

    ingested: int
    failed: int
    errors: tuple[str, ...] = ()

    def as_api(self) -> dict[str, Any]:
        return {"Ingested": self.ingested, "Failed": self.failed, "Errors": list(self.errors)}


def record_as_api(record: dict[str, Any]) -> list[dict[str, Any]]:
    """GetRecord's ``Record``: every value as a string, collections as ``ValueAsStringList``."""
    shape = []
    for name, value in record.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            shape.append({"FeatureName": name, "ValueAsStringList": [str(v) for v in value]})
        else:
            shape.append({"FeatureName": name, "ValueAsString": str(value)})
    return shape


@dataclass(frozen=True)
class DatasetRequest:
    """SageMaker's DatasetBuilder: a base (a catalog table, a file, or a feature group) joined point-in-time with
    feature groups — for each base row the latest record of each group whose event time is at or before the
    row's event time (and, with ``as_of``, written at or before it)."""

    record_identifier: str
    event_time: str
    groups: tuple[str, ...]
    base_table: str = ""  # "database.table"
    base_path: str = ""
    base_group: str = ""
    as_of: str = ""  # ISO-8601 cutoff on write_time ("" = none)
    event_time_start: str = ""
    event_time_end: str = ""
    include_deleted: bool = False
    include_duplicates: bool = False
    out_table: str = ""  # "database.table" to save it as
    out_path: str = ""  # or a file (.csv / .parquet)

    def check(self) -> None:
        """The rules both backends' builders apply before anything runs: one base, one place for the result, the
        base's identifier and event-time columns, at least one group; ``InvalidInput`` saying which."""
        if sum(bool(b) for b in (self.base_table, self.base_path, self.base_group)) != 1:
            raise InvalidInput("Give exactly one base: a catalog table, a file or a feature group.",
                               hint="--base DATABASE.TABLE or --base FILE.")
        if bool(self.out_table) == bool(self.out_path):
            raise InvalidInput("Give exactly one place for the dataset: a table or a file.",
                               hint="--table DATABASE.TABLE or --out FILE (.parquet or .csv).")
        if not self.record_identifier or not self.event_time:
            raise InvalidInput("The base's record identifier and event time columns are required.",
                               hint="--record-identifier COLUMN --event-time COLUMN.")
        if not self.groups:
            raise InvalidInput("A dataset needs at least one feature group to join.", hint="Name a group with --group.")


@dataclass(frozen=True)
class DatasetResult:
    """The built dataset: where it went, its size, the SQL the builder ran and the leakage check."""

    rows: int
    columns: tuple[str, ...]
    sql: str
    table: str = ""
    path: str = ""
    leaking_rows: int = 0  # base rows whose joined features were written after the row's event time
    leakage_note: str = ""
