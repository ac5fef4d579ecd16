"""``python -m services features …`` on the local backend, in this process: SageMaker's shapes on stdout, and
exit code 2 with one line on stderr for a wrong column, bad values, an unknown group or a hostile name."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.helpers.cli import Run, in_process_cli, ok, refused


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    return in_process_cli(tmp_path / "workspace", monkeypatch, capsys)


@pytest.fixture
def reviews(tmp_path: Path) -> str:
    path = tmp_path / "reviews.csv"
    pd.DataFrame({"review_id": [1, 2, 3], "event_time": ["2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", "soon"],
                  "rating": [5, 2, 4], "score": [0.9, 0.2, 0.7]}).to_csv(path, index=False)
    return str(path)


def test_create_ingest_get_describe_list_search_delete(cli: Run, reviews: str) -> None:
    created = ok(cli, "features", "create", "reviews", "--record-identifier", "review_id", "--event-time", "event_time",
                 "--data", reviews, "--description", "Review ratings", "--tag", "team=ds", "--ttl-seconds", "3153600000")
    assert created["FeatureDefinitions"] == [
        {"FeatureName": "review_id", "FeatureType": "Integral"}, {"FeatureName": "event_time", "FeatureType": "String"},
        {"FeatureName": "rating", "FeatureType": "Integral"}, {"FeatureName": "score", "FeatureType": "Fractional"}]
    assert created["OnlineStoreConfig"] == {"EnableOnlineStore": True, "TtlDuration": {"Unit": "Seconds", "Value": 3153600000}}
    catalog = created["OfflineStoreConfig"]["DataCatalogConfig"]
    assert (catalog["Catalog"], catalog["Database"]) == ("AwsDataCatalog", "sagemaker_featurestore")
    assert created["FeatureGroupStatus"] == "Created"
    assert ok(cli, "features", "describe", "reviews")["FeatureDefinitions"] == created["FeatureDefinitions"]
    assert ok(cli, "features", "get", "reviews", "1") == {}  # nothing ingested by create
    assert ok(cli, "features", "ingest", "reviews", "--data", reviews) == {
        "Ingested": 2, "Failed": 1, "Errors": ["1 row: event_time is not an ISO-8601 time"]}
    assert ok(cli, "features", "get", "reviews", "2", "--feature", "rating", "--feature", "score") == {
        "Record": [{"FeatureName": "rating", "ValueAsString": "2"}, {"FeatureName": "score", "ValueAsString": "0.2"}]}
    table = f"{catalog['Database']}.{catalog['TableName']}"
    assert ok(cli, "query", f"SELECT count(*) AS n FROM {table}")["rows"] == [[2]]
    summaries = ok(cli, "features", "list")["FeatureGroupSummaries"]
    assert [(s["FeatureGroupName"], s["FeatureGroupStatus"]) for s in summaries] == [("reviews", "Created")]
    assert [r["FeatureGroup"]["FeatureGroupName"] for r in ok(cli, "features", "search", "TEAM")["Results"]] == ["reviews"]
    assert ok(cli, "features", "search", "wine")["Results"] == []
    assert ok(cli, "features", "delete", "reviews") == {"FeatureGroupName": "reviews", "Deleted": True}
    assert ok(cli, "features", "list") == {"FeatureGroupSummaries": []}


def test_ingest_from_a_table_or_sql_and_no_online_store(cli: Run, reviews: str) -> None:
    ok(cli, "catalog", "import", reviews, "--database", "shop", "--table", "reviews")
    created = ok(cli, "features", "create", "offline", "--record-identifier", "review_id", "--event-time", "event_time",
                 "--table", "shop.reviews", "--no-online")
    assert "OnlineStoreConfig" not in created
    assert ok(cli, "features", "ingest", "offline", "--table", "shop.reviews")["Ingested"] == 2
    sql = "SELECT review_id, event_time FROM shop.reviews WHERE rating > 3"
    assert ok(cli, "features", "ingest", "offline", "--sql", sql) == {
        "Ingested": 1, "Failed": 1, "Errors": ["1 row: event_time is not an ISO-8601 time"]}
    assert "has no online store" in refused(cli, "features", "get", "offline", "1")


def test_user_errors_exit_2_with_one_line(cli: Run, reviews: str, tmp_path: Path) -> None:
    base = ("--event-time", "event_time", "--data", reviews)
    assert "has no column 'id' (--record-identifier)" in refused(cli, "features", "create", "g", "--record-identifier", "id", *base)
    assert "must be String" in refused(cli, "features", "create", "g", "--record-identifier", "review_id",
                                       "--event-time", "rating", "--data", reviews)
    assert "not a valid feature group name" in refused(cli, "features", "create", "../up", "--record-identifier",
                                                       "review_id", *base)
    assert "needs an online store, an offline store or both" in refused(
        cli, "features", "create", "g", "--record-identifier", "review_id", *base, "--no-online", "--no-offline")
    assert "is not KEY=VALUE" in refused(cli, "features", "create", "g", "--record-identifier", "review_id", *base, "--tag", "x")
    assert "does not exist" in refused(cli, "features", "describe", "nope")
    assert "does not exist" in refused(cli, "features", "ingest", "nope", "--data", reviews)
    ok(cli, "features", "create", "g", "--record-identifier", "review_id", *base)
    assert "exists already" in refused(cli, "features", "create", "g", "--record-identifier", "review_id", *base)
    assert "no feature 'stars'" in refused(cli, "features", "get", "g", "1", "--feature", "stars")
    other = tmp_path / "other.csv"
    pd.DataFrame({"id": [1], "event_time": ["2024-01-01T00:00:00Z"]}).to_csv(other, index=False)
    assert "has no column 'review_id' for the record identifier" in refused(cli, "features", "ingest", "g", "--data", str(other))
