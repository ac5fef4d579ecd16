"""The point-in-time dataset builder on the local backend: a hand-checked example, pandas' merge_asof on a seeded
random sample, and bad input."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from services.errors import InvalidInput, NotFound
from services.features.dataset import build_dataset
from services.features.dataset_cli import add_build_dataset, dataset_request, run_build_dataset
from services.features.models import DatasetRequest, DatasetResult, FeatureGroup
from services.registry import Services, build_services
from tests.helpers.features_dataset import OfflineGroups, spec_of
from tests.helpers.workspace import close_services, settings_for_tests


def day(text: str) -> datetime:
    return datetime.fromisoformat(text)


def epoch(text: str) -> float:
    return day(text).replace(tzinfo=UTC).timestamp()


CUSTOMERS = spec_of("customers", "customer_id", "event_time", customer_id="Integral", event_time="String",
                    segment="String", score="Fractional")
LOYALTY = spec_of("loyalty-tiers", "customer_id", "updated", customer_id="Integral", updated="Fractional", tier="String")
CUSTOMER_RECORDS = [
    {"customer_id": 1, "event_time": "2024-01-01T00:00:00Z", "segment": "new", "score": 1.0, "write_time": day("2024-01-01")},
    {"customer_id": 1, "event_time": "2024-01-05T00:00:00Z", "segment": "gold", "score": 5.0, "write_time": day("2024-01-05")},
    # written ten days after its event time: a row at 2024-01-12 sees it only in hindsight
    {"customer_id": 1, "event_time": "2024-01-10T00:00:00Z", "segment": "gold", "score": 10.0, "write_time": day("2024-01-20")},
    {"customer_id": 2, "event_time": "2024-01-02T00:00:00+00:00", "segment": "new", "score": 2.0, "write_time": day("2024-01-02")},
    {"customer_id": 2, "event_time": "2024-01-04T00:00:00Z", "write_time": day("2024-01-04"), "is_deleted": True},
    {"customer_id": 3, "event_time": "2024-01-03T00:00:00Z", "segment": "new", "score": 3.0, "write_time": day("2024-01-03")},
    # the same identifier and event time written again later: the later write wins
    {"customer_id": 3, "event_time": "2024-01-03T00:00:00Z", "segment": "new", "score": 3.5,
     "write_time": day("2024-01-03T01:00:00")},
    {"customer_id": 4, "event_time": "2024-02-01T00:00:00Z", "segment": "new", "score": 4.0, "write_time": day("2024-02-01")},
]
LOYALTY_RECORDS = [
    {"customer_id": 1, "updated": epoch("2024-01-01"), "tier": "silver", "write_time": day("2024-01-01")},
    {"customer_id": 1, "updated": epoch("2024-01-11"), "tier": "gold", "write_time": day("2024-01-11")},
]
# order → (customer, time, expected score, expected tier); the base has its own "score", so the group's is prefixed
ORDERS = {
    "o1": (1, "2024-01-05T00:00:00", 5.0, "silver"),  # a record at exactly the row's time counts
    "o2": (1, "2024-01-04T00:00:00", 1.0, "silver"),  # the record after the row's time does not
    "o3": (1, "2024-01-12T00:00:00", 10.0, "gold"),  # leaks: written 2024-01-20
    "o4": (2, "2024-01-03T00:00:00", 2.0, None),
    "o5": (2, "2024-01-06T00:00:00", None, None),  # latest record is a delete marker
    "o6": (3, "2024-01-03T00:00:00", 3.5, None),  # duplicates collapse to the last written
    "o7": (4, "2024-01-15T00:00:00", None, None),  # its only record comes later
    "o8": (9, "2024-01-15T00:00:00", None, None),  # no record at all
}


def orders_frame() -> pd.DataFrame:
    return pd.DataFrame({"order_id": list(ORDERS), "customer_id": [v[0] for v in ORDERS.values()],
                         "order_time": [epoch(v[1]) for v in ORDERS.values()], "score": [0.5] * len(ORDERS)})


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Services, OfflineGroups]:
    home = tmp_path_factory.mktemp("dataset") / "workspace"
    services = build_services(settings_for_tests(home=home, seed_on_start=False))
    groups = OfflineGroups(services.stack, services.catalog, services.storage)
    groups.add_group(CUSTOMERS, CUSTOMER_RECORDS)
    groups.add_group(LOYALTY, LOYALTY_RECORDS)
    orders = home.parent / "orders.parquet"
    orders_frame().to_parquet(orders, index=False)
    services.catalog.import_path(orders, "shop", "orders")
    yield services, groups
    close_services(services)


REQUEST = DatasetRequest(record_identifier="customer_id", event_time="order_time", groups=("customers", "loyalty-tiers"),
                         base_table="shop.orders")


def build(workspace: tuple[Services, OfflineGroups], out: str, **changes: object) -> tuple[DatasetResult, pd.DataFrame]:
    services, groups = workspace
    result = build_dataset(groups, replace(REQUEST, out_table=f"shop.{out}", **changes))  # type: ignore[arg-type]
    return result, services.storage.read_table("shop", out)


def by_order(frame: pd.DataFrame, column: str) -> dict[str, object]:
    return {row.order_id: (None if pd.isna(getattr(row, column)) else getattr(row, column)) for row in frame.itertuples()}


@pytest.fixture(scope="module")
def default_build(workspace: tuple[Services, OfflineGroups]) -> tuple[DatasetResult, pd.DataFrame]:
    return build(workspace, "default")


def test_each_row_gets_the_latest_record_at_or_before_its_time(default_build: tuple[DatasetResult, pd.DataFrame]) -> None:
    result, frame = default_build
    assert result.columns == ("order_id", "customer_id", "order_time", "score", "segment", "customers__score", "tier")
    assert list(frame.columns) == list(result.columns)
    assert result.rows == len(frame) == len(ORDERS)
    assert by_order(frame, "customers__score") == {k: v[2] for k, v in ORDERS.items()}
    assert by_order(frame, "tier") == {k: v[3] for k, v in ORDERS.items()}
    assert by_order(frame, "segment")["o5"] is None
    assert set(frame["score"]) == {0.5}  # the base's own column is untouched
    assert result.table == "shop.default" and result.path == ""


def test_the_leakage_check_counts_rows_using_records_written_after_their_time(
        default_build: tuple[DatasetResult, pd.DataFrame]) -> None:
    result, _ = default_build
    assert result.leaking_rows == 2  # o3, and o6 whose winning duplicate was written an hour after the row's time
    assert "2 of 8 rows use features written after the row's event time" in result.leakage_note
    assert "--as-of to 2024-01-03T00:00:00Z" in result.leakage_note
    assert "ASOF LEFT JOIN" in result.sql and '"sagemaker_featurestore"."customers_1700000000"' in result.sql


def test_as_of_leaves_out_records_written_later(workspace: tuple[Services, OfflineGroups]) -> None:
    result, frame = build(workspace, "as_of", as_of="2024-01-15T00:00:00Z")
    assert by_order(frame, "customers__score")["o3"] == 5.0
    assert result.leaking_rows == 1  # o6 still: its record was written by the cutoff, after the row's time
    result, frame = build(workspace, "as_of_early", as_of="2024-01-03T00:30:00")
    assert by_order(frame, "customers__score")["o6"] == 3.0 and by_order(frame, "customers__score")["o1"] == 1.0
    assert result.leaking_rows == 0 and result.leakage_note.startswith("No leakage")


def test_included_deleted_records_skip_the_delete_marker(workspace: tuple[Services, OfflineGroups]) -> None:
    _, frame = build(workspace, "deleted", include_deleted=True)
    assert by_order(frame, "customers__score") == {k: v[2] for k, v in ORDERS.items()} | {"o5": 2.0}


def test_included_duplicates_repeat_the_row_once_per_record(workspace: tuple[Services, OfflineGroups]) -> None:
    result, frame = build(workspace, "duplicates", include_duplicates=True)
    assert result.rows == len(ORDERS) + 1
    assert sorted(frame.loc[frame["order_id"] == "o6", "customers__score"]) == [3.0, 3.5]


def test_the_event_time_range_filters_base_rows(workspace: tuple[Services, OfflineGroups]) -> None:
    _, frame = build(workspace, "range", event_time_start="2024-01-04T00:00:00Z", event_time_end="2024-01-06T00:00:00Z")
    assert sorted(frame["order_id"]) == ["o1", "o2", "o5"]


def test_a_csv_base_with_iso_times_written_to_a_file(workspace: tuple[Services, OfflineGroups], tmp_path: Path) -> None:
    services, groups = workspace
    base = orders_frame().assign(order_time=[v[1] + "Z" for v in ORDERS.values()])
    no_time = pd.DataFrame({"order_id": ["o9"], "customer_id": [1], "order_time": [None], "score": [0.5]})
    pd.concat([base, no_time]).to_csv(tmp_path / "orders.csv", index=False)
    out = tmp_path / "dataset.parquet"
    result = build_dataset(groups, replace(REQUEST, base_table="", base_path=str(tmp_path / "orders.csv"), out_path=str(out)))
    frame = pd.read_parquet(out)
    assert result.path == str(out) and result.rows == 9
    assert by_order(frame, "customers__score") == {k: v[2] for k, v in ORDERS.items()} | {"o9": None}


def test_a_feature_group_as_the_base(workspace: tuple[Services, OfflineGroups], tmp_path: Path) -> None:
    _, groups = workspace
    out = tmp_path / "customers.csv"
    result = build_dataset(groups, DatasetRequest(record_identifier="customer_id", event_time="event_time",
                                                   groups=("loyalty-tiers",), base_group="customers", out_path=str(out)))
    frame = pd.read_csv(out)
    # customer 2's records end in a delete marker; customer 3's duplicates collapse to one
    assert sorted(zip(frame["customer_id"], frame["score"], strict=True)) == [(1, 1.0), (1, 5.0), (1, 10.0), (3, 3.5), (4, 4.0)]
    assert result.columns == ("customer_id", "event_time", "segment", "score", "tier")
    assert list(frame.sort_values(["customer_id", "score"])["tier"].fillna("")) == ["silver", "silver", "silver", "", ""]


def test_a_group_with_nothing_ingested_yet_gives_nulls(workspace: tuple[Services, OfflineGroups]) -> None:
    _, groups = workspace
    spec = spec_of("fresh", "customer_id", "event_time", customer_id="Integral", event_time="String", badge="String")
    groups.groups["fresh"] = FeatureGroup(spec, arn="arn:fresh", offline_table="sagemaker_featurestore.fresh_1",
                                          offline_s3_uri="s3://sagemaker-featurestore/fresh/data")
    result, frame = build(workspace, "fresh", groups=("fresh",))
    assert result.columns[-1] == "badge" and frame["badge"].isna().all() and result.rows == len(ORDERS)


def test_a_delete_marker_and_a_record_at_the_same_time_the_last_written_wins(workspace: tuple[Services, OfflineGroups]) -> None:
    _, groups = workspace
    spec = spec_of("ties", "customer_id", "event_time", customer_id="Integral", event_time="String", flag="String")
    at = "2024-01-02T00:00:00Z"
    groups.add_group(spec, [
        {"customer_id": 1, "event_time": at, "flag": "kept", "write_time": day("2024-01-02T01:00:00")},
        {"customer_id": 1, "event_time": at, "write_time": day("2024-01-02T00:30:00"), "is_deleted": True},
        {"customer_id": 2, "event_time": at, "flag": "gone", "write_time": day("2024-01-02T00:30:00")},
        {"customer_id": 2, "event_time": at, "write_time": day("2024-01-02T01:00:00"), "is_deleted": True},
    ])
    _, frame = build(workspace, "ties", groups=("ties",))
    assert by_order(frame, "flag") == {"o1": "kept", "o2": "kept", "o3": "kept", "o4": None, "o5": None,
                                       "o6": None, "o7": None, "o8": None}


def test_unknown_group(workspace: tuple[Services, OfflineGroups]) -> None:
    with pytest.raises(NotFound, match="nope"):
        build(workspace, "unknown", groups=("nope",))


def test_event_time_column_missing(workspace: tuple[Services, OfflineGroups]) -> None:
    with pytest.raises(InvalidInput, match="event time column 'placed_at' is not in the base") as error:
        build(workspace, "missing", event_time="placed_at")
    assert "order_time" in error.value.hint


def test_identifier_types_differ(workspace: tuple[Services, OfflineGroups], tmp_path: Path) -> None:
    _, groups = workspace
    orders_frame().assign(customer_id=lambda f: "c" + f["customer_id"].astype(str)).to_parquet(tmp_path / "o.parquet")
    with pytest.raises(InvalidInput, match="'customer_id' is VARCHAR but feature group customers's 'customer_id' is BIGINT"):
        build_dataset(groups, replace(REQUEST, base_table="", base_path=str(tmp_path / "o.parquet"), out_path="x.parquet"))


def test_event_times_that_are_not_times(workspace: tuple[Services, OfflineGroups], tmp_path: Path) -> None:
    _, groups = workspace
    orders_frame().assign(order_time="last tuesday").to_csv(tmp_path / "o.csv", index=False)
    with pytest.raises(InvalidInput, match="could not be read as a time"):
        build_dataset(groups, replace(REQUEST, base_table="", base_path=str(tmp_path / "o.csv"), out_table="shop.broken"))
    home = groups.stack.settings.home
    assert not any((home / "dataset-staging").iterdir())  # nothing left behind: no staging, no version folder
    assert not (groups.stack.workspace.table_folder("shop", "broken")).exists() or not any(
        groups.stack.workspace.table_folder("shop", "broken").iterdir())
    with pytest.raises(InvalidInput, match="could not be read as a time"):
        build_dataset(groups, replace(REQUEST, base_table="", base_path=str(tmp_path / "o.csv"), out_path=str(tmp_path / "y.csv")))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.csv"]


def test_one_base_and_one_output(workspace: tuple[Services, OfflineGroups]) -> None:
    _, groups = workspace
    with pytest.raises(InvalidInput, match="exactly one base"):
        build_dataset(groups, replace(REQUEST, base_path="x.csv", out_table="shop.x"))
    with pytest.raises(InvalidInput, match="exactly one place"):
        build_dataset(groups, REQUEST)


def command_line() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    add_build_dataset(parser.add_subparsers(dest="action"))
    return parser


def test_the_command_line_answers_json(workspace: tuple[Services, OfflineGroups]) -> None:
    _, groups = workspace
    args = command_line().parse_args(["build-dataset", "--base", "shop.orders", "--record-identifier", "customer_id",
                                      "--event-time", "order_time", "--group", "customers", "--group", "loyalty-tiers",
                                      "--as-of", "2024-01-15T00:00:00Z", "--table", "shop.cli"])
    answer = json.loads(json.dumps(run_build_dataset(groups, args)))  # type: ignore[arg-type]
    assert (answer["rows"], answer["table"], answer["path"], answer["leaking_rows"]) == (8, "shop.cli", "", 1)
    assert answer["columns"][-2:] == ["customers__score", "tier"] and "ASOF LEFT JOIN" in answer["sql"]
    request = dataset_request(command_line().parse_args(
        ["build-dataset", "--base", "orders.csv", "--record-identifier", "id", "--event-time", "at", "--group", "g",
         "--include-deleted", "--include-duplicates", "--out", "x.parquet"]))
    assert (request.base_path, request.base_table, request.out_path) == ("orders.csv", "", "x.parquet")
    assert request.include_deleted and request.include_duplicates and request.groups == ("g",)
    with pytest.raises(SystemExit):
        command_line().parse_args(["build-dataset", "--base", "shop.orders", "--record-identifier", "id",
                                   "--event-time", "at", "--group", "g", "--out", "x.csv", "--table", "a.b"])


# -- against pandas' merge_asof on a seeded random sample --------------------------------------------------


def random_records(rng: np.random.Generator, count: int, ids: int) -> pd.DataFrame:
    times = rng.integers(0, 1000, count).astype(float) + 1_700_000_000
    return pd.DataFrame({"item_id": rng.integers(0, ids, count), "ts": times, "value": rng.normal(size=count),
                         "write_time": pd.to_datetime(times, unit="s") + pd.to_timedelta(rng.integers(0, 50, count), unit="s")})


def test_the_join_agrees_with_pandas_merge_asof(workspace: tuple[Services, OfflineGroups], tmp_path: Path) -> None:
    services, groups = workspace
    rng = np.random.default_rng(7)
    records = random_records(rng, 400, 30)
    spec = spec_of("items", "item_id", "ts", item_id="Integral", ts="Fractional", value="Fractional")
    groups.add_group(spec, records.assign(api_invocation_time=records["write_time"], is_deleted=False).to_dict("records"))
    base = pd.DataFrame({"row": np.arange(300), "item_id": rng.integers(0, 35, 300),
                         "at": rng.integers(-20, 1020, 300).astype(float) + 1_700_000_000})
    base.to_parquet(tmp_path / "base.parquet", index=False)
    out = tmp_path / "joined.parquet"
    result = build_dataset(groups, DatasetRequest(record_identifier="item_id", event_time="at", groups=("items",),
                                                   base_path=str(tmp_path / "base.parquet"), out_path=str(out)))
    ours = pd.read_parquet(out).sort_values("row").reset_index(drop=True)
    latest = records.sort_values("write_time").drop_duplicates(["item_id", "ts"], keep="last").sort_values("ts")
    expected = pd.merge_asof(base.sort_values("at"), latest, left_on="at", right_on="ts", by="item_id",
                             direction="backward", allow_exact_matches=True).sort_values("row").reset_index(drop=True)
    assert result.rows == 300 and ours["value"].notna().sum() > 200
    pd.testing.assert_series_equal(ours["value"], expected["value"], check_names=False)
    leaks = (expected["value"].notna() & (expected["write_time"] > pd.to_datetime(expected["at"], unit="s"))).sum()
    assert result.leaking_rows == leaks > 0
