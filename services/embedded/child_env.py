"""The environment of every process the workbench starts: a short, documented list, never the app's own.

The app's environment may hold AWS credentials (``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``),
``WORKBENCH_PASSWORD_HASH``, proxy URLs with passwords, tokens exported by the user's shell…; none of it
reaches a child. Every child starts from ``minimal_environment`` and gets only what its kind needs.

The minimal set (``minimal_environment``), for every child:

* ``PATH``: the parent's (``os.defpath`` when unset), so tools on it keep working;
* ``HOME``: given by the caller (see below);
* ``LANG``, ``LC_ALL``: the parent's, ``C.UTF-8`` when unset;
* ``TZ``: the parent's, when set;
* ``TMPDIR``: given by the caller, else the system's temporary folder;
* ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``CUDA_VISIBLE_DEVICES``,
  ``LD_LIBRARY_PATH``: the parent's, when set (resource choices, not secrets);
* ``HF_HUB_OFFLINE=1``, ``TRANSFORMERS_OFFLINE=1``: Hugging Face libraries never reach the network.

User code (the training script of a script-mode job or a tuning trial; ``user_code_environment``): the
minimal set with ``HOME`` and ``TMPDIR`` in a private folder of the job, plus the SageMaker training
contract only: every ``SM_*`` variable, ``SAGEMAKER_BASE_DIR``, ``SAGEMAKER_PROGRAM``,
``TRAINING_JOB_NAME``, ``PYTHONUNBUFFERED=1`` and ``PYTHONPATH`` = the job's code folder (as the
SageMaker training toolkit sets them). No ``WORKBENCH_*`` and no ``AWS_*`` variable.

Our own workers (the job worker, endpoint servers, the runtime gateway and the model preparation they
run; ``worker_environment``): the minimal set with the user's ``HOME`` (library caches live there),
``PYTHONPATH`` = the project folder (so ``python -m services…`` imports our modules), and the
``WORKBENCH_*`` settings in ``WORKER_SETTINGS``: the local backend's own settings. These processes are
our code, but they also unpickle users' models (batch transform, bias, explain, endpoints), so they get
no credentials either. Withheld (``WITHHELD_SETTINGS``): ``WORKBENCH_PASSWORD_HASH`` and
``WORKBENCH_ADDRESS`` (the web app's login and address) and the aws backend's settings (local children
never talk to AWS; without ``WORKBENCH_BACKEND`` they read ``local``, the backend they belong to). Endpoint
servers add ``NUMBA_DISABLE_JIT=1`` (``launcher.SERVER_ENVIRONMENT``: their only numba use is shap's text
explanations, faster to interpret than to compile at every start).

This is an environment, not a sandbox: user code runs as the same OS user and can still read what that
user can read on disk. A test checks that every setting in ``services/config.py`` is in exactly one of
the two lists, so a new setting needs a decision here.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_LOCALE = "C.UTF-8"
PASSED_WHEN_SET = ("TZ", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "CUDA_VISIBLE_DEVICES",
                   "LD_LIBRARY_PATH")
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
# The SageMaker training contract's variables that are not SM_* (sagemaker-training-toolkit sets them too).
CONTRACT_VARIABLES = ("SAGEMAKER_BASE_DIR", "SAGEMAKER_PROGRAM", "TRAINING_JOB_NAME", "PYTHONUNBUFFERED", "PYTHONPATH")

WORKER_SETTINGS = (
    "WORKBENCH_HOME", "WORKBENCH_SEED_ON_START", "WORKBENCH_DEMO", "WORKBENCH_QUERY_TIMEOUT_SECONDS", "WORKBENCH_QUERY_MEMORY_LIMIT",
    "WORKBENCH_QUERY_THREADS", "WORKBENCH_DISPLAY_ROWS", "WORKBENCH_MAX_HEAVY_JOBS", "WORKBENCH_MLFLOW_TRACKING_URI",
    "WORKBENCH_ENDPOINT_HOST", "WORKBENCH_GATEWAY_PORT", "WORKBENCH_MONITOR_INTERVAL_SECONDS", "WORKBENCH_IMPORT_ROOTS",
    "WORKBENCH_RESULT_RETENTION_DAYS", "WORKBENCH_CAPTURE_RETENTION_DAYS", "WORKBENCH_RESULT_MAX_MB",
    "WORKBENCH_CAPTURE_MAX_MB", "WORKBENCH_TABLE_VERSION_RETENTION_DAYS", "WORKBENCH_JOB_MAX_RUNTIME_SECONDS",
)
WITHHELD_SETTINGS = (
    "WORKBENCH_PASSWORD_HASH", "WORKBENCH_ADDRESS", "WORKBENCH_BACKEND", "WORKBENCH_AWS_REGION",
    "WORKBENCH_ATHENA_WORKGROUP", "WORKBENCH_ATHENA_OUTPUT", "WORKBENCH_S3_BUCKET", "WORKBENCH_GLUE_CRAWLER_ROLE",
    "WORKBENCH_SAGEMAKER_ROLE", "WORKBENCH_TRAINING_INSTANCE_TYPE", "WORKBENCH_INFERENCE_INSTANCE_TYPE",
)


def minimal_environment(home: Path | str, extra: Mapping[str, str] | None = None, *, tmpdir: Path | str | None = None,
                        parent: Mapping[str, str] | None = None) -> dict[str, str]:
    """The minimal set above with ``HOME=home``, then ``extra`` on top; ``parent`` defaults to ``os.environ``."""
    parent = os.environ if parent is None else parent
    env = {"PATH": parent.get("PATH") or os.defpath, "HOME": str(home),
           "LANG": parent.get("LANG") or DEFAULT_LOCALE, "LC_ALL": parent.get("LC_ALL") or DEFAULT_LOCALE,
           "TMPDIR": str(tmpdir or tempfile.gettempdir()), **OFFLINE}
    env |= {name: parent[name] for name in PASSED_WHEN_SET if parent.get(name)}
    return env | dict(extra or {})


def user_code_environment(private_home: Path, contract: Mapping[str, str],
                          parent: Mapping[str, str] | None = None) -> dict[str, str]:
    """What a user's training script gets: the minimal set in ``private_home`` plus the training contract.

    ``contract`` may hold only ``SM_*`` and ``CONTRACT_VARIABLES``; anything else is a bug here (``ValueError``).
    """
    unexpected = sorted(k for k in contract if not k.startswith("SM_") and k not in CONTRACT_VARIABLES)
    if unexpected:
        raise ValueError(f"not part of the training contract: {', '.join(unexpected)}")
    tmp = private_home / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    return minimal_environment(private_home, contract, tmpdir=tmp, parent=parent)


def worker_environment(parent: Mapping[str, str] | None = None) -> dict[str, str]:
    """What our own worker processes get: the minimal set, our modules' path and the local settings."""
    parent = os.environ if parent is None else parent
    home = parent.get("HOME") or str(Path.home())
    settings = {name: parent[name] for name in WORKER_SETTINGS if name in parent}
    return minimal_environment(home, {"PYTHONPATH": str(ROOT), **settings}, parent=parent)
