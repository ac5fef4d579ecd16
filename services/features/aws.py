"""The features port on SageMaker Feature Store.

boto3's ``sagemaker`` client for feature groups (CreateFeatureGroup, DescribeFeatureGroup, DeleteFeatureGroup,
ListTags, Search with Resource ``FeatureGroup``), ``sagemaker-featurestore-runtime`` for records (PutRecord,
GetRecord, BatchGetRecord, DeleteRecord), and Athena (through the query port) on the offline store's Glue table for
the dataset builder and the statistics (``athena_sql``).

Choices, and why:

* Groups are listed and searched with one paged ``Search`` (Resource ``FeatureGroup``): it answers whole groups,
  definitions and tags included, where ListFeatureGroups answers summaries that would need a describe each. The text
  is matched here, case-insensitively on the name, description, feature names and tags, as the local adapter does;
  Search's own ``Contains`` is word-based. Search's index lags a creation by a few seconds; describe does not.
* Records are checked against the group's definitions before anything is sent (the same codec as the runtime
  gateway, ``record_codec``), so a bad record is refused naming its feature, and GetRecord's strings come back typed.
  Definitions are cached per group and forgotten when the group is deleted or the service says it is gone.
* Ingestion reads the source in chunks (Athena through awswrangler, or the file in batches), checks every row
  (bad rows counted per cause and skipped, none sent) and puts the good ones with PutRecord on a few threads, as the
  SageMaker SDK's ``FeatureGroup.ingest`` does. PutRecord has no transaction: a call that still fails after
  botocore's retries stops the ingestion with the error, and the rows already put stay put.
* ``start_ingestion`` runs on SageMaker, as a Processing job (``ingest_job/ingest.py`` in the scikit-learn image,
  through the processing port, so the Jobs page follows it): the workspace's local job workers never hold AWS
  credentials. It reads a table's files or a file; a SQL result is saved as a table first.
* The runtime answers ``ValidationError``/``AccessForbidden``, which the shared error table does not know; they are
  translated here (``InvalidInput``, ``BackendUnavailable``).
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import boto3
import pyarrow as pa
from botocore.exceptions import ClientError

from services.aws.errors import CREDENTIALS_HINT, translate, translated
from services.aws.sagemaker import BUCKET_HINT, ROLE_HINT, SageMakerClients, error_code, iso
from services.catalog.base import CatalogPort
from services.config import Settings
from services.errors import BackendUnavailable, InvalidInput, NotFound
from services.features import athena_sql
from services.features.dataset_sql import GroupRelation, Relation, output_names
from services.features.models import (
    DELETION_MODES,
    OFFLINE_BUCKET,
    DatasetRequest,
    DatasetResult,
    FeatureDefinition,
    FeatureGroup,
    FeatureGroupSpec,
    IngestResult,
    IngestSource,
    record_as_api,
)
from services.features.record_codec import typed_record
from services.features.validation import (
    CheckedRows,
    check_rows,
    check_spec,
    event_time_seconds,
    failure_lines,
    iso_seconds,
    offline_column,
)
from services.names import check_name, check_output_table
from services.query.base import QueryPort

CHUNK_ROWS = 10_000
PUT_THREADS = 4
BATCH_LIMIT = 100  # BatchGetRecord takes at most 100 record ids per identifier
BATCH_RETRIES = 3  # rounds for UnprocessedIdentifiers
SEARCH_PAGE = 100
RECORD_HINT = "Check the record against the feature group's definitions (names and types)."
RUNTIME_ERRORS = {"ValidationError": (InvalidInput, RECORD_HINT), "AccessForbidden": (BackendUnavailable, CREDENTIALS_HINT)}
INTEGRAL_TYPES = ("tinyint", "smallint", "int", "integer", "bigint")
FRACTIONAL_TYPES = ("float", "double", "real", "decimal")
Progress = Callable[[int, int], None]


class ProcessingJobs(Protocol):
    """What ingestion jobs need of the processing port (``services/processing/base.py``), named here so the features
    package does not import the processing package, which imports this one's models."""

    def default_image(self) -> str: ...
    def upload_code(self, folder: Path, job_name: str) -> str: ...
    def start_processing_job(self, request: dict[str, Any]) -> str: ...


