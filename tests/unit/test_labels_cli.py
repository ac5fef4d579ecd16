"""``python -m services labels import|export`` in-process against a real deployed review endpoint with captures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.cli import in_process_cli, ok, refused
from tests.helpers.labels import LabelsWorld, deployed_world, ground_truth_lines, labels_csv, stop_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, seeded_home: Path) -> Iterator[LabelsWorld]:
    world = deployed_world(tmp_path_factory, seeded_home)
    try:
        yield world
    finally:
        stop_world(world)


def test_import_then_export_round_trip(world: LabelsWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    cli = in_process_cli(Path(world.services.settings.home), monkeypatch, capsys)
    first, second = world.event_ids[:2]
    source = tmp_path / "truth.jsonl"
    source.write_bytes(ground_truth_lines({first: "1", second: "-1", "unknown-event": "0"}))
    answer = ok(cli, "labels", "import", world.endpoint, str(source), "--labeller", "cli")
    assert answer["Imported"] == 2 and answer["UnknownEventIds"] == 1 and answer["UnknownEventIdList"] == ["unknown-event"]
    exported = ok(cli, "labels", "export", world.endpoint, "--out", "labels-cli.jsonl")
    lines = [json.loads(line) for line in Path(exported["Path"]).read_text().splitlines()]
    assert exported["Exported"] == 2
    assert {line["eventMetadata"]["eventId"]: line["groundTruthData"]["data"] for line in lines} == {first: "1", second: "-1"}
    refused(cli, "labels", "export", world.endpoint, "--out", "labels-cli.jsonl")  # exists: --overwrite needed


def test_user_errors_exit_2_with_one_line(world: LabelsWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    cli = in_process_cli(Path(world.services.settings.home), monkeypatch, capsys)
    good = tmp_path / "labels.csv"
    good.write_bytes(labels_csv({world.event_ids[3]: "0"}))
    refused(cli, "labels", "import", "no-such-endpoint", str(good))
    refused(cli, "labels", "import", world.endpoint, str(tmp_path / "missing.csv"))
    headerless = tmp_path / "bad.csv"
    headerless.write_text("id,text\n1,x\n")
    assert "eventId" in refused(cli, "labels", "import", world.endpoint, str(headerless))
    refused(cli, "labels", "export", "no-such-endpoint", "--out", "nothing.jsonl")
