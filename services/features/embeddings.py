"""MiniLM sentence embeddings of a table's texts as an ordinary feature group, ``<database>_<table>-minilm-embeddings``.

Each record is one text of one table version: ``review_id`` (String: the row's id, or a hash of its text),
``event_time`` (String: the table version's time, ISO-8601) and ``embedding`` (a Fractional Vector of 384). The
group has an offline store only (vectors are read in bulk, never one id at a time); its tags say which text
column, model and sequence length the vectors come from, and a group made for another column or length is left
alone. Reading is point-in-time: for a table version, each id's latest record at or before the version's time,
so the vectors of an earlier version are reused as long as the ids are the same texts. The offline store's Parquet
is read directly (only these columns), as the dataset builder reads it. Nothing here encodes
texts: training does (``services.training.algorithms.minilm_features``) and hands the vectors over.
"""

from __future__ import annotations

import re
import shutil
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from services.catalog.base import CatalogPort
from services.embedded.embedded_stack import EmbeddedStack
from services.errors import InvalidInput, NotFound
from services.features.dataset import group_files, offline_folder
from services.features.models import FeatureDefinition, FeatureGroup, FeatureGroupSpec, IngestResult, IngestSource

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION = 384
GROUP_SUFFIX = "-minilm-embeddings"
RECORD_ID, EVENT_TIME, EMBEDDING = "review_id", "event_time", "embedding"
STAGING = "embeddings-staging"


class EmbeddingStore(Protocol):
    """What the embeddings need from the local features adapter."""

    @property
    def stack(self) -> EmbeddedStack: ...
    @property
    def catalog(self) -> CatalogPort: ...

    def describe_feature_group(self, name: str) -> FeatureGroup: ...
    def create_feature_group(self, spec: FeatureGroupSpec) -> FeatureGroup: ...
    def ingest_checked_source(self, name: str, source: IngestSource, progress: Any = None) -> IngestResult: ...


@dataclass(frozen=True)
class EmbeddingSource:
    """Which texts the vectors are of: a table version's text column, encoded at ``max_seq_length`` tokens."""

    table: str  # "database.table"
    version: str
    text_column: str
    max_seq_length: int = 128

    @property
    def tags(self) -> dict[str, str]:
        return {"source_table": self.table, "text_column": self.text_column, "model": MODEL_NAME,
                "max_seq_length": str(self.max_seq_length)}


def group_name(table: str) -> str:
    """``<database>_<table>-minilm-embeddings``, within SageMaker's 64 characters."""
    stem = re.sub(r"[^A-Za-z0-9]+", "_", table).strip("_")
    if not stem:
        raise InvalidInput(f"{table!r} is not a table name.", hint="Give the source table as DATABASE.TABLE.")
    return stem[:64 - len(GROUP_SUFFIX)].rstrip("_") + GROUP_SUFFIX


def group_spec(source: EmbeddingSource) -> FeatureGroupSpec:
    features = (FeatureDefinition(RECORD_ID, "String"), FeatureDefinition(EVENT_TIME, "String"),
                FeatureDefinition(EMBEDDING, "Fractional", "Vector", DIMENSION))
    return FeatureGroupSpec(group_name(source.table), RECORD_ID, EVENT_TIME, features,
                            description=f"MiniLM sentence embeddings of {source.table}.{source.text_column}",
                            tags=source.tags, online=False, offline=True)


def version_time(catalog: CatalogPort, source: EmbeddingSource) -> str | None:
    """When the table version was written (its event time); None when the catalog no longer knows it."""
    database, _, table = source.table.partition(".")
    try:
        versions = catalog.table_versions(database, table)
    except NotFound:
        return None
    found = next((v for v in versions if v.version_id == str(source.version)), None)
    return (found.updated_at or found.created_at or None) if found else None


def matching_group(store: EmbeddingStore, source: EmbeddingSource) -> FeatureGroup | None:
    """The source's group if it exists and holds vectors of the same column, model and length."""
    try:
        group = store.describe_feature_group(group_name(source.table))
    except NotFound:
        return None
    return group if all(group.spec.tags.get(k) == v for k, v in source.tags.items()) else None


def read_embeddings(store: EmbeddingStore, source: EmbeddingSource) -> dict[str, np.ndarray]:
    """Vectors by record id as of the table version: each id's latest record at or before the version's time
    (a delete marker there hides it). Empty when there is no matching group, version or record."""
    group, moment = matching_group(store, source), version_time(store.catalog, source)
    if group is None or moment is None or not group.offline_table:
        return {}
    files = group_files(offline_folder(store.stack, store.catalog, group))
    if not files:
        return {}
    columns = [RECORD_ID, EVENT_TIME, EMBEDDING, "write_time", "api_invocation_time", "is_deleted"]
    frame = pa.concat_tables([pq.read_table(f, columns=columns) for f in files]).to_pandas()
    return latest_vectors(frame, pd.Timestamp(moment))


def latest_vectors(frame: pd.DataFrame, moment: pd.Timestamp) -> dict[str, np.ndarray]:
    """The point-in-time read of the offline rows (pure, so a test pins it)."""
    if frame.empty:
        return {}
    cutoff = moment.tz_convert("UTC") if moment.tzinfo else moment.tz_localize("UTC")
    times = pd.to_datetime(frame[EVENT_TIME], utc=True, format="ISO8601")
    rows = frame.assign(_time=times)[times <= cutoff]
    rows = rows.sort_values(["_time", "write_time", "api_invocation_time"], kind="stable").drop_duplicates(RECORD_ID, keep="last")
    rows = rows[~rows["is_deleted"].fillna(False).astype(bool)]
    return {str(rid): np.asarray(vector, dtype=np.float32) for rid, vector in zip(rows[RECORD_ID], rows[EMBEDDING], strict=True)}


def write_embeddings(store: EmbeddingStore, source: EmbeddingSource, record_ids: list[str], vectors: np.ndarray) -> IngestResult | None:
    """Ingest ``vectors`` as records of the table version (the group is created on first use). None when the
    version is unknown or the group's name is taken by vectors of another column, model or length."""
    moment = version_time(store.catalog, source)
    if moment is None or not record_ids:
        return None
    group = matching_group(store, source)
    if group is None:
        try:
            store.describe_feature_group(group_name(source.table))
            return None  # a group of another column, model or length
        except NotFound:
            store.create_feature_group(group_spec(source))
    folder = store.stack.settings.home / STAGING / uuid.uuid4().hex
    folder.mkdir(parents=True)
    try:
        path = folder / "embeddings.parquet"
        pq.write_table(records_table(record_ids, moment, vectors), path)
        return store.ingest_checked_source(group_name(source.table), IngestSource(path=str(path)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def records_table(record_ids: list[str], moment: str, vectors: np.ndarray) -> pa.Table:
    if vectors.shape != (len(record_ids), DIMENSION):
        raise InvalidInput(f"Expected {len(record_ids)} vectors of {DIMENSION}, got an array of shape {vectors.shape}.")
    flat = pa.array(np.asarray(vectors, dtype=np.float64).ravel())
    return pa.table({RECORD_ID: pa.array(record_ids, pa.string()), EVENT_TIME: pa.array([moment] * len(record_ids)),
                     EMBEDDING: pa.ListArray.from_arrays(pa.array(np.arange(0, len(flat) + 1, DIMENSION, dtype=np.int32)), flat)})
