"""Blue/green updates in tests: two small real models on an empty workspace (no training), one whose predictor
raises on every request, a client thread that scores all the time, and deployment configs in SageMaker's shape."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sklearn.linear_model import LogisticRegression

from services.endpoints.models import (
    AlarmRule,
    AutoRollbackConfiguration,
    BlueGreenUpdatePolicy,
    CapacitySize,
    DeploymentConfig,
    DeployRequest,
    TrafficRoutingConfiguration,
    Variant,
)
from services.models import Column, ModelRecord
from services.registry import Services, build_services
from services.training.algorithms.common import SklearnPredictor
from tests.helpers.data import signal_frame
from tests.helpers.endpoints import stop_everything
from tests.helpers.servers import unused_port
from tests.helpers.workspace import close_services, settings_for_tests

ERROR_ALARM = AlarmRule("new-fleet-errors", "ErrorRate", threshold=5.0)


@contextmanager
def endpoint_to_update(folder: Path, name: str, groups: tuple[str, str]) -> Iterator[tuple[Services, str, str, str]]:
    """An endpoint ``name`` serving a model of ``groups[0]`` in service, plus a good model of ``groups[1]`` and a
    broken one registered: (services, old, new, broken). Every server is stopped afterwards."""
    services = build_services(settings_for_tests(home=folder / "home", seed_on_start=False, gateway_port=unused_port()))
    old = register_tabular(services, folder / "a", groups[0])
    new = register_tabular(services, folder / "b", groups[1])
    broken = register_tabular(services, folder / "c", "broken", broken=True)
    services.endpoints.deploy(DeployRequest(name, (Variant("AllTraffic", old),), capture_percent=0))
    assert services.endpoints.wait_for_endpoint(name, 120).status == "InService"
    try:
        yield services, old, new, broken
    finally:
        stop_everything(services)
        close_services(services)


def register_tabular(services: Services, folder: Path, name: str, broken: bool = False) -> str:
    """A real scikit-learn model on ``signal``/``noise``, saved as the built-in algorithms save theirs, in the
    registry. ``broken``: the estimator was fitted on a third column the saved predictor does not pass it, so
    every prediction raises (a real bad artifact, as a mistaken training script would leave)."""
    frame = signal_frame(60)
    columns = ["signal", "noise", "amount"] if broken else ["signal", "noise"]
    estimator = LogisticRegression().fit(frame[columns], (frame["label"] == "yes").astype(int))
    SklearnPredictor(estimator, "BinaryClassification", ["no", "yes"], {"signal": "numeric", "noise": "numeric"},
                     "sklearn").save(folder)
    draft = ModelRecord(model_id="", name=name, version=0, framework="sklearn", problem_type="BinaryClassification",
                        target="label", input_schema=(Column("signal", "double"), Column("noise", "double")),
                        classes=("no", "yes"), metrics={}, run_id="", job_name="", artifact_path="")
    return services.stack.models.register(draft, folder).model_id


def canary(percent: int = 50, wait: int = 1, termination: int = 1, alarms: tuple[str, ...] = ()) -> DeploymentConfig:
    routing = TrafficRoutingConfiguration("CANARY", wait, canary_size=CapacitySize("CAPACITY_PERCENT", percent))
    return DeploymentConfig(BlueGreenUpdatePolicy(routing, termination), AutoRollbackConfiguration(alarms) if alarms else None)


def linear(step: int = 50, wait: int = 1, termination: int = 0) -> DeploymentConfig:
    routing = TrafficRoutingConfiguration("LINEAR", wait, linear_step_size=CapacitySize("CAPACITY_PERCENT", step))
    return DeploymentConfig(BlueGreenUpdatePolicy(routing, termination))


class ScoringClient:
    """A thread invoking the endpoint through the gateway (boto3's sagemaker-runtime) until stopped; counts
    answers per variant and keeps every failure."""

    def __init__(self, services: Services, name: str) -> None:
        self.services, self.name = services, name
        self.answers: list[str] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        body = json.dumps({"instances": [{"signal": 1.2, "noise": 0.1}]}).encode()
        while not self._stop.is_set():
            try:
                self.answers.append(self.services.endpoints.invoke(self.name, body).variant)
            except Exception as exc:  # noqa: BLE001 - every failure is what the test counts
                self.failures.append(f"{type(exc).__name__}: {exc}")
            time.sleep(0.02)

    def __enter__(self) -> ScoringClient:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self.thread.join(10)
