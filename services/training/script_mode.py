"""The SageMaker training contract for script mode, so an unchanged ``train.py`` runs on this machine.

A job folder is laid out like ``/opt/ml`` (https://github.com/aws/sagemaker-training-toolkit)::

    ml/input/config/hyperparameters.json   every value JSON-encoded as a string, as the SageMaker SDK writes it
    ml/input/config/inputdataconfig.json   one entry per channel (File mode, FullyReplicated)
    ml/input/config/resourceconfig.json    one host, "algo-1"
    ml/input/data/<channel>/               a copy of the channel's file or folder
    ml/code/                               a copy of the source dir; the script's working directory
    ml/model/                              SM_MODEL_DIR
    ml/output/data/                        SM_OUTPUT_DATA_DIR
    ml/output/failure                      written by the script to explain a failure

Channels are *copied*, not linked: a script that rewrites its input must not change the user's
files. The environment (``SM_*``) and the command-line arguments follow the toolkit's
``Environment.to_env_vars`` and ``mapping.to_cmd_args``: hyperparameters decoded from JSON, keys
sorted, ``--key value`` (``-k value`` for one-letter keys, as the toolkit does).
The script gets only ``child_env``'s minimal environment plus these variables, with ``HOME`` in a folder
of the job's own: never the app's environment (credentials, ``WORKBENCH_*`` settings).

Everything here is pure apart from the layout writer; the job (``script_job.py``) runs the process.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.debugger.session import script_environment as debugger_script_environment
from services.embedded.child_env import user_code_environment
from services.errors import InvalidInput, ServiceError
from services.names import check_name
from services.training.algorithms.base import LOADERS, SCRIPT_ORIGIN, loader_name, read_manifest
from services.training.models import compile_metric_regex, match_value

HOST = "algo-1"
FAILURE_LIMIT = 1024
CHANNEL_CONFIG = {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated", "RecordWrapperType": "None"}


class ScriptFailed(ServiceError):
    """The user's script ended with a non-zero exit code; the message is SageMaker's failure reason."""


@dataclass(frozen=True)
class MlLayout:
    """The ``/opt/ml``-style tree of one script run."""

    root: Path

    @property
    def input_dir(self) -> Path:
        return self.root / "input"

    @property
    def config_dir(self) -> Path:
        return self.input_dir / "config"

    @property
    def data_dir(self) -> Path:
        return self.input_dir / "data"

    @property
    def code_dir(self) -> Path:
        return self.root / "code"

    @property
    def model_dir(self) -> Path:
        return self.root / "model"

    @property
    def output_dir(self) -> Path:
        return self.root / "output"

    @property
    def output_data_dir(self) -> Path:
        return self.output_dir / "data"

    @property
    def intermediate_dir(self) -> Path:
        return self.output_dir / "intermediate"

    @property
    def failure_file(self) -> Path:
        return self.output_dir / "failure"

    def channel_dir(self, channel: str) -> Path:
        """``input/data/<channel>``, which ``SM_CHANNEL_<CHANNEL>`` points at."""
        return self.data_dir / channel


# -- hyperparameters --------------------------------------------------------------------------------


def decode_hyperparameter(text: str) -> Any:
    """What the toolkit hands the script: the value parsed as JSON, or the text itself when it is not JSON."""
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def decoded_hyperparameters(hyperparameters: Mapping[str, str]) -> dict[str, Any]:
    """Every hyperparameter decoded, as ``SM_HPS`` and ``SM_TRAINING_ENV['hyperparameters']`` show them."""
    return {str(key): decode_hyperparameter(value) for key, value in hyperparameters.items()}


def hyperparameters_file(hyperparameters: Mapping[str, str]) -> dict[str, str]:
    """``hyperparameters.json`` as the SageMaker SDK writes it: every value JSON-encoded into a string."""
    return {key: json.dumps(value) for key, value in decoded_hyperparameters(hyperparameters).items()}


def user_args(hyperparameters: Mapping[str, str]) -> list[str]:
    """The script's arguments, like the toolkit's ``to_cmd_args``: sorted keys, ``--key value``."""
    decoded = decoded_hyperparameters(hyperparameters)
    args: list[str] = []
    for key in sorted(decoded):
        args += [f"--{key}" if len(key) > 1 else f"-{key}", _arg_value(decoded[key])]
    return args


def _arg_value(value: Any) -> str:
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in sorted(value.items()))
    return "" if value is None else str(value)


def _env_value(value: Any) -> str:
    """The toolkit's ``to_env_vars`` formatting: strings as they are, everything else as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


