"""The Jobs & models page over real jobs run by the job runner in the test's workspace."""

from __future__ import annotations

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from components import keys
from services.config import Settings
from services.models import DataSource, ScriptJobRequest, TrainingRequest
from services.registry import build_services
from tests.helpers.fragments import rerun_fragments
from tests.helpers.pages import frame_with, open_page, texts


def run_job(workspace: Path, request: TrainingRequest | ScriptJobRequest) -> str:
    services = build_services(Settings(home=workspace, seed_on_start=False))
    training = services.training
    start = training.start_training_job if isinstance(request, TrainingRequest) else training.start_script_job
    name = start(request)  # type: ignore[arg-type]
    assert services.jobs.wait_for_job(name, 240).finished
    return name


def test_no_jobs_yet_says_where_to_start_with_a_button_that_goes_there(app: AppTest) -> None:
    open_page(app, "jobs")
    assert "Start one on the Train page" in texts(app.info)
    assert "No models yet" in texts(app.info) and app.button(key=keys.JOBS_MODELS_TRAIN)
    app.button(key=keys.JOBS_TRAIN).click().run()
    assert not app.exception
    assert [t.value for t in app.title] == ["Train"]


def test_a_running_job_shows_one_status_stage_and_duration_in_the_table_and_its_detail(app: AppTest, workspace: Path,
                                                                                      tmp_path: Path) -> None:
    """The table and the live detail are drawn from one read of the jobs, in one fragment that refreshes both (the
    table used to be drawn once by the page while the fragment refreshed only the detail: 'Starting · 1 s' beside
    'ModelTuning · 21 s')."""
    (tmp_path / "train.py").write_text("import time\nprint('started', flush=True)\ntime.sleep(120)\n")
    services = build_services(Settings(home=workspace, seed_on_start=False))
    name = services.training.start_script_job(ScriptJobRequest(entry_point="train.py", source_dir=str(tmp_path), channels={}))
    try:
        deadline = time.monotonic() + 60
        while services.jobs.describe_job(name).secondary_status in ("Starting", "Pending") and time.monotonic() < deadline:
            time.sleep(0.2)  # waiting for the worker to report its stage, not retrying a flaky check
        open_page(app, "jobs")
        rerun_fragments(app)  # what the page's 2 s refresh draws
        assert not app.exception, app.exception
        row = frame_with(app, "stage").set_index("job").loc[name]
        detail = {m.label: m.value for m in app.metric}
        assert detail["Status"] == row["status"] == "InProgress"
        assert detail["Stage"] == row["stage"] != "Starting"
        assert detail["Duration"] == row["duration"]
        open_page(app, "jobs")
        app.button(key="jobs.stop").click().run()
        assert not app.exception
    finally:
        services.jobs.stop_job(name)
        services.jobs.wait_for_job(name, 60)


def test_a_completed_training_job_shows_metrics_and_its_registered_model(app: AppTest, workspace: Path) -> None:
    name = run_job(workspace, TrainingRequest(algorithm="xgboost", source=DataSource(table="demo.wine"), target="target",
                                              hyperparameters={"num_round": "10"}))
    open_page(app, "jobs")
    assert app.selectbox(key="jobs.selected").value == name
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Status"] == "Completed"
    assert {"accuracy (test)", "f1_macro (test)"} <= set(metrics)  # a built-in job's final metrics: the test split
    assert "wine-xgboost/1" in texts(app.caption)
    app.selectbox(key="jobs.model").select("wine-xgboost/1").run()
    app.button(key="jobs.approve").click().run()
    assert not app.exception
    training = build_services(Settings(home=workspace, seed_on_start=False)).training
    assert training.get_model("wine-xgboost/1").approval_status == "Approved"
    app.button(key=keys.JOBS_DEPLOY).click().run()
    assert [t.value for t in app.title] == ["Endpoints"] and not app.exception
    assert app.selectbox(key="endpoints.deploy.model").value == "wine-xgboost/1"
    assert app.text_input(key="endpoints.deploy.name").value.startswith("wine-xgboost")
    open_page(app, "jobs")
    app.selectbox(key="jobs.model").select("wine-xgboost/1").run()
    app.button(key=keys.JOBS_EXPLAIN).click().run()
    assert [t.value for t in app.title] == ["Explain"] and not app.exception
    assert app.selectbox(key=keys.EXPLAIN_MODEL).value == "wine-xgboost/1"
    open_page(app, "jobs")
    assert app.selectbox(key=keys.JOBS_BATCH_TABLE).value == "demo.wine"  # the model's training table
    assert app.text_input(key=keys.JOBS_BATCH_OUTPUT).value == "demo.wine_xgboost_scored"
    app.text_input(key=keys.JOBS_BATCH_OUTPUT).input("demo.wine")  # a table no batch job wrote
    app.button(key="FormSubmitter:jobs.batch-Score every row").click().run()
    assert "exists already" in texts(app.error)
    assert app.text_input(key=keys.JOBS_BATCH_OUTPUT).value == "demo.wine"
    assert app.selectbox(key=keys.JOBS_BATCH_TABLE).value == "demo.wine"
    app.text_input(key=keys.JOBS_BATCH_OUTPUT).input("demo.wine_scored")
    app.button(key="FormSubmitter:jobs.batch-Score every row").click().run()
    batch = app.selectbox(key="jobs.selected").value
    assert batch != name
    jobs = build_services(Settings(home=workspace, seed_on_start=False)).jobs
    assert jobs.wait_for_job(batch, 120).status == "Completed", jobs.job_logs(batch)
    open_page(app, "jobs")
    assert app.selectbox(key="jobs.selected").value == batch
    assert "Every row scored into **demo.wine_scored**" in texts(app.success)
    assert app.button(key="jobs.batch_query")


