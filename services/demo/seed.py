"""Seed the workspace with the demo database so every page works on first start. Idempotent."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from services.catalog.files import sanitize_column_name
from services.catalog.local import LocalCatalog
from services.errors import NotFound
from services.query.local import LocalQuery

DEMO = "demo"
REVIEW_ROWS = 20_000
SEED = 42

# The feature-engineering step of the review-sentiment course, as Athena SQL over demo.reviews.
REVIEWS_SENTIMENT_SQL = """
SELECT
  CAST(row_number() OVER (ORDER BY clothing_id, age, title, review_text, rating, positive_feedback_count) AS bigint)
    AS review_id,
  trim(coalesce(title, '') || ' ' || review_text) AS review_body,
  CASE WHEN rating <= 2 THEN -1 WHEN rating = 3 THEN 0 ELSE 1 END AS sentiment,
  department_name AS product_category,
  age,
  rating
FROM demo.reviews
WHERE review_text IS NOT NULL
"""


def seed_workspace(catalog: LocalCatalog, query: LocalQuery) -> list[str]:
    """Create whichever demo tables are missing; returns the names created."""
    steps = (
        ("reviews", _seed_reviews),
        ("reviews_sentiment", _seed_reviews_sentiment),
        ("reviews_by_division", _seed_reviews_by_division),
        ("wine", _seed_wine),
    )
    created = []
    catalog.create_database(DEMO, "Demo data: generated product reviews and scikit-learn's wine set.")
    for name, step in steps:
        if not _exists(catalog, name):
            step(catalog, query)
            created.append(f"{DEMO}.{name}")
    return created


def _exists(catalog: LocalCatalog, name: str) -> bool:
    try:
        catalog.get_table(DEMO, name)
        return True
    except NotFound:
        return False


def _fresh_folder(catalog: LocalCatalog, name: str) -> Path:
    folder = catalog.workspace.table_folder(DEMO, name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def _seed_reviews(catalog: LocalCatalog, query: LocalQuery) -> None:
    from services.demo.demo_reviews import generate_reviews

    frame = generate_reviews(REVIEW_ROWS, SEED)
    folder = _fresh_folder(catalog, "reviews")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pa_csv.write_csv(table, folder / "womens_clothing_reviews.csv")
    catalog.register(DEMO, "reviews", folder)


def _seed_reviews_sentiment(catalog: LocalCatalog, query: LocalQuery) -> None:
    query_id = query.start_query(REVIEWS_SENTIMENT_SQL, DEMO)
    query.get_result(query_id, max_rows=1)
    query.save_result_as_table(query_id, DEMO, "reviews_sentiment")
    query.history_store.forget(query_id)  # seeding is not the user's query


def _seed_reviews_by_division(catalog: LocalCatalog, query: LocalQuery) -> None:
    result = query.run("SELECT * FROM demo.reviews", DEMO, max_rows=REVIEW_ROWS * 10)
    query.history_store.forget(result.query_id)
    frame = result.frame
    folder = _fresh_folder(catalog, "reviews_by_division")
    for division, part in frame.groupby("division_name", sort=True):
        partition = folder / f"division={division}"
        partition.mkdir()
        rows = part.drop(columns=["division_name"]).reset_index(drop=True)
        pq.write_table(pa.Table.from_pandas(rows, preserve_index=False), partition / "part-00000.parquet")
    catalog.register(DEMO, "reviews_by_division", folder)


def _seed_wine(catalog: LocalCatalog, query: LocalQuery) -> None:
    """scikit-learn's wine set as it ships: 13 measurements and the cultivar as ``target`` (0, 1, 2), nothing more
    (a renamed copy of the label would be a perfect predictor and hide everything else: issue 14, UX #1)."""
    from sklearn.datasets import load_wine

    bunch = load_wine(as_frame=True)
    frame: pd.DataFrame = bunch.frame
    frame.columns = [sanitize_column_name(c) for c in frame.columns]
    folder = _fresh_folder(catalog, "wine")
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / "wine.parquet")
    catalog.register(DEMO, "wine", folder)