class AwsFeatures(SageMakerClients):
    def __init__(self, session: boto3.Session, settings: Settings, *, query: QueryPort, catalog: CatalogPort,
                 processing: ProcessingJobs | None = None) -> None:
        self.session = session
        self.settings = settings
        self.query = query
        self.catalog = catalog
        self.processing = processing
        self._groups: dict[str, FeatureGroup] = {}

    @cached_property
    def _runtime(self) -> Any:
        return self.session.client("sagemaker-featurestore-runtime")

    # -- feature groups -----------------------------------------------------------------------------

    @translated
    def infer_definitions(self, source: IngestSource) -> list[FeatureDefinition]:
        if source.table:
            database, table = split_table(source.table)
            return [definition_for(c.name, c.type) for c in self.catalog.get_table(database, table).columns]
        if source.sql:
            result = self.query.run(f"SELECT * FROM ({source.sql}) LIMIT 0", max_rows=1)  # its columns are what counts
            return [definition_for(c.name, c.type) for c in result.columns]
        first = next(iter(read_file_chunks(source.path, 100)), None)
        if first is None:
            raise InvalidInput(f"{source.path} has no rows to infer features from.", hint="Pick a file with data.")
        return [definition_for(str(name), str(kind)) for name, kind in first.dtypes.items()]

    @translated
    def create_feature_group(self, spec: FeatureGroupSpec) -> FeatureGroup:
        check_spec(spec)
        request: dict[str, Any] = {
            "FeatureGroupName": spec.name, "RecordIdentifierFeatureName": spec.record_identifier,
            "EventTimeFeatureName": spec.event_time, "FeatureDefinitions": [f.as_api() for f in spec.features],
            "Description": spec.description, "Tags": [{"Key": k, "Value": v} for k, v in spec.tags.items()],
        }
        if spec.online:
            request["OnlineStoreConfig"] = online_config(spec)
        if spec.offline:
            request["OfflineStoreConfig"] = {"S3StorageConfig": {"S3Uri": self._offline_uri()}}
            request["RoleArn"] = self._role()
        self._sagemaker.create_feature_group(**{k: v for k, v in request.items() if v not in ("", [])})
        return self.describe_feature_group(spec.name)

    def _offline_uri(self) -> str:
        if not self.settings.s3_bucket:
            raise InvalidInput("The offline store needs an S3 bucket.", hint=BUCKET_HINT)
        return f"s3://{self.settings.s3_bucket}/{OFFLINE_BUCKET}"

    def _role(self) -> str:
        if not self.settings.sagemaker_role:
            raise InvalidInput("The offline store needs an IAM role that writes to S3.", hint=ROLE_HINT)
        return self.settings.sagemaker_role

    @translated
    def describe_feature_group(self, name: str) -> FeatureGroup:
        check_name("feature-group", name)
        described = self._call("describe_feature_group", FeatureGroupName=name)
        tags = self._sagemaker.list_tags(ResourceArn=described["FeatureGroupArn"]).get("Tags", [])
        group = group_from_api(described | {"Tags": tags})
        self._groups[name] = group
        return group

    def _group(self, name: str) -> FeatureGroup:
        """The group's definitions, described once."""
        return self._groups.get(name) or self.describe_feature_group(name)

    @translated
    def list_feature_groups(self) -> list[FeatureGroup]:
        groups = [group_from_api(found) for found in self._search_groups()]
        return sorted(groups, key=lambda g: g.created_at, reverse=True)

    @translated
    def search(self, text: str) -> list[FeatureGroup]:
        return [group for group in self.list_feature_groups() if group_matches(group, text)]

    def _search_groups(self) -> Iterator[dict[str, Any]]:
        token = ""
        while True:
            page = self._sagemaker.search(Resource="FeatureGroup", SortBy="CreationTime", SortOrder="Descending",
                                          MaxResults=SEARCH_PAGE, **({"NextToken": token} if token else {}))
            for result in page.get("Results", []):
                if "FeatureGroup" in result:
                    yield result["FeatureGroup"]
            token = page.get("NextToken") or ""
            if not token:
                return

    @translated
    def delete_feature_group(self, name: str) -> None:
        check_name("feature-group", name)
        self._groups.pop(name, None)
        self._call("delete_feature_group", FeatureGroupName=name)

    # -- records ------------------------------------------------------------------------------------

    def _run(self, operation: str, name: str, **parameters: Any) -> Any:
        """A runtime call; its errors as ours (an unknown group forgets the cached definitions)."""
        try:
            return getattr(self._runtime, operation)(FeatureGroupName=name, **parameters)
        except ClientError as exc:
            code = error_code(exc)
            if code == "ResourceNotFound":
                self._groups.pop(name, None)
                raise NotFound(f"SageMaker Feature Store has no feature group {name!r} in {self.region}.",
                               hint="Pick a feature group from the list.") from exc
            if code in RUNTIME_ERRORS:
                error_class, hint = RUNTIME_ERRORS[code]
                message = exc.response.get("Error", {}).get("Message", code)
                raise error_class(f"SageMaker Feature Store refused {exc.operation_name}: {message}", hint=hint) from exc
            raise translate(exc) from exc

    @translated
    def put_record(self, name: str, record: dict[str, Any]) -> None:
        group = self._group(name)
        self._run("put_record", name, Record=record_as_api(checked_record(group, record)))

    @translated
    def get_record(self, name: str, record_id: str, features: tuple[str, ...] = ()) -> dict[str, Any] | None:
        group = self._group(name)
        check_features(group, features)
        extra = {"FeatureNames": list(features)} if features else {}
        answer = self._run("get_record", name, RecordIdentifierValueAsString=str(record_id), **extra)
        return typed_record(group, answer["Record"], features) if answer.get("Record") else None

    @translated
    def batch_get_record(self, name: str, record_ids: list[str], features: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        group = self._group(name)
        check_features(group, features)
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(record_ids), BATCH_LIMIT):
            found |= self._batch(group, [str(i) for i in record_ids[start:start + BATCH_LIMIT]], features)
        return [found[str(i)] for i in record_ids if str(i) in found]

    def _batch(self, group: FeatureGroup, record_ids: list[str], features: tuple[str, ...]) -> dict[str, dict[str, Any]]:
        identifier: dict[str, Any] = {"FeatureGroupName": group.name, "RecordIdentifiersValueAsString": record_ids}
        if features:
            identifier["FeatureNames"] = list(features)
        found: dict[str, dict[str, Any]] = {}
        pending = [identifier]
        for _ in range(BATCH_RETRIES):
            answer = self._runtime.batch_get_record(Identifiers=pending)
            raise_batch_errors(answer.get("Errors", []))
            for detail in answer.get("Records", []):
                found[detail["RecordIdentifierValueAsString"]] = typed_record(group, detail["Record"], features)
            pending = answer.get("UnprocessedIdentifiers", [])
            if not pending:
                return found
        raise BackendUnavailable(f"SageMaker Feature Store left {sum(len(p['RecordIdentifiersValueAsString']) for p in pending)} "
                                 "record ids unprocessed after retrying.", hint="AWS is busy; try again in a moment.")

    @translated
    def delete_record(self, name: str, record_id: str, event_time: str, mode: str = "SoftDelete") -> None:
        group = self._group(name)
        if mode not in DELETION_MODES:
            raise InvalidInput(f"DeletionMode {mode!r} is not one of {', '.join(DELETION_MODES)}.", hint="Use SoftDelete or HardDelete.")
        event_time_seconds(group.feature(group.spec.event_time), event_time)  # type: ignore[arg-type]
        self._run("delete_record", name, RecordIdentifierValueAsString=str(record_id), EventTime=event_time,
                  DeletionMode=mode)

    # -- ingestion ----------------------------------------------------------------------------------

    @translated
    def ingest(self, name: str, source: IngestSource, progress: Any = None) -> IngestResult:
        group = self._group(name)
        ingested, failed, causes = 0, 0, Counter[str]()
        with ThreadPoolExecutor(max_workers=PUT_THREADS) as pool:
            for chunk in self._chunks(source):
                records, checked = checked_rows(group, pa.Table.from_pandas(chunk, preserve_index=False))
                failed += checked.failed
                causes.update(checked.failures)
                list(pool.map(lambda record: self._run("put_record", name, Record=record_as_api(record)), records))
                ingested += len(records)
                if progress is not None:
                    progress(ingested, ingested + failed)
        return IngestResult(ingested=ingested, failed=failed, errors=failure_lines(dict(causes)))

    def _chunks(self, source: IngestSource) -> Iterator[Any]:
        if source.path:
            yield from read_file_chunks(source.path, CHUNK_ROWS)
            return
        import awswrangler as wr

        sql = source.sql or f"SELECT * FROM {athena_sql.table_ref(source.table)}"
        chunks = wr.athena.read_sql_query(sql, database=split_table(source.table)[0] if source.table else "default",
                                          ctas_approach=False, chunksize=CHUNK_ROWS, workgroup=self.settings.athena_workgroup,
                                          s3_output=self.settings.athena_output, boto3_session=self.session)
        yield from ([chunks] if not isinstance(chunks, Iterator) else chunks)

    @translated
    def start_ingestion(self, name: str, source: IngestSource) -> str:
        """A SageMaker Processing job (the scikit-learn image) running ``ingest_job/ingest.py`` over the source's
        files: a catalog table's S3 location, an S3 file, or a local file uploaded beside the job's code. The
        workspace's own job workers never hold AWS credentials, so the job runs on SageMaker; the processing port
        records it, so the Jobs page follows it."""
        group = self._group(name)
        if self.processing is None:
            raise BackendUnavailable("Ingestion jobs need the processing capability.", hint="Build the features port "
                                     "through services.registry, which gives it one.")
        if source.sql:
            raise InvalidInput("On AWS an ingestion job reads a table or a file, not a SQL result.",
                               hint="Save the query's result as a table (Query page) and ingest that table.")
        job = ingestion_job_name(name)
        code = self.processing.upload_code(INGEST_CODE, job)
        prefix = code.removesuffix("input/code/")
        self._upload_text(f"{prefix}input/group/group.json", json.dumps(group_file(group)))
        request = ingestion_request(name, job, prefix, self._source_uri(source, prefix), self.processing.default_image(),
                                    self.region)
        return self.processing.start_processing_job(request)

    def _source_uri(self, source: IngestSource, prefix: str) -> str:
        if source.table:
            return self.catalog.get_table(*split_table(source.table)).location
        if source.path.startswith("s3://"):
            return source.path
        path = Path(source.path)
        if not path.is_file():
            raise InvalidInput(f"{source.path} is not a file.", hint="Give a CSV, Parquet or JSON-lines file.")
        uri = f"{prefix}input/data/{path.name}"
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        self._s3.upload_file(str(path), bucket, key)
        return uri

    def _upload_text(self, uri: str, text: str) -> None:
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        self._s3.put_object(Bucket=bucket, Key=key, Body=text.encode())

    # -- offline store: dataset and statistics ------------------------------------------------------

    @translated
    def build_dataset(self, request: DatasetRequest) -> DatasetResult:
        check_dataset_request(request)
        base = self._base_source(request)
        described = [self._group(name) for name in request.groups]
        names = output_names(base.columns, tuple(naming_relation(group) for group in described))
        groups = tuple(self._group_source(group, base, pairs) for group, pairs in zip(described, names))
        window = athena_sql.Window(as_of=request.as_of, start=request.event_time_start, end=request.event_time_end,
                                   include_deleted=request.include_deleted)
        sql = athena_sql.dataset_sql(base, groups, window)
        result = self.query.run(sql, max_rows=1)  # the result stays in Athena: its row count is enough
        leaking = self.query.run(athena_sql.leakage_sql(base, groups, window), max_rows=1).frame
        leaking_rows = int(str(leaking.iloc[0, 0])) if len(leaking) else 0
        columns = (*base.columns, *(output for g in groups for _, output in g.features))
        saved = self._save(result.query_id, request)
        note = (f"{leaking_rows} rows use features written after the row's event time: set an as-of time to leave "
                "them out." if leaking_rows else "")
        return DatasetResult(rows=result.statistics.rows, columns=columns, sql=sql, table=saved if request.out_table else "",
                             path=request.out_path, leaking_rows=leaking_rows, leakage_note=note)

    def _save(self, query_id: str, request: DatasetRequest) -> str:
        if request.out_table:
            database, table = check_output_table(request.out_table)
            self.query.save_result_as_table(query_id, database, table)
            return f"{database}.{table}"
        if request.out_path:
            with Path(request.out_path).open("wb") as out:
                for chunk in self.query.export_chunks(query_id, "parquet" if request.out_path.endswith(".parquet") else "csv"):
                    out.write(chunk)
            return request.out_path
        raise InvalidInput("Say where the dataset goes: a table (database.table) or a file.", hint="Give --table or --out.")

    def _base_source(self, request: DatasetRequest) -> athena_sql.BaseSource:
        if request.base_group:
            group = self._group(request.base_group)
            columns = tuple(offline_column(f.name) for f in group.spec.features)
            return athena_sql.BaseSource(offline_table(group), offline_column(group.spec.record_identifier),
                                         offline_column(group.spec.event_time), feature_kind(group, group.spec.event_time),
                                         columns, deduplicate=True)
        if not request.base_table:
            raise InvalidInput("On AWS the base of a dataset is a catalog table or a feature group.",
                               hint="Register the file as a table (Catalog → import) and use that table.")
        database, table = split_table(request.base_table)
        types = {c.name: c.type for c in self.catalog.get_table(database, table).columns}
        for column in (request.record_identifier, request.event_time):
            if column not in types:
                raise InvalidInput(f"{request.base_table} has no column {column!r}.", hint=f"Its columns are {', '.join(types)}.")
        return athena_sql.BaseSource(f"{database}.{table}", request.record_identifier, request.event_time,
                                     column_kind(types[request.event_time]), tuple(types))

    def _group_source(self, group: FeatureGroup, base: athena_sql.BaseSource,
                      names: list[tuple[str, str]]) -> athena_sql.GroupSource:
        """The group's offline columns (Glue lower-cases them) and the names they get in the dataset."""
        outputs = [(offline_column(feature), output) for feature, output in names]
        return athena_sql.GroupSource(group.name, offline_table(group), offline_column(group.spec.record_identifier),
                                      offline_column(group.spec.event_time), feature_kind(group, group.spec.event_time),
                                      tuple(outputs))

    @translated
    def feature_statistics(self, name: str) -> list[dict[str, Any]]:
        group = self._group(name)
        features = tuple((offline_column(f.name), f.type, bool(f.collection_type)) for f in group.spec.features)
        frame = self.query.run(athena_sql.statistics_sql(offline_table(group), features), max_rows=1).frame
        return statistics_rows(group, frame.iloc[0].tolist() if len(frame) else [])


