"""The labels port's contract: every adapter must pass ``LabelsContract``.

The world is a real review endpoint with a dozen real captured requests (tests/helpers/labels.py), built once
per class. Tests share it and keep apart by labeller name and by which captured events they label, so none
depends on another having run. Agreement numbers are worked by hand in the test's docstring.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.errors import InvalidInput, NotFound
from services.labels.models import LabelSource
from services.models import DataSource
from tests.helpers.cli import in_process_cli, ok, refused
from tests.helpers.labels import (
    SOURCE_TABLE,
    TRAIN_TABLE,
    LabelsWorld,
    deployed_world,
    ground_truth_lines,
    ground_truth_manifest,
    labels_csv,
    stop_world,
)

NEGATIVE, NEUTRAL, POSITIVE = "-1", "0", "1"  # the review model's classes (demo sentiment: -1, 0, 1)
ROWS = LabelSource(database=SOURCE_TABLE[0], table=SOURCE_TABLE[1], id_column="review_id", text_column="review_body",
                   probability_column="prob")


class LabelsContract:
    """Tests any labels adapter must pass. Subclasses provide a class-scoped ``world`` and ``ground_truth_files``."""

    @pytest.fixture(scope="class")
    @classmethod
    def world(cls) -> LabelsWorld:
        raise NotImplementedError

    def ground_truth_files(self, world: LabelsWorld) -> list[bytes]:
        """The contents of the endpoint's ground-truth files (local folder or S3 prefix)."""
        raise NotImplementedError

    def source(self, world: LabelsWorld) -> LabelSource:
        return LabelSource(endpoint=world.endpoint)

    def classes(self, world: LabelsWorld) -> tuple[str, ...]:
        return world.services.labels.queue(self.source(world), limit=0).classes

    def test_queue_offers_every_captured_request_least_certain_first(self, world: LabelsWorld) -> None:
        queue = world.services.labels.queue(self.source(world), labeller="order", limit=100)
        assert queue.total == len(world.event_ids) == 12
        assert sorted(item.item_id for item in queue.items) == sorted(world.event_ids)
        assert set(queue.classes) == {NEGATIVE, NEUTRAL, POSITIVE}
        probabilities = [item.probability for item in queue.items]
        assert all(p is not None for p in probabilities)
        assert probabilities == sorted(probabilities)  # type: ignore[type-var]
        assert all(item.text and item.prediction in queue.classes for item in queue.items)

    def test_random_order_is_repeatable_for_a_seed(self, world: LabelsWorld) -> None:
        labels = world.services.labels
        first = [i.item_id for i in labels.queue(self.source(world), order="random", labeller="rnd", seed=7).items]
        again = [i.item_id for i in labels.queue(self.source(world), order="random", labeller="rnd", seed=7).items]
        other = [i.item_id for i in labels.queue(self.source(world), order="random", labeller="rnd", seed=8).items]
        assert first == again and sorted(first) == sorted(other) and first != other

    def test_submit_skip_and_undo_bring_items_back_to_the_front(self, world: LabelsWorld) -> None:
        labels, source, classes = world.services.labels, self.source(world), self.classes(world)
        first, second = labels.queue(source, labeller="undoer", limit=2).items
        given = labels.submit(source, first.item_id, classes[0], "undoer")
        labels.skip(source, second.item_id, "undoer")
        waiting = [i.item_id for i in labels.queue(source, labeller="undoer", limit=100).items]
        assert first.item_id not in waiting and second.item_id not in waiting and len(waiting) == 10
        assert labels.undo(source, "undoer") is None  # the skip
        assert labels.queue(source, labeller="undoer", limit=1).items[0].item_id == second.item_id
        taken = labels.undo(source, "undoer")
        assert taken is not None and (taken.item_id, taken.label, taken.labeller) == (given.item_id, given.label, "undoer")
        assert labels.queue(source, labeller="undoer", limit=1).items[0].item_id == first.item_id
        assert labels.undo(source, "undoer") is None  # nothing left
        assert "undoer" not in labels.progress(source).by_labeller

    def test_agreement_per_pair_and_majority_ground_truth(self, world: LabelsWorld) -> None:
        """ann: pos pos neg neg; bob: pos neg neg neg on the same four events -> 4 items, 3 agree = 75 %.
        p_o = 0.75; ann gives pos 2/4, neg 2/4; bob pos 1/4, neg 3/4; p_e = (2*1 + 2*3)/16 = 0.5;
        kappa = (0.75 - 0.5) / (1 - 0.5) = 0.5. Event 1 is a tie (pos, neg): the later label, bob's neg, wins."""
        labels, source = world.services.labels, self.source(world)
        events = world.event_ids[0:4]
        for labeller, given in (("ann", (POSITIVE, POSITIVE, NEGATIVE, NEGATIVE)), ("bob", (POSITIVE, NEGATIVE, NEGATIVE, NEGATIVE))):
            for event, label in zip(events, given):
                labels.submit(source, event, label, labeller)
        progress = labels.progress(source)
        pair = next(p for p in progress.agreement if (p["a"], p["b"]) == ("ann", "bob"))
        assert pair["items"] == 4 and pair["percent"] == pytest.approx(75.0) and pair["kappa"] == pytest.approx(0.5)
        assert progress.by_labeller["ann"] == progress.by_labeller["bob"] == 4
        truth = labels.ground_truth(world.endpoint)
        assert [truth[e] for e in events] == [POSITIVE, NEGATIVE, NEGATIVE, NEGATIVE]

    def test_ground_truth_files_are_model_monitor_json_lines(self, world: LabelsWorld) -> None:
        labels, source, event = world.services.labels, self.source(world), world.event_ids[8]
        labels.submit(source, event, NEUTRAL, "gt-writer")
        lines = [json.loads(line) for data in self.ground_truth_files(world) for line in data.decode().splitlines() if line]
        latest = {line["eventMetadata"]["eventId"]: line for line in lines}  # a later line for the same event wins
        assert latest[event] == {"groundTruthData": {"data": NEUTRAL, "encoding": "CSV"},
                                 "eventMetadata": {"eventId": event}, "eventVersion": "0"}
        assert {e: line["groundTruthData"]["data"] for e, line in latest.items()} == labels.ground_truth(world.endpoint)
        table = world.services.storage.read_table("monitoring", "ground_truth_labels_contract")
        assert {"event_id", "label", "labeller", "labelled_at", "is_ground_truth"} <= set(table.columns)
        mine = table[(table.event_id == event) & (table.labeller == "gt-writer")]
        assert list(mine.label) == [NEUTRAL] and bool(mine.is_ground_truth.iloc[0])

    def test_import_of_the_three_formats_reports_unknown_events(self, world: LabelsWorld) -> None:
        labels, classes = world.services.labels, self.classes(world)
        endpoint, (first, second, third) = world.endpoint, world.event_ids[4:7]
        lines = ground_truth_lines({first: POSITIVE, "no-such-event": NEGATIVE}) + b"{not json\n"
        result = labels.import_labels(endpoint, "truth.jsonl", lines, labeller="importer")
        assert (result.imported, result.unknown_event_ids) == (1, ("no-such-event",))
        assert result.bad_lines == ("line 3: not JSON",)
        result = labels.import_labels(endpoint, "labels.csv", labels_csv({second: NEGATIVE, "gone": NEUTRAL}))
        assert (result.imported, result.unknown_event_ids) == (1, ("gone",))
        manifest = ground_truth_manifest({third: NEUTRAL}, classes)
        assert labels.import_labels(endpoint, "output.manifest", manifest).as_json()["Imported"] == 1
        truth = labels.ground_truth(endpoint)
        assert (truth[first], truth[second], truth[third]) == (POSITIVE, NEGATIVE, NEUTRAL)
        bad_class = labels.import_labels(endpoint, "x.csv", labels_csv({first: "maybe"}))
        assert bad_class.imported == 0 and len(bad_class.bad_lines) == 1

    def test_a_ground_truth_manifest_without_event_ids_labels_the_requests_with_its_source_text(
            self, world: LabelsWorld) -> None:
        """What Ground Truth writes for a text-classification job over the reviews alone (sms-data-output): no event
        id, the review as ``source``, the job's category word as ``class-name`` ("negative" is the class -1)."""
        labels, source = world.services.labels, self.source(world)
        texts = {i.item_id: i.text for i in labels.queue(source, labeller="manifest", limit=100).items}
        event = world.event_ids[3]
        lines = [{"source": texts[event], "sentiment": 0, "sentiment-metadata": {
                      "class-name": "negative", "confidence": 0.74, "type": "groundtruth/text-classification",
                      "job-name": "labeling-job/sentiment", "human-annotated": "yes",
                      "creation-date": "2026-12-05T10:00:00.000000"}},
                 {"source": "a review nobody sent", "sentiment": 2, "sentiment-metadata": {"class-name": "positive"}}]
        data = "".join(json.dumps(line) + "\n" for line in lines).encode()
        result = labels.import_labels(world.endpoint, "output.manifest", data, labeller="gt-job")
        assert (result.imported, result.unknown_event_ids) == (1, ())
        assert result.bad_lines == ("line 2: no event id (eventId, event_id, id), and no captured request's text is its "
                                    "source",)
        assert labels.progress(source).by_labeller["gt-job"] == 1
        table = world.services.storage.read_table("monitoring", "ground_truth_labels_contract")
        assert table[table.labeller == "gt-job"][["event_id", "label"]].values.tolist() == [[event, NEGATIVE]]

    def test_export_round_trips_through_import(self, world: LabelsWorld) -> None:
        labels, source = world.services.labels, self.source(world)
        labels.submit(source, world.event_ids[9], POSITIVE, "exporter")
        exported = labels.export_labels(world.endpoint)
        truth = labels.ground_truth(world.endpoint)
        parsed = [json.loads(line) for line in exported.decode().splitlines()]
        assert {p["eventMetadata"]["eventId"]: p["groundTruthData"]["data"] for p in parsed} == truth
        result = labels.import_labels(world.endpoint, "export.jsonl", exported, labeller="round-trip")
        assert (result.imported, result.unknown_event_ids, result.bad_lines) == (len(truth), (), ())
        assert labels.ground_truth(world.endpoint) == truth

    def test_append_to_table_adds_the_labelled_texts_as_a_new_version(self, world: LabelsWorld) -> None:
        labels, source = world.services.labels, self.source(world)
        event = world.event_ids[10]
        labels.submit(source, event, NEGATIVE, "appender")
        versions = len(world.services.catalog.table_versions(*TRAIN_TABLE))
        before = world.services.storage.read_table(*TRAIN_TABLE)
        truth = labels.ground_truth(world.endpoint)
        appended = labels.append_to_table(source, DataSource(table=".".join(TRAIN_TABLE)), "review_body", "sentiment")
        after = world.services.storage.read_table(*TRAIN_TABLE)
        assert appended == len(truth) and len(after) == len(before) + appended
        assert len(world.services.catalog.table_versions(*TRAIN_TABLE)) == versions + 1
        added = after.iloc[len(before):]
        text = next(i.text for i in labels.queue(source, limit=100).items if i.item_id == event)
        assert NEGATIVE in set(added[added.review_body == text].sentiment)
        assert sorted(added.sentiment) == sorted(truth.values())
        with pytest.raises(InvalidInput, match="already holds every labelled item"):  # appending twice adds nothing
            labels.append_to_table(source, DataSource(table=".".join(TRAIN_TABLE)), "review_body", "sentiment")
        for labeller in ("appender-2", "appender-3"):  # the event's majority label changes: only that row is new
            labels.submit(source, event, POSITIVE, labeller)
        assert labels.append_to_table(source, DataSource(table=".".join(TRAIN_TABLE)), "review_body", "sentiment") == 1
        last = world.services.storage.read_table(*TRAIN_TABLE).iloc[-1]
        assert (last.review_body, str(last.sentiment)) == (text, POSITIVE)
        with pytest.raises(InvalidInput):
            labels.append_to_table(source, DataSource(table=".".join(TRAIN_TABLE)), "rating", "sentiment")  # not text
        with pytest.raises(InvalidInput):
            labels.append_to_table(source, DataSource(table=".".join(TRAIN_TABLE)), "no_such_column", "sentiment")

    def test_a_table_source_orders_by_its_probability_column(self, world: LabelsWorld) -> None:
        labels = world.services.labels
        queue = labels.queue(ROWS, labeller="rows")
        assert [i.item_id for i in queue.items] == ["r3", "r1", "r4", "r2"]
        assert queue.classes == ("bad", "good") and queue.total == 4 and queue.items[0].text == "colour faded"
        assert not queue.open_classes and not labels.queue(self.source(world), limit=0).open_classes
        unlabelled = LabelSource(database=TRAIN_TABLE[0], table=TRAIN_TABLE[1], id_column="review_body",
                                 text_column="review_body")  # no label column: any class may be typed
        assert labels.queue(unlabelled, labeller="rows", limit=0).open_classes
        assert labels.submit(ROWS, "r3", "bad", "rows").label == "bad"
        assert [i.item_id for i in labels.queue(ROWS, labeller="rows").items] == ["r1", "r4", "r2"]
        with pytest.raises(InvalidInput):
            labels.submit(ROWS, "r1", "ugly", "rows")

    def test_errors(self, world: LabelsWorld) -> None:
        labels, source = world.services.labels, self.source(world)
        with pytest.raises(NotFound):
            labels.queue(LabelSource(endpoint="no-such-endpoint"))
        with pytest.raises(NotFound):
            labels.ground_truth("no-such-endpoint")
        with pytest.raises(InvalidInput):
            labels.submit(source, world.event_ids[11], "maybe", "errors")
        with pytest.raises(InvalidInput):
            labels.submit(source, "not-an-event", POSITIVE, "errors")
        with pytest.raises(InvalidInput):
            labels.queue(source, order="alphabetical")
        with pytest.raises(InvalidInput):
            labels.queue(LabelSource(database="contract", table="label_rows", id_column="nope", text_column="review_body"))
        with pytest.raises(InvalidInput):
            labels.import_labels(world.endpoint, "labels.csv", b"id,text\n1,x\n")
        with pytest.raises(InvalidInput, match="No line of junk.jsonl holds a label"):
            labels.import_labels(world.endpoint, "junk.jsonl", b'{"x": 1}\n{not json\n')
        assert labels.progress(source).by_labeller.get("errors") is None


