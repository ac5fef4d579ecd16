"""The export on a real local workspace where one query ran, one bias job, two training jobs (the trained template's)
and one scored review exist: each section holds that data, the file fetches nothing, and the CLI writes it.

One module fixture does the work once: the template's copy, a query whose text carries ``<script>``, a bias job,
one deployed review endpoint scored once with word attributions (then deleted), and the export itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.bias.models import BiasRequest
from services.endpoints.models import DeployRequest, Variant
from services.export.models import SessionExport, build_export
from services.models import DataSource
from services.registry import Services
from tests.helpers.cli import in_process_cli, ok
from tests.helpers.endpoints import TEXT_MODEL, hosting_services, stop_everything, trained_template, wait_for
from tests.helpers.export import external_references
from tests.helpers.workspace import close_services

pytestmark = pytest.mark.slow  # a real endpoint and a bias job (once for the module)

ENDPOINT = "export-reviews"
HOSTILE_SQL = "SELECT '<script>alert(1)</script>' AS greeting"
REVIEW = "Terrible quality, the seams ripped after one wash."


@pytest.fixture(scope="module")
def session(seeded_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, SessionExport]]:
    services = hosting_services(trained_template(tmp_path_factory, seeded_home), tmp_path_factory.mktemp("export") / "ws")
    try:
        services.query.run(HOSTILE_SQL)
        bias_job = services.bias.start_job(BiasRequest(source=DataSource(table="demo.reviews_sentiment"), label="sentiment",
                                                       label_values=("1",), facet="product_category",
                                                       facet_values=("Dresses",), bootstrap=20))
        services.endpoints.deploy(DeployRequest(ENDPOINT, (Variant("AllTraffic", TEXT_MODEL),)))
        assert services.endpoints.wait_for_endpoint(ENDPOINT, 120).status == "InService"
        services.endpoints.score_text(ENDPOINT, REVIEW, explain=True)
        wait_for(lambda: bool(services.endpoints.recent_capture(ENDPOINT)), 30)  # capture is written by a background thread
        assert services.jobs.wait_for_job(bias_job, 120).status == "Completed", services.jobs.job_logs(bias_job)
        yield services, build_export(services, backend=services.backend_label)
    finally:
        stop_everything(services)
        close_services(services)


def test_every_section_holds_the_sessions_real_data(session: tuple[Services, SessionExport]) -> None:
    services, exported = session
    counts = {s.key: s.count for s in exported.sections}
    assert counts == {"queries": len(services.query.history()), "bias": 1, "leaderboards": 0, "training": 2, "runs": 2,
                      "reviews": 1}
    document = exported.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document and "<script" not in document
    assert "SUCCEEDED" in document
    bias_job = services.jobs.list_jobs(kind="bias")[0]
    assert bias_job.name in document and "product_category = Dresses" in document and "(DPL)" in document
    for job in services.jobs.list_jobs(kind="training"):
        assert job.name in document and job.model_id in document
    runs = services.runs.list_runs()
    assert all(run.name in document for run in runs)
    assert "Nothing yet: start an Autopilot job" in document
    assert "Terrible" in document and "<span title=" in document  # the review's words, shaded
    assert "negative (-1)" in document


def test_the_file_fetches_nothing(session: tuple[Services, SessionExport]) -> None:
    assert external_references(session[1].html) == []


def test_recent_capture_has_the_scored_review_newest_first(session: tuple[Services, SessionExport]) -> None:
    services, _ = session
    [invocation] = services.endpoints.recent_capture(ENDPOINT, 5)
    assert REVIEW in invocation.input_data and '"explanation"' in invocation.output_data
    assert invocation.inference_time.endswith("Z") and invocation.variant == "AllTraffic"
    assert services.endpoints.recent_capture(ENDPOINT, 0) == []


def test_the_cli_writes_the_file_and_refuses_a_path_out_of_the_exports_folder(
        session: tuple[Services, SessionExport], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    services, _ = session
    cli = in_process_cli(Path(services.settings.home), monkeypatch, capsys)
    answer = ok(cli, "export", "--out", "session.html")
    written = Path(answer["path"])
    assert written == Path(services.settings.home).resolve() / "exports" / "session.html"
    assert answer["bytes"] == written.stat().st_size > 0
    assert {s["section"]: s["count"] for s in answer["sections"]}["reviews"] == 1
    code, out, err = cli("export", "--out", "session.html")
    assert (code, out) == (2, "") and "exists already" in err and err.count("\n") == 1
    code, out, err = cli("export", "--out", "../../escape.html")
    assert (code, out) == (2, "") and "leads out of the exports folder" in err and err.count("\n") == 1
    assert ok(cli, "export", "--out", "session.html", "--overwrite")["path"] == str(written)
    blocker = Path(services.settings.home).parent / "a-file"
    blocker.write_text("not a folder")
    code, out, err = cli("export", "--out", str(blocker / "inside.html"))  # under an import root, below a file
    assert (code, out) == (2, "") and "cannot be written" in err and err.count("\n") == 1
    code, out, err = cli("export", "--out", "session.html/inside.html")  # below a file of the exports folder
    assert (code, out) == (2, "") and "cannot be written" in err and err.count("\n") == 1