# -- pure helpers ---------------------------------------------------------------------------------------


def check_dataset_request(request: DatasetRequest) -> None:
    """The builders' shared rules for a request (``DatasetRequest.check``), and its times as ISO-8601."""
    request.check()
    for text in (request.as_of, request.event_time_start, request.event_time_end):
        if text:
            iso_seconds(text)


def naming_relation(group: FeatureGroup) -> GroupRelation:
    """The group as the local builder's ``output_names`` reads it (names only: Athena reads the records)."""
    spec = group.spec
    return GroupRelation(spec.name, spec.record_identifier, spec.event_time, tuple(f.name for f in spec.features),
                         Relation(sql="", columns=()))


def statistics_rows(group: FeatureGroup, row: list[Any]) -> list[dict[str, Any]]:
    """``statistics_sql``'s one row as the local adapter answers statistics: one dict per feature."""
    if not row:
        return []
    values = [None if isinstance(value, float) and math.isnan(value) else value for value in row]
    rows, written, width = int(values[0] or 0), str(values[1] or ""), len(athena_sql.STATISTICS)
    return [{"feature": f.name, "type": f.type, "collection_type": f.collection_type, "rows": rows,
             **dict(zip(athena_sql.STATISTICS, values[2 + index * width:2 + (index + 1) * width])),
             "last_written_at": written} for index, f in enumerate(group.spec.features)]


