"""What both adapters compute the same way from a source's items and its labellers' votes: the progress figures,
and which imported labels are taken, unknown or refused."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from services.labels.agreement import Vote, agreement_table, latest_votes, majority_labels
from services.labels.items import SourceItems
from services.labels.models import LabelProgress


def progress_of(found: SourceItems, votes: Sequence[Vote]) -> LabelProgress:
    """Items labelled (by anyone), labels per labeller, agreement per pair and the ground-truth distribution."""
    majority = majority_labels(votes)
    by_labeller = dict(Counter(vote.labeller for vote in latest_votes(votes).values()))
    distribution = dict(Counter(majority.values()))
    known = {item.item_id for item in found.items}
    return LabelProgress(len(found.items), sum(1 for item in majority if item in known), by_labeller,
                         agreement_table(votes), distribution)


def split_import(found: SourceItems, pairs: Sequence[tuple[str, str]]
                 ) -> tuple[list[tuple[str, str]], tuple[str, ...], list[str]]:
    """(accepted (event id, label) pairs, unknown event ids in file order, refused lines): a label for an event the
    source does not hold is unknown, one outside the model's classes is refused."""
    known = {item.item_id for item in found.items}
    unknown = tuple(dict.fromkeys(event for event, _ in pairs if event not in known))
    classes = set(found.classes)
    refused = [f"event {e}: {label!r} is not one of the model's classes" for e, label in pairs
               if e in known and classes and label not in classes]
    accepted = [(e, label) for e, label in pairs if e in known and (not classes or label in classes)]
    return accepted, unknown, refused