# -- configuration files and environment ------------------------------------------------------------


def validate_channels(channels: Mapping[str, str]) -> None:
    """Channel names as SageMaker allows them (letters, digits, ``.``, ``-``, ``_``; at most 64)."""
    for name in channels:
        check_name("channel", name)


def input_data_config(channels: Iterable[str]) -> dict[str, dict[str, str]]:
    """``inputdataconfig.json``: every channel in File mode."""
    return {name: dict(CHANNEL_CONFIG) for name in sorted(channels)}


def resource_config() -> dict[str, Any]:
    """``resourceconfig.json`` for a single local host."""
    group = {"instance_group_name": "homogeneousCluster", "instance_type": "local", "hosts": [HOST]}
    return {"current_host": HOST, "current_instance_type": "local", "current_group_name": "homogeneousCluster",
            "hosts": [HOST], "instance_groups": [group], "network_interface_name": "eth0"}


def training_env(layout: MlLayout, job_name: str, entry_point: str, channels: Iterable[str],
                 hyperparameters: Mapping[str, str], num_cpus: int | None = None) -> dict[str, Any]:
    """``SM_TRAINING_ENV``: the toolkit's description of the whole training environment."""
    names = sorted(channels)
    resources = resource_config()
    return {
        "additional_framework_parameters": {},
        "channel_input_dirs": {name: str(layout.channel_dir(name)) for name in names},
        "current_host": HOST, "current_instance_group": "homogeneousCluster",
        "current_instance_group_hosts": [HOST], "current_instance_type": "local",
        "distribution_hosts": [], "distribution_instance_groups": [], "framework_module": None,
        "hosts": [HOST], "hyperparameters": decoded_hyperparameters(hyperparameters),
        "input_config_dir": str(layout.config_dir), "input_data_config": input_data_config(names),
        "input_dir": str(layout.input_dir), "instance_groups": ["homogeneousCluster"],
        "instance_groups_dict": {"homogeneousCluster": resources["instance_groups"][0]},
        "is_hetero": False, "is_master": True, "is_modelparallel_enabled": None, "job_name": job_name,
        "log_level": 20, "master_hostname": HOST, "model_dir": str(layout.model_dir),
        "module_dir": str(layout.code_dir), "module_name": Path(entry_point).stem,
        "network_interface_name": "eth0", "num_cpus": num_cpus or os.cpu_count() or 1, "num_gpus": 0,
        "num_neurons": 0, "output_data_dir": str(layout.output_data_dir), "output_dir": str(layout.output_dir),
        "output_intermediate_dir": str(layout.intermediate_dir), "resource_config": resources,
        "user_entry_point": entry_point,
    }


def script_environment(env: Mapping[str, Any], hyperparameters: Mapping[str, str]) -> dict[str, str]:
    """The ``SM_*`` variables the toolkit exports, built from ``training_env``'s result."""
    values: dict[str, Any] = {
        "hosts": env["hosts"], "network_interface_name": env["network_interface_name"],
        "hps": env["hyperparameters"], "user_entry_point": env["user_entry_point"],
        "framework_params": env["additional_framework_parameters"], "resource_config": env["resource_config"],
        "input_data_config": env["input_data_config"], "output_data_dir": env["output_data_dir"],
        "channels": sorted(env["channel_input_dirs"]), "current_host": env["current_host"],
        "current_instance_type": env["current_instance_type"], "module_name": env["module_name"],
        "log_level": env["log_level"], "framework_module": env["framework_module"], "input_dir": env["input_dir"],
        "input_config_dir": env["input_config_dir"], "output_dir": env["output_dir"], "num_cpus": env["num_cpus"],
        "num_gpus": env["num_gpus"], "model_dir": env["model_dir"], "module_dir": env["module_dir"],
        "training_env": env, "user_args": user_args(hyperparameters),
        "output_intermediate_dir": env["output_intermediate_dir"],
    }
    values |= {f"channel_{name}": path for name, path in env["channel_input_dirs"].items()}
    values |= {f"hp_{key}": value for key, value in env["hyperparameters"].items()}
    return {f"SM_{key.upper()}": _env_value(value) for key, value in values.items()}