def split_table(name: str) -> tuple[str, str]:
    database, _, table = name.partition(".")
    if not database or not table:
        raise InvalidInput(f"{name!r} is not database.table.", hint="Name a table as database.table, e.g. demo.reviews.")
    return database, table


def column_kind(glue_type: str) -> str:
    """How an event-time column of this Glue/Athena type compares as a time."""
    kind = glue_type.lower()
    if kind.startswith(("timestamp", "date")):
        return "timestamp"
    return "Fractional" if kind.startswith(INTEGRAL_TYPES + FRACTIONAL_TYPES) else "String"


def definition_for(name: str, column_type: str) -> FeatureDefinition:
    """A feature for a column of a Glue/Athena (or pandas) type: integers Integral, floats Fractional, arrays List."""
    kind = column_type.lower()
    if kind.startswith("array<"):
        return FeatureDefinition(name, definition_for(name, kind[6:-1]).type, collection_type="List")
    if kind.startswith(INTEGRAL_TYPES + ("int8", "int16", "int32", "int64", "uint")):
        return FeatureDefinition(name, "Integral")
    if kind.startswith(FRACTIONAL_TYPES + ("float32", "float64")):
        return FeatureDefinition(name, "Fractional")
    return FeatureDefinition(name, "String")


def online_config(spec: FeatureGroupSpec) -> dict[str, Any]:
    config: dict[str, Any] = {"EnableOnlineStore": True}
    if spec.ttl_seconds:
        config["TtlDuration"] = {"Unit": "Seconds", "Value": spec.ttl_seconds}
    return config


