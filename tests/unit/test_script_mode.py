"""Script mode: the SageMaker training contract (layout, SM_* variables, arguments), real script jobs, the regex tester."""

from __future__ import annotations

import json
import os
import textwrap
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from services.config import Settings
from services.errors import InvalidInput
from services.models import DataSource, Job, ScriptJobRequest
from services.registry import Services, build_services
from services.runs.tracking import DEFAULT_EXPERIMENT, configure, ensure_experiment
from services.training import models as training_models
from services.training import script_mode
from services.training.algorithms.base import load_predictor
from tests.helpers.workspace import close_services, copy_empty_mlflow_store

# Right after exec /proc/<pid>/cmdline can be empty for a few ms, and the job runner's reaper then takes a
# just-started worker for a vanished one; a short pause between submissions keeps a burst clear of that window.
SUBMIT_PAUSE = 0.2
ACCURACY = {"validation:accuracy": r"validation:accuracy=([0-9.]+)"}

TRAIN_PY = """\
import argparse, glob, json, os, sys

import joblib
import pandas as pd
from sklearn.linear_model import LogisticRegression

parser = argparse.ArgumentParser()
parser.add_argument("-C", type=float)  # one-letter keys arrive as -C, as on SageMaker
parser.add_argument("--max-iter", type=int)
parser.add_argument("--kernel")
args = parser.parse_args()

contract = {"argv": sys.argv[1:], "cwd": os.getcwd(),
            "env": {k: v for k, v in os.environ.items() if k.startswith("SM_") or k == "SAGEMAKER_BASE_DIR"}}
with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "contract.json"), "w") as handle:
    json.dump(contract, handle)

frame = pd.concat(pd.read_csv(f) for f in glob.glob(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "*.csv")))
features, target = frame.drop(columns="label"), frame["label"]
model = LogisticRegression(C=args.C, max_iter=args.max_iter).fit(features, target)
print("training done", file=sys.stderr)
for epoch, accuracy in enumerate([0.5, 0.8, model.score(features, target)]):
    print(f"epoch {epoch} validation:accuracy={accuracy:.4f}")
joblib.dump(model, os.path.join(os.environ["SM_MODEL_DIR"], "model.joblib"))
"""


def write_script(folder: Path, body: str, name: str = "train.py") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(body))
    return folder


def train_channel(folder: Path) -> Path:
    from sklearn.datasets import load_iris

    iris = load_iris(as_frame=True)
    frame = iris.data.set_axis(["a", "b", "c", "d"], axis=1).assign(label=iris.target.map(lambda i: f"k{i}"))
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / "iris.csv", index=False)
    return folder


FAILURE_TEXT = "ValueError: column 'label' is missing" + "!" * 2000

SCRIPTS = {
    "happy": TRAIN_PY,
    "no-predictor": """\
        import os
        open(os.path.join(os.environ["SM_MODEL_DIR"], "weights.bin"), "wb").write(b"123")
        print("loss=0.5")
    """,
    "failure-file": f"""\
        import os, sys
        print("loading data")
        with open(os.path.join(os.environ["SM_OUTPUT_DIR"], "failure"), "w") as handle:
            handle.write({FAILURE_TEXT!r})
        sys.exit(3)
    """,
    "exit-1": """\
        import sys
        print("step one")
        print("Traceback: boom happened", file=sys.stderr)
        sys.exit(1)
    """,
    "sleeper": """\
        import os, time
        with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "pid"), "w") as handle:
            handle.write(str(os.getpid()))
        print("sleeping", flush=True)
        time.sleep(120)
    """,
}


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """One workspace for the module, running up to five jobs at once (each job pays MLflow's start-up once)."""
    home = tmp_path_factory.mktemp("script-mode") / "workspace"
    roots = (tmp_path_factory.getbasetemp().resolve(),)  # the scripts, channels and outputs of these tests
    copy_empty_mlflow_store(tmp_path_factory, home)  # the session's migrated store: no schema migrations here
    built = build_services(Settings(home=home, seed_on_start=False, max_heavy_jobs=5, import_roots=roots))
    # Create MLflow's store before the jobs start: concurrent workers would race on its schema migrations.
    ensure_experiment(built.settings, DEFAULT_EXPERIMENT)
    yield built
    close_services(built)


