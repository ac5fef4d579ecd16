"""Debugger on real jobs: a flat loss stopped by LossNotDecreasing's StopTraining action, an overfitting xgboost run
(Overfit, ClassImbalance on its imbalanced target, VanishingGradient with nothing to evaluate), a script using the
hook; plus the recording pieces (incremental reads, the system sampler, the hook's statistics) on their own."""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import pytest

from services.debugger import recording
from services.debugger.hook import Hook, summarize, sums
from services.debugger.models import DebuggerConfig, RuleConfig
from services.debugger.session import DebuggerSession, read_statuses, script_environment
from services.models import Job
from tests.helpers.cli import in_process_cli, ok, refused
from tests.helpers.debugger import (
    FLAT_LOSS_SCRIPT,
    HOOK_SCRIPT,
    STALLED_SCRIPT,
    run_overfitting_xgboost,
    run_script,
    stop_on_flat_loss,
    workspace,
)
from tests.helpers.workspace import copy_empty_mlflow_store


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return workspace(tmp_path_factory, "debugger-jobs")


@pytest.fixture(scope="module")
def overfit_job(home: Path) -> Job:
    rules = (RuleConfig("Overfit", {"patience": "3", "ratio_threshold": "0.5"}), RuleConfig("ClassImbalance"),
             RuleConfig("VanishingGradient"),
             RuleConfig("ClassImbalance", {"threshold_imbalance": "100", "samples": "10"}, "Mispredictions"))
    return run_overfitting_xgboost(home, "deep-trees", rules)


def statuses(job: Job) -> dict[str, dict[str, str]]:
    return {s["RuleConfigurationName"]: s for s in job.result["DebugRuleEvaluationStatuses"]}


def test_a_flat_loss_is_stopped_by_loss_not_decreasing(home: Path) -> None:
    job = run_script(home, "flat-loss", FLAT_LOSS_SCRIPT, stop_on_flat_loss())
    assert (job.status, job.secondary_status) == ("Stopped", "Stopped")
    assert job.failure_reason.startswith("Stopped by Debugger rule LossNotDecreasing: train_loss did not decrease")
    assert statuses(job)["LossNotDecreasing"]["RuleEvaluationStatus"] == "IssuesFound"
    assert job.result["ProfilerConfig"] == {"ProfilingIntervalInMilliseconds": 500}  # the Jobs page offers its report
    folder = recording.debug_dir(home / "jobs" / "flat-loss")
    [status] = read_statuses(folder)
    assert status.fired_at_step == 5 and status.fired_at_seconds is not None
    log = (home / "jobs" / "flat-loss" / "job.log").read_text()
    assert "step 299" not in log  # stopped long before the script's end
    scalars = [json.loads(line) for line in (folder / "scalars.jsonl").read_text().splitlines()]
    assert scalars[0] | {"seconds": 0} == {"name": "train_loss", "value": 0.7, "step": 0, "seconds": 0, "mode": "TRAIN"}
    assert os.environ.get(recording.OUTPUT_ENV) is None  # the worker's variables are gone with the session


def test_a_stalled_script_is_stopped_by_stop_training_on_fire_alone(home: Path) -> None:
    """StalledTrainingRule's own stop_training_on_fire stops the job without the StopTraining action."""
    rule = RuleConfig("StalledTrainingRule", {"threshold": "1", "stop_training_on_fire": "True"})
    job = run_script(home, "stalled", STALLED_SCRIPT, DebuggerConfig((rule,)))
    assert (job.status, job.secondary_status) == ("Stopped", "Stopped")
    assert job.failure_reason.startswith("Stopped by Debugger rule StalledTrainingRule: No training progress for")
    assert "step 1" not in (home / "jobs" / "stalled" / "job.log").read_text()  # stopped during the sleep


def test_an_overfitting_xgboost_run_fires_overfit(overfit_job: Job) -> None:
    assert overfit_job.status == "Completed"  # no StopTraining action: the job runs to its end
    overfit = statuses(overfit_job)["Overfit"]
    assert overfit["RuleEvaluationStatus"] == "IssuesFound"
    assert "validation:logloss" in overfit["StatusDetails"] and "train:logloss" in overfit["StatusDetails"]