def process_environment(layout: MlLayout, env: Mapping[str, Any], hyperparameters: Mapping[str, str],
                        parent: Mapping[str, str] | None = None) -> dict[str, str]:
    """The script's whole environment: ``child_env``'s minimal set, with ``HOME`` in the job's private folder
    (``home_dir``), plus the contract's variables; nothing else of ours (``parent``, default ``os.environ``)."""
    contract = script_environment(env, hyperparameters)
    contract |= {"SAGEMAKER_BASE_DIR": str(layout.root), "TRAINING_JOB_NAME": str(env["job_name"]),
                 "SAGEMAKER_PROGRAM": str(env["user_entry_point"]), "PYTHONUNBUFFERED": "1",
                 "PYTHONPATH": str(layout.code_dir)}
    contract |= debugger_script_environment(str(layout.code_dir))  # Debugger's folder and hook, when it records
    return user_code_environment(home_dir(layout), contract, parent)


def home_dir(layout: MlLayout) -> Path:
    """The script's ``HOME``: a folder of its own beside the ``/opt/ml``-style tree (not the user's home)."""
    return layout.root.parent / "home"


def script_command(entry_point: str, hyperparameters: Mapping[str, str]) -> list[str]:
    """How the toolkit starts the entry point: Python scripts with this interpreter, shell scripts with sh."""
    if entry_point.endswith(".sh"):
        return ["/bin/sh", entry_point, *user_args(hyperparameters)]
    return [sys.executable, entry_point, *user_args(hyperparameters)]


# -- the layout on disk -----------------------------------------------------------------------------


def prepare_layout(root: Path, source_dir: Path, channels: Mapping[str, str],
                   hyperparameters: Mapping[str, str]) -> MlLayout:
    """Create the ``/opt/ml`` tree under ``root``: config files, a copy of the code and of every channel."""
    validate_channels(channels)
    layout = MlLayout(root)
    for folder in (layout.config_dir, layout.data_dir, layout.model_dir, layout.output_data_dir,
                   layout.intermediate_dir):
        folder.mkdir(parents=True, exist_ok=True)
    _write_json(layout.config_dir / "hyperparameters.json", hyperparameters_file(hyperparameters))
    _write_json(layout.config_dir / "inputdataconfig.json", input_data_config(channels))
    _write_json(layout.config_dir / "resourceconfig.json", resource_config())
    _copy_tree(source_dir, layout.code_dir, skip=root)
    for name, path in channels.items():
        copy_channel(Path(path), layout.channel_dir(name))
    return layout


def copy_channel(source: Path, target: Path) -> None:
    """A file lands as ``target/<file name>``; a folder's contents land in ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        _copy_tree(source, target, skip=target)
    else:
        shutil.copy2(source, target / source.name)


def _copy_tree(source: Path, target: Path, skip: Path) -> None:
    """Copy ``source`` into ``target``, leaving out ``skip`` (the job folder may sit inside the source)."""
    skip = skip.resolve()

    def ignored(folder: str, names: list[str]) -> set[str]:
        inside = {n for n in names if (Path(folder) / n).resolve() in (skip, *skip.parents)}
        return inside | {n for n in names if n in ("__pycache__", ".git")}

    shutil.copytree(source, target, ignore=ignored, dirs_exist_ok=True)


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Write ``predictor.json`` (the loader that scoring uses) into a registered model's folder."""
    _write_json(folder / "predictor.json", manifest)


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2))


def model_written(layout: MlLayout) -> bool:
    """True when the script put at least one file into the model dir."""
    return layout.model_dir.is_dir() and any(p.is_file() for p in layout.model_dir.rglob("*"))


