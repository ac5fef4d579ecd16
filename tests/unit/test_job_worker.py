"""The job worker's one failure wrapper: whatever the kind of job, a ServiceError that ends it leaves its
kind and exit code in the job's result (the CLI exits 2 for bad input, 1 for a bug). Run in this process
(``run_job``) on a job that fails at once, so no worker process or ML library is needed."""

from __future__ import annotations

from pathlib import Path

from services.embedded.job_worker import record_failure, run_job
from services.embedded.jobs import JobStore
from services.embedded.metadata import MetadataStore
from services.errors import InternalError, InvalidInput


def script_job_with_bad_metric(home: Path) -> str:
    """A script job whose metric definition has no name: the task raises InvalidInput before running anything."""
    (home / "src").mkdir(parents=True)
    (home / "src" / "train.py").write_text("print('never runs')\n")
    config = {"entry_point": "train.py", "source_dir": str(home / "src"), "channels": {},
              "metric_definitions": {" ": "loss=([0-9.]+)"}}
    (home / "jobs" / "bad-metric").mkdir(parents=True)
    return JobStore(MetadataStore(home / "metadata.sqlite")).create("script", config, "bad-metric").name


def test_a_service_error_leaves_its_kind_and_exit_code_whatever_the_job_kind(tmp_path: Path) -> None:
    home = tmp_path / "workspace"
    name = script_job_with_bad_metric(home)
    assert run_job(home, name) == "Failed"
    job = JobStore(MetadataStore(home / "metadata.sqlite")).get(name)
    assert job.failure_reason == "A metric definition has an empty name. Write NAME=REGEX."
    assert job.result["failure_type"] == "InvalidInput" and job.result["exit_code"] == 2
    assert "Failed: A metric definition has an empty name." in (home / "jobs" / name / "job.log").read_text()


def test_a_script_jobs_own_exit_code_stays(tmp_path: Path) -> None:
    jobs = JobStore(MetadataStore(tmp_path / "metadata.sqlite"))
    name = jobs.create("script", {}, "exit-three").name
    jobs.update(name, result={"exit_code": 3})
    record_failure(jobs, name, InternalError("The script failed."))
    assert jobs.get(name).result == {"exit_code": 3, "failure_type": "InternalError"}


def test_bad_input_without_an_exit_code_gets_the_errors(tmp_path: Path) -> None:
    jobs = JobStore(MetadataStore(tmp_path / "metadata.sqlite"))
    name = jobs.create("bias", {}, "bias-bad").name
    record_failure(jobs, name, InvalidInput("No such column."))
    assert jobs.get(name).result == {"exit_code": 2, "failure_type": "InvalidInput"}


def test_the_worker_process_raises_the_importable_job_stopped() -> None:
    """``python -m services.embedded.job_worker`` runs the module's own ``main``, so the JobStopped its SIGTERM
    handler raises is ``services.embedded.job_worker.JobStopped`` — the class tasks catch (a stopped tuning trial
    was recorded as failed while the worker's handler raised ``__main__.JobStopped``)."""
    import subprocess
    import sys

    probe = ("import runpy, sys\n"
             "import services.embedded.job_worker as worker\n"
             "seen = []\n"
             "worker.main = lambda argv=None: seen.append(worker.JobStopped.__module__) or 0\n"
             "sys.argv = ['job_worker']\n"
             "try:\n    runpy.run_module('services.embedded.job_worker', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "print(seen)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.stdout.strip() == "['services.embedded.job_worker']", done.stderr
