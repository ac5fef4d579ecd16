"""Endpoints on this machine: one inference server process per endpoint, and a SageMaker Runtime gateway.

Lifecycle. ``deploy`` checks the request, records the endpoint (status Creating), writes
``<home>/endpoints/<name>/endpoint.json`` and starts the launcher detached (it prepares the models,
then becomes the server; output in ``server.log``). Nothing watches the servers in the background:
every ``describe``/``list``/``wait`` checks the process and ``GET /ping`` and moves the status on —
Creating → InService when ``/ping`` answers; Creating → Failed when the process exits or is not
ready within ``ready_timeout_seconds``; InService → Failed when the process is gone or ``/ping`` has
not answered for ``unresponsive_seconds`` (then relaunched if the endpoint restarts on failure).
The reason is the end of ``server.log``. Building the adapter (an app or CLI start) relaunches
endpoints recorded InService whose process is gone.

Invoking. Everything goes through the gateway with boto3's ``sagemaker-runtime`` client, the same
client the AWS adapter uses, so the scoring page talks to both backends the same way.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.catalog.base import CatalogPort
from services.embedded.embedded_stack import EmbeddedStack
from services.embedded.metadata import MetadataStore, utc_now
from services.endpoints import launcher
from services.endpoints.base import EndpointsPort
from services.endpoints.deployment_local import LocalDeployments
from services.endpoints.following import FollowRules
from services.endpoints.launcher import connect_host
from services.endpoints.models import (
    MAX_PAYLOAD_BYTES,
    AlarmRule,
    CapturedInvocation,
    DeploymentConfig,
    DeploymentEvent,
    DeployRequest,
    DriftReport,
    Endpoint,
    InvokeResult,
    MonitoringStatus,
    ScoreResult,
    Variant,
    VariantStats,
)
from services.endpoints.monitoring_status import local_monitoring_status
from services.endpoints.score_forms import ScoreForms
from services.endpoints.store import EndpointRow, EndpointStore
from services.errors import AlreadyExists, BackendUnavailable, InternalError, InvalidInput, NotFound, ServiceError
from services.lineage.hooks import record_deploy
from services.models import DataSource, Job, ModelRecord
from services.names import check_name
from services.query.base import QueryPort
from services.storage.base import StoragePort

if TYPE_CHECKING:
    from services.endpoints.monitoring import LocalMonitoring

CLAIMED = -1  # pid placeholder while one process relaunches an endpoint


class LocalEndpoints(ScoreForms, FollowRules):
    """The endpoints port on the local stack."""

    ready_timeout_seconds = 300.0  # preparing a MiniLM model (ONNX export) takes a while on 2 cores
    unresponsive_seconds = 10.0
    stop_grace_seconds = 10.0
    gateway_start_seconds = 30.0
    gateway_idle_seconds = launcher.GATEWAY_IDLE_SECONDS  # the gateway stops itself after this long without endpoints

    def __init__(self, stack: EmbeddedStack, catalog: CatalogPort, query: QueryPort, storage: StoragePort) -> None:
        self.stack = stack
        self.catalog = catalog
        self.query = query
        self.settings = stack.settings
        self.home = Path(self.settings.home).resolve()
        self.endpoints = EndpointStore(stack.store)
        self.deployments = LocalDeployments(stack.store, self.home)
        self.registry = stack.models
        self.storage = storage
        self._children: dict[int, subprocess.Popen[bytes]] = {}
        self._runtime: Any = None  # boto3's sagemaker-runtime client on the gateway, made on first use

    def folder(self, name: str) -> Path:
        return self.home / "endpoints" / name

    def config_path(self, name: str) -> Path:
        return self.folder(name) / "endpoint.json"

    # -- lifecycle ----------------------------------------------------------------------------

    def deploy(self, request: DeployRequest) -> Endpoint:
        check_name("endpoint", request.name)
        if self.endpoints.find(request.name) is not None:
            raise AlreadyExists(f"An endpoint named {request.name!r} exists already.",
                                hint="Pick another name, or delete the existing endpoint first.")
        models = self._check_variants(request.variants)
        if not 0 <= request.capture_percent <= 100:
            raise InvalidInput(f"Data capture must sample 0–100 % of requests, not {request.capture_percent}.",
                               hint="Use 0 to switch capture off, 100 to keep every request.")
        row = EndpointRow(name=request.name, status="Creating", host=self.settings.endpoint_host, port=self._choose_port(request.port),
                          variants=request.variants, capture_percent=request.capture_percent,
                          restart_on_failure=request.restart_on_failure, created_at=utc_now())
        self.endpoints.insert(row)
        try:
            self._write_config(row, models)
            self._launch(row.name)
        except BaseException:
            self.endpoints.delete(row.name)  # nothing started: leave no endpoint behind
            raise
        record_deploy(self.stack.store, row.name, row.created_at, [v.model_id for v in request.variants])
        return self._endpoint(self.endpoints.get(row.name), None)

    def wait_for_endpoint(self, name: str, timeout_seconds: float = 120) -> Endpoint:
        deadline = time.monotonic() + timeout_seconds
        endpoint = self.describe_endpoint(name)
        while endpoint.status == "Creating" and time.monotonic() < deadline:
            time.sleep(0.2)
            endpoint = self.describe_endpoint(name)
        return endpoint

    def describe_endpoint(self, name: str) -> Endpoint:
        row, stats = self._check(self.endpoints.get(name))
        return self._endpoint(row, stats)

    def list_endpoints(self) -> list[Endpoint]:
        return [self._endpoint(*self._check(row)) for row in self.endpoints.all()]

    def delete_endpoint(self, name: str) -> None:
        """Stop the server and forget the endpoint. The folder goes too, except captured traffic
        (``<home>/endpoints/<name>/capture/``), which stays for monitoring and audits."""
        row = self.endpoints.get(name)
        self.endpoints.update(name, status="Deleting")
        self.deployments.stop(name)  # an update in progress ends first: its driver and new fleet stop
        pid = self._wait_for_pid(name)
        if pid is not None:
            launcher.stop_group(pid, str(self.config_path(name)), self.stop_grace_seconds)
            self._forget_child(pid)
        launcher.wait_until_closed(row.host, row.port, 10.0)
        self.endpoints.delete(name)
        self.deployments.forget(name)
        self._remove_folder(name)

    def endpoint_logs(self, name: str, tail_bytes: int = 64_000) -> str:
        self.endpoints.get(name)
        return tail(self.folder(name) / "server.log", tail_bytes)

    # -- safe deployment (blue/green; see deployment_driver) ------------------------------------------

    def update_endpoint(self, name: str, variants: tuple[Variant, ...], deployment_config: DeploymentConfig | None = None,
                        alarm_rules: tuple[AlarmRule, ...] = ()) -> Endpoint:
        """Start a blue/green update: a second server with ``variants`` beside the current one, traffic moved to it
        through the gateway per the config, rolled back when a local alarm rule fires (see ``deployment_local``)."""
        row, _ = self._check(self.endpoints.get(name))
        models = self._check_variants(variants)
        fleet = self._config_dict(replace(row, variants=variants, port=self._choose_port(0)), models)
        self.deployments.start(row, variants, fleet, deployment_config, alarm_rules)
        record_deploy(self.stack.store, name, row.created_at, [v.model_id for v in variants], utc_now())
        return self.describe_endpoint(name)

    def deployment_history(self, name: str) -> list[DeploymentEvent]:
        self.endpoints.get(name)
        return self.deployments.history(name)

    def _rules_store(self) -> MetadataStore:
        return self.stack.store

    def restore(self) -> list[str]:
        """Relaunch endpoints recorded InService whose process is gone (the machine or app restarted);
        finish deletions that were interrupted. Returns the names relaunched."""
        relaunched = []
        for row in self.endpoints.all():
            if row.pid in (None, CLAIMED) or self._running(row):
                continue
            if row.status == "Deleting":
                self.endpoints.delete(row.name)
            elif row.status == "InService":
                reason = f"Brought back: its server (pid {row.pid}) was gone when the workbench started. {self._log_excerpt(row.name)}"
                if self._relaunch(row, reason.strip()):
                    relaunched.append(row.name)
        self.deployments.resume()  # updates whose driver is gone carry on from their recorded phase
        return relaunched

    # -- checking on servers ------------------------------------------------------------------

    def _check(self, row: EndpointRow) -> tuple[EndpointRow, dict[str, Any] | None]:
        """Bring ``row``'s status up to date with its process; the server's /stats when it answers."""
        if row.status not in ("Creating", "InService"):
            return row, None
        if row.pid in (None, CLAIMED):
            return row, None  # another process is (re)launching it right now
        if not self._running(row):
            return self._failed(row, self._exit_reason(row)), None
        if launcher.http_get(row.host, row.port, "/ping") is None:
            return self._unanswered(row), None
        if row.status == "Creating":
            self.endpoints.update_if(row.name, "Creating", row.pid, status="InService", last_ping=time.time())
        else:
            self.endpoints.update(row.name, last_ping=time.time())
        return self.endpoints.get(row.name), fetch_stats(row)

    def _unanswered(self, row: EndpointRow) -> EndpointRow:
        now = time.time()
        if row.status == "Creating":
            if now - iso_seconds(row.launched_at) < self.ready_timeout_seconds:
                return row
            reason = f"The server did not answer /ping within {self.ready_timeout_seconds:.0f} s."
        else:
            if now - (row.last_ping or 0.0) < self.unresponsive_seconds:
                return row
            reason = f"The server stopped answering /ping for more than {self.unresponsive_seconds:.0f} s and was stopped."
        assert row.pid is not None
        launcher.stop_group(row.pid, str(self.config_path(row.name)), 1.0)  # it is broken already: no long grace
        self._forget_child(row.pid)
        return self._failed(row, f"{reason} {self._log_excerpt(row.name)}".strip())

    def _failed(self, row: EndpointRow, reason: str) -> EndpointRow:
        """Record the failure, or relaunch an endpoint that was serving and restarts on failure."""
        if row.status == "InService" and row.restart_on_failure:
            self._relaunch(row, f"Restarted after a failure: {reason}")
        else:
            self.endpoints.update_if(row.name, row.status, row.pid, status="Failed", failure_reason=reason[:2000])
        return self.endpoints.get(row.name)

    def _relaunch(self, row: EndpointRow, reason: str) -> bool:
        """Start ``row``'s server again (on its port) unless another process claimed it first."""
        claimed = self.endpoints.update_if(row.name, row.status, row.pid, status="Creating", pid=CLAIMED,
                                           failure_reason=reason[:2000], restarts=row.restarts + 1)
        if claimed:
            launcher.wait_until_closed(row.host, row.port, 5.0)  # a killed server's socket outlives its pid briefly
            self._launch(row.name)
        return claimed

    def _running(self, row: EndpointRow) -> bool:
        assert row.pid is not None
        child = self._children.get(row.pid)
        if child is not None and child.poll() is not None:
            return False
        return launcher.is_running(row.pid, str(self.config_path(row.name)))

    def _exit_reason(self, row: EndpointRow) -> str:
        code = self._exit_code(row.pid or 0)
        how = f"exited with code {code}" if code is not None and code >= 0 else "is gone"
        if code is not None and code < 0:
            how = f"was killed by signal {-code}"
        return f"The server process (pid {row.pid}) {how}. {self._log_excerpt(row.name)}".strip()

    def _log_excerpt(self, name: str) -> str:
        lines = [line for line in tail(self.folder(name) / "server.log", 4000).splitlines() if line.strip()]
        return ("Last log lines: " + " | ".join(lines[-4:])) if lines else ""

    # -- starting and stopping processes ------------------------------------------------------

    def _launch(self, name: str) -> None:
        config = self.config_path(name)
        process = launcher.start_detached(["-m", "services.endpoints.launcher", "--config", str(config)],
                                          self.folder(name) / "server.log")
        self._children[process.pid] = process
        self.endpoints.update(name, pid=process.pid, launched_at=utc_now(), last_ping=None)

    def _wait_for_pid(self, name: str, seconds: float = 5.0) -> int | None:
        """The endpoint's pid, waiting briefly if another process is relaunching it."""
        deadline = time.monotonic() + seconds
        pid = self.endpoints.get(name).pid
        while pid == CLAIMED and time.monotonic() < deadline:
            time.sleep(0.1)
            pid = self.endpoints.get(name).pid
        return None if pid in (None, CLAIMED) else pid

    def _exit_code(self, pid: int) -> int | None:
        """The exit code of our own child ``pid`` (None when another process started it). A killed
        multi-threaded process shows as a zombie a moment before its status can be collected."""
        child = self._children.get(pid)
        if child is None:
            return None
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=2)
        return child.returncode

    def _forget_child(self, pid: int) -> None:
        self._exit_code(pid)
        self._children.pop(pid, None)

    def _remove_folder(self, name: str) -> None:
        folder = self.folder(name)
        if not folder.is_dir():
            return
        for path in folder.iterdir():
            if path.name == "capture" and any(path.iterdir()):
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        if not any(folder.iterdir()):
            folder.rmdir()

    # -- checking a deploy request ------------------------------------------------------------

    def _check_variants(self, variants: tuple[Variant, ...]) -> list[ModelRecord]:
        if not any(not v.shadow for v in variants):
            raise InvalidInput("An endpoint needs at least one production (non-shadow) variant.",
                               hint="Add a model that answers requests; shadows only get copies.")
        names = [v.name for v in variants]
        if len(set(names)) != len(names):
            raise InvalidInput(f"Variant names must be unique, got {', '.join(names)}.", hint="Give each variant its own name.")
        for variant in variants:
            check_name("variant", variant.name)
            if not variant.weight > 0:
                raise InvalidInput(f"Variant {variant.name}: the weight must be above 0, not {variant.weight}.",
                                   hint="Weights are relative shares of traffic, e.g. 1 and 1 for a 50/50 split.")
        return [self._model(v.model_id) for v in variants]

    def _model(self, model_id: str) -> ModelRecord:
        record = self.registry.get(model_id)
        if not Path(record.artifact_path).is_dir():
            raise NotFound(f"The files of model {model_id} are missing ({record.artifact_path}).",
                           hint="Train the model again, or pick another version.")
        return record

    def _choose_port(self, port: int) -> int:
        taken = self.endpoints.ports_in_use() | {self.settings.gateway_port}
        gateway = self.endpoints.gateway()
        if gateway is not None:
            taken.add(gateway.port)
        if port == 0:
            return launcher.free_port(self.settings.endpoint_host, taken)
        if not 1024 <= port <= 65535:
            raise InvalidInput(f"Port {port} is outside 1024–65535.", hint="Leave the port empty to pick a free one.")
        if port in taken or not launcher.port_is_free(self.settings.endpoint_host, port):
            raise InvalidInput(f"Port {port} is already in use.", hint="Pick another port, or leave it empty to pick a free one.")
        return port

    def _write_config(self, row: EndpointRow, models: list[ModelRecord]) -> None:
        (self.folder(row.name) / "capture").mkdir(parents=True, exist_ok=True)
        self.config_path(row.name).write_text(json.dumps(self._config_dict(row, models), indent=2))

    def _config_dict(self, row: EndpointRow, models: list[ModelRecord]) -> dict[str, Any]:
        variants = [{"name": v.name, "model_id": v.model_id, "artifact_path": m.artifact_path, "weight": v.weight, "shadow": v.shadow}
                    for v, m in zip(row.variants, models)]
        return {"name": row.name, "host": row.host, "port": row.port, "capture_percent": row.capture_percent,
                "capture_dir": str(self.folder(row.name) / "capture"), "variants": variants}

    # -- what describe shows --------------------------------------------------------------------

    def _endpoint(self, row: EndpointRow, stats: dict[str, Any] | None) -> Endpoint:
        stats = stats or {}
        variant_stats = tuple(variant_figures(v, stats.get("variants", {}).get(v.name, {})) for v in row.variants)
        model = self._record(row.variants[0].model_id)
        text_model = model is not None and model.text_model
        p50, p99 = slowest_latency(variant_stats)
        return Endpoint(
            name=row.name, status=row.status, url=f"http://{connect_host(row.host)}:{row.port}", variants=variant_stats,
            created_at=row.created_at, failure_reason=row.failure_reason, capture_percent=row.capture_percent,
            uptime_seconds=stats.get("uptime_seconds") if row.status == "InService" else None,
            requests=int(stats.get("requests", 0)), errors=int(stats.get("errors", 0)), latency_p50_ms=p50, latency_p99_ms=p99,
            problem_type=model.problem_type if model else "", framework=model.framework if model else "",
            input_columns=() if model is None or text_model else tuple(c.name for c in model.input_schema),
            text_model=text_model, deployment=self.deployments.summary(row.name),
        )

    def _record(self, model_id: str) -> ModelRecord | None:
        try:
            return self.registry.get(model_id)
        except NotFound:
            return None

    # -- invoking -----------------------------------------------------------------------------

    def gateway_url(self) -> str:
        gateway = self.endpoints.gateway()
        if gateway is not None and self._gateway_answers(gateway.host, gateway.port):
            return f"http://{connect_host(gateway.host)}:{gateway.port}"
        if gateway is not None:  # recorded but not answering: make sure it is gone before starting another
            launcher.stop_group(gateway.pid, str(self.home), self.stop_grace_seconds)
            self._forget_child(gateway.pid)
        return self._start_gateway()

    def stop_gateway(self) -> None:
        """Stop this workspace's gateway if it runs (the next ``gateway_url`` starts it again)."""
        gateway = self.endpoints.gateway()
        if gateway is not None:
            launcher.stop_group(gateway.pid, str(self.home), self.stop_grace_seconds)
            self._forget_child(gateway.pid)
            self.endpoints.clear_gateway()
        self._runtime = None

    def _start_gateway(self) -> str:
        host = self.settings.endpoint_host
        taken = self.endpoints.ports_in_use()
        wanted = self.settings.gateway_port
        port = wanted if wanted not in taken and launcher.port_is_free(host, wanted) else launcher.free_port(host, taken)
        log = self.home / "endpoints" / "gateway.log"
        process = launcher.start_detached(["-m", "services.endpoints.gateway", "--home", str(self.home), "--port", str(port),
                                           "--host", host, "--idle-seconds", str(self.gateway_idle_seconds)], log)
        self._children[process.pid] = process
        if not self._wait_for_gateway(process, host, port):
            launcher.stop_group(process.pid, str(self.home), 1.0)
            self._forget_child(process.pid)
            raise BackendUnavailable("The local SageMaker Runtime gateway did not start. " + tail(log, 600).strip(),
                                     hint=f"Check that port {port} is free, or set WORKBENCH_GATEWAY_PORT to another port.")
        if process.poll() is None:  # ours answers (else another process of this workspace started one first)
            self.endpoints.set_gateway(process.pid, host, port)
        return f"http://{connect_host(host)}:{port}"

    def _wait_for_gateway(self, process: subprocess.Popen[bytes], host: str, port: int) -> bool:
        deadline = time.monotonic() + self.gateway_start_seconds
        while not self._gateway_answers(host, port):
            if process.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def _gateway_answers(self, host: str, port: int) -> bool:
        answer = launcher.http_get(host, port, "/ping")
        return answer is not None and answer.get("workspace") == launcher.workspace_id(self.home)

    def invoke(self, name: str, body: bytes, content_type: str = "application/json", accept: str = "application/json",
               target_variant: str = "", custom_attributes: str = "") -> InvokeResult:
        if len(body) > MAX_PAYLOAD_BYTES:
            raise InvalidInput(f"The request is {len(body) / 1e6:.1f} MB; an endpoint accepts at most 6 MB.",
                               hint="Send fewer rows per request, or use batch transform for large tables.")
        arguments = {"EndpointName": name, "Body": body, "ContentType": content_type, "Accept": accept}
        if target_variant:
            arguments["TargetVariant"] = target_variant
        if custom_attributes:
            arguments["CustomAttributes"] = custom_attributes
        self._runtime_client()  # made (and the gateway started) before the clock starts: latency is the request's
        started = time.perf_counter()
        response = self._invoke_endpoint(name, arguments)
        payload = response["Body"].read()
        return InvokeResult(body=payload, content_type=response.get("ContentType", ""),
                            variant=response.get("InvokedProductionVariant", ""),
                            latency_ms=round((time.perf_counter() - started) * 1000, 2))

    def _invoke_endpoint(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError, ConnectionClosedError, EndpointConnectionError

        try:
            try:
                return self._runtime_client().invoke_endpoint(**arguments)  # type: ignore[no-any-return]
            except (EndpointConnectionError, ConnectionClosedError):
                # The gateway is gone (refused), or died under a kept-alive connection (reset): a new
                # client on a gateway started again if needed, and one more try.
                self._runtime = None
                return self._runtime_client().invoke_endpoint(**arguments)  # type: ignore[no-any-return]
        except ClientError as exc:
            raise runtime_error(exc, name) from exc
        except BotoCoreError as exc:
            self._runtime = None
            raise BackendUnavailable(f"Endpoint {name} could not be reached through the local gateway: {exc}",
                                     hint="Describe the endpoint to see its status, then try again.") from exc

    def _runtime_client(self) -> Any:
        """boto3's client on the gateway, made once (the gateway is started if needed)."""
        if self._runtime is None:
            self._runtime = runtime_client(self.gateway_url())
        return self._runtime

    def score_text(self, name: str, text: str, explain: bool = False) -> ScoreResult:
        if not text.strip():
            raise InvalidInput("The review is empty.", hint="Type or paste a review to score.")
        column = self._text_column(name)
        body = json.dumps({"instances": [{column: text}]}).encode()
        result = self.invoke(name, body, custom_attributes="explain=true" if explain else "")
        return score_result(result)

    def score_record(self, name: str, record: dict[str, object]) -> ScoreResult:
        body = json.dumps({"instances": [record]}, default=str).encode()
        return score_result(self.invoke(name, body))

    def _text_column(self, name: str) -> str:
        row = self.endpoints.get(name)
        model = self._record(row.variants[0].model_id)
        if model is None or not model.text_model:
            raise InvalidInput(f"Endpoint {name} serves a tabular model, not a text model.",
                               hint="Fill in the record form instead of a review.")
        return model.input_schema[0].name if model.input_schema else "text"

    # -- batch scoring and monitoring -----------------------------------------------------------

    def start_batch_transform(self, model_id: str, source: DataSource, output_table: str, sql: str = "") -> str:
        from services.endpoints.batch import start_batch_transform

        return start_batch_transform(self.stack, self.catalog, self.query, model_id, source, output_table, sql)

    def describe_batch_transform(self, name: str) -> Job:
        """The batch job's row; its worker registers the output table before it ends Completed."""
        self.stack.runner.dispatch()  # notices a dead worker and starts a waiting job, as the page polls
        job = self.stack.runner.jobs.get(name)
        if job.kind != "batch":
            raise NotFound(f"{name} is a {job.kind} job, not a batch scoring job.", hint="Pick a batch job.")
        return job

    @cached_property
    def monitoring(self) -> LocalMonitoring:
        from services.endpoints.monitoring import LocalMonitoring  # pandas, pyarrow and the baseline code: only when used

        return LocalMonitoring(self.stack, self.catalog, self.storage)

    def capture_table(self, name: str) -> str:
        self.endpoints.get(name)
        return self.monitoring.register_capture_table(name)

    def drift_report(self, name: str, baseline_model_id: str = "", source: DataSource | None = None) -> DriftReport:
        return self.monitoring.drift_report(name, baseline_model_id, source)

    def recent_capture(self, name: str, max_records: int = 50) -> list[CapturedInvocation]:
        from services.endpoints.monitoring import recent_invocations

        return recent_invocations(self.home, name, max_records)

    def monitoring_status(self, names: Sequence[str]) -> list[MonitoringStatus]:
        capture = {row.name: row.capture_percent for row in self.endpoints.all()}
        return local_monitoring_status(self.home, capture, list(names))


# -- helpers ------------------------------------------------------------------------------------


def variant_figures(variant: Variant, figures: dict[str, Any]) -> VariantStats:
    latency = figures.get("latency_ms") or {}
    return VariantStats(name=variant.name, model_id=variant.model_id, weight=variant.weight, shadow=variant.shadow,
                        requests=int(figures.get("requests", 0)), errors=int(figures.get("errors", 0)),
                        latency_p50_ms=latency.get("p50"), latency_p99_ms=latency.get("p99"),
                        agreement=figures.get("agreement"))


def slowest_latency(variants: tuple[VariantStats, ...]) -> tuple[float | None, float | None]:
    """The endpoint's latency percentiles: those of its slowest production variant (shadows never answer)."""
    measured = [v for v in variants if not v.shadow and v.latency_p99_ms is not None]
    if not measured:
        return None, None
    slowest = max(measured, key=lambda v: v.latency_p99_ms or 0.0)
    return slowest.latency_p50_ms, slowest.latency_p99_ms


def fetch_stats(row: EndpointRow) -> dict[str, Any] | None:
    return launcher.http_get(row.host, row.port, "/stats")


def iso_seconds(text: str) -> float:
    return datetime.fromisoformat(text).timestamp() if text else 0.0


def tail(path: Path, size: int) -> str:
    if not path.is_file():
        return ""
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - size))
        return handle.read().decode(errors="replace")


