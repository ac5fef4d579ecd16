"""What child processes get from the app's environment (issue 9, finding 6): a short documented list, no secrets.

The script-mode jobs that prove it end to end (script, worker and runtime limit) are in test_script_mode.py.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from services.embedded import child_env
from services.embedded.job_worker import JobStopped, ending
from services.embedded.jobs import JobRunner, max_runtime_seconds
from services.embedded.metadata import MetadataStore
from services.endpoints import launcher
from services.errors import InvalidInput, NotFound

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG", "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
           "AWS_SESSION_TOKEN": "token", "WORKBENCH_PASSWORD_HASH": "scrypt$salt$hash",
           "MY_DATABASE_SECRET": "hunter2", "HTTPS_PROXY": "http://user:pass@proxy:3128"}
PARENT = {**SECRETS, "PATH": "/usr/local/bin:/usr/bin", "HOME": "/home/analyst", "LANG": "en_GB.UTF-8",
          "OMP_NUM_THREADS": "2", "WORKBENCH_HOME": "/data/workspace", "WORKBENCH_JOB_MAX_RUNTIME_SECONDS": "60",
          "WORKBENCH_ADDRESS": "0.0.0.0", "WORKBENCH_BACKEND": "aws", "PYTHONPATH": "/somewhere/else"}
MINIMAL = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"}


def test_the_minimal_environment_is_the_documented_list_and_nothing_else() -> None:
    env = child_env.minimal_environment("/jobs/j1/home", parent=PARENT)
    assert set(env) == MINIMAL | {"OMP_NUM_THREADS"}
    assert (env["HOME"], env["PATH"], env["LANG"], env["LC_ALL"]) == ("/jobs/j1/home", PARENT["PATH"], "en_GB.UTF-8", "C.UTF-8")
    assert env["HF_HUB_OFFLINE"] == env["TRANSFORMERS_OFFLINE"] == "1" and env["OMP_NUM_THREADS"] == "2"


def test_user_code_gets_the_minimal_set_and_the_training_contract_only(tmp_path: Path) -> None:
    contract = {"SM_MODEL_DIR": "/ml/model", "SAGEMAKER_PROGRAM": "train.py", "PYTHONPATH": "/ml/code"}
    env = child_env.user_code_environment(tmp_path / "home", contract, parent=PARENT)
    assert set(env) == MINIMAL | {"OMP_NUM_THREADS"} | set(contract)
    assert env["HOME"] == str(tmp_path / "home") and env["TMPDIR"] == str(tmp_path / "home" / "tmp")
    assert (tmp_path / "home" / "tmp").is_dir() and env["PYTHONPATH"] == "/ml/code"
    with pytest.raises(ValueError, match="WORKBENCH_HOME"):
        child_env.user_code_environment(tmp_path / "home", {**contract, "WORKBENCH_HOME": "/data"}, parent=PARENT)


def test_our_workers_get_the_local_settings_but_no_secrets() -> None:
    env = child_env.worker_environment(PARENT)
    assert not set(SECRETS) & set(env)
    assert env["WORKBENCH_HOME"] == "/data/workspace" and env["WORKBENCH_JOB_MAX_RUNTIME_SECONDS"] == "60"
    assert "WORKBENCH_ADDRESS" not in env and "WORKBENCH_BACKEND" not in env
    assert env["HOME"] == "/home/analyst" and env["PYTHONPATH"] == str(ROOT)


def test_every_setting_is_either_passed_to_workers_or_withheld() -> None:
    """A new WORKBENCH_* setting needs a decision in child_env: do workers need it, or is it the app's own?"""
    names = set(re.findall(r'"(WORKBENCH_[A-Z0-9_]+)"', (ROOT / "services" / "config.py").read_text()))
    passed, withheld = set(child_env.WORKER_SETTINGS), set(child_env.WITHHELD_SETTINGS)
    assert not passed & withheld
    assert names == passed | withheld, f"undecided: {sorted(names - passed - withheld)}"


