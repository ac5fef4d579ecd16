"""moto and Stubber set-up shared by the aws tests: fake credentials, a bucket, queued Athena results, a fake clock.

The ``mocked_aws`` fixture itself lives in tests/conftest.py (contract, unit and page tests use it)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from services.config import Settings
from tests.helpers.workspace import settings_for_tests

REGION = "us-east-1"
BUCKET = "workbench-test"


def aws_settings(home: Path) -> Settings:
    return settings_for_tests(backend="aws", home=home, aws_region=REGION, s3_bucket=BUCKET,
                              athena_output=f"s3://{BUCKET}/athena/", glue_crawler_role="arn:aws:iam::123456789012:role/glue")


def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Credentials moto accepts, and nothing from the developer's own AWS set-up."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def create_lake_bucket() -> None:
    """Inside ``mock_aws()``: create the settings' bucket."""
    import boto3

    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)


def queue_athena_result(columns: list[tuple[str, str]], rows: list[list[str | None]]) -> None:
    """moto does not run SQL: the next GetQueryResults returns this (header row first, as Athena does)."""
    from moto.athena.models import QueryResults, athena_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    info = [{"Name": n, "Label": n, "Type": t} for n, t in columns]
    data = [[{"VarCharValue": n} for n, _ in columns]] + [[{"VarCharValue": v} if v is not None else {} for v in row]
                                                          for row in rows]
    backend = athena_backends[DEFAULT_ACCOUNT_ID][REGION]
    backend.query_results_queue.append(QueryResults([{"Data": d} for d in data], info))


def athena_execution_count() -> int:
    from moto.athena.models import athena_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    return len(athena_backends[DEFAULT_ACCOUNT_ID][REGION].executions)


class FakeClock:
    """``sleep`` moves ``now`` on, so waiting loops run instantly."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 1.0)


def refuse_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Everything goes through moto or Stubber: any real connection is a failure."""
    def refuse(self: socket.socket, address: Any, *args: Any) -> None:
        raise AssertionError(f"unexpected network connection to {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
