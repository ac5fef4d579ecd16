"""Which SHAP explainer a model gets by default on this machine, with the sample sizes that keep it quick.

The fastest explainer that is still exact for the model (``local_plan``, from the registered model alone, so
the form can say it before anything loads; the job decides again from the loaded model, see
``shap_tabular.tabular_explainer``):

* **Tree** — xgboost models (built-in, Autopilot's xgboost candidates): polynomial-time exact SHAP over the
  trees, milliseconds per row, so the usual 500 rows and 100 background rows cost seconds;
* **Linear** — linear-learner and Autopilot's linear candidates: closed form, as cheap;
* **Partition** — review models: word attributions, each review a few hundred model calls: 20 reviews;
* **Permutation** — everything else, AutoGluon's weighted ensemble above all. The ensemble averages its
  members' *probabilities*, while tree SHAP of a multi-class LightGBM / CatBoost / XGBoost member is in its
  own log-odds, which do not add up to the ensemble's output; model-agnostic Permutation explains the
  ensemble's probability exactly (up to sampling). Its cost is rows × model calls × background rows
  (178 wine rows × 135 calls × 100 background rows is 2.4 million predictions: 135 s on this machine), so
  it defaults to 50 rows over 20 background rows (a 18th of that work) and the job reports an ETA.
* ``sklearn`` / ``script`` models are only known once loaded: middle-sized defaults.

Pure: a ``ModelRecord`` in, an ``ExplainPlan`` out; plus the ETA wording the jobs use.
"""

from __future__ import annotations

from services.explain.base import ExplainPlan
from services.models import ModelRecord

TREE_FRAMEWORKS = ("xgboost", "lightgbm", "catboost")
LINEAR_FRAMEWORKS = ("linear-learner",)
SAMPLES = {  # explainer -> (rows, background rows) by default
    "Tree": (500, 100),
    "Linear": (500, 100),
    "Partition": (20, 20),
    "Permutation": (50, 20),
    "Tree, Linear or Permutation": (200, 50),
}


def local_plan(record: ModelRecord) -> ExplainPlan:
    """The explainer a local SHAP job of ``record`` will use, why, and its default sample sizes."""
    explainer, reason = _explainer(record)
    rows, background = SAMPLES[explainer]
    return ExplainPlan(explainer=explainer, reason=reason, rows=rows, background_rows=background)


def _explainer(record: ModelRecord) -> tuple[str, str]:
    framework = record.framework
    if record.text_model:
        return "Partition", "a review model: which words moved each review (a few hundred model calls per review)"
    if framework in TREE_FRAMEWORKS:
        return "Tree", f"exact and fast for {framework}'s trees (milliseconds per row)"
    if framework in LINEAR_FRAMEWORKS:
        return "Linear", "exact and instant for a linear model"
    if framework == "autogluon":
        return "Permutation", ("Autopilot's ensembling mode (AutoGluon): the weighted ensemble averages its members' "
                               "probabilities, and its tree members' SHAP values are log-odds behind AutoGluon's own "
                               "feature generators that do not add up to it, so the model-agnostic Permutation explainer "
                               "explains the model's probability (slow: fewer rows by default)")
    if framework in ("sklearn", "script"):
        return "Tree, Linear or Permutation", ("decided when the job loads the model: Tree for tree models, Linear for "
                                               "linear ones, else Permutation")
    return "Permutation", "model-agnostic: explains any model's output (slow: fewer rows by default)"


def eta_text(done: int, total: int, elapsed_seconds: float) -> str:
    """``about 12 s left`` from the pace so far; ``""`` before the first unit is done or after the last."""
    if done <= 0 or done >= total:
        return ""
    left = elapsed_seconds / done * (total - done)
    return f"about {left:.0f} s left" if left < 120 else f"about {left / 60:.0f} min left"
