"""What Model and EndpointConfig steps create, kept for the steps that use them by name (an Endpoint step names
its EndpointConfigName, an endpoint config or Transform step its ModelName): one JSON file per resource under
``<home>/pipelines/resources/<kind>/<name>.json``. Names are SageMaker names (checked before they get here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from services.errors import InvalidInput, NotFound
from services.names import check_name

KINDS = {"models": ("model", "Model step", "ModelName"),
         "endpoint-configs": ("endpoint-config", "EndpointConfig step", "EndpointConfigName")}


def resource_path(home: Path, kind: str, name: str) -> Path:
    rule = KINDS[kind][0]
    if not isinstance(name, str) or not name:
        raise InvalidInput(f"A {KINDS[kind][2]} is missing.", hint=f"Refer to a {KINDS[kind][1]}'s {KINDS[kind][2]}.")
    check_name(rule, name)
    return home / "pipelines" / "resources" / kind / f"{name}.json"


def save_resource(home: Path, kind: str, name: str, data: dict[str, Any]) -> None:
    path = resource_path(home, kind, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def load_resource(home: Path, kind: str, name: str) -> dict[str, Any]:
    path = resource_path(home, kind, name)
    if not path.is_file():
        raise NotFound(f"No {KINDS[kind][2]} {name!r} was created by a pipeline here.",
                       hint=f"Refer to a {KINDS[kind][1]}'s {KINDS[kind][2]}, e.g. "
                            f"{{\"Get\": \"Steps.<step>.{KINDS[kind][2]}\"}}.")
    data: dict[str, Any] = json.loads(path.read_text())
    return data