def group_from_api(described: dict[str, Any]) -> FeatureGroup:
    """DescribeFeatureGroup's (or Search's ``FeatureGroup``) answer as our model."""
    definitions = tuple(definition_from_api(d) for d in described.get("FeatureDefinitions", []))
    online = described.get("OnlineStoreConfig") or {}
    offline = described.get("OfflineStoreConfig") or {}
    ttl = online.get("TtlDuration")
    catalog = offline.get("DataCatalogConfig") or {}
    spec = FeatureGroupSpec(
        name=described["FeatureGroupName"], record_identifier=described["RecordIdentifierFeatureName"],
        event_time=described["EventTimeFeatureName"], features=definitions, description=described.get("Description", ""),
        tags={t["Key"]: t["Value"] for t in described.get("Tags", [])}, online=bool(online.get("EnableOnlineStore")),
        offline=bool(offline), ttl_seconds=ttl_seconds(ttl) if ttl else None)
    storage = offline.get("S3StorageConfig") or {}
    return FeatureGroup(
        spec=spec, arn=described["FeatureGroupArn"], status=described.get("FeatureGroupStatus", ""),
        created_at=iso(described.get("CreationTime")),
        offline_table=f"{catalog['Database']}.{catalog['TableName']}" if catalog else "",
        offline_s3_uri=storage.get("ResolvedOutputS3Uri") or storage.get("S3Uri", ""),
        failure_reason=described.get("FailureReason", ""))


