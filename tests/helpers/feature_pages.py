"""Tiny tables for the Features page tests: customer features with event times, labels to build a training set
on, and rows that fail validation on purpose (uploaded as a file)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from services.registry import Services

CUSTOMERS = 12
FEATURE_TIME = "2026-01-01T00:00:00Z"
LABEL_TIME = "2026-02-01T00:00:00Z"


def customer_events() -> pd.DataFrame:
    """One feature record per customer: id 1..12, spend 10.5, 21.0, …, a city and an event time."""
    ids = list(range(1, CUSTOMERS + 1))
    return pd.DataFrame({"customer_id": ids, "event_time": [FEATURE_TIME] * CUSTOMERS,
                         "spend": [10.5 * i for i in ids], "visits": [i % 4 for i in ids],
                         "city": ["Lyon" if i % 2 else "Oslo" for i in ids]})


def customer_labels() -> pd.DataFrame:
    """The training events: a label per customer, a month after the features were recorded."""
    ids = list(range(1, CUSTOMERS + 1))
    return pd.DataFrame({"customer_id": ids, "event_time": [LABEL_TIME] * CUSTOMERS,
                         "churned": [int(i % 3 == 0) for i in ids]})


def broken_events() -> pd.DataFrame:
    """Four rows: two good, one whose event time is not a time, one whose spend is not a number."""
    return pd.DataFrame({"customer_id": [21, 22, 23, 24],
                         "event_time": [FEATURE_TIME, FEATURE_TIME, "last tuesday", FEATURE_TIME],
                         "spend": ["1.5", "2.5", "3.5", "lots"], "visits": [1, 2, 3, 4],
                         "city": ["Lyon", "Oslo", "Lyon", "Oslo"]})


def add_lab_tables(services: Services, folder: Path) -> None:
    """lab.customers and lab.labels in the workspace's catalog (imported from CSV, as a user would)."""
    folder.mkdir(parents=True, exist_ok=True)
    services.catalog.create_database("lab", "Feature Store page tests")
    for name, frame in (("customers", customer_events()), ("labels", customer_labels())):
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False)
        services.catalog.import_path(path, "lab", name)