def test_class_imbalance_fires_on_the_imbalanced_target(overfit_job: Job) -> None:
    imbalance = statuses(overfit_job)["ClassImbalance"]
    assert imbalance["RuleEvaluationStatus"] == "IssuesFound"
    assert "'no'" in imbalance["StatusDetails"] and "times class 'yes'" in imbalance["StatusDetails"]


def test_class_imbalance_counts_the_mispredictions_of_the_validation_split(home: Path, overfit_job: Job) -> None:
    """The job recorded the validation labels and the trained model's predictions; the rare class's share of
    mispredicted labels, computed here from that record, is what the rule reported (100 % of the noise's 'yes')."""
    folder = recording.debug_dir(home / "jobs" / "deep-trees")
    labels, predictions = (json.loads(line) for line in (folder / "predictions.jsonl").read_text().splitlines())
    assert (labels["name"], predictions["name"], labels["rows"]) == ("validation/labels", "validation/predictions", 24)
    rare = [p for label, p in zip(labels["values"], predictions["values"], strict=True) if label == "yes"]
    wrong = sum(p != "yes" for p in rare)
    mispredicted = statuses(overfit_job)["Mispredictions"]
    assert mispredicted["RuleEvaluationStatus"] == "IssuesFound" and wrong / len(rare) > 0.7
    assert f"Class 'yes': {wrong} of {len(rare)} labels mispredicted" in mispredicted["StatusDetails"]
    assert mispredicted["StatusDetails"].startswith("Largest class over smallest")  # the count part found no issue


def test_a_rule_with_nothing_to_evaluate_ends_without_issues(overfit_job: Job) -> None:
    vanishing = statuses(overfit_job)["VanishingGradient"]
    assert vanishing["RuleEvaluationStatus"] == "NoIssuesFound"
    assert vanishing["StatusDetails"].startswith("Nothing to evaluate: no gradients were recorded")
    assert overfit_job.result["ProfilerRuleEvaluationStatuses"] == []


def test_a_script_records_through_the_hook(home: Path) -> None:
    config = DebuggerConfig((RuleConfig("VanishingGradient"), RuleConfig("ClassImbalance"),
                             RuleConfig("ClassImbalance", {"threshold_imbalance": "100", "samples": "8", "argmax": "True"},
                                        "Mispredictions"),
                             RuleConfig("LossNotDecreasing", {"num_steps": "2"})))
    job = run_script(home, "hooked", HOOK_SCRIPT, config)
    assert job.status == "Completed", job.failure_reason
    found = statuses(job)
    assert found["VanishingGradient"]["RuleEvaluationStatus"] == "IssuesFound"
    assert "gradients/layer0" in found["VanishingGradient"]["StatusDetails"]
    assert found["ClassImbalance"]["RuleEvaluationStatus"] == "IssuesFound"
    assert "Class 'a' has 30 training rows" in found["ClassImbalance"]["StatusDetails"]
    assert found["Mispredictions"]["RuleEvaluationStatus"] == "IssuesFound"
    assert "Class '1': 4 of 4 labels mispredicted (100%) by step 3" in found["Mispredictions"]["StatusDetails"]
    assert found["LossNotDecreasing"]["RuleEvaluationStatus"] == "NoIssuesFound"
    system = (recording.debug_dir(home / "jobs" / "hooked") / "system.jsonl").read_text().splitlines()
    sample = json.loads(system[0])
    assert set(sample) == {"seconds", "cpu", "memory_percent", "rss_mb", "read_mb", "write_mb"}
    assert len(sample["cpu"]) == os.cpu_count() and sample["rss_mb"] > 10