def definition_from_api(definition: dict[str, Any]) -> FeatureDefinition:
    vector = (definition.get("CollectionConfig") or {}).get("VectorConfig") or {}
    return FeatureDefinition(definition["FeatureName"], definition["FeatureType"],
                             collection_type=definition.get("CollectionType", ""), dimension=int(vector.get("Dimension", 0)))


TTL_UNITS = {"Seconds": 1, "Minutes": 60, "Hours": 3600, "Days": 86400, "Weeks": 604800}


def ttl_seconds(ttl: dict[str, Any]) -> int:
    return int(ttl["Value"]) * TTL_UNITS[ttl["Unit"]]


def group_matches(group: FeatureGroup, text: str) -> bool:
    """Whether the name, description, a feature name or a tag key or value contains ``text`` (any case)."""
    spec = group.spec
    needle = text.strip().lower()
    haystack = [spec.name, spec.description, *(f.name for f in spec.features), *spec.tags, *spec.tags.values()]
    return any(needle in value.lower() for value in haystack)


def offline_table(group: FeatureGroup) -> str:
    if not group.offline_table:
        raise InvalidInput(f"Feature group {group.name} has no offline store to query.",
                           hint="Datasets and statistics come from the offline store; create the group with one.")
    return group.offline_table


def feature_kind(group: FeatureGroup, name: str) -> str:
    definition = group.feature(name)
    return definition.type if definition else "String"


def check_features(group: FeatureGroup, features: tuple[str, ...]) -> None:
    unknown = [name for name in features if group.feature(name) is None]
    if unknown:
        raise InvalidInput(f"Feature group {group.name!r} has no feature {unknown[0]!r}.",
                           hint=f"Its features: {', '.join(f.name for f in group.spec.features[:30])}.")


def raise_batch_errors(errors: list[dict[str, Any]]) -> None:
    """BatchGetRecord's per-record errors as one of ours (an unknown group is ``NotFound``)."""
    if not errors:
        return
    first = errors[0]
    message = f"SageMaker Feature Store could not read {len(errors)} record(s): {first['ErrorCode']}: {first['ErrorMessage']}"
    if first["ErrorCode"] == "ResourceNotFound":
        raise NotFound(message, hint="Pick a feature group from the list.")
    raise BackendUnavailable(message, hint="Try again; check the feature group's status.")


# -- checking records and rows (the local adapter's rules: ``validation``) ------------------------------------


