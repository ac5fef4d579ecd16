"""Explain's defaults: the fastest exact explainer per model, smaller samples for slow ones, an ETA, and the
expected run time from the model's last explanation."""

from __future__ import annotations

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from xgboost import XGBClassifier

from services.explain.choice import eta_text, local_plan
from services.explain.models import estimate
from services.explain.shap_tabular import tabular_explainer
from services.models import Column, Job, ModelRecord
from services.training.algorithms.common import SklearnPredictor
from services.training.algorithms.dataset import class_indices
from services.training.algorithms.featurize import column_kinds, model_frame, tabular_featurizer
from tests.helpers.data import signal_frame

COLUMNS = ["signal", "noise", "colour"]


def record(framework: str, schema: tuple[Column, ...] = (Column("alcohol", "double"), Column("hue", "double"))) -> ModelRecord:
    return ModelRecord(model_id="m/1", name="m", version=1, framework=framework, problem_type="MulticlassClassification",
                       target="target", input_schema=schema, classes=("0", "1", "2"), metrics={}, run_id="", job_name="",
                       artifact_path="")


@pytest.mark.parametrize(("framework", "explainer", "rows", "background"), [
    ("xgboost", "Tree", 500, 100),
    ("linear-learner", "Linear", 500, 100),
    ("autogluon", "Permutation", 50, 20),  # Autopilot's ensembling mode: the weighted ensemble
    ("text-tfidf", "Partition", 20, 20),
    ("script", "Tree, Linear or Permutation", 200, 50),
])
def test_each_model_gets_its_fastest_exact_explainer_and_samples_that_keep_it_quick(framework: str, explainer: str,
                                                                                   rows: int, background: int) -> None:
    plan = local_plan(record(framework))
    assert (plan.explainer, plan.rows, plan.background_rows) == (explainer, rows, background)
    assert plan.reason


def test_the_ensemble_is_explained_by_permutation_because_its_members_log_odds_do_not_add_up() -> None:
    reason = local_plan(record("autogluon")).reason
    assert "ensemble" in reason and "log-odds" in reason
    assert local_plan(record("xgboost", (Column("review_body", "string"),))).explainer == "Partition"  # one text column


def fitted(estimator: object) -> SklearnPredictor:
    frame = signal_frame(120)
    kinds = column_kinds(frame, COLUMNS)
    pipeline = Pipeline([("features", tabular_featurizer(kinds)), ("model", estimator)])
    pipeline.fit(model_frame(frame, kinds), class_indices(frame["label"], ["no", "yes"]))
    return SklearnPredictor(pipeline, "BinaryClassification", ["no", "yes"], kinds, "sklearn")


def test_the_loaded_model_decides_tree_for_xgboost_linear_for_logistic_regression_else_permutation() -> None:
    sample = signal_frame(20)[COLUMNS]
    xgboost = fitted(XGBClassifier(n_estimators=5, max_depth=2, n_jobs=1))
    assert tabular_explainer(xgboost, COLUMNS, sample)[0] == "Tree"
    assert tabular_explainer(fitted(LogisticRegression()), COLUMNS, sample)[0] == "Linear"
    assert tabular_explainer(fitted(MLPClassifier(hidden_layer_sizes=(4,), max_iter=50, random_state=0)), COLUMNS,
                             sample)[0] == "Permutation"


def test_the_eta_follows_the_pace_so_far() -> None:
    assert eta_text(10, 50, 4.0) == "about 16 s left"
    assert eta_text(1, 200, 3.0) == "about 10 min left"
    assert eta_text(0, 50, 1.0) == eta_text(50, 50, 9.0) == ""


def job(name: str, explainer: str, rows: int, background: int, seconds: float, status: str = "Completed") -> Job:
    return Job(name=name, kind="explain", status=status, secondary_status="Completed", created_at="",
               config={"rows": rows, "background_rows": background},
               result={"explainer": explainer, "rows": rows, "seconds": seconds})


def test_the_expected_time_scales_the_last_explanation_with_the_same_explainer() -> None:
    jobs = [job("running", "Permutation", 50, 20, 0.0, status="InProgress"), job("tree", "Tree", 100, 100, 2.0),
            job("perm", "Permutation", 50, 20, 10.0), job("older", "Permutation", 10, 10, 1.0)]
    found = estimate(jobs, "Permutation", 100, 40)
    assert found is not None and (found.job_name, found.rows, found.job_seconds) == ("perm", 50, 10.0)
    assert found.seconds == pytest.approx(40.0)  # twice the rows, each against twice the background rows
    tree = estimate(jobs, "Tree", 500, 10)
    assert tree is not None and tree.seconds == pytest.approx(10.0)  # Tree: per row only
    assert estimate(jobs, "Linear", 500, 100) is None


def test_a_job_without_recorded_seconds_is_timed_by_its_start_and_end() -> None:
    timed = Job(name="t", kind="explain", status="Completed", secondary_status="", created_at="",
                started_at="2026-01-01T10:00:00+00:00", ended_at="2026-01-01T10:00:30+00:00",
                config={"rows": 30, "background_rows": 10}, result={"explainer": "Tree", "rows": 30})
    found = estimate([timed], "Tree", 60, 10)
    assert found is not None and found.seconds == pytest.approx(60.0)