def package_model(layout: MlLayout) -> Path:
    """``output/model.tar.gz`` as SageMaker uploads it (the folder itself is kept too)."""
    archive = shutil.make_archive(str(layout.output_dir / "model"), "gztar", root_dir=layout.model_dir)
    return Path(archive)


def failure_reason(layout: MlLayout, exit_code: int, log_tail: str) -> str:
    """SageMaker's FailureReason: the first 1,024 characters of ``output/failure``, else the log's tail."""
    if layout.failure_file.is_file():
        written = layout.failure_file.read_text(encoding="utf-8", errors="replace").strip()
        if written:
            return written[:FAILURE_LIMIT]
    prefix = f"The script exited with code {exit_code}" if exit_code >= 0 else f"The script was killed by signal {-exit_code}"
    tail = log_tail.strip()
    if not tail:
        return f"{prefix} and printed nothing."
    room = FAILURE_LIMIT - len(prefix) - 2
    return f"{prefix}: {tail[-room:]}"


# -- metric definitions -----------------------------------------------------------------------------


def compile_metric_definitions(definitions: Mapping[str, str]) -> dict[str, re.Pattern[str]]:
    """Every metric definition compiled (name -> regex whose first group is the value)."""
    for name in definitions:
        if not name.strip():
            raise InvalidInput("A metric definition has an empty name.", hint="Write NAME=REGEX.")
    return {name: compile_metric_regex(name, pattern) for name, pattern in definitions.items()}


def parse_metrics(patterns: Mapping[str, re.Pattern[str]], line: str) -> list[tuple[str, float]]:
    """The metric points in one log line; a line is a point only when a regex matches."""
    points = []
    for name, pattern in patterns.items():
        value = match_value(pattern, line)
        if value is not None:
            points.append((name, value))
    return points


# -- the registered model's predictor ---------------------------------------------------------------

SCRIPT_LOADER = "script-joblib"  # names in manifest.LOADERS
UNSCORABLE_LOADER = "script-unscorable"
JOBLIB_FILE = "model.joblib"


def refuse_scoring(folder: Path) -> Any:
    """The loader of a script's model without a usable predictor: scoring it is a clear error."""
    raise InvalidInput(f"The model in {folder} was trained by a script and has no predictor this workbench can load.",
                       hint="Save a scikit-learn model as model.joblib in SM_MODEL_DIR, or write a predictor.json "
                            f"naming one of the workbench's loaders ({', '.join(LOADERS)}).")


def load_script_predictor(folder: Path) -> Any:
    """The loader named in a script model's ``predictor.json``: the sklearn model in ``model.joblib``."""
    path = Path(folder) / JOBLIB_FILE
    if not path.is_file():
        return refuse_scoring(folder)
    return JoblibPredictor.load(Path(folder))


@dataclass
class JoblibPredictor:
    """A scikit-learn estimator saved by a script, scored like the built-ins' predictors."""

    model: Any
    problem_type: str
    classes: list[str]

    @classmethod
    def load(cls, folder: Path) -> JoblibPredictor:
        """Unpickle ``model.joblib`` (``InvalidInput`` when it cannot predict)."""
        import joblib

        model = joblib.load(folder / JOBLIB_FILE)
        return cls(model, *describe_estimator(model))

    @property
    def feature_columns(self) -> list[str]:
        """The columns the estimator was fitted on (``feature_names_in_``); [] when it was fitted on an array."""
        return [str(name) for name in getattr(self.model, "feature_names_in_", ())]

    @property
    def kinds(self) -> dict[str, str]:
        """``{column: "text"}`` when every column feeds a text vectorizer (a review model, scored from one text);
        {} otherwise (table columns, sent as numbers)."""
        columns = self.feature_columns
        texts = text_columns(self.model)
        return dict.fromkeys(columns, "text") if columns and set(columns) <= texts else {}

    def predict_frame(self, frame: Any) -> Any:
        """``predicted_label`` and, for classifiers, ``probability`` and ``probability_<class>``."""
        import pandas as pd

        columns = list(getattr(self.model, "feature_names_in_", frame.columns))
        features = frame[columns]
        predicted = self.model.predict(features)
        labels = [str(v) for v in predicted] if self.classes else predicted
        result = pd.DataFrame({"predicted_label": labels}, index=frame.index)
        if self.classes and hasattr(self.model, "predict_proba"):
            probabilities = self.model.predict_proba(features)
            for position, label in enumerate(self.classes):
                result[f"probability_{label}"] = probabilities[:, position]
            result.insert(1, "probability", probabilities.max(axis=1))
        return result

    def save(self, folder: Path) -> None:
        """``model.joblib`` plus the ``predictor.json`` that loads it back."""
        import joblib

        folder.mkdir(parents=True, exist_ok=True)
        joblib.dump(self.model, folder / JOBLIB_FILE)
        _write_json(folder / "predictor.json", script_manifest(SCRIPT_LOADER))