def test_a_session_starts_every_rule_in_progress_and_ends_each_one(tmp_path: Path) -> None:
    """rules.json says InProgress from the start; at the end a rule with nothing wrong is NoIssuesFound and one whose
    tensors cannot be read (labels and predictions of different lengths) Error; neither stops the job."""
    rules = (RuleConfig("LossNotDecreasing", {"num_steps": "1"}), RuleConfig("ClassImbalance"))
    stops: list[str] = []
    session = DebuggerSession(tmp_path, DebuggerConfig(rules, profiler=False), time.monotonic(), stops.append)
    folder = recording.debug_dir(tmp_path)
    session.start()
    try:
        assert [s.status for s in read_statuses(folder)] == ["InProgress", "InProgress"]
        (tmp_path / "metrics.jsonl").write_text("".join(
            json.dumps({"name": "train:loss", "value": 1 / (i + 1), "step": i, "seconds": i}) + "\n" for i in range(3)))
        Hook(folder).record_predictions([0, 1], [0], step=2)
    finally:
        ended = {s.configuration_name: s for s in session.finish()}
    assert ended["LossNotDecreasing"].status == "NoIssuesFound"
    assert ended["ClassImbalance"].status == "Error"
    assert ended["ClassImbalance"].details == ("The recorded series cannot be read: step 2 has 2 labels but 1 "
                                               "predictions.")
    assert [s.status for s in read_statuses(folder)] == ["NoIssuesFound", "Error"] and stops == []


def test_a_tail_reads_only_complete_new_lines(tmp_path: Path) -> None:
    path = tmp_path / "points.jsonl"
    tail = recording.JsonlTail(path)
    assert tail.read() == []
    path.write_text('{"a": 1}\n{"a": 2')
    assert tail.read() == [{"a": 1}]
    with path.open("a") as handle:
        handle.write('}\n{"a": 3}\n')
    assert tail.read() == [{"a": 2}, {"a": 3}] and tail.read() == []


def test_cpu_percent_from_two_readings() -> None:
    assert recording.cpu_percents([(10, 100), (0, 100)], [(60, 200), (0, 200)]) == [50.0, 0.0]
    assert len(recording.cpu_times()) == os.cpu_count()
    assert 0 < recording.memory_percent() < 100


def test_hook_statistics_and_its_switch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stats = summarize(*sums([[3.0, -4.0], [0.0, 0.0]]))
    assert stats == {"mean": -0.25, "std": pytest.approx(2.4874686), "min": -4.0, "max": 3.0, "norm": 5.0,
                     "abs_mean": 1.75}
    monkeypatch.delenv(recording.OUTPUT_ENV, raising=False)
    off = Hook()
    off.record_tensor("x", [1.0], 0)
    assert not off.enabled and not off.wants("gradients")
    monkeypatch.setenv(recording.OUTPUT_ENV, str(tmp_path))
    monkeypatch.setenv(recording.COLLECTIONS_ENV, "gradients")
    on = Hook()
    on.record_tensor("x", [1.0, 3.0])
    assert on.wants("gradients") and not on.wants("labels")
    assert json.loads((tmp_path / "tensors.jsonl").read_text())["step"] == 0
    extra = script_environment("/code")
    assert extra[recording.OUTPUT_ENV] == str(tmp_path) and extra["PYTHONPATH"].startswith("/code" + os.pathsep)
    monkeypatch.delenv(recording.OUTPUT_ENV)
    assert script_environment("/code") == {}


def test_minilm_gradients_through_the_hook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    from services.training.algorithms.text_minilm import gradient_recorder

    model = torch.nn.Linear(3, 2)
    model(torch.ones(4, 3)).sum().backward()
    monkeypatch.setenv(recording.OUTPUT_ENV, str(tmp_path))
    monkeypatch.setenv(recording.COLLECTIONS_ENV, "gradients")
    gradient_recorder(model)(1)
    [line] = (tmp_path / "tensors.jsonl").read_text().splitlines()
    record = json.loads(line)
    assert record["name"] == "gradients/all" and record["step"] == 1
    assert (record["min"], record["max"], record["abs_mean"], record["std"]) == pytest.approx((4.0, 4.0, 4.0, 0.0))