@pytest.fixture(scope="module")
def jobs(services: Services, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every script job of this module, started at once: label -> job name."""
    root = tmp_path_factory.mktemp("scripts")
    channel = {"train": str(train_channel(root / "data"))}
    requests = {
        "happy": ScriptJobRequest("train.py", "", channel, {"C": "1.0", "max-iter": "300", "kernel": "rbf"}, ACCURACY),
        "no-predictor": ScriptJobRequest("train.py", "", {}, metric_definitions={"loss": r"loss=(\S+)"}),
        "failure-file": ScriptJobRequest("train.py", "", {}),
        "exit-1": ScriptJobRequest("train.py", "", {}),
        "sleeper": ScriptJobRequest("train.py", "", {}),
    }
    names = {}
    for label, request in requests.items():
        names[label] = services.training.start_script_job(
            replace(request, source_dir=str(write_script(root / label, SCRIPTS[label]))))
        time.sleep(SUBMIT_PAUSE)
    return names


def finished(services: Services, name: str) -> Job:
    return services.jobs.wait_for_job(name, 90)


# -- the contract, as pure functions -----------------------------------------------------------------


def test_hyperparameters_json_holds_json_encoded_strings() -> None:
    written = script_mode.hyperparameters_file({"epochs": "5", "eta": "0.1", "kernel": "rbf", "flag": "true"})
    assert written == {"epochs": "5", "eta": "0.1", "kernel": '"rbf"', "flag": "true"}
    assert all(isinstance(value, str) for value in written.values())


def test_user_args_are_sorted_like_the_toolkit() -> None:
    args = script_mode.user_args({"max-iter": "200", "C": "1.5", "batch_size": "32", "name": "abc"})
    assert args == ["-C", "1.5", "--batch_size", "32", "--max-iter", "200", "--name", "abc"]


def test_environment_follows_the_toolkit(tmp_path: Path) -> None:
    layout = script_mode.MlLayout(tmp_path / "ml")
    hps = {"learning-rate": "0.01", "epochs": "3", "kernel": "rbf"}
    env = script_mode.training_env(layout, "job-1", "train.py", ["train", "validation"], hps, num_cpus=2)
    variables = script_mode.script_environment(env, hps)
    assert json.loads(variables["SM_CHANNELS"]) == ["train", "validation"]
    assert variables["SM_CHANNEL_TRAIN"] == str(tmp_path / "ml/input/data/train")
    assert json.loads(variables["SM_HPS"]) == {"learning-rate": 0.01, "epochs": 3, "kernel": "rbf"}
    assert variables["SM_HP_LEARNING-RATE"] == "0.01" and variables["SM_HP_KERNEL"] == "rbf"
    assert json.loads(variables["SM_USER_ARGS"]) == ["--epochs", "3", "--kernel", "rbf", "--learning-rate", "0.01"]
    assert variables["SM_MODEL_DIR"] == str(tmp_path / "ml/model")
    assert variables["SM_OUTPUT_DIR"] == str(tmp_path / "ml/output")
    assert variables["SM_OUTPUT_DATA_DIR"] == str(tmp_path / "ml/output/data")
    assert variables["SM_NUM_CPUS"] == "2" and variables["SM_NUM_GPUS"] == "0"
    assert json.loads(variables["SM_HOSTS"]) == ["algo-1"] and variables["SM_CURRENT_HOST"] == "algo-1"
    training_env = json.loads(variables["SM_TRAINING_ENV"])
    assert training_env["channel_input_dirs"]["validation"] == str(tmp_path / "ml/input/data/validation")
    assert training_env["hyperparameters"]["epochs"] == 3
    assert training_env["job_name"] == "job-1" and training_env["user_entry_point"] == "train.py"
    assert training_env["input_data_config"]["train"]["TrainingInputMode"] == "File"
    for key in ("current_host", "hosts", "input_dir", "input_config_dir", "model_dir", "module_dir", "module_name",
                "num_cpus", "num_gpus", "output_data_dir", "output_dir", "resource_config", "log_level"):
        assert key in training_env


def test_layout_copies_code_and_channels(tmp_path: Path) -> None:
    source = write_script(tmp_path / "src", "print('hi')\n")
    (tmp_path / "one.csv").write_text("a\n1\n")
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "x.txt").write_text("x")
    layout = script_mode.prepare_layout(tmp_path / "job" / "ml", source,
                                        {"train": str(tmp_path / "one.csv"), "extra": str(folder)}, {"epochs": "2"})
    config = layout.config_dir
    assert json.loads((config / "hyperparameters.json").read_text()) == {"epochs": "2"}
    assert set(json.loads((config / "inputdataconfig.json").read_text())) == {"train", "extra"}
    assert json.loads((config / "resourceconfig.json").read_text())["hosts"] == ["algo-1"]
    assert (layout.channel_dir("train") / "one.csv").read_text() == "a\n1\n"
    assert (layout.channel_dir("extra") / "sub" / "x.txt").read_text() == "x"
    assert (layout.code_dir / "train.py").is_file()
    assert layout.model_dir.is_dir() and layout.output_data_dir.is_dir()


def test_a_job_folder_inside_the_source_dir_is_not_copied_into_itself(tmp_path: Path) -> None:
    source = write_script(tmp_path / "project", "print('hi')\n")
    layout = script_mode.prepare_layout(source / "workspace" / "jobs" / "j" / "ml", source, {}, {})
    assert (layout.code_dir / "train.py").is_file()
    assert not (layout.code_dir / "workspace").exists()


def test_bad_channel_names_are_refused() -> None:
    with pytest.raises(InvalidInput, match="channel name"):
        script_mode.validate_channels({"my channel": "/tmp"})


def test_failure_reason_prefers_the_failure_file(tmp_path: Path) -> None:
    layout = script_mode.MlLayout(tmp_path)
    assert script_mode.failure_reason(layout, 1, "line 1\nboom") == "The script exited with code 1: line 1\nboom"
    layout.output_dir.mkdir()
    layout.failure_file.write_text("x" * 3000)
    assert script_mode.failure_reason(layout, 1, "boom") == "x" * 1024


# -- metric definitions and the regex tester --------------------------------------------------------


def test_a_line_is_a_metric_point_only_when_a_regex_matches() -> None:
    patterns = script_mode.compile_metric_definitions({"acc": r"acc=([0-9.]+)", "loss": r"loss: (\S+)"})
    assert script_mode.parse_metrics(patterns, "epoch 1 acc=0.5 loss: 0.25") == [("acc", 0.5), ("loss", 0.25)]
    assert script_mode.parse_metrics(patterns, "nothing to see") == []
    assert script_mode.parse_metrics(patterns, "loss: nan") == []


def test_regex_tester_returns_line_numbers_and_values() -> None:
    log = "start\nvalidation:accuracy=0.81\nnoise\nvalidation:accuracy=0.93\nvalidation:accuracy=abc\n"
    assert training_models.test_metric_regex(r"validation:accuracy=([0-9.]+)", log) == [(2, 0.81), (4, 0.93)]
    assert training_models.test_metric_regex(r"loss=([0-9.]+)", log) == []


@pytest.mark.parametrize("pattern, message", [(r"acc=([0-9.]+", "invalid"), (r"acc=[0-9.]+", "no capture group")])
def test_regex_tester_refuses_bad_patterns(pattern: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        training_models.test_metric_regex(pattern, "acc=1")


# -- real jobs ------------------------------------------------------------------------------------------


def test_a_script_trains_reports_metrics_and_registers_its_model(services: Services, jobs: dict[str, str],
                                                                 tmp_path: Path) -> None:
    job = finished(services, jobs["happy"])
    assert job.status == "Completed", services.jobs.job_logs(job.name)
    job_ml = services.settings.home / "jobs" / job.name / "ml"
    contract = json.loads((job_ml / "output" / "data" / "contract.json").read_text())
    assert contract["argv"] == ["-C", "1.0", "--kernel", "rbf", "--max-iter", "300"]
    assert contract["cwd"] == str(job_ml / "code")
    assert contract["env"]["SM_CHANNEL_TRAIN"] == str(job_ml / "input" / "data" / "train")
    assert json.loads(contract["env"]["SM_HPS"]) == {"C": 1.0, "max-iter": 300, "kernel": "rbf"}
    assert contract["env"]["SM_HP_MAX-ITER"] == "300"
    assert json.loads((job_ml / "input/config/hyperparameters.json").read_text()) == {
        "C": "1.0", "max-iter": "300", "kernel": '"rbf"'}

    points = [p for p in services.jobs.job_metric_points(job.name) if p["name"] == "validation:accuracy"]
    assert [p["value"] for p in points][:2] == [0.5, 0.8] and [p["step"] for p in points] == [0, 1, 2]
    assert job.metrics["validation:accuracy"] == points[-1]["value"] and job.metrics["validation:accuracy"] > 0.9
    history = configure(services.settings).MlflowClient().get_metric_history(job.run_id, "validation:accuracy")
    assert sorted(m.step for m in history) == [0, 1, 2]
    assert "training done" in services.jobs.job_logs(job.name)

    model = services.training.get_model(job.model_id)
    assert model.framework == "script" and model.problem_type == "MulticlassClassification"
    assert model.classes == ("k0", "k1", "k2") and (job_ml / "output" / "model.tar.gz").is_file()
    # Its model.joblib is the user's code: never unpickled in the app process, scored by a job instead.
    with pytest.raises(InvalidInput, match="trained by a script"):
        load_predictor(Path(model.artifact_path))
    rows = tmp_path / "rows.csv"
    pd.DataFrame({"a": [5.1], "b": [3.5], "c": [1.4], "d": [0.2]}).to_csv(rows, index=False)
    transform = services.endpoints.start_batch_transform(model.model_id, DataSource(path=str(rows)), "demo.script_scored")
    assert finished(services, transform).status == "Completed", services.jobs.job_logs(transform)
    scored = services.storage.read_table("demo", "script_scored")
    assert scored["predicted_label"].tolist() == ["k0"] and "probability_k0" in scored


def test_a_model_without_a_loadable_predictor_refuses_scoring_clearly(services: Services, jobs: dict[str, str]) -> None:
    job = finished(services, jobs["no-predictor"])
    assert job.status == "Completed" and job.metrics == {"loss": 0.5}
    model = services.training.get_model(job.model_id)
    with pytest.raises(InvalidInput, match="has no predictor this workbench can load"):
        load_predictor(Path(model.artifact_path), allow_user_code=True)  # as a job or an endpoint server would


def test_a_script_that_writes_output_failure_fails_with_that_text(services: Services, jobs: dict[str, str]) -> None:
    job = finished(services, jobs["failure-file"])
    assert job.status == "Failed"
    assert job.failure_reason == FAILURE_TEXT[:1024]
    assert job.model_id == ""


def test_a_script_that_exits_1_fails_with_the_log_tail(services: Services, jobs: dict[str, str]) -> None:
    job = finished(services, jobs["exit-1"])
    assert job.status == "Failed"
    assert job.failure_reason.startswith("The script exited with code 1")
    assert "boom happened" in job.failure_reason and "step one" in job.failure_reason


def test_stopping_a_running_script_ends_its_process(services: Services, jobs: dict[str, str]) -> None:
    name = jobs["sleeper"]
    pid_file = services.settings.home / "jobs" / name / "ml" / "output" / "data" / "pid"
    deadline = time.monotonic() + 60
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, services.jobs.job_logs(name)
        time.sleep(0.1)
    pid = int(pid_file.read_text())
    services.jobs.stop_job(name)
    job = services.jobs.wait_for_job(name, 30)
    assert job.status == "Stopped"
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    for _ in range(50):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            return False
        if state == "Z":
            return False
        time.sleep(0.1)
    return os.path.exists(f"/proc/{pid}")


# -- what the script gets, and for how long (issue 9, finding 6) ---------------------------------------

SECRETS = {"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG", "WORKBENCH_PASSWORD_HASH": "scrypt$salt$hash",
           "SOME_RANDOM_SECRET": "hunter2"}
ENV_DUMP = """\
    import json, os
    worker = open(f"/proc/{os.getppid()}/environ", "rb").read().split(b"\\0")  # the job worker runs the script
    seen = {"script": dict(os.environ), "worker": sorted(v.split(b"=", 1)[0].decode() for v in worker if v)}
    with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "env.json"), "w") as handle:
        json.dump(seen, handle)