def text_columns(model: Any) -> set[str]:
    """Columns a fitted scikit-learn model turns into words: those a ColumnTransformer (alone or as a Pipeline
    step) hands, as one column, to a text vectorizer (anything with ``build_analyzer``)."""
    parts = [step for _, step in getattr(model, "steps", [])] or [model]
    found: set[str] = set()
    for part in parts:
        for _, transformer, columns in getattr(part, "transformers_", []):
            chosen = [columns] if isinstance(columns, str) else list(columns) if isinstance(columns, list) else []
            if len(chosen) == 1 and callable(getattr(transformer, "build_analyzer", None)):
                found.add(str(chosen[0]))
    return found


def describe_estimator(model: Any) -> tuple[str, list[str]]:
    """(problem type, class labels) of a fitted estimator; ``InvalidInput`` when it cannot predict."""
    if not callable(getattr(model, "predict", None)):
        raise InvalidInput("model.joblib holds no estimator with predict().", hint="Save a fitted scikit-learn model.")
    classes = [str(c) for c in getattr(model, "classes_", [])]
    if not classes:
        return "Regression", []
    return ("BinaryClassification" if len(classes) == 2 else "MulticlassClassification"), classes


def script_manifest(loader: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ``predictor.json`` for a script's model: marked as a script's, so only jobs and endpoint servers load it."""
    return {**(fields or {}), "loader": loader, "origin": SCRIPT_ORIGIN}


@dataclass(frozen=True)
class ScriptModel:
    """How a script's model can be scored: the ``predictor.json`` to write (None: leave the folder's) and what it predicts."""

    manifest: dict[str, Any] | None
    problem_type: str = ""
    classes: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    text_features: tuple[str, ...] = ()  # features read as review text (Glue type string)


def inspect_script_model(model_dir: Path, log: Callable[[str], None]) -> ScriptModel:
    """Decide how a script's model dir is scored: the script's own predictor.json (when it names one of our
    loaders), its model.joblib, or not at all. Runs in the job's worker: model.joblib is the user's code."""
    if (model_dir / "predictor.json").is_file():
        return ScriptModel(own_manifest(model_dir, log))
    if (model_dir / JOBLIB_FILE).is_file():
        try:
            predictor = JoblibPredictor.load(model_dir)
        except Exception as exc:  # noqa: BLE001 - an unpicklable or odd object just means "cannot score"
            log(f"model.joblib cannot be used for scoring ({type(exc).__name__}: {exc})")
        else:
            features = tuple(predictor.feature_columns)
            return ScriptModel(script_manifest(SCRIPT_LOADER), predictor.problem_type, tuple(predictor.classes), features,
                               tuple(predictor.kinds))
    return ScriptModel(script_manifest(UNSCORABLE_LOADER))


def own_manifest(model_dir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """The script's own predictor.json, kept (marked as a script's) when it names one of our loaders; else unscorable."""
    try:
        manifest = read_manifest(model_dir)
        loader = loader_name(manifest)
    except InvalidInput as exc:
        log(f"predictor.json cannot be used for scoring: {exc}")
        return script_manifest(UNSCORABLE_LOADER)
    return script_manifest(loader, manifest)
