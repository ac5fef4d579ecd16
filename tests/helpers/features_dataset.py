"""Offline stores written by hand for the dataset builder's tests and benchmark.

A test needs records with chosen write times, invocation times and delete markers, which no API call can give
(PutRecord stamps ``write_time`` itself). ``OfflineGroups`` writes them as the local adapter lays its offline
store out — Parquet under ``lake/sagemaker-featurestore/<group>/data/year=…/month=…/day=…/hour=…/`` with the
features, ``write_time`` and ``api_invocation_time`` (timestamps) and ``is_deleted`` — catalogs the folder as
``sagemaker_featurestore.<group>_<epoch>`` through the storage port, and answers ``describe_feature_group``
for the groups it wrote. Everything else (catalog, storage, the workspace) is the real local backend.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from services.catalog.base import CatalogPort
from services.embedded.embedded_stack import EmbeddedStack
from services.errors import NotFound
from services.features.dataset import build_dataset
from services.features.models import (
    OFFLINE_BUCKET,
    OFFLINE_DATABASE,
    DatasetRequest,
    DatasetResult,
    FeatureDefinition,
    FeatureGroup,
    FeatureGroupSpec,
)
from services.storage.base import StoragePort

ARROW_TYPES = {"Integral": pa.int64(), "Fractional": pa.float64(), "String": pa.string()}
CREATED_EPOCH = 1_700_000_000


def offline_schema(spec: FeatureGroupSpec) -> pa.Schema:
    fields = [pa.field(f.name, pa.list_(ARROW_TYPES[f.type]) if f.collection_type else ARROW_TYPES[f.type])
              for f in spec.features]
    return pa.schema(fields + [pa.field("write_time", pa.timestamp("us")),
                               pa.field("api_invocation_time", pa.timestamp("us")), pa.field("is_deleted", pa.bool_())])


def spec_of(name: str, identifier: str, event_time: str, /, **features: str) -> FeatureGroupSpec:
    """A group spec; ``features`` maps name → FeatureType (identifier and event time included)."""
    return FeatureGroupSpec(name, identifier, event_time, tuple(FeatureDefinition(n, t) for n, t in features.items()))


@dataclass
class OfflineGroups:
    stack: EmbeddedStack
    catalog: CatalogPort
    storage: StoragePort
    groups: dict[str, FeatureGroup] = field(default_factory=dict)

    def describe_feature_group(self, name: str) -> FeatureGroup:
        if name not in self.groups:
            raise NotFound(f"Feature group {name} does not exist.", hint="Pick a group from the list.")
        return self.groups[name]

    def build_dataset(self, request: DatasetRequest) -> DatasetResult:
        return build_dataset(self, request)

    def folder(self, name: str) -> Path:
        return self.stack.workspace.lake / OFFLINE_BUCKET / name / "data"

    def add_group(self, spec: FeatureGroupSpec, records: list[dict[str, Any]] | pa.Table) -> FeatureGroup:
        """The group with ``records`` (each with write_time, and optionally api_invocation_time / is_deleted)."""
        table_name = f"{spec.name.lower().replace('-', '_')}_{CREATED_EPOCH}"
        group = FeatureGroup(spec, arn=f"arn:aws:sagemaker:us-east-1:000000000000:feature-group/{spec.name.lower()}",
                             offline_table=f"{OFFLINE_DATABASE}.{table_name}",
                             offline_s3_uri=f"s3://{OFFLINE_BUCKET}/{spec.name}/data")
        self.groups[spec.name] = group
        self.append(spec, records)
        self.storage.register_table(OFFLINE_DATABASE, table_name, self.folder(spec.name))
        return group

    def append(self, spec: FeatureGroupSpec, records: list[dict[str, Any]] | pa.Table) -> None:
        """One more Parquet file, in the hour partition of its first write time."""
        table = records if isinstance(records, pa.Table) else self.records_table(spec, records)
        first = table.column("write_time")[0].as_py() if table.num_rows else datetime(2024, 1, 1)
        partition = self.folder(spec.name) / f"year={first:%Y}/month={first:%m}/day={first:%d}/hour={first:%H}"
        partition.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, partition / f"{uuid.uuid4().hex}.parquet")

    @staticmethod
    def records_table(spec: FeatureGroupSpec, records: list[dict[str, Any]]) -> pa.Table:
        rows = [{"api_invocation_time": r["write_time"], "is_deleted": False} | r for r in records]
        return pa.Table.from_pylist(rows, schema=offline_schema(spec))
