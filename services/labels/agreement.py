"""Pure label arithmetic: each labeller's latest label per item, the majority label, agreement per pair.

Votes are ``(item_id, labeller, label, order)`` tuples where ``order`` grows with time (the action's id),
so ties are broken without reading a clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from itertools import combinations
from typing import Any, NamedTuple


class Vote(NamedTuple):
    item_id: str
    labeller: str
    label: str
    order: int


def latest_votes(votes: Iterable[Vote]) -> dict[tuple[str, str], Vote]:
    """(item, labeller) -> that labeller's latest label of the item (a new label replaces their older one)."""
    latest: dict[tuple[str, str], Vote] = {}
    for vote in votes:
        key = (vote.item_id, vote.labeller)
        if key not in latest or vote.order > latest[key].order:
            latest[key] = vote
    return latest


def majority_labels(votes: Iterable[Vote]) -> dict[str, str]:
    """item -> the label most labellers gave it; a tie goes to the tied label given last."""
    by_item: dict[str, list[Vote]] = {}
    for vote in latest_votes(votes).values():
        by_item.setdefault(vote.item_id, []).append(vote)
    return {item: majority(item_votes) for item, item_votes in by_item.items()}


def majority(votes: list[Vote]) -> str:
    counts = Counter(v.label for v in votes)
    top = max(counts.values())
    tied = [v for v in votes if counts[v.label] == top]
    return max(tied, key=lambda v: v.order).label


def pair_agreement(a: dict[str, str], b: dict[str, str]) -> tuple[int, float, float | None]:
    """(items both labelled, percent agreement, Cohen's kappa) of two labellers' item -> label maps.

    kappa = (p_o - p_e) / (1 - p_e) with p_e = sum over labels of p_a(label) * p_b(label) on the shared
    items; it is None when p_e is 1 (both gave one and the same label to everything: kappa is undefined,
    as scikit-learn's ``cohen_kappa_score`` answers nan). Percent is 0 and kappa None with no shared items."""
    shared = sorted(set(a) & set(b))
    if not shared:
        return 0, 0.0, None
    n = len(shared)
    observed = sum(a[i] == b[i] for i in shared) / n
    count_a, count_b = Counter(a[i] for i in shared), Counter(b[i] for i in shared)
    expected = sum(count_a[k] * count_b[k] for k in count_a) / (n * n)
    kappa = None if expected >= 1.0 else (observed - expected) / (1.0 - expected)
    return n, 100.0 * observed, kappa


def agreement_table(votes: Iterable[Vote]) -> tuple[dict[str, Any], ...]:
    """One row per pair of labellers (names sorted): {"a", "b", "items", "percent", "kappa"}."""
    per_labeller: dict[str, dict[str, str]] = {}
    for vote in latest_votes(votes).values():
        per_labeller.setdefault(vote.labeller, {})[vote.item_id] = vote.label
    rows = []
    for first, second in combinations(sorted(per_labeller), 2):
        items, percent, kappa = pair_agreement(per_labeller[first], per_labeller[second])
        rows.append({"a": first, "b": second, "items": items, "percent": percent, "kappa": kappa})
    return tuple(rows)
