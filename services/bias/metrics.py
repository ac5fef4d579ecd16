"""Clarify's bias metrics computed from counts (the specification is ../shared/CLARIFY_METRICS.md).

Every count-based metric depends only on a ``Tally``: the number of rows per (group-variable
value, facet a/d, label y, prediction ŷ). That is what lets a table far larger than memory be
analysed from one aggregation query, and what makes bootstrap intervals cheap (resample the
cells, not the rows). FlipTest needs rows and lives in ``flip_test.py``.

Conventions kept from Clarify: facet d is the sensitive group; the divergences run on the binary
label and drop outcomes missing from either group without renormalising; ratios use the safe
ratio R(x, y) (0/0 = 0, x/0 = ∞); a difference of two infinite ratios is 0; GE uses α = 2.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

A, D = 0, 1  # facet axis: a = everyone else, d = the sensitive group


class MetricError(Exception):
    """A metric that cannot be computed on these counts; the report shows the message instead."""


@dataclass(frozen=True)
class Tally:
    """Row counts ``cells[k, facet, y, ŷ]`` for group-variable slot ``k``.

    Without a group variable there is one slot. ``group_valid[k]`` is False for the slot holding
    rows whose (numeric) group value is missing: they count everywhere except in CDD's sums.
    """

    cells: np.ndarray  # shape (K, 2, 2, 2), integer counts
    group_valid: np.ndarray  # shape (K,), bool
    has_group: bool = False
    group_error: str = ""  # e.g. a text group variable with missing values (Clarify fails there)

    @property
    def cm(self) -> np.ndarray:
        """Counts per (facet, y, ŷ) over every row."""
        return self.cells.sum(axis=0)  # type: ignore[no-any-return]

    def with_cells(self, cells: np.ndarray) -> Tally:
        return Tally(cells, self.group_valid, self.has_group, self.group_error)


def safe_ratio(x: float, y: float) -> float:
    """Clarify's ``divide``: x/y, with 0/0 = 0 and x/0 = ±∞."""
    if y != 0:
        return x / y
    if x == 0:
        return 0.0
    return math.inf if x > 0 else -math.inf


def difference(x: float, y: float) -> float:
    """x − y, where two infinite ratios give 0 (the both-infinite rule)."""
    if math.isinf(x) and math.isinf(y):
        return 0.0
    return x - y


# -- counts ---------------------------------------------------------------------------------------


def size(t: Tally, facet: int) -> float:
    return float(t.cm[facet].sum())


def positives(t: Tally, facet: int) -> float:
    return float(t.cm[facet, 1, :].sum())


def predicted_positives(t: Tally, facet: int) -> float:
    return float(t.cm[facet, :, 1].sum())


def confusion(t: Tally, facet: int) -> dict[str, float]:
    cm = t.cm[facet]
    return {"TP": float(cm[1, 1]), "FP": float(cm[0, 1]), "FN": float(cm[1, 0]), "TN": float(cm[0, 0])}


def _require_both(t: Tally) -> None:
    if size(t, D) == 0:
        raise MetricError("Facet set is empty: no row is in the sensitive group d.")
    if size(t, A) == 0:
        raise MetricError("Negated facet set is empty: every row is in the sensitive group d.")


# -- pre-training ---------------------------------------------------------------------------------


def class_imbalance(t: Tally) -> float:
    n_a, n_d = size(t, A), size(t, D)
    if n_a == 0:
        raise MetricError("CI: negated facet set is empty. Check that x[~facet] has non-zero length.")
    if n_d == 0:
        raise MetricError("CI: facet set is empty. Check that x[facet] has non-zero length.")
    return (n_a - n_d) / (n_a + n_d)


def positive_proportion_difference(t: Tally, axis: int) -> float:
    """DPL (axis 1, labels) or DPPL (axis 2, predictions): q_a − q_d."""
    n_a, n_d = size(t, A), size(t, D)
    if n_a == 0:
        raise MetricError("Negative facet set is empty.")
    if n_d == 0:
        raise MetricError("Facet set is empty.")
    count = positives if axis == 1 else predicted_positives
    return count(t, A) / n_a - count(t, D) / n_d