"""
RUNAWAY = """\
    import os, subprocess, sys, time
    # A child that ignores SIGTERM: the whole process group must still end.
    child = subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"])
    with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "pids"), "w") as handle:
        handle.write(f"{os.getpid()} {child.pid}")
    print("running away", flush=True)
    time.sleep(60)
"""


def test_a_script_gets_the_training_contract_and_none_of_the_apps_secrets(services: Services, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    for variable, value in SECRETS.items():
        monkeypatch.setenv(variable, value)
    request = ScriptJobRequest("train.py", str(write_script(tmp_path / "env", ENV_DUMP)), {"train": str(tmp_path / "env")})
    job = finished(services, services.training.start_script_job(request))
    assert job.status == "Completed", services.jobs.job_logs(job.name)
    job_dir = services.settings.home / "jobs" / job.name
    seen = json.loads((job_dir / "ml" / "output" / "data" / "env.json").read_text())
    script, worker = seen["script"], set(seen["worker"])
    assert not set(SECRETS) & set(script) and not set(SECRETS) & worker
    assert not [k for k in script if k.startswith(("WORKBENCH_", "AWS_"))]
    assert script["SM_MODEL_DIR"] == str(job_dir / "ml" / "model") and "SM_TRAINING_ENV" in script
    assert script["SM_CHANNEL_TRAIN"] == str(job_dir / "ml" / "input" / "data" / "train")
    # the code first, then the Debugger hook module every profiled job may import (as smdebug is in SageMaker's images)
    assert script["HOME"] == str(job_dir / "home")
    assert script["PYTHONPATH"].split(":") == [str(job_dir / "ml" / "code"), str(job_dir / "debug-hook")]
    assert script["HF_HUB_OFFLINE"] == "1"


def test_a_script_past_its_max_runtime_is_stopped_with_the_reason(services: Services, tmp_path: Path) -> None:
    request = ScriptJobRequest("train.py", str(write_script(tmp_path / "runaway", RUNAWAY)), {}, max_runtime_in_seconds=2)
    name = services.training.start_script_job(request)
    job = services.jobs.wait_for_job(name, 120)  # the script would sleep 60 s: Completed without the limit
    assert job.status == "Stopped", services.jobs.job_logs(name)
    assert (job.secondary_status, job.failure_reason) == ("MaxRuntimeExceeded", "MaxRuntimeInSeconds (2 s) exceeded")
    assert "MaxRuntimeInSeconds (2 s) exceeded" in services.jobs.job_logs(name)
    pids = services.settings.home / "jobs" / name / "ml" / "output" / "data" / "pids"
    if pids.exists():  # on a busy machine the limit may strike before the script has started
        assert not [pid for pid in map(int, pids.read_text().split()) if _alive(pid)]


def test_a_saved_review_pipeline_is_served_as_a_text_model_and_a_table_model_by_its_columns(tmp_path: Path) -> None:
    """A model.joblib from a script or a pipeline step: its fitted columns are what an endpoint asks for, and a
    single column fed to a text vectorizer makes it a review model (scored from one text, registered as string)."""
    import joblib
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from services.training.script_mode import JoblibPredictor, inspect_script_model

    reviews = pd.DataFrame({"review_body": ["great fit", "awful fabric", "love it", "returned it", "so soft", "tore"],
                            "sentiment": ["positive", "negative"] * 3})
    text_model = Pipeline([("features", ColumnTransformer([("tfidf", TfidfVectorizer(), "review_body")])),
                           ("classifier", LogisticRegression())]).fit(reviews[["review_body"]], reviews["sentiment"])
    numbers = pd.DataFrame({"alcohol": [9.0, 13.5, 10.1, 12.9], "ash": [2.1, 2.4, 2.2, 2.6]})
    table_model = LogisticRegression().fit(numbers, ["low", "high", "low", "high"])
    for name, model in (("text", text_model), ("table", table_model)):
        (tmp_path / name).mkdir()
        joblib.dump(model, tmp_path / name / "model.joblib")
    text = JoblibPredictor.load(tmp_path / "text")
    table = JoblibPredictor.load(tmp_path / "table")
    assert (text.feature_columns, text.kinds) == (["review_body"], {"review_body": "text"})
    assert (table.feature_columns, table.kinds) == (["alcohol", "ash"], {})
    found = inspect_script_model(tmp_path / "text", lambda _: None)
    assert (found.features, found.text_features) == (("review_body",), ("review_body",))
