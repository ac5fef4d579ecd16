"""Versioned imports: each import writes a folder of its own and the catalog switches to it in one
transaction, so a crash, a concurrent import or a crawl never loses or mixes a table's data; replaced
versions stay readable until the retention rule removes them. Also: the model registry copies
artifacts outside its write transaction."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import services.catalog.local as catalog_local
from services.catalog.files import data_files
from services.embedded.model_registry import ModelRegistry
from services.errors import InvalidInput, NotFound
from services.models import ModelRecord
from services.registry import Services

DAY = 86_400.0


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def names(services: Services, table: str = "d.t") -> list[list[Any]]:
    return services.query.run(f"SELECT id, name FROM {table} ORDER BY id").frame.values.tolist()


def location_files(services: Services, database: str = "d", table: str = "t") -> list[str]:
    folder = services.catalog.workspace.from_uri(services.catalog.get_table(database, table).location)  # type: ignore[attr-defined]
    return sorted(p.relative_to(folder).as_posix() for p in data_files(folder))


@pytest.fixture
def imported(services: Services, data_dir: Path) -> Services:
    services.catalog.import_path(write_csv(data_dir / "old.csv", "id,name\n1,kept\n2,safe\n"), "d", "t")
    return services


def test_a_crash_at_the_switch_leaves_the_old_data_fully_queryable(imported: Services, data_dir: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(catalog_local, "_write_version", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        imported.catalog.import_path(write_csv(data_dir / "new.csv", "id,name\n7,new\n"), "d", "t")
    monkeypatch.undo()
    assert names(imported) == [[1, "kept"], [2, "safe"]]
    assert imported.catalog.get_table("d", "t").version_id == "1"
    assert location_files(imported) == ["old.csv"]
    table_folder = imported.catalog.workspace.table_folder("d", "t")  # type: ignore[attr-defined]
    assert [p.name for p in table_folder.iterdir()] == [Path(imported.catalog.get_table("d", "t").location).name]


def test_two_concurrent_imports_into_one_table_leave_exactly_one_of_them(imported: Services, data_dir: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    sources = {
        "a": write_csv(data_dir / "a.csv", "id,name\n10,a\n11,a\n12,a\n"),
        "b": write_csv(data_dir / "b.csv", "id,name\n20,b\n21,b\n"),
    }
    rows = {"a": [[10, "a"], [11, "a"], [12, "a"]], "b": [[20, "b"], [21, "b"]]}
    barrier = threading.Barrier(2, timeout=30)
    real_copy = shutil.copyfile

    def overlapping_copy(source: Any, destination: Any, **kwargs: Any) -> Any:
        barrier.wait()  # both imports are mid-copy at the same time
        return real_copy(source, destination, **kwargs)

    monkeypatch.setattr(shutil, "copyfile", overlapping_copy)
    errors: list[BaseException] = []

    def run(label: str) -> None:
        try:
            imported.catalog.import_path(sources[label], "d", "t")
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(label,)) for label in sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    monkeypatch.undo()

    assert errors == []
    current = names(imported)
    winner = "a" if current == rows["a"] else "b"
    assert current == rows[winner]
    assert location_files(imported) == [f"{winner}.csv"]
    versions = imported.catalog.table_versions("d", "t")
    assert [v.version_id for v in versions] == ["3", "2", "1"]
    loser = "b" if winner == "a" else "a"
    assert imported.catalog.version_sample("d", "t", "2").frame.values.tolist() == rows[loser]  # type: ignore[attr-defined]


def test_crawl_into_a_managed_tables_folder_is_refused_and_the_table_still_reads(imported: Services) -> None:
    version_folder = imported.catalog.get_table("d", "t").location
    for location in ("s3://workbench-lake/d/", "s3://workbench-lake/d/t/", version_folder, "s3://workbench-lake/"):
        with pytest.raises(InvalidInput, match=r"d\.t") as caught:
            imported.catalog.crawl(location, "crawled")
        assert caught.value.hint
    assert [d.name for d in imported.catalog.list_databases()] == ["d"]
    assert names(imported) == [[1, "kept"], [2, "safe"]]


def test_crawl_into_a_folder_written_in_place_by_the_app_is_refused(services: Services) -> None:
    folder = services.catalog.workspace.table_folder("scored", "batch")  # type: ignore[attr-defined]
    folder.mkdir(parents=True)
    write_csv(folder / "part.csv", "id,name\n1,x\n")
    services.catalog.register("scored", "batch", folder)  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput, match=r"scored\.batch"):
        services.catalog.crawl("s3://workbench-lake/scored/", "scored")
    assert names(services, "scored.batch") == [[1, "x"]]


def test_import_into_a_crawled_table_is_refused_and_leaves_the_crawled_files(services: Services,
                                                                              data_dir: Path) -> None:
    folder = services.catalog.workspace.lake / "workbench-lake" / "raw" / "customers"  # type: ignore[attr-defined]
    folder.mkdir(parents=True)
    write_csv(folder / "c.csv", "id,name\n1,crawled\n")
    services.catalog.crawl("s3://workbench-lake/raw/", "raw")
    with pytest.raises(InvalidInput, match=r"raw\.customers.*crawl") as caught:
        services.catalog.import_path(write_csv(data_dir / "x.csv", "id,name\n9,imported\n"), "raw", "customers")
    assert "another name" in caught.value.hint
    assert sorted(p.name for p in folder.iterdir()) == ["c.csv"]
    assert names(services, "raw.customers") == [[1, "crawled"]]
    assert services.catalog.get_table("raw", "customers").version_id == "1"


def test_a_crawl_twice_into_other_databases_may_share_a_folder(services: Services) -> None:
    folder = services.catalog.workspace.lake / "workbench-lake" / "landing" / "sales"  # type: ignore[attr-defined]
    folder.mkdir(parents=True)
    write_csv(folder / "s.csv", "id,name\n1,x\n")
    services.catalog.crawl("s3://workbench-lake/landing/", "one")
    assert services.catalog.crawl("s3://workbench-lake/landing/", "two").created == ("two.sales",)


def test_reimport_keeps_the_old_rows_readable_until_the_retention_prunes_them(imported: Services,
                                                                              data_dir: Path) -> None:
    catalog: Any = imported.catalog
    first = catalog.get_table("d", "t")
    catalog.import_path(write_csv(data_dir / "new.csv", "id,name,extra\n7,new,x\n"), "d", "t")
    assert names(imported) == [[7, "new"]]
    old = catalog.version_sample("d", "t", "1", limit=10)
    assert old.frame.values.tolist() == [[1, "kept"], [2, "safe"]]
    assert [c.name for c in old.columns] == ["id", "name"]
    assert catalog.version_sample("d", "t", "2").frame.columns.tolist() == ["id", "name", "extra"]

    now = time.time()
    assert catalog.prune_table_versions(now + 29 * DAY) == []
    removed = catalog.prune_table_versions(now + 31 * DAY)
    assert removed == [catalog.workspace.from_uri(first.location)]
    assert not removed[0].exists()
    with pytest.raises(NotFound, match="retention") as caught:
        catalog.version_sample("d", "t", "1")
    assert caught.value.hint
    assert names(imported) == [[7, "new"]]
    assert [v.version_id for v in catalog.table_versions("d", "t")] == ["2", "1"]  # the schema history stays


def test_prune_keeps_the_current_version_however_old_and_removes_abandoned_folders(imported: Services) -> None:
    catalog: Any = imported.catalog
    current = catalog.workspace.from_uri(catalog.get_table("d", "t").location)
    abandoned = current.parent / "_v20200101T000000000000-deadbeef"  # an import that crashed mid-copy
    abandoned.mkdir()
    write_csv(abandoned / "half.csv", "id,name\n")
    assert catalog.prune_table_versions(time.time() + 365 * DAY) == [abandoned]
    assert current.exists()
    assert names(imported) == [[1, "kept"], [2, "safe"]]


def test_the_hourly_retention_round_prunes_table_versions(imported: Services, data_dir: Path) -> None:
    from services.embedded.retention import apply_retention

    catalog: Any = imported.catalog
    first = catalog.workspace.from_uri(catalog.get_table("d", "t").location)
    catalog.import_path(write_csv(data_dir / "new.csv", "id,name\n7,new\n"), "d", "t")
    report = apply_retention(imported.settings, time.time() + 31 * DAY)
    assert report.table_versions == [str(first)]
    assert names(imported) == [[7, "new"]]


def test_version_sample_of_an_unknown_version_is_not_found(imported: Services) -> None:
    with pytest.raises(NotFound, match="version 9"):
        imported.catalog.version_sample("d", "t", "9")  # type: ignore[attr-defined]


# -- the model registry -------------------------------------------------------------------------------------------


def draft(name: str = "sentiment") -> ModelRecord:
    return ModelRecord(model_id="", name=name, version=0, framework="sklearn", problem_type="BinaryClassification",
                       target="label", input_schema=(), classes=("neg", "pos"), metrics={}, run_id="", job_name="",
                       artifact_path="", approval_status="PendingManualApproval", created_at="")


def artifacts(folder: Path) -> Path:
    folder.mkdir()
    (folder / "model.joblib").write_bytes(b"weights")
    return folder


def test_the_registry_copies_artifacts_outside_its_write_transaction(services: Services, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    store = services.catalog.store  # type: ignore[attr-defined]
    registry = ModelRegistry(store, tmp_path / "models")
    copying, release = threading.Event(), threading.Event()
    real_copytree = shutil.copytree

    def slow_copytree(*args: Any, **kwargs: Any) -> Any:
        copying.set()
        release.wait(timeout=30)
        return real_copytree(*args, **kwargs)

    monkeypatch.setattr(shutil, "copytree", slow_copytree)
    results: list[ModelRecord] = []
    worker = threading.Thread(target=lambda: results.append(registry.register(draft(), artifacts(tmp_path / "out"))))
    worker.start()
    try:
        assert copying.wait(timeout=30)
        other = sqlite3.connect(store.path, timeout=0.5, isolation_level=None)  # another process, say
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO app_state (key, value) VALUES ('written-during-copy', '1')")
        other.execute("COMMIT")
        other.close()
    finally:
        release.set()
        worker.join(timeout=30)
    assert [r.model_id for r in results] == ["sentiment/1"]
    assert (Path(results[0].artifact_path) / "model.joblib").read_bytes() == b"weights"
    assert Path(results[0].artifact_path) == tmp_path / "models" / "sentiment" / "1"
    assert store.get_state("written-during-copy") == 1


def test_a_failed_registration_removes_its_copy(services: Services, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import services.embedded.model_registry as model_registry

    registry = ModelRegistry(services.catalog.store, tmp_path / "models")  # type: ignore[attr-defined]
    source = artifacts(tmp_path / "out")

    def broken_row(record: ModelRecord) -> tuple[Any, ...]:
        raise sqlite3.IntegrityError("disk says no")

    monkeypatch.setattr(model_registry, "_row", broken_row)
    with pytest.raises(sqlite3.IntegrityError):
        registry.register(draft(), source)
    monkeypatch.undo()
    assert registry.all() == []
    assert not any((tmp_path / "models").rglob("*.joblib"))
    assert registry.register(draft(), source).model_id == "sentiment/1"
