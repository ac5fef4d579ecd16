"""``python -m services features build-dataset`` end to end on the local backend: a group created and ingested
through the features commands, then a point-in-time dataset built from a base file, in JSON."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.helpers.cli import Run, in_process_cli, ok


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    return in_process_cli(tmp_path / "workspace", monkeypatch, capsys)


def test_build_dataset_from_the_command_line(cli: Run, tmp_path: Path) -> None:
    pd.DataFrame({"customer_id": [1, 1, 2], "event_time": ["2024-01-01T00:00:00Z", "2024-01-10T00:00:00Z", "2024-01-05T00:00:00Z"],
                  "segment": ["new", "gold", "new"]}).to_csv(tmp_path / "customers.csv", index=False)
    pd.DataFrame({"order_id": ["o1", "o2", "o3", "o4"], "customer_id": [1, 1, 2, 2],
                  "placed": ["2024-01-05T00:00:00Z", "2024-01-12T00:00:00Z", "2024-01-01T00:00:00Z", "2024-01-06T00:00:00Z"]}
                 ).to_csv(tmp_path / "orders.csv", index=False)
    ok(cli, "features", "create", "customers", "--record-identifier", "customer_id", "--event-time", "event_time",
       "--data", str(tmp_path / "customers.csv"))
    assert ok(cli, "features", "ingest", "customers", "--data", str(tmp_path / "customers.csv"))["Ingested"] == 3
    answer = ok(cli, "features", "build-dataset", "--base", str(tmp_path / "orders.csv"), "--record-identifier",
                "customer_id", "--event-time", "placed", "--group", "customers", "--out", str(tmp_path / "ds.parquet"))
    assert answer["rows"] == 4 and answer["columns"] == ["order_id", "customer_id", "placed", "segment"]
    assert answer["path"] == str(tmp_path / "ds.parquet") and "ASOF LEFT JOIN" in answer["sql"]
    frame = pd.read_parquet(tmp_path / "ds.parquet").set_index("order_id")
    assert frame["segment"].to_dict() == {"o1": "new", "o2": "gold", "o3": None, "o4": "new"}
    # the records were ingested today, long after the orders' times: every joined row leaks
    assert answer["leaking_rows"] == 3 and "3 of 4 rows use features written after" in answer["leakage_note"]

    code, _, err = cli("features", "build-dataset", "--base", str(tmp_path / "orders.csv"), "--record-identifier",
                       "customer_id", "--event-time", "placed", "--group", "nope", "--table", "shop.ds")
    assert code == 2 and "nope" in err
