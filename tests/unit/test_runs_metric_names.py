"""One metric name across run kinds, the split each value comes from, the one tie-break rule (shared with
Autopilot's candidate ranking) and why a run has no confusion matrix. Pure functions over RunSummary."""

from __future__ import annotations

import json

import pytest

from services.models import RunSummary
from services.runs.confusion import Confusion, Skipped, run_confusions
from services.runs.metric_names import canonical_metric, measured_metrics
from services.runs.models import leaderboard, metric_names, ranked_runs
from services.training.autopilot.leaderboard import CandidateResult, best_first
from services.training.autopilot.objectives import OBJECTIVES


def run(name: str, metrics: dict[str, float], kind: str = "training", ended: str = "2026-01-01T10:00:00.000+00:00",
        **tags: str) -> RunSummary:
    return RunSummary(run_id=f"{name}-id", experiment="e", name=name, status="FINISHED",
                      start_time="2026-01-01T09:00:00+00:00", params={}, metrics=metrics,
                      tags={"workbench.kind": kind, **{f"workbench.{k}": v for k, v in tags.items()}}, end_time=ended)


@pytest.mark.parametrize(("logged", "canonical"), [
    ("Accuracy", "accuracy"), ("accuracy", "accuracy"), ("validation:accuracy", "accuracy"),
    ("test_Accuracy", "accuracy"), ("validation:binary_classification_accuracy", "accuracy"),
    ("F1macro", "f1_macro"), ("f1_macro", "f1_macro"), ("validation:f1_macro", "f1_macro"), ("test_F1macro", "f1_macro"),
    ("BalancedAccuracy", "balanced_accuracy"), ("RMSE", "rmse"), ("rmse", "rmse"), ("validation:rmse", "rmse"),
    ("MSE", "mse"), ("MAE", "mae"), ("R2", "r2"), ("AUC", "auc"), ("roc_auc", "auc"), ("validation:auc", "auc"),
    ("LogLoss", "log_loss"), ("log_loss", "log_loss"), ("validation:mlogloss", "log_loss"),
    ("validation:merror", "merror"), ("loss", "loss"), ("training_seconds", "training_seconds"), ("bias_DPPL", "bias_DPPL"),
])
def test_sagemaker_and_workbench_names_share_one_canonical_name(logged: str, canonical: str) -> None:
    assert canonical_metric(logged) == canonical


def test_the_split_follows_the_prefix_or_the_job_kind_and_the_held_out_value_wins() -> None:
    builtin = measured_metrics(run("xgb", {"accuracy": 0.9, "validation:mlogloss": 0.3, "log_loss": 0.2}))
    assert (builtin["accuracy"].split, builtin["log_loss"].split, builtin["log_loss"].value) == ("test", "test", 0.2)
    candidate = measured_metrics(run("c1", {"Accuracy": 0.8}, kind="autopilot", candidate="c1"))
    assert (candidate["accuracy"].split, candidate["accuracy"].logged_as) == ("validation", "Accuracy")
    job = measured_metrics(run("ap", {"Accuracy": 1.0, "test_Accuracy": 0.963}, kind="autopilot"))
    assert (job["accuracy"].value, job["accuracy"].split) == (0.963, "test")
    script = measured_metrics(run("s", {"loss": 0.5, "val_loss": 0.7}, kind="script"))
    assert (script["loss"].value, script["loss"].split) == (0.7, "validation")


def test_builtin_and_autopilot_runs_rank_on_one_column() -> None:
    runs = [run("xgb", {"accuracy": 0.91}), run("c1", {"Accuracy": 0.95}, kind="autopilot", candidate="c1"),
            run("tfidf", {"validation:accuracy": 0.5, "accuracy": 0.93})]
    assert metric_names(runs)[0] == "accuracy" and "Accuracy" not in metric_names(runs)
    board = leaderboard(runs, "accuracy")
    assert list(board.columns[:3]) == ["rank", "accuracy", "measured on"]  # pinned on the left by the page
    assert list(board["run"]) == ["c1", "tfidf", "xgb"]
    assert list(board["measured on"]) == ["validation", "test", "test"]
    assert list(board["logged as"]) == ["Accuracy", "accuracy", "accuracy"]


def test_ties_go_to_the_earlier_end_then_the_name_and_unfinished_runs_last() -> None:
    runs = [run("b", {"rmse": 1.0}, ended="2026-01-01T10:00:00.500+00:00"),
            run("running", {"rmse": 1.0}, ended=""),
            run("a", {"rmse": 1.0}, ended="2026-01-01T10:00:00.500+00:00"),
            run("early", {"rmse": 1.0}, ended="2026-01-01T10:00:00.100+00:00"),
            run("best", {"rmse": 0.5}, ended="2026-01-01T11:00:00.000+00:00")]
    assert list(leaderboard(runs, "rmse", higher_is_better=False)["run"]) == ["best", "early", "a", "b", "running"]
    assert [r.name for r in ranked_runs(runs + [run("no-rmse", {"r2": 0.1})], "rmse", False)][-1] == "no-rmse"


