"""``python -m services endpoints …``, ``score`` and ``monitor`` (data quality): JSON on stdout; errors exit 2 with one line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.config import Settings
from services.endpoints.cli_endpoints import deploy_variants, parse_variant
from services.endpoints.models import Variant
from services.errors import InvalidInput
from services.registry import build_services
from tests.helpers.cli import Run, ok, refused
from tests.helpers.endpoints import TEXT_MODEL, WINE_MODEL, stop_everything, trained_template, wait_for
from tests.helpers.label_pages import captured_event_ids
from tests.helpers.servers import unused_port
from tests.helpers.workspace import close_services, copy_workspace

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def home(seeded_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A workspace with trained models; every process the commands started is stopped afterwards."""
    folder = tmp_path_factory.mktemp("cli-endpoints") / "ws"
    copy_workspace(trained_template(tmp_path_factory, seeded_home), folder)
    yield folder
    services = build_services(Settings(home=folder, seed_on_start=False))
    stop_everything(services)
    close_services(services)


@pytest.fixture(scope="module")
def gateway_port() -> int:
    return unused_port()


@pytest.fixture
def cli(home: Path, gateway_port: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """``services.cli.main`` in this process: returns (exit code, stdout, stderr)."""
    from services.cli import main

    for name in [k for k in os.environ if k.startswith("WORKBENCH_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    monkeypatch.setenv("WORKBENCH_GATEWAY_PORT", str(gateway_port))

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_deploy_list_describe_score_gateway_delete(cli: Run) -> None:
    deployed = ok(cli, "endpoints", "deploy", TEXT_MODEL, "--name", "cli-reviews", "--capture-percent", "50")
    assert deployed["EndpointName"] == "cli-reviews" and deployed["EndpointStatus"] == "InService"  # type: ignore[index]
    scored = ok(cli, "score", "cli-reviews", "--text", "Terrible fabric, it ripped after one wash and the seams came apart.")
    assert scored["predicted_label"] == "-1" and set(scored["probabilities"]) == {"-1", "0", "1"}  # type: ignore[index]
    assert scored["latency_ms"] > 0  # type: ignore[index]
    described = ok(cli, "endpoints", "describe", "cli-reviews")
    assert described["Requests"] == 1 and described["TextModel"] is True  # type: ignore[index]
    assert described["DataCaptureConfig"] == {"EnableCapture": True, "CurrentSamplingPercentage": 50}  # type: ignore[index]
    assert described["ProductionVariants"][0]["VariantName"] == "AllTraffic"  # type: ignore[index]
    assert [e["EndpointName"] for e in ok(cli, "endpoints", "list")] == ["cli-reviews"]  # type: ignore[attr-defined]
    url = ok(cli, "endpoints", "gateway")["Url"]  # type: ignore[index]
    assert url.endswith(f":{os.environ['WORKBENCH_GATEWAY_PORT']}")
    port = int(deployed["Url"].rsplit(":", 1)[1])  # type: ignore[index]
    deleted = ok(cli, "endpoints", "delete", "cli-reviews")
    assert deleted["Deleted"] is True  # type: ignore[index]
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    assert ok(cli, "endpoints", "list") == []


def test_variants_and_shadows(cli: Run) -> None:
    ok(cli, "endpoints", "deploy", TEXT_MODEL, "--name", "cli-ab", "--variant", f"challenger={TEXT_MODEL}:0.5",
       "--shadow", TEXT_MODEL, "--capture-percent", "0")
    described = ok(cli, "endpoints", "describe", "cli-ab")
    variants = [(v["VariantName"], v["CurrentWeight"], v["Shadow"]) for v in described["ProductionVariants"]]  # type: ignore[index]
    assert variants == [("AllTraffic", 1.0, False), ("challenger", 0.5, False), ("Shadow", 1.0, True)]
    assert "launcher: starting the inference server" in ok(cli, "endpoints", "logs", "cli-ab")["Log"]  # type: ignore[index]
    ok(cli, "endpoints", "delete", "cli-ab")


def test_score_a_record_and_monitor(cli: Run, home: Path) -> None:
    ok(cli, "endpoints", "deploy", WINE_MODEL, "--name", "cli-wine")
    record = {"alcohol": 13.2, "malic_acid": 1.78, "ash": 2.14, "alcalinity_of_ash": 11.2, "magnesium": 100, "total_phenols": 2.65,
              "flavanoids": 2.76, "nonflavanoid_phenols": 0.26, "proanthocyanins": 1.28, "color_intensity": 4.38, "hue": 1.05,
              "od280_od315_of_diluted_wines": 3.4, "proline": 1050}
    for _ in range(3):
        scored = ok(cli, "score", "cli-wine", "--record", json.dumps(record))
    assert scored["predicted_label"] in ("0", "1", "2")  # type: ignore[index]
    # The server's capture writer appends what ~0.1 s gathered (services/endpoints/capture.py); in this process the
    # monitor would otherwise run before the three records are written.
    wait_for(lambda: len(captured_event_ids(home, "cli-wine")) == 3, 30)
    report = ok(cli, "monitor", "cli-wine")  # the monitoring capability's command; data quality by default
    assert report["endpoint"] == "cli-wine" and report["monitor_type"] == "data-quality"  # type: ignore[index]
    assert report["item_count"] == 3 and report["details"]["enough_traffic"] is False  # type: ignore[index]
    assert "Not enough traffic yet — 3 of 30" in report["notes"][0]  # type: ignore[index]
    assert "error: --record is not JSON" in refused(cli, "score", "cli-wine", "--record", "{alcohol")
    ok(cli, "endpoints", "delete", "cli-wine")


@pytest.mark.parametrize(("args", "message"), [
    (("endpoints", "deploy", TEXT_MODEL, "--name", "bad_name"), "'bad_name' is not a valid endpoint name"),
    (("endpoints", "deploy", "nope/1", "--name", "cli-nope"), "No model 'nope/1' in the registry"),
    (("endpoints", "deploy", TEXT_MODEL, "--name", "cli-x", "--capture-percent", "150"), "0–100 %"),
    (("endpoints", "deploy", TEXT_MODEL, "--name", "cli-x", "--variant", "justaname"), "is not NAME=MODEL_ID:WEIGHT"),
    (("endpoints", "describe", "ghost"), "No endpoint named 'ghost'"),
    (("endpoints", "delete", "ghost"), "No endpoint named 'ghost'"),
    (("score", "ghost", "--text", "hello"), "No endpoint named 'ghost'"),
])
def test_errors_exit_2_with_one_line_and_a_hint(cli: Run, args: tuple[str, ...], message: str) -> None:
    err = refused(cli, *args)
    assert message in err and err.rstrip().endswith(")")


def test_variant_syntax() -> None:
    assert parse_variant("b=reviews/2:0.25") == Variant("b", "reviews/2", 0.25)
    assert parse_variant("b=reviews/2") == Variant("b", "reviews/2", 1.0)
    for bad in ("b", "=m/1:1", "b=:1", "b=m/1:heavy"):
        with pytest.raises(InvalidInput):
            parse_variant(bad)
    assert [v.name for v in deploy_variants("m/1", [], ["s/1", "t/1"])] == ["AllTraffic", "Shadow", "Shadow-2"]


def test_the_module_entry_point_lists_endpoints(home: Path, gateway_port: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_")}
    env |= {"WORKBENCH_HOME": str(home), "WORKBENCH_SEED_ON_START": "false", "WORKBENCH_GATEWAY_PORT": str(gateway_port),
            "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "services", "endpoints", "list"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert isinstance(json.loads(done.stdout), list)
    missing = subprocess.run([sys.executable, "-m", "services", "endpoints", "describe", "ghost"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and missing.stderr.startswith("error: No endpoint named 'ghost'.")
