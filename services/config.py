"""Settings, read once from ``WORKBENCH_*`` environment variables.

Every setting read here must appear in the README's settings table; a test checks it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from services.errors import InvalidInput

BACKENDS = ("local", "aws")
DEMO_LEVELS = ("full", "data", "none")  # WORKBENCH_DEMO: what the first start builds (services/demo)


@dataclass(frozen=True)
class Settings:
    backend: str = "local"
    home: Path = Path("workspace")
    seed_on_start: bool = True
    demo: str = "full"
    query_timeout_seconds: float = 60.0
    query_memory_limit: str = "4GB"
    query_threads: int = 2
    display_rows: int = 1000
    aws_region: str | None = None
    athena_workgroup: str = "primary"
    athena_output: str | None = None
    s3_bucket: str | None = None
    glue_crawler_role: str | None = None
    max_heavy_jobs: int = 1
    mlflow_tracking_uri: str | None = None
    sagemaker_role: str | None = None
    training_instance_type: str = "ml.m5.large"
    endpoint_host: str = "127.0.0.1"
    gateway_port: int = 8765
    inference_instance_type: str = "ml.m5.large"
    monitor_interval_seconds: float = 3600.0
    # Security and retention (issue 9): see the README's "Security model".
    address: str = "127.0.0.1"
    password_hash: str | None = None
    import_roots: tuple[Path, ...] = ()
    result_retention_days: float = 7.0
    capture_retention_days: float = 30.0
    result_max_mb: float = 5120.0
    capture_max_mb: float = 5120.0
    table_version_retention_days: float = 30.0
    job_max_runtime_seconds: float = 86400.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``env`` (default ``os.environ``); pure apart from that read."""
        env = os.environ if env is None else env
        backend = env.get("WORKBENCH_BACKEND", "local").strip().lower()
        if backend not in BACKENDS:
            raise InvalidInput(
                f"WORKBENCH_BACKEND={backend!r} is not a backend.",
                hint="Use WORKBENCH_BACKEND=local (default) or WORKBENCH_BACKEND=aws.",
            )
        return cls(
            backend=backend,
            home=Path(env.get("WORKBENCH_HOME", "workspace")).expanduser(),
            seed_on_start=_flag(env, "WORKBENCH_SEED_ON_START", True),
            demo=_choice(env, "WORKBENCH_DEMO", DEMO_LEVELS),
            query_timeout_seconds=_number(env, "WORKBENCH_QUERY_TIMEOUT_SECONDS", 60.0),
            query_memory_limit=env.get("WORKBENCH_QUERY_MEMORY_LIMIT", "4GB"),
            query_threads=int(_number(env, "WORKBENCH_QUERY_THREADS", 2)),
            display_rows=int(_number(env, "WORKBENCH_DISPLAY_ROWS", 1000)),
            aws_region=env.get("WORKBENCH_AWS_REGION") or None,
            athena_workgroup=env.get("WORKBENCH_ATHENA_WORKGROUP", "primary"),
            athena_output=env.get("WORKBENCH_ATHENA_OUTPUT") or None,
            s3_bucket=env.get("WORKBENCH_S3_BUCKET") or None,
            glue_crawler_role=env.get("WORKBENCH_GLUE_CRAWLER_ROLE") or None,
            max_heavy_jobs=int(_number(env, "WORKBENCH_MAX_HEAVY_JOBS", 1)),
            mlflow_tracking_uri=env.get("WORKBENCH_MLFLOW_TRACKING_URI") or None,
            sagemaker_role=env.get("WORKBENCH_SAGEMAKER_ROLE") or None,
            training_instance_type=env.get("WORKBENCH_TRAINING_INSTANCE_TYPE", "ml.m5.large"),
            endpoint_host=env.get("WORKBENCH_ENDPOINT_HOST", "127.0.0.1"),
            gateway_port=int(_number(env, "WORKBENCH_GATEWAY_PORT", 8765)),
            inference_instance_type=env.get("WORKBENCH_INFERENCE_INSTANCE_TYPE", "ml.m5.large"),
            monitor_interval_seconds=_number(env, "WORKBENCH_MONITOR_INTERVAL_SECONDS", 3600.0),
            address=env.get("WORKBENCH_ADDRESS", "").strip() or "127.0.0.1",
            password_hash=env.get("WORKBENCH_PASSWORD_HASH", "").strip() or None,
            import_roots=_paths(env.get("WORKBENCH_IMPORT_ROOTS", "")),
            result_retention_days=_number(env, "WORKBENCH_RESULT_RETENTION_DAYS", 7.0),
            capture_retention_days=_number(env, "WORKBENCH_CAPTURE_RETENTION_DAYS", 30.0),
            result_max_mb=_number(env, "WORKBENCH_RESULT_MAX_MB", 5120.0),
            capture_max_mb=_number(env, "WORKBENCH_CAPTURE_MAX_MB", 5120.0),
            table_version_retention_days=_number(env, "WORKBENCH_TABLE_VERSION_RETENTION_DAYS", 30.0),
            job_max_runtime_seconds=_number(env, "WORKBENCH_JOB_MAX_RUNTIME_SECONDS", 86400.0),
        )

    def effective_import_roots(self) -> tuple[Path, ...]:
        """Folders user-typed paths may lie under: the setting, else the user's home and the current directory."""
        return self.import_roots or (Path.home(), Path.cwd())


def _paths(raw: str) -> tuple[Path, ...]:
    """``os.pathsep``-separated folders, expanded and made absolute (empty: the default roots)."""
    parts = [part.strip() for part in raw.split(os.pathsep) if part.strip()]
    return tuple(Path(part).expanduser().resolve() for part in parts)


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (any case); the first when unset."""
    value = env.get(name, "").strip().lower() or choices[0]
    if value not in choices:
        raise InvalidInput(f"{name}={env.get(name)!r} is not one of {', '.join(choices)}.",
                           hint=f"Set {name} to {' or '.join(choices)} (default {choices[0]}).")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise InvalidInput(f"{name}={raw!r} is not a yes/no value.", hint=f"Set {name} to true or false.")


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise InvalidInput(f"{name}={raw!r} is not a number.", hint=f"Set {name} to a number such as {default:g}.") from exc
    if value <= 0:
        raise InvalidInput(f"{name} must be positive, got {raw}.", hint=f"Set {name} to a number such as {default:g}.")
    return value
