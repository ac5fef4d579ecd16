"""``python -m services seed --demo full`` on a seeded workspace, for real: the review model trained, approved and
served by ``reviews-demo``, the bias report and the second run; a second seed builds nothing; the endpoint is listed
InService and scores a review from the command line. One build per module (about 20 s of jobs on two cores)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.demo.full import COMPARE_MODEL, ENDPOINT, EXPERIMENT, REVIEW_MODEL, STEPS
from services.demo.status import DONE, read_status
from services.registry import build_services
from tests.helpers.endpoints import stop_everything
from tests.helpers.servers import ROOT, unused_port
from tests.helpers.workspace import close_services, copy_workspace, settings_for_tests

pytestmark = pytest.mark.slow


def cli(home: Path, gateway_port: int, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_") or k == "WORKBENCH_IMPORT_ROOTS"}
    env |= {"WORKBENCH_HOME": str(home), "WORKBENCH_SEED_ON_START": "false", "WORKBENCH_DEMO": "full",
            "WORKBENCH_GATEWAY_PORT": str(gateway_port), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "services", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def demo(seeded_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The workspace after one ``seed`` (WORKBENCH_DEMO=full) and a second one; endpoints stopped afterwards."""
    home = tmp_path_factory.mktemp("demo-full") / "workspace"
    copy_workspace(seeded_home, home)
    port = unused_port()
    try:
        first = cli(home, port, "seed")
        second = cli(home, port, "seed")
        yield {"home": home, "port": port, "first": first, "second": second}
    finally:
        services = build_services(settings_for_tests(home=home, seed_on_start=False, gateway_port=port))
        stop_everything(services)
        close_services(services)


def test_the_first_seed_builds_the_four_things_with_a_line_per_step(demo: dict[str, Any]) -> None:
    answer = json.loads(demo["first"].stdout)
    assert (answer["demo"], answer["created"], answer["found"]) == ("full", [], [])  # the tables were there
    assert answer["built"] == [f"model {REVIEW_MODEL}/1", f"{REVIEW_MODEL}/1 approved", f"endpoint {ENDPOINT} (InService)",
                               answer["built"][3], f"model {COMPARE_MODEL}/1"]
    assert answer["built"][3].startswith("bias report bias-")
    lines = [line for line in demo["first"].stderr.splitlines() if line.startswith("demo [")]
    assert [line.split("] ", 1)[1].split(":")[0] for line in lines] == [f"{i}/5 {step}" for i, step in enumerate(STEPS, 1)]
    status = read_status(demo["home"])
    assert status is not None and (status.state, status.done, status.total) == (DONE, 5, 5)


def test_what_was_built_is_real_and_findable_through_the_ports(demo: dict[str, Any]) -> None:
    services = build_services(settings_for_tests(home=demo["home"], seed_on_start=False, gateway_port=demo["port"]))
    models = {model.model_id: model for model in services.training.list_models()}
    assert models[f"{REVIEW_MODEL}/1"].approval_status == "Approved"
    assert models[f"{COMPARE_MODEL}/1"].approval_status == "PendingManualApproval"
    assert models[f"{REVIEW_MODEL}/1"].metrics["accuracy"] > 0.6
    runs = {services.runs.get_run(models[m].run_id).params["word_ngrams"] for m in (f"{REVIEW_MODEL}/1", f"{COMPARE_MODEL}/1")}
    assert runs == {"1", "2"}
    bias = [job for job in services.jobs.list_jobs(kind="bias") if job.status == "Completed"]
    assert len(bias) == 1
    report = services.bias.job_report(bias[0].name)
    assert (report.pre.facet, report.pre.label, report.pre.error) == ("product_category", "sentiment", "")
    assert len(report.pre.entries) >= 3 and report.rows > 10_000  # each category against the rest, every review
    assert {job.config.get("experiment") for job in services.jobs.list_jobs(kind="training")} == {EXPERIMENT}
    close_services(services)


def test_a_second_seed_builds_nothing(demo: dict[str, Any]) -> None:
    first, second = json.loads(demo["first"].stdout), json.loads(demo["second"].stdout)
    assert (second["created"], second["built"]) == ([], [])
    assert second["found"] == first["built"]
    services = build_services(settings_for_tests(home=demo["home"], seed_on_start=False, gateway_port=demo["port"]))
    assert len(services.jobs.list_jobs()) == 3  # two training jobs and the bias job, not one more
    assert [endpoint.name for endpoint in services.endpoints.list_endpoints()] == [ENDPOINT]
    close_services(services)


def test_the_command_line_lists_the_endpoint_and_scores_a_review(demo: dict[str, Any]) -> None:
    listed = json.loads(cli(demo["home"], demo["port"], "endpoints", "list").stdout)
    assert [(e["EndpointName"], e["EndpointStatus"]) for e in listed] == [(ENDPOINT, "InService")]
    scored = json.loads(cli(demo["home"], demo["port"], "score", ENDPOINT, "--text",
                            "Beautiful dress, fits perfectly and the fabric is lovely").stdout)
    assert scored["predicted_label"] in ("-1", "0", "1") and set(scored["probabilities"]) == {"-1", "0", "1"}