def test_the_cli_stops_a_script_on_a_rule_and_prints_the_statuses(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """train-script with --rule/--rule-param/--stop-on-rule-issue, through a real worker process."""
    copy_empty_mlflow_store(tmp_path_factory, tmp_path / "workspace")
    cli = in_process_cli(tmp_path / "workspace", monkeypatch, capsys)
    source = tmp_path / "src"
    source.mkdir()
    (source / "train.py").write_text(FLAT_LOSS_SCRIPT)
    printed = ok(cli, "train-script", "--entry-point", "train.py", "--source-dir", str(source),
                 "--metric", "train_loss=loss=([0-9.]+)", "--rule", "LossNotDecreasing",
                 "--rule-param", "LossNotDecreasing:num_steps=5", "--stop-on-rule-issue", "--timeout", "120")
    assert printed["status"] == "Stopped"
    assert printed["failure_reason"].startswith("Stopped by Debugger rule LossNotDecreasing:")
    assert printed["DebugRuleEvaluationStatuses"][0]["RuleEvaluationStatus"] == "IssuesFound"


@pytest.mark.parametrize(("flags", "message"), [
    (["--rule", "Nope"], "Unknown Debugger rule 'Nope'"),
    (["--rule", "Overfit", "--rule-param", "Overfit:patience=soon"], "patience='soon' is not a whole number"),
    (["--stop-on-rule-issue"], "needs at least one rule"),
])
def test_the_cli_refuses_bad_rules_before_any_job(flags: list[str], message: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    cli = in_process_cli(tmp_path / "workspace", monkeypatch, capsys)
    (tmp_path / "train.py").write_text("print('hi')\n")
    err = refused(cli, "train-script", "--entry-point", "train.py", "--source-dir", str(tmp_path), *flags)
    assert message in err
    assert not (tmp_path / "workspace" / "jobs").exists() or not any((tmp_path / "workspace" / "jobs").iterdir())


def test_torch_gradient_sums_match_the_plain_ones_and_reuse_one_buffer() -> None:
    torch = pytest.importorskip("torch")
    from services.debugger.hook import gradient_sums

    generator = torch.Generator().manual_seed(0)
    grads = [torch.randn(300, 7, generator=generator), torch.randn(5, generator=generator) * 1e-6, torch.zeros(0),
             torch.tensor([1.0, float("inf")])]
    hook = Hook()
    scratch = hook._scratch_for(grads)
    fast = gradient_sums(grads, scratch)
    assert hook._scratch_for(grads[:2]) is scratch and scratch.numel() == 2100
    plain = [sums(g) for g in grads if g.numel()]
    assert len(fast) == 3 and [f[5] for f in fast] == [p[5] for p in plain]
    for got, expected in zip(fast[:2], plain[:2], strict=True):
        assert got[:5] == pytest.approx(expected[:5], rel=1e-5, abs=1e-12)
    assert fast[2][4] == float("inf") and not math.isfinite(fast[2][1])
    assert gradient_sums(grads) == fast  # without a buffer: the same sums


def test_split_predictions_the_fit_made_are_recorded_without_scoring_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    class Unscorable:
        def predict_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
            raise AssertionError("scored again")

    monkeypatch.setenv(recording.OUTPUT_ENV, str(tmp_path))
    monkeypatch.setenv(recording.COLLECTIONS_ENV, "labels,predictions")
    frame = pd.DataFrame({"y": [1, 0, 1]})
    recording.record_split_predictions(Unscorable(), frame, "y", 4, predicted=["1", "1", "0"])
    lines = [json.loads(line) for line in (tmp_path / recording.PREDICTIONS).read_text().splitlines()]
    assert [(r["name"], r["step"], r["values"]) for r in lines] == [
        ("validation/labels", 4, [1, 0, 1]), ("validation/predictions", 4, ["1", "1", "0"])]
    with pytest.raises(AssertionError, match="scored again"):  # predictions for other rows: scored as before
        recording.record_split_predictions(Unscorable(), frame, "y", 4, predicted=["1"])
