"""The process that carries out one local blue/green update:
``python -m services.endpoints.deployment_driver --home HOME --deployment ID``.

Why a process of its own rather than a job of the runner: an update must start at once and tick every
quarter second for its whole life (a runner job could wait in the queue behind a long training job while
half the traffic sits on an unwatched canary), and it owns server processes exactly as the endpoint does.
It is started detached (its own session, like the servers), so it outlives the app; everything it knows is
in the workspace's store (``deployment_store``), so when it is gone (the machine restarted, it was killed)
the next adapter start (``LocalDeployments.resume``) starts another that carries on from the recorded phase.

Phases (recorded as events, with the new fleet's share of traffic):

* ``Creating``: the new fleet (a second server process with the new variants, ``deployments/<id>/endpoint.json``)
  starts beside the old one; if it exits or does not answer ``/ping`` in time the update ``Failed`` and the
  endpoint stays on the old fleet.
* ``Shifting``/``Baking``: the share follows ``deployment.traffic_plan``; the gateway sends that share of
  invocations to the new fleet. Every tick the new fleet's own ``/stats`` (and the latest drift report written
  since the new fleet became ready) are checked against the alarm rules; a breach, the new fleet's process
  dying, or ``MaximumExecutionTimeoutInSeconds`` passing rolls back.
* ``RollingBack``: share 0 at once (all traffic on the old fleet); after ``TerminationWaitInSeconds`` the new fleet
  is stopped (SIGTERM: requests in flight finish first) and the update is ``RolledBack`` with the reason
  "rolled back: <alarm> (<figure>)".
* ``Completing``: the endpoint's row and ``endpoint.json`` now describe the new fleet; after
  ``TerminationWaitInSeconds`` the old fleet is stopped the same way and the update is ``Completed``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from services.embedded.metadata import MetadataStore, utc_now
from services.embedded.workspace import Workspace
from services.endpoints import launcher
from services.endpoints.deployment import (
    alarm_rules_from_json,
    breached_alarm,
    deployment_config_from_json,
    fleet_figures,
    phase_of,
    plan_finished,
    routing_label,
    share_at,
    traffic_plan,
)
from services.endpoints.deployment_store import DeploymentRow, DeploymentStore, now_epoch, variants_json
from services.endpoints.models import DeploymentConfig
from services.endpoints.store import EndpointStore

TICK_SECONDS = 0.25
READY_TIMEOUT_SECONDS = 300.0
DEFAULT_EXECUTION_TIMEOUT = 3600.0
STOP_GRACE_SECONDS = 10.0


def deployment_folder(home: Path, endpoint: str, deployment_id: str) -> Path:
    return home / "endpoints" / endpoint / "deployments" / deployment_id


def fleet_config_path(home: Path, endpoint: str, deployment_id: str) -> Path:
    return deployment_folder(home, endpoint, deployment_id) / "endpoint.json"


def endpoint_config_path(home: Path, endpoint: str) -> Path:
    return home / "endpoints" / endpoint / "endpoint.json"


def fleet_command(home: Path, endpoint: str, deployment_id: str) -> list[str]:
    """The new fleet's launcher; ``--serves`` names the endpoint's own config so that, once the new fleet has
    taken over, the endpoint's process checks recognise it as the endpoint's server."""
    return ["-m", "services.endpoints.launcher", "--config", str(fleet_config_path(home, endpoint, deployment_id)),
            "--serves", str(endpoint_config_path(home, endpoint))]


class Driver:
    def __init__(self, home: Path, deployment_id: str) -> None:
        self.home = home
        store = MetadataStore(Workspace(home).metadata_path)
        self.deployments = DeploymentStore(store)
        self.endpoints = EndpointStore(store)
        self.deployment_id = deployment_id

    def row(self) -> DeploymentRow:
        row = self.deployments.get(self.deployment_id)
        assert row is not None, f"no deployment {self.deployment_id}"
        return row

    def run(self) -> None:
        """Carry the update on from its recorded phase until it ends."""
        while (row := self.row()).status == "InProgress":
            if row.phase == "Creating":
                self.create(row)
            elif row.phase in ("Shifting", "Baking"):
                self.shift(row)
            elif row.phase == "RollingBack":
                self.finish(row, row.new_pid, self.fleet_config(row), "RolledBack", 0.0)
            elif row.phase == "Completing":
                self.finish(row, row.old_pid, str(endpoint_config_path(self.home, row.endpoint)), "Completed", 1.0)
            else:
                raise AssertionError(f"unknown phase {row.phase}")

    # -- Creating ----------------------------------------------------------------------------------------

    def create(self, row: DeploymentRow) -> None:
        if row.new_pid is None or not launcher.is_running(row.new_pid, self.fleet_config(row)):
            log = deployment_folder(self.home, row.endpoint, row.deployment_id) / "server.log"
            process = launcher.start_detached(fleet_command(self.home, row.endpoint, row.deployment_id), log)
            self.deployments.update(row.deployment_id, new_pid=process.pid)
            row = self.row()
        assert row.new_pid is not None
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        host = self.host(row)
        while launcher.http_get(host, row.new_port, "/ping") is None:
            if not self.still_wanted() or not launcher.is_running(row.new_pid, self.fleet_config(row)):
                self.fail(row, "the new fleet's server exited before it answered /ping")
                return
            if time.monotonic() > deadline:
                self.fail(row, f"the new fleet did not answer /ping within {READY_TIMEOUT_SECONDS:.0f} s")
                return
            time.sleep(TICK_SECONDS)
        plan = traffic_plan(self.config(row).blue_green_update_policy.traffic_routing_configuration)
        share = share_at(plan, 0.0)
        self.deployments.record(row.deployment_id, phase_of(plan, 0.0), share, self.share_reason(row, share),
                                ready_epoch=now_epoch())

    def fail(self, row: DeploymentRow, why: str) -> None:
        assert row.new_pid is not None
        launcher.stop_group(row.new_pid, self.fleet_config(row), 1.0)
        if not self.still_wanted():  # the endpoint was deleted meanwhile
            return
        reason = f"update failed: {why}. {self.log_excerpt(row)}".strip()
        self.deployments.record(row.deployment_id, "Failed", 0.0, reason, status="Failed", reason=reason, ended_epoch=now_epoch())

    # -- Shifting and Baking ------------------------------------------------------------------------------

    def shift(self, row: DeploymentRow) -> None:
        config = self.config(row)
        plan = traffic_plan(config.blue_green_update_policy.traffic_routing_configuration)
        timeout = config.blue_green_update_policy.maximum_execution_timeout_in_seconds or DEFAULT_EXECUTION_TIMEOUT
        while (row := self.row()).status == "InProgress":
            assert row.ready_epoch is not None and row.new_pid is not None
            elapsed = now_epoch() - row.ready_epoch
            problem = self.problem(row, config)
            if not problem and now_epoch() - row.started_epoch > timeout:
                problem = f"the update took longer than MaximumExecutionTimeoutInSeconds ({timeout:.0f} s)"
            if problem:
                self.roll_back(row, f"rolled back: {problem}")
                return
            if plan_finished(plan, elapsed):
                self.complete(row)
                return
            share, phase = share_at(plan, elapsed), phase_of(plan, elapsed)
            if share != row.share or phase != row.phase:
                self.deployments.record(row.deployment_id, phase, share, self.share_reason(row, share))
            time.sleep(TICK_SECONDS)

    def problem(self, row: DeploymentRow, config: DeploymentConfig) -> str:
        """Why the update must roll back now ("" when nothing is wrong)."""
        assert row.new_pid is not None
        if not launcher.is_running(row.new_pid, self.fleet_config(row)):
            return f"the new fleet's server stopped. {self.log_excerpt(row)}".strip()
        stats = launcher.http_get(self.host(row), row.new_port, "/stats")
        if stats is None:
            return ""  # a busy server may miss one look; a dead one is caught above
        figures = fleet_figures(stats) | {"drift_violations": self.drift_violations(row)}
        names = (config.auto_rollback_configuration.alarms if config.auto_rollback_configuration else ())
        return breached_alarm(alarm_rules_from_json(row.rules), names, figures)

    def drift_violations(self, row: DeploymentRow) -> list[str]:
        """The violations of the latest drift report written since the new fleet became ready."""
        folder = self.home / "endpoints" / row.endpoint / "monitoring"
        reports = sorted(folder.glob("*.json")) if folder.is_dir() else []
        recent = [p for p in reports if p.stat().st_mtime >= (row.ready_epoch or 0.0)]
        if not recent:
            return []
        return [str(v) for v in json.loads(recent[-1].read_text()).get("violations", [])]

    def roll_back(self, row: DeploymentRow, reason: str) -> None:
        self.deployments.record(row.deployment_id, "RollingBack", 0.0, reason, reason=reason, ended_epoch=now_epoch())

    def complete(self, row: DeploymentRow) -> None:
        """The new fleet becomes the endpoint's server: its config and its row; the old one stops later."""
        current = self.endpoints.find(row.endpoint)
        if current is None or not self.still_wanted():
            return
        endpoint_config_path(self.home, row.endpoint).write_text(Path(self.fleet_config(row)).read_text())
        switched = self.endpoints.update_if(row.endpoint, current.status, current.pid, status="InService", pid=row.new_pid,
                                            port=row.new_port, variants=variants_json(row.variants), launched_at=utc_now(),
                                            last_ping=time.time(), failure_reason="")
        if not switched:  # the old server changed under us (relaunched): look again next tick
            time.sleep(TICK_SECONDS)
            return
        self.deployments.record(row.deployment_id, "Completing", 1.0, "all traffic on the new fleet; the old fleet stops "
                                f"after {self.termination_wait(row)} s", old_pid=current.pid, ended_epoch=now_epoch())

    # -- the end ------------------------------------------------------------------------------------------

    def finish(self, row: DeploymentRow, pid: int | None, argument: str, status: str, share: float) -> None:
        """After TerminationWaitInSeconds, stop the fleet no longer used and end the update as ``status``."""
        wait_until = (row.ended_epoch or now_epoch()) + self.termination_wait(row)
        while now_epoch() < wait_until:
            if not self.still_wanted():
                return
            time.sleep(min(TICK_SECONDS, max(0.0, wait_until - now_epoch())))
        if pid is not None and pid > 0:
            launcher.stop_group(pid, argument, STOP_GRACE_SECONDS)
        reason = row.reason if status == "RolledBack" else "the old fleet is stopped"
        self.deployments.record(row.deployment_id, status, share, reason, status=status)

    # -- helpers ------------------------------------------------------------------------------------------

    def still_wanted(self) -> bool:
        row = self.deployments.get(self.deployment_id)
        return row is not None and row.status == "InProgress"

    def config(self, row: DeploymentRow) -> DeploymentConfig:
        return deployment_config_from_json(row.config)

    def termination_wait(self, row: DeploymentRow) -> int:
        return self.config(row).blue_green_update_policy.termination_wait_in_seconds

    def fleet_config(self, row: DeploymentRow) -> str:
        return str(fleet_config_path(self.home, row.endpoint, row.deployment_id))

    def host(self, row: DeploymentRow) -> str:
        return str(json.loads(Path(self.fleet_config(row)).read_text())["host"])

    def share_reason(self, row: DeploymentRow, share: float) -> str:
        return f"{routing_label(self.config(row))}: {share:.0%} of traffic on the new fleet"

    def log_excerpt(self, row: DeploymentRow) -> str:
        log = deployment_folder(self.home, row.endpoint, row.deployment_id) / "server.log"
        lines = [line for line in (log.read_text(errors="replace") if log.is_file() else "").splitlines() if line.strip()]
        return ("Last log lines: " + " | ".join(lines[-3:])) if lines else ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.endpoints.deployment_driver")
    parser.add_argument("--home", required=True, type=Path)
    parser.add_argument("--deployment", required=True)
    args = parser.parse_args(argv)
    print(f"{utc_now()} deployment {args.deployment}: driver pid {os.getpid()}", flush=True)
    Driver(args.home.resolve(), args.deployment).run()
    print(f"{utc_now()} deployment {args.deployment}: ended", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
