"""MiniLM embeddings as the feature group ``<database>_<table>-minilm-embeddings``: written through the local
features adapter, read back point-in-time per table version (vectors here are seeded random numbers: encoding is
training's business and has its own tests)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from services.features import embeddings
from services.features.embeddings import EmbeddingSource
from services.features.local import LocalFeatures, build_local_features
from services.registry import Services, build_services
from services.training.algorithms import minilm_features
from tests.helpers.recording import RecordingReporter
from tests.helpers.workspace import close_services, settings_for_tests


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, LocalFeatures, Path]]:
    folder = tmp_path_factory.mktemp("embeddings")
    services = build_services(settings_for_tests(home=folder / "workspace", seed_on_start=False))
    features = build_local_features(services.stack, catalog=services.catalog, query=services.query, storage=services.storage)
    yield services, features, folder
    close_services(services)


def import_reviews(services: Services, folder: Path, texts: list[str], table: str = "reviews") -> str:
    path = folder / f"{table}.csv"
    pd.DataFrame({"review_id": ["r1", "r2", "r3"][:len(texts)], "review_body": texts}).to_csv(path, index=False)
    return services.catalog.import_path(path, "shop", table).version_id


def vectors(seed: int, rows: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(rows, embeddings.DIMENSION)).astype(np.float32)


def test_embeddings_are_written_and_read_per_table_version(store: tuple[Services, LocalFeatures, Path]) -> None:
    services, features, folder = store
    first_version = import_reviews(services, folder, ["good", "bad", "fine"])
    first = EmbeddingSource("shop.reviews", first_version, "review_body")
    assert embeddings.read_embeddings(features, first) == {}  # no group yet: a cache miss
    written = vectors(1, 3)
    result = embeddings.write_embeddings(features, first, ["r1", "r2", "r3"], written)
    assert result is not None and (result.ingested, result.failed) == (3, 0)
    group = features.describe_feature_group("shop_reviews-minilm-embeddings")
    assert group.spec.tags["text_column"] == "review_body" and not group.spec.online
    assert group.feature("embedding").as_api()["CollectionConfig"] == {"VectorConfig": {"Dimension": 384}}
    read = embeddings.read_embeddings(features, first)
    assert sorted(read) == ["r1", "r2", "r3"]
    np.testing.assert_array_equal(read["r2"], written[1])

    # a newer version reuses the earlier vectors; a vector written for it does not change the earlier version's
    second = EmbeddingSource("shop.reviews", import_reviews(services, folder, ["great", "bad", "fine"]), "review_body")
    np.testing.assert_array_equal(embeddings.read_embeddings(features, second)["r3"], written[2])
    changed = vectors(2, 1)
    embeddings.write_embeddings(features, second, ["r1"], changed)
    np.testing.assert_array_equal(embeddings.read_embeddings(features, second)["r1"], changed[0])
    np.testing.assert_array_equal(embeddings.read_embeddings(features, first)["r1"], written[0])


def test_a_group_of_another_text_column_is_left_alone(store: tuple[Services, LocalFeatures, Path]) -> None:
    services, features, folder = store
    version = import_reviews(services, folder, ["a", "b"], table="notes")
    embeddings.write_embeddings(features, EmbeddingSource("shop.notes", version, "review_body"), ["r1"], vectors(3, 1))
    other = EmbeddingSource("shop.notes", version, "title")
    assert embeddings.read_embeddings(features, other) == {}
    assert embeddings.write_embeddings(features, other, ["r1"], vectors(4, 1)) is None
    assert embeddings.read_embeddings(features, EmbeddingSource("shop.notes", "99", "review_body")) == {}
    assert len(embeddings.read_embeddings(features, EmbeddingSource("shop.notes", version, "review_body"))) == 1


def test_training_reuses_the_feature_store_group(store: tuple[Services, LocalFeatures, Path],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    services, _, folder = store
    source = EmbeddingSource("shop.train", import_reviews(services, folder, ["fine", "poor", "okay"], table="train"),
                             "review_body")
    texts, ids = ["fine", "poor", "okay"], ["r1", "r2", "r3"]
    encoded: list[str] = []

    def fake_encode(encoder: Any, batch: list[str]) -> np.ndarray:
        encoded.extend(batch)
        return vectors(5, len(batch))

    monkeypatch.setattr(minilm_features, "encode_texts", fake_encode)
    first = minilm_features.embeddings_for(services.settings, texts, ids, "train_cache", encoder=object(), source=source)  # type: ignore[arg-type]
    assert encoded == texts
    # with the per-version cache gone, the Feature Store group still has every vector: nothing is encoded again
    shutil.rmtree(minilm_features.feature_group_folder(services.settings, "train_cache"))
    reporter = RecordingReporter()
    again = minilm_features.embeddings_for(services.settings, texts, ids, "train_cache", encoder=object(),  # type: ignore[arg-type]
                                           reporter=reporter, source=source)
    assert encoded == texts
    np.testing.assert_array_equal(again, first)
    assert any("reused 3 stored embeddings (3 from the Feature Store), encoded 0." in line for line in reporter.logs)


def test_the_point_in_time_read_skips_later_and_deleted_records() -> None:
    frame = pd.DataFrame({
        "review_id": ["a", "a", "b", "b", "c"],
        "event_time": ["2024-01-01T00:00:00Z", "2024-03-01T00:00:00Z", "2024-01-01T00:00:00Z",
                       "2024-01-02T00:00:00+00:00", "2024-01-01T00:00:00Z"],
        "embedding": [[1.0], [2.0], [3.0], None, [5.0]],
        "write_time": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-01-01", "2024-01-02", "2024-01-01"]),
        "api_invocation_time": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-01-01", "2024-01-02", "2024-01-01"]),
        "is_deleted": [False, False, False, True, False],
    })
    read = embeddings.latest_vectors(frame, pd.Timestamp("2024-02-01T00:00:00+00:00"))
    assert {k: v.tolist() for k, v in read.items()} == {"a": [1.0], "c": [5.0]}


def test_group_names_follow_sagemakers_rule() -> None:
    assert embeddings.group_name("demo.reviews_sentiment") == "demo_reviews_sentiment-minilm-embeddings"
    assert len(embeddings.group_name("d." + "t" * 80)) == 64