def checked_record(group: FeatureGroup, record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with every value as its feature's type; ``InvalidInput`` naming the problems."""
    check_features(group, tuple(record))
    records, checked = checked_rows(group, pa.Table.from_pylist([record]))
    if checked.failed:
        raise InvalidInput(f"The record does not fit feature group {group.name}: {'; '.join(checked.failures)}.",
                           hint=RECORD_HINT)
    return records[0]


def checked_rows(group: FeatureGroup, batch: pa.Table) -> tuple[list[dict[str, Any]], CheckedRows]:
    """The rows of ``batch`` that can be written, as records without their missing values, and the check itself."""
    checked = check_rows(group.spec, batch)
    records = [{name: value for name, value in row.items() if value is not None} for row in checked.table.to_pylist()]
    return records, checked


def read_file_chunks(path: str, rows: int) -> Iterator[Any]:
    """A CSV, Parquet or JSON-lines file (local or on S3) in DataFrames of at most ``rows`` rows."""
    import pandas as pd

    lower = path.lower()
    if lower.endswith(".parquet"):
        import pyarrow.parquet as pq

        with pq.ParquetFile(path) as parquet:
            for batch in parquet.iter_batches(batch_size=rows):
                yield batch.to_pandas()
        return
    if lower.endswith((".jsonl", ".json")):
        yield from pd.read_json(path, lines=True, chunksize=rows)
        return
    if lower.endswith((".csv", ".tsv")):
        yield from pd.read_csv(path, sep="\t" if lower.endswith(".tsv") else ",", chunksize=rows)
        return
    raise InvalidInput(f"{path} is not a CSV, Parquet or JSON-lines file.", hint="Use .csv, .parquet or .jsonl.")


# -- the ingestion job ------------------------------------------------------------------------------------------

INGEST_CODE = Path(__file__).with_name("ingest_job")
INGEST_SCRIPT = "ingest.py"
INGEST_INSTANCE = "ml.m5.large"
INGEST_MAX_SECONDS = 86_400


def ingestion_job_name(group: str, now: datetime | None = None) -> str:
    """``ingest-<group>-<yymmdd-hhmmss>-<hex4>``, within SageMaker's rule for processing job names."""
    stem = re.sub(r"[^a-zA-Z0-9]+", "-", group).strip("-")[:30].strip("-")
    stamp = (now or datetime.now(UTC)).strftime("%y%m%d-%H%M%S")
    return check_name("processing-job", f"ingest-{stem}-{stamp}-{uuid.uuid4().hex[:4]}")


def group_file(group: FeatureGroup) -> dict[str, Any]:
    """What the job's script needs of the group: its definitions and identifier and event-time names."""
    shape = group.as_api()
    return {key: shape[key] for key in ("FeatureGroupName", "RecordIdentifierFeatureName", "EventTimeFeatureName",
                                        "FeatureDefinitions")}


def ingestion_request(group: str, job: str, prefix: str, data_uri: str, image: str, region: str) -> dict[str, Any]:
    """CreateProcessingJob's request (the processing port adds the RoleArn); ``prefix`` is the job's S3 folder."""
    def s3_input(name: str, uri: str) -> dict[str, Any]:
        return {"InputName": name, "AppManaged": False, "S3Input": {
            "S3Uri": uri, "LocalPath": f"/opt/ml/processing/input/{name}", "S3DataType": "S3Prefix", "S3InputMode": "File",
            "S3DataDistributionType": "FullyReplicated"}}

    result = {"OutputName": "result", "AppManaged": False, "S3Output": {
        "S3Uri": f"{prefix}output/result/", "LocalPath": "/opt/ml/processing/output/result", "S3UploadMode": "EndOfJob"}}
    return {"ProcessingJobName": job,
            "ProcessingInputs": [s3_input("data", data_uri), s3_input("code", f"{prefix}input/code/"),
                                 s3_input("group", f"{prefix}input/group/")],
            "ProcessingOutputConfig": {"Outputs": [result]},
            "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": INGEST_INSTANCE, "VolumeSizeInGB": 30}},
            "AppSpecification": {"ImageUri": image, "ContainerEntrypoint": [
                "python3", f"/opt/ml/processing/input/code/{INGEST_SCRIPT}"], "ContainerArguments": ["--feature-group", group]},
            "Environment": {"AWS_DEFAULT_REGION": region},
            "StoppingCondition": {"MaxRuntimeInSeconds": INGEST_MAX_SECONDS}}


def build_aws_features(session: boto3.Session, settings: Settings, *, query: QueryPort, catalog: CatalogPort,
                       processing: ProcessingJobs | None = None) -> AwsFeatures:
    return AwsFeatures(session, settings, query=query, catalog=catalog, processing=processing)