def runtime_client(url: str) -> Any:
    """boto3's ``sagemaker-runtime`` client against the local gateway (no retries: a local error is final)."""
    import boto3
    from botocore.config import Config

    # proxies={}: a loopback call never goes through an HTTP proxy set in the environment.
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=70, proxies={})
    return boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1", aws_access_key_id="local",
                        aws_secret_access_key="local", config=config)


def runtime_error(exc: Any, name: str) -> ServiceError:
    """botocore's ClientError from InvokeEndpoint as the matching ServiceError."""
    error = exc.response.get("Error", {})
    code, message = error.get("Code", ""), error.get("Message", "") or str(exc)
    status = exc.response.get("OriginalStatusCode") or error.get("OriginalStatusCode")
    original = server_message(exc.response.get("OriginalMessage") or error.get("OriginalMessage") or message)
    if code == "ValidationError" and "not found" in message:
        return NotFound(f"No endpoint named {name!r}.", hint="Pick one from the endpoints list, or deploy a model first.")
    if code == "ValidationError" and "not in service" in message:
        return BackendUnavailable(message, hint="Wait until it is InService; if it failed, describe it to see why and redeploy it.")
    if code == "ValidationError":
        return InvalidInput(message, hint="Check the request: its size, content type and target variant.")
    if code == "ModelError" and status == 413:
        return InvalidInput(f"The request is too large for the model: {original}", hint="Send a shorter text or fewer rows.")
    if code == "ModelError" and status is not None and int(status) < 500:
        return InvalidInput(f"The model rejected the request: {original}", hint="Check the content type and the input columns.")
    if code == "ModelError":
        return InternalError(f"The model failed on this request: {original}", hint=f"See the endpoint's logs (endpoints logs {name}).")
    return BackendUnavailable(f"Endpoint {name} could not answer: {message}",
                              hint="Describe the endpoint to see its status; redeploy it if it failed.")


