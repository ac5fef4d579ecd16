"""The labellers' history on S3: every label and skip, with its labeller and time, as one small JSON-lines object.

The aws labels adapter's counterpart of ``services.labels.store.LabelStore`` with the same semantics: an action is
never deleted, undo marks it ``undone_at``; votes, live labels, a labeller's done items and the items they took
back are computed from the actions. Several people label at once, so a change is a compare-and-swap: the object is
read with its ETag and written back only if nobody wrote it since (``IfMatch``, or ``IfNoneMatch: *`` for the
first write); on a conflict the change is applied again to the newer history, a few times at most.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from services.aws.sagemaker import error_code
from services.errors import BackendUnavailable, InvalidInput
from services.labels.agreement import Vote
from services.labels.models import Label
from services.labels.queue import undo_time

LABEL, SKIP = "label", "skip"
MAX_HISTORY_BYTES = 64 * 1024 * 1024  # about half a million actions
WRITE_ATTEMPTS = 5  # compare-and-swap rounds before giving up (each one a labeller's concurrent change)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass
class History:
    """The actions of one source, oldest first (``id`` grows by one per action)."""

    actions: list[dict[str, Any]] = field(default_factory=list)

    def add(self, item_id: str, labeller: str, action: str, label: str = "", at: str = "") -> Label:
        at = at or utc_now()
        self.actions.append({"id": len(self.actions) + 1, "item_id": item_id, "labeller": labeller, "action": action,
                             "label": label, "at": at, "undone_at": ""})
        return Label(item_id, label, labeller, at)

    def undo_latest(self, labeller: str) -> tuple[str, Label | None] | None:
        """Mark the labeller's latest live action undone: (its kind, the label for a label); None when none is left."""
        live = [a for a in self.actions if a["labeller"] == labeller and not a["undone_at"]]
        if not live:
            return None
        latest = live[-1]
        undone = [a["undone_at"] for a in self.actions if a["labeller"] == labeller and a["undone_at"]]
        latest["undone_at"] = undo_time(utc_now(), max(undone, default=""))
        label = Label(latest["item_id"], latest["label"], labeller, latest["at"]) if latest["action"] == LABEL else None
        return latest["action"], label

    def votes(self) -> list[Vote]:
        return [Vote(a["item_id"], a["labeller"], a["label"], int(a["id"])) for a in self._live_labels()]

    def labels(self) -> list[Label]:
        """Every live label (oldest first) with its labeller and time."""
        return [Label(a["item_id"], a["label"], a["labeller"], a["at"]) for a in self._live_labels()]

    def done(self, labeller: str) -> set[str]:
        """Items the labeller labelled or skipped (not undone)."""
        return {a["item_id"] for a in self.actions if a["labeller"] == labeller and not a["undone_at"]}

    def taken_back(self, labeller: str) -> list[str]:
        """Items whose actions this labeller undid, the most recently undone first."""
        undone = [a for a in self.actions if a["labeller"] == labeller and a["undone_at"]]
        return [a["item_id"] for a in sorted(undone, key=lambda a: (a["undone_at"], a["id"]), reverse=True)]

    def _live_labels(self) -> list[dict[str, Any]]:
        return [a for a in self.actions if a["action"] == LABEL and not a["undone_at"]]

    def to_bytes(self) -> bytes:
        return "".join(json.dumps(a) + "\n" for a in self.actions).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes, where: str) -> History:
        try:
            return cls([json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()])
        except ValueError as exc:
            raise InvalidInput(f"The label history at {where} is not JSON lines.",
                               hint="Restore it from the bucket's versions, or remove it to start again.") from exc


class S3History:
    """One source's history object in S3, read and changed with compare-and-swap."""

    def __init__(self, s3: Any, bucket: str, key: str) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.key = key

    def read(self) -> History:
        return self._read()[0]

    def change(self, apply: Callable[[History], Any]) -> Any:
        """Apply ``apply`` to the newest history and write it back unless someone wrote it meanwhile (then again
        on theirs); returns what ``apply`` returned. ``BackendUnavailable`` after ``WRITE_ATTEMPTS`` conflicts."""
        for _ in range(WRITE_ATTEMPTS):
            history, etag = self._read()
            result = apply(history)
            if self._write(history, etag):
                return result
        raise BackendUnavailable("Other labellers kept changing the labels while yours were saved.",
                                 hint="Try again in a moment.")

    def _read(self) -> tuple[History, str]:
        try:
            answer = self.s3.get_object(Bucket=self.bucket, Key=self.key)
        except ClientError as exc:
            if error_code(exc) in ("NoSuchKey", "404"):
                return History(), ""
            raise
        if int(answer.get("ContentLength", 0)) > MAX_HISTORY_BYTES:
            raise InvalidInput(f"The label history s3://{self.bucket}/{self.key} is over "
                               f"{MAX_HISTORY_BYTES // 2**20} MiB; it is not read.", hint="Archive it and start a new one.")
        return History.from_bytes(answer["Body"].read(), f"s3://{self.bucket}/{self.key}"), str(answer["ETag"])

    def _write(self, history: History, etag: str) -> bool:
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        try:
            self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=history.to_bytes(),
                               ContentType="application/x-ndjson", **condition)
        except ClientError as exc:
            if error_code(exc) in ("PreconditionFailed", "ConditionalRequestConflict", "412", "409"):
                return False
            raise
        return True
