"""The demo database every page relies on: its tables, columns, partitions, and idempotent seeding."""

from __future__ import annotations

from services.demo.seed import seed_workspace
from services.registry import Services, build_services

REVIEW_COLUMNS = [
    ("clothing_id", "Clothing ID"),
    ("age", "Age"),
    ("title", "Title"),
    ("review_text", "Review Text"),
    ("rating", "Rating"),
    ("recommended_ind", "Recommended IND"),
    ("positive_feedback_count", "Positive Feedback Count"),
    ("division_name", "Division Name"),
    ("department_name", "Department Name"),
    ("class_name", "Class Name"),
]


def test_demo_tables_exist(seeded_services: Services) -> None:
    names = [t.name for t in seeded_services.catalog.list_tables("demo")]
    assert names == ["reviews", "reviews_by_division", "reviews_sentiment", "wine"]


def test_reviews_has_the_sanitised_columns_of_the_public_set(seeded_services: Services) -> None:
    reviews = seeded_services.catalog.get_table("demo", "reviews")
    assert [(c.name, c.comment) for c in reviews.columns] == REVIEW_COLUMNS
    types = {c.name: c.type for c in reviews.columns}
    assert types["rating"] in ("bigint", "int")
    assert types["review_text"] == "string"
    assert reviews.format == "csv"
    assert reviews.parameters["recordCount"] == "20000"
    assert reviews.parameters["classification"] == "csv"


def test_reviews_values_look_like_the_public_set(seeded_services: Services) -> None:
    frame = seeded_services.query.run(
        "SELECT min(rating) AS lo, max(rating) AS hi, count(DISTINCT division_name) AS divisions, "
        "count(*) - count(review_text) AS missing_text, min(recommended_ind) AS r0, max(recommended_ind) AS r1 "
        "FROM demo.reviews"
    ).frame
    assert frame.iloc[0].tolist() == [1, 5, 3, frame["missing_text"][0], 0, 1]
    assert 0 < frame["missing_text"][0] < 2000


def test_reviews_sentiment_follows_the_rating(seeded_services: Services) -> None:
    table = seeded_services.catalog.get_table("demo", "reviews_sentiment")
    assert [c.name for c in table.columns] == ["review_id", "review_body", "sentiment", "product_category", "age",
                                              "rating"]
    mismatches = seeded_services.query.run(
        "SELECT count(*) AS n FROM demo.reviews_sentiment WHERE sentiment <> "
        "CASE WHEN rating <= 2 THEN -1 WHEN rating = 3 THEN 0 ELSE 1 END OR sentiment IS NULL"
    ).frame["n"].tolist()
    assert mismatches == [0]
    labels = seeded_services.query.run(
        "SELECT sentiment, count(*) AS n FROM demo.reviews_sentiment GROUP BY 1 ORDER BY 1"
    ).frame["sentiment"].tolist()
    assert labels == [-1, 0, 1]
    unique = seeded_services.query.run(
        "SELECT count(*) = count(DISTINCT review_id) AS ok, count(*) - count(review_body) AS no_body "
        "FROM demo.reviews_sentiment"
    ).frame.iloc[0].tolist()
    assert unique == [True, 0]


def test_reviews_by_division_is_partitioned(seeded_services: Services) -> None:
    table = seeded_services.catalog.get_table("demo", "reviews_by_division")
    assert [k.name for k in table.partition_keys] == ["division"]
    assert "division_name" not in [c.name for c in table.columns]
    assert table.format == "parquet"
    partitions = seeded_services.catalog.list_partitions("demo", "reviews_by_division")
    assert [p.values for p in partitions] == [("General",), ("General Petite",), ("Initmates",)]
    assert all(p.file_count >= 1 and p.size_bytes > 0 for p in partitions)
    assert sum(p.size_bytes for p in partitions) == int(table.parameters["sizeKey"])
    counts = seeded_services.query.run(
        "SELECT (SELECT count(*) FROM demo.reviews_by_division) AS partitioned, "
        "(SELECT count(*) FROM demo.reviews WHERE division_name IS NOT NULL) AS source"
    ).frame.iloc[0].tolist()
    assert counts[0] == counts[1] > 0


def test_wine_exists(seeded_services: Services) -> None:
    wine = seeded_services.catalog.get_table("demo", "wine")
    assert "alcohol" in [c.name for c in wine.columns]
    assert seeded_services.query.run("SELECT count(*) AS n FROM demo.wine").frame["n"].tolist() == [178]


def test_seeding_again_creates_nothing_and_keeps_versions(seeded_services: Services) -> None:
    before = {t.name: (t.version_id, t.parameters["sizeKey"]) for t in seeded_services.catalog.list_tables("demo")}
    assert seed_workspace(seeded_services.catalog, seeded_services.query) == []  # type: ignore[arg-type]
    after = {t.name: (t.version_id, t.parameters["sizeKey"]) for t in seeded_services.catalog.list_tables("demo")}
    assert after == before
    assert all(version == "1" for version, _ in after.values())


def test_seed_on_start_with_a_seeded_home_changes_nothing(seeded_services: Services) -> None:
    from dataclasses import replace

    before = [(t.name, t.version_id) for t in seeded_services.catalog.list_tables("demo")]
    again = build_services(replace(seeded_services.settings, seed_on_start=True))
    assert [(t.name, t.version_id) for t in again.catalog.list_tables("demo")] == before


def test_seeding_restores_a_deleted_demo_table(seeded_services: Services) -> None:
    seeded_services.catalog.delete_table("demo", "wine")
    created = seed_workspace(seeded_services.catalog, seeded_services.query)  # type: ignore[arg-type]
    assert created == ["demo.wine"]
    assert seeded_services.query.run("SELECT count(*) AS n FROM demo.wine").frame["n"].tolist() == [178]