def server_message(text: str) -> str:
    """The ``message`` of an inference server's JSON error body, else the body as it is."""
    try:
        body = json.loads(text)
    except ValueError:
        return text
    return str(body["message"]) if isinstance(body, dict) and "message" in body else text


def score_result(result: InvokeResult) -> ScoreResult:
    """The first prediction of an endpoint's JSON answer."""
    try:
        prediction = json.loads(result.body)["predictions"][0]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise InternalError(f"The endpoint answered with something that is not a prediction: {result.body[:200]!r}",
                            hint="Check the endpoint's logs.") from exc
    explanation = prediction.get("explanation") or {}
    scores = explanation.get("scores") or explanation.get("token_scores") or {}
    return ScoreResult(
        predicted_label=str(prediction.get("predicted_label", "")), probability=prediction.get("probability"),
        probabilities={str(k): float(v) for k, v in (prediction.get("probabilities") or {}).items()},
        latency_ms=result.latency_ms, variant=result.variant, tokens=tuple(explanation.get("tokens", ())),
        token_scores={str(k): tuple(float(x) for x in v) for k, v in scores.items()},
    )


def build_local_endpoints(stack: EmbeddedStack, *, catalog: CatalogPort, query: QueryPort, storage: StoragePort) -> EndpointsPort:
    """The local endpoints; endpoints recorded InService whose server is gone are relaunched."""
    endpoints = LocalEndpoints(stack, catalog, query, storage)
    endpoints.restore()
    return endpoints