def _common_distributions(t: Tally) -> tuple[np.ndarray, np.ndarray]:
    """P_a and P_d over {negative, positive}, keeping only outcomes present in both groups."""
    n_a, n_d = size(t, A), size(t, D)
    if n_a == 0 or n_d == 0:
        raise MetricError("No instance of common facet found, dataset may be too small")
    p_a = np.array([n_a - positives(t, A), positives(t, A)]) / n_a
    p_d = np.array([n_d - positives(t, D), positives(t, D)]) / n_d
    keep = (p_a > 0) & (p_d > 0)
    if not keep.any():
        raise MetricError("No instance of common facet found, dataset may be too small")
    return p_a[keep], p_d[keep]


def kl_divergence(t: Tally) -> float:
    p_a, p_d = _common_distributions(t)
    return float(np.sum(p_a * np.log(p_a / p_d)))


def js_divergence(t: Tally) -> float:
    p_a, p_d = _common_distributions(t)
    middle = (p_a + p_d) / 2
    return float(0.5 * np.sum(p_a * np.log(p_a / middle) + p_d * np.log(p_d / middle)))


def lp_norm(t: Tally) -> float:
    p_a, p_d = _common_distributions(t)
    return float(np.sqrt(np.sum((p_a - p_d) ** 2)))


def total_variation_distance(t: Tally) -> float:
    p_a, p_d = _common_distributions(t)
    return float(0.5 * np.sum(np.abs(p_a - p_d)))


def kolmogorov_smirnov(t: Tally) -> float:
    p_a, p_d = _common_distributions(t)
    return float(np.max(np.abs(p_a - p_d)))


def conditional_demographic_disparity(t: Tally, axis: int) -> float:
    """CDDL (axis 1: L = y) or CDDPL (axis 2: L = ŷ): Σ n_g (D_g − A_g) / Σ n_g."""
    if not t.has_group:
        raise MetricError("Group variable is empty or not provided")
    if t.group_error:
        raise MetricError(t.group_error)
    accepted = t.cells.sum(axis=4 - axis)  # (K, facet, L): sum out ŷ for labels, y for predictions
    if accepted[:, :, 1].sum() == 0:
        raise MetricError("No positive labels in set")
    if accepted[:, :, 0].sum() == 0:
        raise MetricError("No negative labels in set")
    valid = accepted[t.group_valid]
    n_g = valid.sum(axis=(1, 2))
    if n_g.sum() == 0:
        raise MetricError("Group variable is empty or not provided")
    share_of_acceptances = _shares(valid[:, D, 1], valid[:, :, 1].sum(axis=1))
    share_of_rejections = _shares(valid[:, D, 0], valid[:, :, 0].sum(axis=1))
    return float(np.sum(n_g * (share_of_rejections - share_of_acceptances)) / n_g.sum())


