"""NDCG between two feature-attribution rankings, as Model Monitor's feature-attribution drift check computes it.

SageMaker's documentation ("Feature attribution drift for models in production"): F = [f1 … fm] are the features
sorted by their attribution in the training data (the baseline), F' = [f'1 … f'm] the same features sorted by
their attribution in the live data, and a(f) the **baseline** attribution of f. Then

    DCG  = Σ_{i=1..m} a(f'_i) / log2(i + 1)      (the live order, scored with the baseline's attributions)
    iDCG = Σ_{i=1..m} a(f_i)  / log2(i + 1)      (the best possible order: the baseline's own)
    NDCG = DCG / iDCG

so a feature that was important in training and falls down the live ranking costs more than an unimportant one
moving the same number of places. The check fails when NDCG < 0.90 (Model Monitor's default threshold).
"""

from __future__ import annotations

import math

DEFAULT_THRESHOLD = 0.90


def ranked(attributions: dict[str, float]) -> list[str]:
    """Feature names, largest attribution first (ties by name, so the order is stable)."""
    return sorted(attributions, key=lambda name: (-attributions[name], name))


def ndcg(baseline: dict[str, float], live: dict[str, float], top_k: int | None = None) -> float:
    """NDCG of the live ranking against the baseline's (see the module docstring).

    Only the first ``top_k`` positions count (all when None). A feature missing from ``live`` ranks last there;
    one missing from ``baseline`` has gain 0. When every baseline attribution is 0 there is nothing to rank: 1.0.
    Attributions must not be negative (global SHAP values are mean absolute values).
    """
    if any(value < 0 for value in (*baseline.values(), *live.values())):
        raise ValueError("NDCG needs non-negative attributions (mean |SHAP| values).")
    features = set(baseline) | set(live)
    live_full = {name: live.get(name, -1.0) for name in features}  # missing live features rank last
    base_full = {name: baseline.get(name, 0.0) for name in features}
    count = len(features) if top_k is None else min(top_k, len(features))
    ideal = _dcg([base_full[name] for name in ranked(base_full)[:count]])
    if ideal == 0:
        return 1.0
    return _dcg([base_full[name] for name in ranked(live_full)[:count]]) / ideal


def _dcg(gains: list[float]) -> float:
    return sum(gain / math.log2(position + 2) for position, gain in enumerate(gains))
