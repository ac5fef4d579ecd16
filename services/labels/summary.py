"""What both adapters compute the same way from a source's items and its labellers' votes: the progress figures,
and which imported labels are taken, unknown or refused."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from services.label_map import label_map
from services.labels.agreement import Vote, agreement_table, latest_votes, majority_labels
from services.labels.importing import parse_labels
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


def file_labels(found: SourceItems, filename: str, data: bytes
                ) -> tuple[list[tuple[str, str]], tuple[str, ...], list[str]]:
    """Both adapters' ``import_labels`` before storing: (accepted (event id, label) pairs, unknown event ids, the
    lines that could not be read followed by the refused labels). Manifest lines without an event id are matched
    to ``found``'s items by their text."""
    texts: dict[str, list[str]] = {}
    for item in found.items:
        texts.setdefault(item.text.strip(), []).append(item.item_id)
    pairs, bad = parse_labels(filename, data, texts)
    accepted, unknown, refused = split_import(found, pairs)
    return accepted, unknown, bad + refused


def class_names(classes: Sequence[str]) -> dict[str, str]:
    """casefolded name -> class, for labels given by a class's name rather than its value (a Ground Truth job whose
    categories were "negative / neutral / positive" for the classes -1 / 0 / 1; "positive (1)" too)."""
    names = label_map(classes)
    return {names.name(c).casefold(): c for c in classes} | {names.display(c).casefold(): c for c in classes}


def split_import(found: SourceItems, pairs: Sequence[tuple[str, str]]
                 ) -> tuple[list[tuple[str, str]], tuple[str, ...], list[str]]:
    """(accepted (event id, label) pairs, unknown event ids in file order, refused lines): a label for an event the
    source does not hold is unknown, one outside the model's classes (by value or by name, ``class_names``) is
    refused."""
    by_name = class_names(found.classes)
    pairs = [(event, label if label in found.classes else by_name.get(label.strip().casefold(), label))
             for event, label in pairs]
    known = {item.item_id for item in found.items}
    unknown = tuple(dict.fromkeys(event for event, _ in pairs if event not in known))
    classes = set(found.classes)
    refused = [f"event {e}: {label!r} is not one of the model's classes" for e, label in pairs
               if e in known and classes and label not in classes]
    accepted = [(e, label) for e, label in pairs if e in known and (not classes or label in classes)]
    return accepted, unknown, refused
