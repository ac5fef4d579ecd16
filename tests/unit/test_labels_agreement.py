"""Majority labels and agreement, worked by hand (and kappa checked against scikit-learn)."""

from __future__ import annotations

import pytest
from sklearn.metrics import cohen_kappa_score

from services.labels.agreement import Vote, agreement_table, majority_labels, pair_agreement


def votes(*rows: tuple[str, str, str]) -> list[Vote]:
    return [Vote(item, labeller, label, order) for order, (item, labeller, label) in enumerate(rows)]


def test_majority_wins_and_a_tie_goes_to_the_latest_label() -> None:
    given = votes(("a", "x", "pos"), ("a", "y", "pos"), ("a", "z", "neg"),  # 2 to 1
                  ("b", "x", "neg"), ("b", "y", "pos"),  # tie: y's pos is later
                  ("c", "x", "pos"), ("c", "x", "neg"))  # x changed their mind: only the latest counts
    assert majority_labels(given) == {"a": "pos", "b": "pos", "c": "neg"}


def test_pair_agreement_by_hand() -> None:
    """4 shared items, 3 agree: 75 %. a: pos 2, neg 2; b: pos 1, neg 3 -> p_e = (2*1 + 2*3) / 16 = 0.5;
    kappa = (0.75 - 0.5) / 0.5 = 0.5."""
    a = {"1": "pos", "2": "pos", "3": "neg", "4": "neg", "only-a": "pos"}
    b = {"1": "pos", "2": "neg", "3": "neg", "4": "neg"}
    assert pair_agreement(a, b) == (4, 75.0, 0.5)


def test_kappa_matches_scikit_learn() -> None:
    a = dict(enumerate("ppnnuupnpu"))
    b = dict(enumerate("pnnnuuppuu"))
    items, _, kappa = pair_agreement({str(k): v for k, v in a.items()}, {str(k): v for k, v in b.items()})
    assert items == 10
    assert kappa == pytest.approx(cohen_kappa_score(list(a.values()), list(b.values())))


def test_kappa_is_undefined_when_both_always_say_the_same_one_label() -> None:
    assert pair_agreement({"1": "pos", "2": "pos"}, {"1": "pos", "2": "pos"}) == (2, 100.0, None)
    assert pair_agreement({"1": "pos"}, {"2": "pos"}) == (0, 0.0, None)


def test_agreement_table_has_one_row_per_pair() -> None:
    table = agreement_table(votes(("1", "cy", "pos"), ("1", "al", "pos"), ("1", "bo", "neg"), ("2", "al", "neg")))
    assert [(row["a"], row["b"], row["items"], row["percent"]) for row in table] == [
        ("al", "bo", 1, 0.0), ("al", "cy", 1, 100.0), ("bo", "cy", 1, 0.0)]
