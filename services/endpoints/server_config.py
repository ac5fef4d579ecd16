"""An endpoint server's configuration (``endpoint.json``) and its log lines."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from services.endpoints.capture import iso_z
from services.errors import InvalidInput


def log(message: str) -> None:
    print(f"{iso_z(datetime.now(UTC))} {message}", flush=True)


@dataclass(frozen=True)
class VariantConfig:
    name: str
    model_id: str
    artifact_path: str
    weight: float = 1.0
    shadow: bool = False


@dataclass(frozen=True)
class ServerConfig:
    name: str
    host: str
    port: int
    capture_percent: int
    capture_dir: str
    variants: tuple[VariantConfig, ...]
    seed: int = 0


def read_config(path: Path) -> ServerConfig:
    """The endpoint's ``endpoint.json``; ``InvalidInput`` naming what is wrong."""
    try:
        raw = json.loads(Path(path).read_text())
        variants = tuple(VariantConfig(name=str(v["name"]), model_id=str(v.get("model_id", "")), artifact_path=str(v["artifact_path"]),
                                       weight=float(v.get("weight", 1.0)), shadow=bool(v.get("shadow", False)))
                         for v in raw["variants"])
        config = ServerConfig(name=str(raw["name"]), host=str(raw.get("host", "127.0.0.1")), port=int(raw["port"]),
                              capture_percent=int(raw.get("capture_percent", 0)),
                              capture_dir=str(raw.get("capture_dir") or Path(path).parent / "data-capture"),
                              variants=variants, seed=int(raw.get("seed", 0)))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"The endpoint configuration {path} cannot be read: {type(exc).__name__}: {exc}.",
                           hint="Redeploy the endpoint to rewrite it.") from exc
    check_config(config)
    return config


def check_config(config: ServerConfig) -> None:
    names = [variant.name for variant in config.variants]
    live = [variant for variant in config.variants if not variant.shadow]
    problems = [
        (not 0 < config.port < 65536, f"port {config.port} is not a TCP port"),
        (not 0 <= config.capture_percent <= 100, f"capture_percent {config.capture_percent} is not between 0 and 100"),
        (len(set(names)) != len(names), "variant names repeat"),
        (not live, "there is no production (non-shadow) variant"),
        (any(variant.weight < 0 for variant in config.variants), "a variant weight is negative"),
        (bool(live) and sum(variant.weight for variant in live) <= 0, "the production variants' weights add up to 0"),
    ]
    for failed, problem in problems:
        if failed:
            raise InvalidInput(f"The endpoint configuration is not valid: {problem}.", hint="Redeploy the endpoint with valid variants.")
