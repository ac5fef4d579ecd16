"""Blue/green updates of local endpoints: the adapter's side (start, history, resume, stop).

``LocalDeployments.start`` checks the request, writes the new fleet's config
(``<home>/endpoints/<name>/deployments/<id>/endpoint.json``: the new variants on a port of their own, capturing
into the endpoint's capture folder), records the update and starts its driver (``deployment_driver``), which
does the rest. Local alarms: CloudWatch alarms do not exist locally, so the names in
``AutoRollbackConfiguration.Alarms`` are defined by ``AlarmRule``s given with the update (error rate %, p99
latency ms, a drift violation), evaluated on the new fleet's own figures.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.embedded.metadata import MetadataStore, utc_now
from services.endpoints import launcher
from services.endpoints.deployment import (
    alarm_rules_json,
    all_at_once,
    check_alarm_rules,
    check_deployment_config,
    deployment_config_from_json,
    deployment_config_json,
    routing_label,
)
from services.endpoints.deployment_driver import deployment_folder, fleet_config_path
from services.endpoints.deployment_store import DeploymentRow, DeploymentStore, now_epoch
from services.endpoints.models import AlarmRule, DeploymentConfig, DeploymentEvent, Variant
from services.endpoints.store import EndpointRow
from services.errors import InvalidInput

STOP_GRACE_SECONDS = 10.0


class LocalDeployments:
    def __init__(self, store: MetadataStore, home: Path) -> None:
        self.deployments = DeploymentStore(store)
        self.home = home

    def start(self, row: EndpointRow, variants: tuple[Variant, ...], fleet: dict[str, Any],
              config: DeploymentConfig | None, rules: tuple[AlarmRule, ...]) -> str:
        """Record the update of ``row`` to ``variants`` (``fleet``: the new server's config without its port
        filled) and start its driver; returns the deployment id."""
        if row.status != "InService":
            raise InvalidInput(f"Endpoint {row.name} is {row.status}; only an endpoint in service can be updated.",
                               hint="Wait until it is InService, or redeploy it if it failed.")
        config = config or all_at_once()
        check_deployment_config(config, local=True)
        check_alarm_rules(config, rules)
        deployment_id = f"{datetime.now(UTC).strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
        path = fleet_config_path(self.home, row.name, deployment_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(fleet, indent=2))
        record = DeploymentRow(deployment_id=deployment_id, endpoint=row.name, status="InProgress", phase="Creating", share=0.0,
                               variants=variants, config=deployment_config_json(config), rules=alarm_rules_json(rules),
                               old_pid=row.pid, new_port=int(fleet["port"]), new_pid=None, driver_pid=None,
                               started_at=utc_now(), started_epoch=now_epoch())
        if not self.deployments.insert_if_idle(record):
            raise InvalidInput(f"An update of endpoint {row.name} is in progress already.",
                               hint="Wait until it completes or rolls back (see its deployment history).")
        self.launch_driver(record)
        return deployment_id

    def launch_driver(self, row: DeploymentRow) -> None:
        log = deployment_folder(self.home, row.endpoint, row.deployment_id) / "driver.log"
        process = launcher.start_detached(["-m", "services.endpoints.deployment_driver", "--home", str(self.home),
                                           "--deployment", row.deployment_id], log)
        if not self.deployments.claim_driver(row.deployment_id, row.driver_pid, process.pid):
            launcher.stop_group(process.pid, row.deployment_id, 1.0)  # another process took it over first

    def history(self, endpoint: str) -> list[DeploymentEvent]:
        latest = self.deployments.latest(endpoint)
        return [] if latest is None else self.deployments.events(latest.deployment_id)

    def summary(self, endpoint: str) -> str:
        """The latest update in a few words, for ``Endpoint.deployment``."""
        row = self.deployments.latest(endpoint)
        if row is None:
            return ""
        label = routing_label(deployment_config_from_json(row.config))
        if row.status == "InProgress":
            return f"Updating ({label}): {row.phase}, {row.share:.0%} of traffic on the new fleet"
        if row.status == "Completed":
            return f"Updated ({label}) to {', '.join(v.model_id for v in row.variants if not v.shadow)}"
        return row.reason or row.status

    def resume(self) -> list[str]:
        """Start a driver again for updates in progress whose driver is gone; returns their ids."""
        resumed = []
        for row in self.deployments.in_progress():
            if row.driver_pid is None or not launcher.is_running(row.driver_pid, row.deployment_id):
                self.launch_driver(row)
                resumed.append(row.deployment_id)
        return resumed

    def stop(self, endpoint: str) -> None:
        """The endpoint is being deleted: end its update in progress, stop the driver and the new fleet."""
        row = self.deployments.latest(endpoint)
        if row is None or row.status != "InProgress":
            return
        self.deployments.record(row.deployment_id, "Stopped", 0.0, "the endpoint was deleted", status="Stopped")
        if row.driver_pid is not None:
            launcher.stop_group(row.driver_pid, row.deployment_id, STOP_GRACE_SECONDS)
        current = self.deployments.get(row.deployment_id)
        if current is not None and current.new_pid is not None:
            launcher.stop_group(current.new_pid, str(fleet_config_path(self.home, endpoint, row.deployment_id)), STOP_GRACE_SECONDS)

    def forget(self, endpoint: str) -> None:
        self.deployments.forget(endpoint)