def test_compare_and_autopilot_name_the_same_winner_on_a_tie() -> None:
    """Autopilot ranks its candidates and logs their runs in rank order; the Compare leaderboard over those runs
    must start with the candidate Autopilot ranked first, though a later-trained candidate sorts first by name."""
    trained = [CandidateResult("xgboost-001", "xgboost", 0.9, 1.0), CandidateResult("linear-learner-002", "linear", 1.0, 1.0),
               CandidateResult("automl-003", "mlp", 1.0, 1.0), CandidateResult("failed-004", "mlp", None, 1.0, {}, "Failed")]
    ranked = best_first(trained, OBJECTIVES["Accuracy"])
    assert [c.name for c in ranked] == ["linear-learner-002", "automl-003", "xgboost-001", "failed-004"]
    logged = [run(c.name, {"Accuracy": c.objective_value} if c.objective_value is not None else {}, kind="autopilot",
                  candidate=c.name, ended=f"2026-01-01T10:00:00.{index:03d}+00:00") for index, c in enumerate(ranked)]
    newest_first = logged[::-1]  # as the runs port lists them
    assert list(leaderboard(newest_first, "accuracy")["run"]) == ["linear-learner-002", "automl-003", "xgboost-001"]


def test_confusion_matrices_name_every_run_left_out_with_its_reason() -> None:
    insights = {"problem_type": "MulticlassClassification", "confusion_matrix": {"labels": ["0", "1"], "matrix": [[3, 1], [0, 4]]}}
    artifacts = {("xgb-id", "confusion_matrix.json"): json.dumps({"classes": ["a", "b"], "matrix": [[1, 0], [0, 1]]}),
                 ("ap-id", "model_insights.json"): json.dumps(insights)}
    job = run("ap", {"Accuracy": 1.0}, kind="autopilot", job="ap")
    best = run("c1", {"Accuracy": 1.0}, kind="autopilot", job="ap", candidate="c1", rank="1")
    second = run("c2", {"Accuracy": 0.9}, kind="autopilot", job="ap", candidate="c2", rank="2")
    regression = run("reg", {"rmse": 1.0}, problem_type="Regression")
    script = run("mine", {"loss": 1.0}, kind="script")
    selected = [run("xgb", {"accuracy": 1.0}), best, second, regression, script, job]
    shown, skipped = run_confusions(selected, selected, lambda run_id, path: (artifacts.get((run_id, path)) or "").encode() or None)
    assert [(c.run, c.labels) for c in shown] == [("xgb", ["a", "b"]), ("c1", ["0", "1"]), ("ap", ["0", "1"])]
    assert isinstance(shown[1], Confusion) and shown[1].matrix == [[3, 1], [0, 4]]
    reasons = {s.run: s.reason for s in skipped}
    assert set(reasons) == {"c2", "reg", "mine"}
    assert "best candidate only (this one ranked 2)" in reasons["c2"]
    assert "regression" in reasons["reg"] and "confusion_matrix.json" in reasons["mine"]
    orphan = run("c9", {"Accuracy": 1.0}, kind="autopilot", job="gone", candidate="c9", rank="1")
    assert run_confusions([orphan], [orphan], lambda *_: None)[1] == [Skipped("c9", "the run of its Autopilot job gone "
                                                                                  "is not in the store")]


def test_sagemaker_candidates_tie_on_the_same_rule() -> None:
    """On AWS the Autopilot page ranks ListCandidatesForAutoMLJob's answer: equal objectives go to the candidate
    that ended first, then to the name, as the Compare leaderboard ranks runs."""
    from datetime import UTC, datetime

    from services.training.aws.autopilot import sorted_candidates

    def candidate(name: str, value: float, minute: int) -> dict[str, object]:
        return {"CandidateName": name, "CandidateStatus": "Completed",
                "FinalAutoMLJobObjectiveMetric": {"MetricName": "Accuracy", "Type": "Maximize", "Value": value},
                "InferenceContainers": [{"Image": "x/sagemaker-xgboost:1.7-1"}],
                "CreationTime": datetime(2025, 1, 1, tzinfo=UTC), "EndTime": datetime(2025, 1, 1, 0, minute, tzinfo=UTC)}

    raw = [candidate("a-late", 1.0, 9), candidate("z-early", 1.0, 3), candidate("b-early", 1.0, 3), candidate("best", 0.5, 1)]
    assert [c.name for c in sorted_candidates(raw)] == ["b-early", "z-early", "a-late", "best"]
