"""The step sandbox (services/embedded/sandbox.py): a command sees its own folder at /opt/ml, the host does not
change, the app's environment stays out, ending the group (or the worker dying) ends everything the command
started, LocalPaths outside /opt/ml/processing are refused, and an unavailable sandbox is a clear refusal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services.embedded import sandbox
from services.errors import BackendUnavailable, InvalidInput
from services.processing.contract import local_path
from services.processing.runtime import step_environment

pytestmark = pytest.mark.skipif(not sandbox.sandbox_available()[0], reason=sandbox.sandbox_available()[1])

COPY_SCRIPT = """
import pathlib
rows = pathlib.Path("/opt/ml/processing/input/x.csv").read_text().splitlines()
out = pathlib.Path("/opt/ml/processing/output")
out.mkdir(parents=True, exist_ok=True)
(out / "y.csv").write_text("\\n".join(row.upper() for row in rows) + "\\n")
print("copied", len(rows))
"""


def run(ml_root: Path, command: list[str], env: dict[str, str]) -> tuple[int, str]:
    process = sandbox.start_sandboxed(ml_root, command, env)
    output = (process.stdout.read() if process.stdout else "")
    process.wait()
    return sandbox.end_group(process), output


def test_a_script_reads_and_writes_its_folder_at_opt_ml(tmp_path: Path) -> None:
    ml_root = tmp_path / "step" / "ml"
    (ml_root / "processing" / "input").mkdir(parents=True)
    (ml_root / "processing" / "input" / "x.csv").write_text("a,1\nb,2\n")
    opt_before = sorted(os.listdir("/opt"))
    code, output = run(ml_root, [sys.executable, "-c", COPY_SCRIPT], {"PATH": "/usr/bin:/bin"})
    assert (code, output.strip()) == (0, "copied 2")
    assert (ml_root / "processing" / "output" / "y.csv").read_text() == "A,1\nB,2\n"
    assert sorted(os.listdir("/opt")) == opt_before  # nothing created on the host (no /opt/ml appears)


def test_the_rest_of_opt_stays_visible_inside(tmp_path: Path) -> None:
    code, output = run(tmp_path / "ml", ["sh", "-c", "ls -A /opt"], {"PATH": "/usr/bin:/bin"})
    assert code == 0
    assert set(output.split()) == {*os.listdir("/opt"), "ml"}


def test_the_step_sees_no_app_environment_and_the_projects_python(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "leaked-secret")
    monkeypatch.setenv("WORKBENCH_PASSWORD_HASH", "leaked-hash")
    env = step_environment(tmp_path / "job", {"TRAINING_JOB_NAME": "t-1"}, {"MY_SETTING": "on"})
    script = "env; python3 -c 'import sys; print(\"prefix=\" + sys.prefix)'; pip install x || echo pip-refused"
    code, output = run(tmp_path / "job" / "ml", ["sh", "-c", script], env)
    assert code == 0
    assert "leaked" not in output and "WORKBENCH_" not in output and "AWS_" not in output
    assert "MY_SETTING=on" in output and "TRAINING_JOB_NAME=t-1" in output
    assert f"prefix={sys.prefix}" in output
    assert "pip-refused" in output and "would change the workbench's own Python" in output


def sleepers() -> set[str]:
    found = subprocess.run(["pgrep", "-a", "-x", "sleep"], capture_output=True, text=True, check=False).stdout
    return {line.split(maxsplit=1)[1] for line in found.splitlines() if "sleep 31" in line}


def wait_until(predicate: object, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_ending_the_group_ends_everything_the_command_started(tmp_path: Path) -> None:
    process = sandbox.start_sandboxed(tmp_path / "ml", ["sh", "-c", "sleep 313 & sleep 314"], {"PATH": "/usr/bin:/bin"})
    assert wait_until(lambda: {"sleep 313", "sleep 314"} <= sleepers())
    sandbox.end_group(process)
    assert wait_until(lambda: not {"sleep 313", "sleep 314"} & sleepers())


def test_a_worker_killed_outright_takes_its_step_with_it(tmp_path: Path) -> None:
    worker = (f"import sys, time\nsys.path.insert(0, {str(Path.cwd())!r})\nfrom pathlib import Path\n"
              "from services.embedded.sandbox import start_sandboxed\n"
              f"start_sandboxed(Path({str(tmp_path / 'ml')!r}), ['sleep', '315'], {{'PATH': '/usr/bin:/bin'}})\n"
              "time.sleep(300)\n")
    parent = subprocess.Popen([sys.executable, "-c", worker], start_new_session=True)
    try:
        assert wait_until(lambda: "sleep 315" in sleepers())
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
    assert wait_until(lambda: "sleep 315" not in sleepers())


@pytest.mark.parametrize("path", ["/etc/passwd", "/opt/ml/processing/../../../etc", "/opt/ml/model", "processing/x",
                                  "/opt/ml/processing", "/opt/ml/processingx/y"])
def test_local_paths_outside_opt_ml_processing_are_refused(path: str) -> None:
    with pytest.raises(InvalidInput, match="not under /opt/ml/processing/"):
        local_path("Prep", path, "input 'raw'")


def test_a_local_path_is_normalised() -> None:
    assert local_path("Prep", "/opt/ml/processing/a/../input//", "input 'raw'") == "/opt/ml/processing/input"


def test_without_a_sandbox_steps_are_refused_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "sandbox_available", lambda: (False, "user namespaces are off"))
    with pytest.raises(BackendUnavailable, match="cannot give a step its own /opt/ml: user namespaces are off"):
        sandbox.start_sandboxed(Path("/nonexistent/ml"), ["true"], {})
