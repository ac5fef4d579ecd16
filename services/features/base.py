"""The features port: SageMaker Feature Store — feature groups, the online store (PutRecord, GetRecord,
BatchGetRecord, DeleteRecord), ingestion and the point-in-time dataset builder.

Locally the groups live in the metadata store, the online store beside them and the offline store in the lake
(``services/features/local.py``); the runtime gateway serves the online store to an unchanged boto3
``sagemaker-featurestore-runtime`` client. On AWS the adapter calls SageMaker Feature Store and queries the offline
store through Athena.
"""

from __future__ import annotations

from typing import Any, Protocol

from services.features.models import (
    DatasetRequest,
    DatasetResult,
    FeatureDefinition,
    FeatureGroup,
    FeatureGroupSpec,
    IngestResult,
    IngestSource,
)


class FeaturesPort(Protocol):
    def infer_definitions(self, source: IngestSource) -> list[FeatureDefinition]:
        """Feature definitions from the source's schema (integers → Integral, floats → Fractional, anything
        else → String, lists → List collections)."""
        ...

    def create_feature_group(self, spec: FeatureGroupSpec) -> FeatureGroup:
        """CreateFeatureGroup; ``InvalidInput`` naming the problem (bad name, identifier or event-time feature
        not among the features, event time neither String nor Fractional, no store enabled), ``AlreadyExists``."""
        ...

    def describe_feature_group(self, name: str) -> FeatureGroup:
        """``NotFound`` for an unknown group."""
        ...

    def list_feature_groups(self) -> list[FeatureGroup]:
        """Every group, newest first."""
        ...

    def search(self, text: str) -> list[FeatureGroup]:
        """Groups whose name, description, a feature name or a tag (key or value) contains ``text``
        (case-insensitive)."""
        ...

    def delete_feature_group(self, name: str) -> None:
        """DeleteFeatureGroup: the group and its online store; the offline data stays in the lake, as on AWS."""
        ...

    def put_record(self, name: str, record: dict[str, Any]) -> None:
        """PutRecord: validated against the definitions (``InvalidInput`` naming the feature); online store
        updated when the event time is not older than the stored record's, offline store appended."""
        ...

    def get_record(self, name: str, record_id: str, features: tuple[str, ...] = ()) -> dict[str, Any] | None:
        """GetRecord: the latest record (only ``features`` if given); None when there is none or it expired."""
        ...

    def batch_get_record(self, name: str, record_ids: list[str],
                         features: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """BatchGetRecord: the records found, in the order asked."""
        ...

    def delete_record(self, name: str, record_id: str, event_time: str, mode: str = "SoftDelete") -> None:
        """DeleteRecord: ``SoftDelete`` writes a deleted marker to the offline store, ``HardDelete`` also removes
        the record's rows from it; both remove it from the online store."""
        ...

    def ingest(self, name: str, source: IngestSource, progress: Any = None) -> IngestResult:
        """Ingest every row of ``source`` in chunks (never whole in memory); rows that fail validation are
        counted per cause and nothing of a failed chunk is half-written."""
        ...

    def start_ingestion(self, name: str, source: IngestSource) -> str:
        """``ingest`` as a job with progress (the job's result is ``IngestResult.as_api()``); the job's name."""
        ...

    def build_dataset(self, request: DatasetRequest) -> DatasetResult:
        """The point-in-time join, saved as a table or file, with the SQL it ran and the leakage check."""
        ...

    def feature_statistics(self, name: str) -> list[dict[str, Any]]:
        """One row per feature from the offline store: type, non-null count, distinct, min/max/mean (numbers),
        and the group's freshness."""
        ...