def test_a_failed_script_job_shows_its_failure_reason(app: AppTest, workspace: Path, tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "train.py").write_text(
        "import os, sys\n"
        "open(os.path.join(os.environ['SM_OUTPUT_DIR'], 'failure'), 'w').write('Column price is missing')\n"
        "sys.exit(3)\n"
    )
    data = tmp_path / "train.csv"
    data.write_text("a,b\n1,2\n")
    run_job(workspace, ScriptJobRequest(entry_point="train.py", source_dir=str(code), channels={"train": str(data)}))
    open_page(app, "jobs")
    assert {m.label: m.value for m in app.metric}["Status"] == "Failed"
    assert "Column price is missing" in texts(app.error)


def test_the_regex_tester_reads_the_script_log_and_explains_bad_patterns(app: AppTest, workspace: Path, tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "train.py").write_text("for epoch in range(3):\n    print(f'epoch={epoch} loss={1 / (epoch + 1):.3f}')\n")
    data = tmp_path / "train.csv"
    data.write_text("a,b\n1,2\n")
    run_job(workspace, ScriptJobRequest(entry_point="train.py", source_dir=str(code), channels={"train": str(data)},
                                        metric_definitions={"loss": "loss=([0-9.]+)"}))
    open_page(app, "jobs")
    assert app.text_input(key="jobs.regex.pattern").value == "loss=([0-9.]+)"
    assert "3 matching lines" in texts(app.caption)
    app.text_input(key="jobs.regex.pattern").input("loss=(").run()
    assert not app.exception
    assert "is invalid: missing )" in texts(app.error)  # explained, not raised


def test_a_job_with_debugger_rules_shows_statuses_curves_and_the_profiler_report(app: AppTest, workspace: Path,
                                                                                 tmp_path: Path) -> None:
    from services.debugger.models import DebuggerConfig, RuleConfig

    (tmp_path / "train.py").write_text("import time\nfor step in range(8):\n    print(f'loss={1.0}', flush=True)\n"
                                       "    time.sleep(0.1)\n")
    rules = DebuggerConfig(rules=(RuleConfig("LossNotDecreasing", {"num_steps": "5"}),))
    name = run_job(workspace, ScriptJobRequest(entry_point="train.py", source_dir=str(tmp_path), channels={},
                                               metric_definitions={"loss": "loss=([0-9.]+)"}, debugger=rules))
    open_page(app, "jobs")
    assert not app.exception, app.exception
    statuses = frame_with(app, "details")
    assert list(statuses["rule"]) == ["LossNotDecreasing"] and list(statuses["status"]) == ["IssuesFound"]
    assert [t.value for t in app.toast][0].startswith(f"LossNotDecreasing found an issue in {name}")
    assert app.get("download_button")[0].proto.label == "Profiler report"
    assert len(app.get("plotly_chart")) >= 2  # the loss curve with the rule's line, and system utilisation
