"""Which way a metric is better: SageMaker's objective types for the names our jobs and SageMaker log."""

from __future__ import annotations

import pytest

from services.runs.models import metric_goal


@pytest.mark.parametrize("name", [
    "MSE", "RMSE", "MAE", "LogLoss",  # Autopilot objectives SageMaker minimises
    "validation:rmse", "train:mae", "validation:error", "validation:merror", "validation:mlogloss",
    "validation:logloss", "validation:rmsle", "validation:mape", "validation:poisson-nloglik",  # XGBoost
    "validation:objective_loss", "test:absolute_loss", "validation:squared_loss",  # Linear Learner
    "test_rmse", "test_mse", "loss", "val_loss",  # what the local jobs log
])
def test_errors_and_losses_are_minimised(name: str) -> None:
    assert metric_goal(name) == "Minimize"


@pytest.mark.parametrize("name", [
    "Accuracy", "BalancedAccuracy", "F1", "F1macro", "AUC", "Precision", "Recall", "R2",
    "validation:auc", "validation:aucpr", "validation:ndcg", "validation:map", "validation:accuracy",
    "validation:binary_classification_accuracy", "validation:roc_auc_score", "test_accuracy", "test_f1_macro",
    "test_r2", "bias_DPL", "", "  ",
])
def test_scores_and_unknown_names_are_maximised(name: str) -> None:
    assert metric_goal(name) == "Maximize"


def test_only_the_last_word_decides() -> None:
    assert metric_goal("error_rate_improvement") == "Maximize"
    assert metric_goal("mse_of_residual_error") == "Minimize"