def _shares(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    return np.divide(part, whole, out=np.zeros(len(part)), where=whole > 0)


# -- post-training --------------------------------------------------------------------------------


def disparate_impact(t: Tally) -> float:
    _require_both(t)
    return safe_ratio(predicted_positives(t, D) / size(t, D), predicted_positives(t, A) / size(t, A))


def _per_facet(t: Tally, rate: Callable[[dict[str, float]], float]) -> tuple[float, float]:
    _require_both(t)
    return rate(confusion(t, A)), rate(confusion(t, D))


def conditional_acceptance_difference(t: Tally) -> float:
    c_a, c_d = _per_facet(t, lambda m: safe_ratio(m["TP"] + m["FN"], m["TP"] + m["FP"]))
    return difference(c_a, c_d)


def conditional_rejection_difference(t: Tally) -> float:
    r_a, r_d = _per_facet(t, lambda m: safe_ratio(m["TN"] + m["FP"], m["TN"] + m["FN"]))
    return difference(r_d, r_a)


def acceptance_rate_difference(t: Tally) -> float:
    p_a, p_d = _per_facet(t, lambda m: safe_ratio(m["TP"], m["TP"] + m["FP"]))
    return difference(p_a, p_d)


def rejection_rate_difference(t: Tally) -> float:
    v_a, v_d = _per_facet(t, lambda m: safe_ratio(m["TN"], m["TN"] + m["FN"]))
    return difference(v_d, v_a)


def recall_difference(t: Tally) -> float:
    r_a, r_d = _per_facet(t, lambda m: safe_ratio(m["TP"], m["TP"] + m["FN"]))
    return difference(r_a, r_d)


def specificity_difference(t: Tally) -> float:
    s_a, s_d = _per_facet(t, lambda m: safe_ratio(m["TN"], m["TN"] + m["FP"]))
    return difference(s_d, s_a)


def accuracy_difference(t: Tally) -> float:
    acc_a, acc_d = _per_facet(t, lambda m: safe_ratio(m["TP"] + m["TN"], sum(m.values())))
    return difference(acc_a, acc_d)


def treatment_equality(t: Tally) -> float:
    tau_a, tau_d = _per_facet(t, lambda m: safe_ratio(m["FN"], m["FP"]))
    return difference(tau_d, tau_a)


def generalized_entropy(t: Tally) -> float:
    """GE with α = 2 over every row: b = ŷ − y + 1 is 0 (FN), 1 (correct) or 2 (FP)."""
    cm = t.cm.sum(axis=0)  # (y, ŷ) over both facets
    rows = float(cm.sum())
    correct, false_positive = float(cm[0, 0] + cm[1, 1]), float(cm[0, 1])
    mean = (correct + 2 * false_positive) / rows if rows else 0.0
    if mean == 0:
        raise MetricError("All predicted labels are false negatives. Generalized Entropy is undefined.")
    second_moment = (correct + 4 * false_positive) / rows
    return 0.5 * (second_moment - mean**2) / mean**2


PRE_TRAINING: dict[str, Callable[[Tally], float]] = {
    "CDDL": lambda t: conditional_demographic_disparity(t, 1),
    "CI": class_imbalance,
    "DPL": lambda t: positive_proportion_difference(t, 1),
    "JS": js_divergence,
    "KL": kl_divergence,
    "KS": kolmogorov_smirnov,
    "LP": lp_norm,
    "TVD": total_variation_distance,
}

POST_TRAINING: dict[str, Callable[[Tally], float]] = {
    "AD": accuracy_difference,
    "CDDPL": lambda t: conditional_demographic_disparity(t, 2),
    "DAR": acceptance_rate_difference,
    "DCA": conditional_acceptance_difference,
    "DCR": conditional_rejection_difference,
    "DI": disparate_impact,
    "DPPL": lambda t: positive_proportion_difference(t, 2),
    "DRR": rejection_rate_difference,
    "GE": generalized_entropy,
    "RD": recall_difference,
    "SD": specificity_difference,
    "TE": treatment_equality,
}
ROW_METRICS = ("FT",)  # need rows, not counts

DESCRIPTIONS = {
    "CI": "Class Imbalance (CI)",
    "DPL": "Difference in Positive Proportions in Labels (DPL)",
    "KL": "Kullback-Liebler Divergence (KL)",
    "JS": "Jensen-Shannon Divergence (JS)",
    "LP": "L-p Norm (LP)",
    "TVD": "Total Variation Distance (TVD)",
    "KS": "Kolmogorov-Smirnov Distance (KS)",
    "CDDL": "Conditional Demographic Disparity in Labels (CDDL)",
    "DPPL": "Difference in Positive Proportions in Predicted Labels (DPPL)",
    "DI": "Disparate Impact (DI)",
    "DCA": "Difference in Conditional Acceptance (DCA)",
    "DCR": "Difference in Conditional Rejection (DCR)",
    "RD": "Recall Difference (RD)",
    "SD": "Specificity Difference (SD)",
    "DAR": "Difference in Acceptance Rates (DAR)",
    "DRR": "Difference in Rejection Rates (DRR)",
    "AD": "Accuracy Difference (AD)",
    "CDDPL": "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
    "TE": "Treatment Equality (TE)",
    "FT": "Flip Test (FT)",
    "GE": "Generalized Entropy (GE)",
}
ALIASES = {"DCACC": "DCA"}
ALL_PRE = tuple(PRE_TRAINING)
ALL_POST = tuple(sorted((*POST_TRAINING, *ROW_METRICS)))
GROUP_METRICS = ("CDDL", "CDDPL")  # conditional demographic disparity: needs a group variable


def every_metric(has_group: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(pre, post) metrics that "all" stands for. Departure from Clarify, on purpose: Clarify's "all" lists
    CDDL and CDDPL even without a group variable, each as an error ("Group variable is empty or not
    provided"), a row nobody asked for; here they come only with a group variable (or when named)."""
    if has_group:
        return ALL_PRE, ALL_POST
    return (tuple(n for n in ALL_PRE if n not in GROUP_METRICS), tuple(n for n in ALL_POST if n not in GROUP_METRICS))


def evaluate(metric: Callable[[Tally], float], tally: Tally) -> tuple[float | None, str]:
    """(value, "") or (None, the reason it cannot be computed)."""
    try:
        value = float(metric(tally))
    except MetricError as exc:
        return None, str(exc)
    if math.isnan(value):
        return None, "The value is undefined (0/0) for these counts."
    return value, ""