class TestLocalLabels(LabelsContract):
    @pytest.fixture(scope="class")
    @classmethod
    def world(cls, tmp_path_factory: pytest.TempPathFactory, seeded_home: Path) -> Iterator[LabelsWorld]:
        world = deployed_world(tmp_path_factory, seeded_home)
        try:
            yield world
        finally:
            stop_world(world)

    def ground_truth_files(self, world: LabelsWorld) -> list[bytes]:
        folder = Path(world.services.settings.home) / "endpoints" / world.endpoint / "ground-truth"
        return [path.read_bytes() for path in sorted(folder.rglob("*.jsonl"))]

    # The command line runs on the local backend only; it shares this class's endpoint (one deploy, not two).

    def test_cli_import_then_export(self, world: LabelsWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
        cli = in_process_cli(Path(world.services.settings.home), monkeypatch, capsys)
        first, second = world.event_ids[7], world.event_ids[11]
        source = tmp_path / "truth.jsonl"
        source.write_bytes(ground_truth_lines({first: POSITIVE, second: NEGATIVE, "unknown-event": NEUTRAL}))
        answer = ok(cli, "labels", "import", world.endpoint, str(source), "--labeller", "cli")
        assert (answer["Imported"], answer["UnknownEventIds"], answer["UnknownEventIdList"]) == (2, 1, ["unknown-event"])
        exported = ok(cli, "labels", "export", world.endpoint, "--out", "labels-cli.jsonl")
        lines = [json.loads(line) for line in Path(exported["Path"]).read_text().splitlines()]
        written = {line["eventMetadata"]["eventId"]: line["groundTruthData"]["data"] for line in lines}
        assert written == world.services.labels.ground_truth(world.endpoint) and exported["Exported"] == len(written)
        assert (written[first], written[second]) == (POSITIVE, NEGATIVE)
        refused(cli, "labels", "export", world.endpoint, "--out", "labels-cli.jsonl")  # exists: --overwrite needed

    def test_cli_user_errors_exit_2_with_one_line(self, world: LabelsWorld, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        cli = in_process_cli(Path(world.services.settings.home), monkeypatch, capsys)
        good = tmp_path / "labels.csv"
        good.write_bytes(labels_csv({world.event_ids[7]: NEUTRAL}))
        refused(cli, "labels", "import", "no-such-endpoint", str(good))
        refused(cli, "labels", "import", world.endpoint, str(tmp_path / "missing.csv"))
        headerless = tmp_path / "bad.csv"
        headerless.write_text("id,text\n1,x\n")
        assert "eventId" in refused(cli, "labels", "import", world.endpoint, str(headerless))
        junk = tmp_path / "junk.jsonl"
        junk.write_text('{"x": 1}\n')
        assert "line 1: neither" in refused(cli, "labels", "import", world.endpoint, str(junk))
        refused(cli, "labels", "export", "no-such-endpoint", "--out", "nothing.jsonl")


# -- AWS: H6 adds ``class TestAwsLabels(LabelsContract)`` here (moto.mock_aws() + Stubber), providing a class-scoped
# ``world`` and ``ground_truth_files`` reading the S3 ground-truth prefix. ---------------------------------------------


class TestAwsLabels(LabelsContract):
    """The same contract on moto: a review endpoint whose capture is in S3 as SageMaker writes it, the tables in Glue
    and S3, Athena answered from the tables' current S3 files (moto runs no SQL; tests/helpers/aws_monitoring.py)."""

    @pytest.fixture(scope="class")
    @classmethod
    def world(cls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabelsWorld]:
        from dataclasses import replace

        import boto3
        from moto import mock_aws

        from services.registry import build_services
        from tests.helpers.aws import BUCKET, REGION, aws_settings, fake_aws_credentials
        from tests.helpers.aws_endpoints import ROLE
        from tests.helpers.aws_monitoring import athena_over_glue, aws_labels_world
        from tests.helpers.labels import ENDPOINT

        home = tmp_path_factory.mktemp("labels-aws")
        with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
            fake_aws_credentials(monkeypatch, home)
            boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
            services = build_services(replace(aws_settings(home / "workspace"), sagemaker_role=ROLE))
            with athena_over_glue(monkeypatch):
                yield LabelsWorld(services, ENDPOINT, aws_labels_world(services, ENDPOINT, home))

    def ground_truth_files(self, world: LabelsWorld) -> list[bytes]:
        import boto3

        from tests.helpers.aws import BUCKET, REGION

        s3 = boto3.client("s3", region_name=REGION)
        listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"ground-truth/{world.endpoint}/").get("Contents", [])
        return [s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in sorted(listed, key=lambda o: o["Key"])]