def test_endpoint_servers_and_the_gateway_start_without_the_apps_secrets(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    log = tmp_path / "server.log"
    process = launcher.start_detached(["-c", "import json, os; print(json.dumps(dict(os.environ)))"], log)
    assert process.wait(timeout=60) == 0
    env = json.loads(log.read_text())
    assert not set(SECRETS) & set(env), sorted(set(SECRETS) & set(env))
    assert set(env) - {"PYTHONPATH", *child_env.PASSED_WHEN_SET} <= MINIMAL | set(child_env.WORKER_SETTINGS)


# -- MaxRuntimeInSeconds ---------------------------------------------------------------------------------


def test_max_runtime_comes_from_the_request_else_the_setting() -> None:
    assert max_runtime_seconds({"max_runtime_in_seconds": 2}, 86400.0) == 2.0
    assert max_runtime_seconds({"max_runtime_in_seconds": 0}, 86400.0) == 86400.0
    assert max_runtime_seconds({}, 600.0) == 600.0


@pytest.mark.parametrize("value", [-1, 2.5, "60", True, 28 * 24 * 3600 + 1])
def test_a_bad_max_runtime_is_refused_before_the_job_exists(tmp_path: Path, value: object) -> None:
    runner = JobRunner(tmp_path, MetadataStore(tmp_path / "metadata.sqlite"))
    with pytest.raises(InvalidInput, match="MaxRuntimeInSeconds must be a whole number"):
        runner.submit("script", {"max_runtime_in_seconds": value}, name="too-long")
    with pytest.raises(NotFound):
        runner.jobs.get("too-long")
    assert not (tmp_path / "jobs" / "too-long").exists()


def test_a_job_past_its_max_runtime_ends_stopped_whatever_its_task_raised() -> None:
    reason = "MaxRuntimeInSeconds (2 s) exceeded"
    assert ending(RuntimeError("killed by signal 15"), reason) == ("Stopped", reason, "MaxRuntimeExceeded")
    assert ending(JobStopped()) == ("Stopped", "Stopped on request.", "Stopped")
    assert ending(InvalidInput("bad", hint="h")) == ("Failed", str(InvalidInput("bad", hint="h")), "Failed")
    assert ending(KeyError("x")) == ("Failed", "KeyError: 'x'", "Failed")


def test_a_stop_that_a_library_swallowed_still_ends_stopped() -> None:
    """SIGTERM raised JobStopped inside pydantic's schema building, which wrapped it in its own SchemaError: the stopped
    job ended Failed (test_training_jobs' stop-and-queue test, once in a full run)."""
    import signal

    from services.embedded import job_worker

    before = signal.signal(signal.SIGTERM, job_worker._raise_stopped)
    try:
        try:
            signal.raise_signal(signal.SIGTERM)
        except JobStopped as caught:
            swallowed = ValueError(f"SchemaError: Error building serializer: {type(caught).__name__}")
        assert ending(swallowed, stop_requested=job_worker.STOP_REQUESTED.is_set()) == (
            "Stopped", "Stopped on request.", "Stopped")
    finally:
        signal.signal(signal.SIGTERM, before)
        job_worker.STOP_REQUESTED.clear()
    assert ending(swallowed) == ("Failed", f"ValueError: {swallowed}", "Failed")  # without a stop, an error is a failure


def test_a_job_within_its_runtime_is_not_touched() -> None:
    from services.embedded.job_worker import RuntimeLimit

    stops: list[str] = []
    limit = RuntimeLimit(3600, stops.append)
    limit.start()
    time.sleep(0.05)
    limit.finish()
    limit._thread.join(timeout=5)
    assert not limit.exceeded.is_set() and stops == [] and not limit._thread.is_alive()


GROUP_LEADER = """\
import signal, subprocess, sys, time
from services.embedded.job_worker import end_rest_of_group
child = subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"])
time.sleep(0.5)
print(child.pid, flush=True)
end_rest_of_group()
print(child.wait(timeout=30), flush=True)
"""


def test_a_stopped_job_leaves_no_process_of_its_group_behind(tmp_path: Path) -> None:
    """A worker leads its own process group; a child that ignores SIGTERM is killed when the job stops."""
    log = tmp_path / "leader.log"
    leader = launcher.start_detached(["-c", GROUP_LEADER], log)
    assert leader.wait(timeout=60) == 0, log.read_text()
    child_pid, child_status = log.read_text().split()[:2]
    assert int(child_status) == -9 and not Path(f"/proc/{child_pid}").exists()
