"""The features port's contract: every adapter must pass ``FeaturesContract``.

``TestLocalFeatures`` runs it on the local adapter over an empty workspace holding one catalog table
(``contract.reviews``, the rows of ``REVIEWS``). ``TestAwsFeatures`` runs it on the aws adapter against
tests/helpers/aws_features.py (SageMaker Feature Store's documented answers, checked against botocore's model, where
moto has none) with the rows in a CSV file. Each provides the ``world`` fixture: the port and a source holding those rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import pytest

from services.errors import AlreadyExists, InvalidInput, NotFound
from services.features.aws import AwsFeatures
from services.features.base import FeaturesPort
from services.features.models import FeatureDefinition, FeatureGroupSpec, IngestSource, record_as_api
from services.registry import build_services
from tests.helpers.aws import aws_settings, fake_aws_credentials, refuse_network
from tests.helpers.aws_features import FakeFeatureStore
from tests.helpers.workspace import settings_for_tests

REVIEWS = pd.DataFrame({
    "review_id": [1, 2, 3, 2],
    "event_time": ["2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z", "2024-01-05T00:00:00Z"],
    "rating": [5, 2, 4, 1],
    "score": [0.9, 0.2, 0.7, 0.1],
    "review_text": ["Lovely", "Too small", "Nice", "Returned it"],
})
FEATURES = (FeatureDefinition("review_id", "Integral"), FeatureDefinition("event_time", "String"),
            FeatureDefinition("rating", "Integral"), FeatureDefinition("score", "Fractional"),
            FeatureDefinition("review_text", "String"))
SPEC = FeatureGroupSpec("review-features", "review_id", "event_time", FEATURES, description="Star ratings of reviews",
                        tags={"team": "sentiment"})


@dataclass
class FeaturesWorld:
    """What the contract needs from a backend: the port, and a source holding the rows of ``REVIEWS``."""

    features: FeaturesPort
    source: IngestSource


class FeaturesContract:
    """Tests any features adapter must pass. Subclasses provide the ``world`` fixture."""

    @pytest.fixture
    def world(self) -> FeaturesWorld:
        raise NotImplementedError

    def test_create_answers_describe_feature_groups_shape(self, world: FeaturesWorld) -> None:
        created = world.features.create_feature_group(SPEC).as_api()
        assert created["FeatureGroupName"] == "review-features"
        assert created["FeatureGroupArn"].endswith(":feature-group/review-features")
        assert (created["RecordIdentifierFeatureName"], created["EventTimeFeatureName"]) == ("review_id", "event_time")
        assert created["FeatureDefinitions"][3] == {"FeatureName": "score", "FeatureType": "Fractional"}
        assert created["OnlineStoreConfig"] == {"EnableOnlineStore": True}
        catalog = created["OfflineStoreConfig"]["DataCatalogConfig"]
        assert catalog["Database"] == "sagemaker_featurestore"
        assert catalog["TableName"].startswith("review_features_") and catalog["TableName"][16:].isdigit()
        assert world.features.describe_feature_group("review-features").as_api() == created

    def test_a_second_group_of_the_same_name_already_exists(self, world: FeaturesWorld) -> None:
        world.features.create_feature_group(SPEC)
        with pytest.raises(AlreadyExists):
            world.features.create_feature_group(SPEC)

    @pytest.mark.parametrize("change, words", [
        ({"record_identifier": "id"}, "record identifier feature 'id' is not among"),
        ({"event_time": "rating"}, "it must be String"),
        ({"online": False, "offline": False}, "needs an online store, an offline store or both"),
        ({"name": "../escaped"}, "not a valid feature group name"),
        ({"features": (*FEATURES, FeatureDefinition("write_time", "String"))}, "reserved feature name"),
        ({"features": (*FEATURES, FeatureDefinition("Rating", "String"))}, "same column name"),
    ])
    def test_bad_groups_are_refused_naming_the_problem(self, world: FeaturesWorld, change: dict[str, object],
                                                       words: str) -> None:
        with pytest.raises(InvalidInput, match=words.replace("(", r"\(")):
            world.features.create_feature_group(replace(SPEC, **change))  # type: ignore[arg-type]
        assert world.features.list_feature_groups() == []

    def test_unknown_groups_are_not_found(self, world: FeaturesWorld) -> None:
        for call in (lambda: world.features.describe_feature_group("nope"),
                     lambda: world.features.get_record("nope", "1"),
                     lambda: world.features.put_record("nope", {"review_id": 1}),
                     lambda: world.features.delete_feature_group("nope")):
            with pytest.raises(NotFound):
                call()

    def test_list_is_newest_first_and_search_matches_name_description_feature_and_tag(self, world: FeaturesWorld) -> None:
        world.features.create_feature_group(SPEC)
        world.features.create_feature_group(FeatureGroupSpec(
            "wine-features", "wine_id", "event_time", (FeatureDefinition("wine_id", "Integral"),
                                                       FeatureDefinition("event_time", "Fractional")), description="Chemistry"))
        assert [g.name for g in world.features.list_feature_groups()][0] in ("wine-features", "review-features")
        assert {g.name for g in world.features.list_feature_groups()} == {"wine-features", "review-features"}
        for text in ("REVIEW-feat", "star ratings", "review_text", "sentiment", "TEAM"):
            assert [g.name for g in world.features.search(text)] == ["review-features"], text
        assert [g.name for g in world.features.search("chemistry")] == ["wine-features"]
        assert world.features.search("nothing-like-it") == []

    def test_infer_definitions_from_the_sources_schema(self, world: FeaturesWorld) -> None:
        inferred = {d.name: d.type for d in world.features.infer_definitions(world.source)}
        assert inferred == {"review_id": "Integral", "event_time": "String", "rating": "Integral", "score": "Fractional",
                            "review_text": "String"}

    def test_put_and_get_the_latest_record_and_a_subset(self, world: FeaturesWorld) -> None:
        features = world.features
        features.create_feature_group(SPEC)
        features.put_record("review-features", {"review_id": "7", "event_time": "2024-03-01T00:00:00Z", "rating": "4",
                                                "score": "0.5", "review_text": "Fine"})
        features.put_record("review-features", {"review_id": 7, "event_time": "2024-02-01T00:00:00Z", "rating": 1})
        record = features.get_record("review-features", "7")
        assert record is not None and record["rating"] == 4  # the older record did not replace it
        assert record_as_api(features.get_record("review-features", "7", ("rating", "score")) or {}) == [
            {"FeatureName": "rating", "ValueAsString": "4"}, {"FeatureName": "score", "ValueAsString": "0.5"}]
        assert features.get_record("review-features", "8") is None

    def test_a_record_of_the_wrong_type_is_refused_naming_the_feature(self, world: FeaturesWorld) -> None:
        world.features.create_feature_group(SPEC)
        with pytest.raises(InvalidInput, match="rating is not a whole number"):
            world.features.put_record("review-features", {"review_id": 1, "event_time": "2024-03-01T00:00:00Z",
                                                          "rating": "five"})
        with pytest.raises(InvalidInput, match="event_time is not an ISO-8601 time"):
            world.features.put_record("review-features", {"review_id": 1, "event_time": "yesterday"})
        with pytest.raises(InvalidInput, match="no feature 'stars'"):
            world.features.put_record("review-features", {"review_id": 1, "event_time": "2024-03-01T00:00:00Z", "stars": 5})
        assert world.features.get_record("review-features", "1") is None

    def test_ingest_then_batch_get_in_the_order_asked(self, world: FeaturesWorld) -> None:
        world.features.create_feature_group(SPEC)
        result = world.features.ingest("review-features", world.source)
        assert (result.ingested, result.failed) == (4, 0)
        records = world.features.batch_get_record("review-features", ["3", "99", "2"])
        assert [(r["review_id"], r["rating"]) for r in records] == [(3, 4), (2, 1)]  # id 2: its latest event time

    def test_soft_delete_hides_the_record_and_delete_group_removes_it(self, world: FeaturesWorld) -> None:
        features = world.features
        features.create_feature_group(SPEC)
        features.put_record("review-features", {"review_id": 1, "event_time": "2024-03-01T00:00:00Z", "rating": 3})
        features.delete_record("review-features", "1", "2024-03-02T00:00:00Z")
        assert features.get_record("review-features", "1") is None
        with pytest.raises(InvalidInput):
            features.delete_record("review-features", "1", "2024-03-02T00:00:00Z", mode="Purge")
        features.delete_feature_group("review-features")
        with pytest.raises(NotFound):
            features.describe_feature_group("review-features")


class TestLocalFeatures(FeaturesContract):
    @pytest.fixture
    def world(self, tmp_path: Path) -> FeaturesWorld:
        services = build_services(settings_for_tests(home=tmp_path / "workspace", seed_on_start=False))
        source = tmp_path / "reviews.csv"
        REVIEWS.to_csv(source, index=False)
        services.catalog.import_path(source, "contract", "reviews")
        return FeaturesWorld(services.features, IngestSource(table="contract.reviews"))


@pytest.fixture(scope="module")
def aws_features(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AwsFeatures, FakeFeatureStore]]:
    """The aws adapter as the registry builds it, its session answered by the Feature Store helper (moto has no
    featurestore runtime); one for the module, nothing reaches the network."""
    with pytest.MonkeyPatch.context() as patch:
        fake_aws_credentials(patch, tmp_path_factory.mktemp("aws"))
        refuse_network(patch)
        settings = replace(aws_settings(tmp_path_factory.mktemp("features-aws") / "ws"),
                           sagemaker_role="arn:aws:iam::123456789012:role/workbench-sagemaker")
        features = build_services(settings).features
        assert isinstance(features, AwsFeatures)
        yield features, FakeFeatureStore().attach(features.session)


class TestAwsFeatures(FeaturesContract):
    @pytest.fixture
    def world(self, aws_features: tuple[AwsFeatures, FakeFeatureStore], tmp_path: Path) -> FeaturesWorld:
        features, store = aws_features
        store.reset()
        features._groups.clear()
        source = tmp_path / "reviews.csv"
        REVIEWS.to_csv(source, index=False)
        return FeaturesWorld(features, IngestSource(path=str(source)))
