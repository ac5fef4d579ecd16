"""Settings come only from WORKBENCH_* variables; bad values are refused with a hint."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from services.config import Settings
from services.errors import InvalidInput, ServiceError

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_when_nothing_is_set() -> None:
    settings = Settings.from_env({})
    assert settings.backend == "local"
    assert settings.home == Path("workspace")
    assert settings.seed_on_start is True
    assert settings.demo == "full"
    assert settings.query_timeout_seconds == 60.0
    assert settings.aws_region is None
    assert settings.s3_bucket is None


def test_every_variable_is_parsed() -> None:
    env = {
        "WORKBENCH_BACKEND": "AWS",
        "WORKBENCH_HOME": "/data/wb",
        "WORKBENCH_SEED_ON_START": "no",
        "WORKBENCH_DEMO": "Data",
        "WORKBENCH_QUERY_TIMEOUT_SECONDS": "2.5",
        "WORKBENCH_QUERY_MEMORY_LIMIT": "512MB",
        "WORKBENCH_QUERY_THREADS": "3",
        "WORKBENCH_DISPLAY_ROWS": "50",
        "WORKBENCH_AWS_REGION": "eu-west-1",
        "WORKBENCH_ATHENA_WORKGROUP": "analysts",
        "WORKBENCH_ATHENA_OUTPUT": "s3://bucket/athena/",
        "WORKBENCH_S3_BUCKET": "bucket",
        "WORKBENCH_GLUE_CRAWLER_ROLE": "arn:aws:iam::123456789012:role/glue",
        "WORKBENCH_MAX_HEAVY_JOBS": "2",
        "WORKBENCH_MLFLOW_TRACKING_URI": "arn:aws:sagemaker:eu-west-1:123456789012:mlflow-tracking-server/wb",
        "WORKBENCH_SAGEMAKER_ROLE": "arn:aws:iam::123456789012:role/sagemaker",
        "WORKBENCH_TRAINING_INSTANCE_TYPE": "ml.m5.xlarge",
        "WORKBENCH_ENDPOINT_HOST": "0.0.0.0",
        "WORKBENCH_GATEWAY_PORT": "9000",
        "WORKBENCH_INFERENCE_INSTANCE_TYPE": "ml.c5.large",
        "WORKBENCH_MONITOR_INTERVAL_SECONDS": "600",
        "WORKBENCH_ADDRESS": "0.0.0.0",
        "WORKBENCH_PASSWORD_HASH": "scrypt$16384$8$1$c2FsdA==$aGFzaA==",
        "WORKBENCH_IMPORT_ROOTS": f"/data{os.pathsep}/srv/shared",
        "WORKBENCH_RESULT_RETENTION_DAYS": "3",
        "WORKBENCH_CAPTURE_RETENTION_DAYS": "14",
        "WORKBENCH_RESULT_MAX_MB": "100",
        "WORKBENCH_CAPTURE_MAX_MB": "200",
        "WORKBENCH_TABLE_VERSION_RETENTION_DAYS": "10",
        "WORKBENCH_JOB_MAX_RUNTIME_SECONDS": "3600",
    }
    settings = Settings.from_env(env)
    assert settings == Settings(
        backend="aws",
        home=Path("/data/wb"),
        seed_on_start=False,
        demo="data",
        query_timeout_seconds=2.5,
        query_memory_limit="512MB",
        query_threads=3,
        display_rows=50,
        aws_region="eu-west-1",
        athena_workgroup="analysts",
        athena_output="s3://bucket/athena/",
        s3_bucket="bucket",
        glue_crawler_role="arn:aws:iam::123456789012:role/glue",
        max_heavy_jobs=2,
        mlflow_tracking_uri="arn:aws:sagemaker:eu-west-1:123456789012:mlflow-tracking-server/wb",
        sagemaker_role="arn:aws:iam::123456789012:role/sagemaker",
        training_instance_type="ml.m5.xlarge",
        endpoint_host="0.0.0.0",
        gateway_port=9000,
        inference_instance_type="ml.c5.large",
        monitor_interval_seconds=600.0,
        address="0.0.0.0",
        password_hash="scrypt$16384$8$1$c2FsdA==$aGFzaA==",
        import_roots=(Path("/data"), Path("/srv/shared")),
        result_retention_days=3.0,
        capture_retention_days=14.0,
        result_max_mb=100.0,
        capture_max_mb=200.0,
        table_version_retention_days=10.0,
        job_max_runtime_seconds=3600.0,
    )


def test_import_roots_default_to_home_and_current_directory() -> None:
    settings = Settings.from_env({})
    assert settings.import_roots == ()
    assert settings.effective_import_roots() == (Path.home(), Path.cwd())


def test_every_setting_read_by_config_is_tested_here() -> None:
    """A new WORKBENCH_* variable must be added to test_every_variable_is_parsed above."""
    source = (ROOT / "services" / "config.py").read_text()
    tested = (Path(__file__)).read_text()
    missing = sorted(n for n in set(re.findall(r"WORKBENCH_[A-Z0-9_]+", source)) if f'"{n}":' not in tested)
    assert missing == []


@pytest.mark.parametrize("raw, expected", [("1", True), ("true", True), ("YES", True), ("on", True),
                                           ("0", False), ("False", False), ("off", False), ("", True)])
def test_seed_flag_spellings(raw: str, expected: bool) -> None:
    assert Settings.from_env({"WORKBENCH_SEED_ON_START": raw}).seed_on_start is expected


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("WORKBENCH_BACKEND", "gcp", "not a backend"),
        ("WORKBENCH_QUERY_TIMEOUT_SECONDS", "abc", "not a number"),
        ("WORKBENCH_QUERY_TIMEOUT_SECONDS", "-1", "must be positive"),
        ("WORKBENCH_QUERY_TIMEOUT_SECONDS", "0", "must be positive"),
        ("WORKBENCH_DISPLAY_ROWS", "lots", "not a number"),
        ("WORKBENCH_QUERY_THREADS", "-2", "must be positive"),
        ("WORKBENCH_SEED_ON_START", "maybe", "not a yes/no value"),
        ("WORKBENCH_MAX_HEAVY_JOBS", "none", "not a number"),
        ("WORKBENCH_DEMO", "everything", "not one of full, data, none"),
    ],
)
def test_bad_values_are_refused_with_a_hint(name: str, value: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        Settings.from_env({name: value})
    assert name in str(caught.value)
    assert caught.value.hint, "the user needs to know what to set instead"
    assert name in caught.value.hint
    assert isinstance(caught.value, ServiceError)


def test_backend_hint_names_the_valid_backends() -> None:
    with pytest.raises(InvalidInput) as caught:
        Settings.from_env({"WORKBENCH_BACKEND": "gcp"})
    assert "local" in caught.value.hint and "aws" in caught.value.hint


def test_from_env_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    monkeypatch.setenv("WORKBENCH_DISPLAY_ROWS", "7")
    settings = Settings.from_env()
    assert settings.home == tmp_path
    assert settings.display_rows == 7


def test_every_setting_is_documented_in_the_readme() -> None:
    """Like datasette: a setting that is read but undocumented fails the build."""
    names = set(re.findall(r"WORKBENCH_[A-Z0-9_]+", (ROOT / "services" / "config.py").read_text()))
    readme = ROOT / "README.md"
    assert readme.exists(), "README.md with a settings table is missing"
    table_lines = [line for line in readme.read_text().splitlines() if line.lstrip().startswith("|")]
    documented = set(re.findall(r"WORKBENCH_[A-Z0-9_]+", "\n".join(table_lines)))
    assert sorted(names - documented) == []
