"""Run a command that sees a given folder at ``/opt/ml``, without Docker and without root on the host.

SageMaker's containers (and the scripts written for them, and ``sm_train.sh``) hard-code ``/opt/ml/...``
paths, so rewriting arguments is not enough. Each command runs in a private mount namespace inside an
unprivileged user namespace (``unshare --user --map-root-user --mount``), where the step's folder is
bind-mounted at ``/opt/ml``. Nothing changes on the host: when the host has no ``/opt/ml``, the namespace
puts a tmpfs over ``/opt`` (its original entries bound back in place) and creates ``/opt/ml`` there; when
the host has no ``/opt`` at all, the sandbox is unavailable (creating it would need root on the host).

The command gets the environment the caller gives (``child_env.user_code_environment``: no credentials),
its own process group (``end_group``: SIGTERM ends ``unshare``, and with it the whole PID namespace, so the
command and everything it started are gone) and its output as one text stream. It also dies when the job's
worker dies, even by SIGKILL (``setpriv --pdeathsig``), so the runner's stop and maximum runtime reach it.

This confines paths, not privileges: the command runs as the same OS user (root inside the namespace maps
back to it) and sees the rest of the file system as that user does.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from services.errors import BackendUnavailable

MOUNT_POINT = "/opt/ml"
STOP_GRACE_SECONDS = 5.0
# A private PID namespace too: when unshare ends (stopped, or killed with the worker through --pdeathsig), its
# child, the namespace's init, is killed (--kill-child), and the kernel then kills everything the step started.
UNSHARE = ("unshare", "--user", "--map-root-user", "--mount", "--propagation", "private", "--pid", "--fork",
           "--kill-child", "--mount-proc")
PARENT_DEATH = ("setpriv", "--pdeathsig", "KILL")  # unshare dies with the job's worker, even on SIGKILL

# Runs inside the namespace as "root" of that namespace: $1 the step folder, $2 an empty folder that keeps the
# original /opt reachable while a tmpfs covers /opt, $3 the working directory; the rest is the command.
SETUP = r"""
set -e
ml="$1"; keep="$2"; workdir="$3"; shift 3
if [ ! -d /opt/ml ]; then
    mount --rbind /opt "$keep"
    mount -t tmpfs -o mode=755 opt-ml-sandbox /opt
    for entry in "$keep"/* "$keep"/.[!.]* "$keep"/..?*; do
        [ -e "$entry" ] || [ -L "$entry" ] || continue
        name="${entry##*/}"
        if [ -L "$entry" ]; then
            ln -s "$(readlink "$entry")" "/opt/$name"
        elif [ -d "$entry" ]; then
            mkdir "/opt/$name" && mount --rbind "$entry" "/opt/$name"
        else
            : > "/opt/$name" && mount --bind "$entry" "/opt/$name"
        fi
    done
    mkdir /opt/ml
fi
mount --bind "$ml" /opt/ml
cd "$workdir"
exec "$@"
"""


@functools.lru_cache(maxsize=1)
def sandbox_available() -> tuple[bool, str]:
    """(True, "") when this machine can give a command its own ``/opt/ml``; else (False, the reason)."""
    if not sys.platform.startswith("linux"):
        return False, f"private mount namespaces need Linux, this is {sys.platform}"
    if shutil.which("unshare") is None:
        return False, "the unshare command (util-linux) is not installed"
    if not Path("/opt").is_dir():
        return False, "/opt does not exist, and creating it would need root on the host"
    with tempfile.TemporaryDirectory(prefix="opt-ml-probe-") as folder:  # the real setup, mounts and all
        (Path(folder) / "ml").mkdir()
        (Path(folder) / "keep").mkdir()
        try:
            probe = subprocess.run(sandbox_command(Path(folder) / "ml", Path(folder) / "keep", ["true"], "/"),
                                   capture_output=True, text=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return False, f"unshare could not run ({exc})"
    if probe.returncode != 0:
        detail = probe.stderr.strip() or f"exit code {probe.returncode}"
        return False, f"unprivileged user and mount namespaces are not allowed here ({detail})"
    return True, ""


def require_sandbox() -> None:
    """``BackendUnavailable`` with the reason when steps cannot get their own ``/opt/ml`` here."""
    available, reason = sandbox_available()
    if not available:
        raise BackendUnavailable(f"This machine cannot give a step its own /opt/ml: {reason}.",
                                 hint="Run pipeline steps on Linux with unprivileged user namespaces enabled "
                                      "(sysctl kernel.unprivileged_userns_clone=1), or use the aws backend.")


def sandbox_command(ml_root: Path, keep_dir: Path, command: Sequence[str], workdir: str = MOUNT_POINT) -> list[str]:
    """The full command line: ``unshare`` → the setup above → ``command`` with ``ml_root`` at ``/opt/ml``."""
    if not command:
        raise ValueError("empty command")
    parent_death = PARENT_DEATH if shutil.which(PARENT_DEATH[0]) else ()
    return [*parent_death, *UNSHARE, "--", "/bin/sh", "-c", SETUP, "sandbox", str(ml_root), str(keep_dir), workdir,
            *command]


def start_sandboxed(ml_root: Path, command: Sequence[str], env: Mapping[str, str],
                    workdir: str = MOUNT_POINT) -> subprocess.Popen[str]:
    """Start ``command`` with ``ml_root`` mounted at ``/opt/ml``, in its own process group; stdout and stderr
    come back merged as text lines (``process.stdout``)."""
    require_sandbox()
    ml_root.mkdir(parents=True, exist_ok=True)
    keep_dir = ml_root.parent / ".opt-original"
    keep_dir.mkdir(exist_ok=True)
    return subprocess.Popen(
        sandbox_command(ml_root.resolve(), keep_dir.resolve(), command, workdir), env=dict(env),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8",
        errors="replace", bufsize=1, process_group=0,
    )


def end_group(process: subprocess.Popen[str], grace_seconds: float = STOP_GRACE_SECONDS) -> int:
    """SIGTERM to the command's whole process group, SIGKILL after ``grace_seconds``; its exit code."""
    if process.poll() is None:
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()
    _signal_group(process.pid, signal.SIGKILL)  # anything the command left running in its group
    if process.stdout is not None:
        process.stdout.close()
    return int(process.returncode)


def _signal_group(group: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, sig)
