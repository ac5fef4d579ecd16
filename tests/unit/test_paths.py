"""Typed paths stay inside the import roots, never cross hidden folders, never overwrite silently (issue 9, finding 3)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.bias.models import BiasRequest
from services.config import Settings
from services.errors import InvalidInput, NotFound
from services.models import DataSource
from services.paths import publish_file, readable_path, writable_path
from services.registry import Services, build_services
from services.training.data import resolve_source
from tests.helpers.workspace import close_services


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "root"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "sales.csv").write_text("a,b\n1,2\n")
    (folder / ".aws").mkdir()
    (folder / ".aws" / "credentials").write_text("[default]\naws_secret_access_key=x\n")
    return folder


@pytest.fixture
def settings(root: Path, tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "workspace", import_roots=(root,))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_file_under_a_root_is_returned_resolved(root: Path, settings: Settings) -> None:
    assert readable_path(str(root / "data" / ".." / "data" / "sales.csv"), settings) == (root / "data" / "sales.csv").resolve()


def test_a_credentials_file_in_a_hidden_folder_below_the_root_is_refused(root: Path, settings: Settings) -> None:
    with pytest.raises(InvalidInput, match=r"\.aws") as error:
        readable_path(root / ".aws" / "credentials", settings)
    assert str(root) in error.value.message
    assert "WORKBENCH_IMPORT_ROOTS" in error.value.hint


def test_a_hidden_file_such_as_dot_env_is_refused(root: Path, settings: Settings) -> None:
    with pytest.raises(InvalidInput, match=r"\.env"):
        readable_path(write(root / "data" / ".env", "SECRET=1\n"), settings)


def test_dot_dot_leaving_the_root_is_refused(root: Path, settings: Settings, tmp_path: Path) -> None:
    write(tmp_path / "outside.csv", "a\n1\n")
    with pytest.raises(InvalidInput, match="outside the folders") as error:
        readable_path(f"{root}/data/../../outside.csv", settings)
    assert "WORKBENCH_IMPORT_ROOTS" in error.value.hint


def test_an_absolute_path_outside_the_roots_is_refused(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="outside the folders"):
        readable_path(write(tmp_path / "elsewhere" / "a.csv", "a\n1\n"), settings)


def test_a_symlink_inside_the_root_pointing_outside_is_refused(root: Path, settings: Settings, tmp_path: Path) -> None:
    link = root / "data" / "link.csv"
    link.symlink_to(write(tmp_path / "elsewhere" / "a.csv", "a\n1\n"))
    with pytest.raises(InvalidInput, match="outside the folders"):
        readable_path(link, settings)


def test_a_visible_symlink_to_a_hidden_file_is_refused(root: Path, settings: Settings) -> None:
    link = root / "data" / "innocent.csv"
    link.symlink_to(root / ".aws" / "credentials")
    with pytest.raises(InvalidInput, match=r"\.aws"):
        readable_path(link, settings)


def test_a_folder_holding_a_link_out_of_the_roots_is_refused(root: Path, settings: Settings, tmp_path: Path) -> None:
    (root / "data" / "part.csv").symlink_to(write(tmp_path / "elsewhere" / "b.csv", "a,b\n3,4\n"))
    with pytest.raises(InvalidInput, match="part.csv links to"):
        readable_path(root / "data", settings)


def test_a_folder_with_hidden_entries_is_accepted_since_they_are_skipped(root: Path, settings: Settings) -> None:
    write(root / "data" / ".git" / "config", "x")
    (root / "data" / ".cache").symlink_to(Path("/etc"))
    assert readable_path(root / "data", settings) == (root / "data").resolve()


def test_a_root_that_is_itself_hidden_allows_what_is_below_it(root: Path, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "workspace", import_roots=(root, root / ".aws"))
    assert readable_path(root / ".aws" / "credentials", settings) == (root / ".aws" / "credentials").resolve()


def test_a_root_inside_a_hidden_folder_allows_visible_files_below_it(tmp_path: Path) -> None:
    data = write(tmp_path / ".config" / "shared" / "a.csv", "a\n1\n")
    assert readable_path(data, Settings(import_roots=(tmp_path / ".config" / "shared",))) == data.resolve()


def test_the_default_roots_are_home_and_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, cwd = tmp_path / "home", tmp_path / "project"
    secret = write(home / ".ssh" / "id_rsa", "key")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(write(cwd / "data.csv", "a\n1\n").parent)
    settings = Settings(home=tmp_path / "workspace")
    assert readable_path("data.csv", settings) == (cwd / "data.csv").resolve()
    assert readable_path("~/", settings) == home.resolve()
    with pytest.raises(InvalidInput, match=r"\.ssh"):
        readable_path("~/.ssh/id_rsa", settings)
    with pytest.raises(InvalidInput, match="outside the folders"):
        readable_path(secret.parents[2], settings)


def test_a_missing_path_is_not_found_and_an_empty_one_invalid(root: Path, settings: Settings) -> None:
    with pytest.raises(NotFound, match="missing.csv does not exist"):
        readable_path(root / "missing.csv", settings)
    with pytest.raises(InvalidInput, match="No path"):
        readable_path("  ", settings)


def test_a_bare_output_name_lands_in_exports(settings: Settings) -> None:
    path = writable_path("predictions.csv", settings, overwrite=False)
    assert path == (settings.home / "exports" / "predictions.csv").resolve()
    assert path.parent.is_dir() and not path.exists()


def test_a_relative_output_path_gets_its_folders_under_exports(settings: Settings) -> None:
    path = writable_path("runs/2024/out.csv", settings, overwrite=False)
    assert path == (settings.home / "exports" / "runs" / "2024" / "out.csv").resolve()
    assert path.parent.is_dir()


def test_a_relative_output_path_cannot_leave_exports(settings: Settings) -> None:
    with pytest.raises(InvalidInput, match="out of the exports folder"):
        writable_path("../metadata.sqlite", settings, overwrite=True)


def test_an_existing_output_is_refused_without_overwrite_and_kept(settings: Settings) -> None:
    existing = write(settings.home / "exports" / "predictions.csv", "old\n")
    with pytest.raises(InvalidInput, match="exists already") as error:
        writable_path("predictions.csv", settings, overwrite=False)
    assert "Overwrite" in error.value.hint
    assert existing.read_text() == "old\n"
    assert writable_path("predictions.csv", settings, overwrite=True) == existing.resolve()


def test_an_absolute_output_under_a_root_is_allowed_elsewhere_refused(root: Path, settings: Settings, tmp_path: Path) -> None:
    assert writable_path(root / "data" / "out.csv", settings, overwrite=False) == (root / "data" / "out.csv").resolve()
    with pytest.raises(InvalidInput, match="outside the folders"):
        writable_path(tmp_path / "elsewhere" / "out.csv", settings, overwrite=True)
    with pytest.raises(InvalidInput, match=r"\.ssh"):
        writable_path(root / ".ssh" / "authorized_keys", settings, overwrite=True)


def test_an_output_symlink_pointing_outside_is_refused(root: Path, settings: Settings, tmp_path: Path) -> None:
    target = write(tmp_path / "elsewhere" / "victim.txt", "keep\n")
    (root / "data" / "out.csv").symlink_to(target)
    with pytest.raises(InvalidInput, match="outside the folders"):
        writable_path(root / "data" / "out.csv", settings, overwrite=True)
    assert target.read_text() == "keep\n"


def test_a_folder_is_never_an_output(root: Path, settings: Settings) -> None:
    with pytest.raises(InvalidInput, match="is a folder"):
        writable_path(root / "data", settings, overwrite=True)


def test_a_file_that_appears_while_an_output_is_written_is_kept(settings: Settings) -> None:
    output = writable_path("late.csv", settings, overwrite=False)
    partial = write(output.with_name("late.csv.partial"), "new\n")
    output.write_text("someone else's\n")
    with pytest.raises(InvalidInput, match="appeared"):
        publish_file(partial, output, overwrite=False)
    assert output.read_text() == "someone else's\n" and not partial.exists()


# -- the services that take typed paths -------------------------------------------------------------

PEOPLE = "sex,hired,score\n" + "".join(f"{'F' if i % 3 else 'M'},{i % 2},{i}\n" for i in range(40))


@pytest.fixture
def confined(root: Path, tmp_path: Path) -> Iterator[Services]:
    """Local services whose only import root is ``root`` (which holds a hidden .aws folder)."""
    built = build_services(Settings(home=tmp_path / "workspace", seed_on_start=False, import_roots=(root,)))
    yield built
    close_services(built)


def test_catalog_import_of_a_credentials_cache_is_refused_and_creates_nothing(root: Path, confined: Services) -> None:
    cache = write(root / ".aws" / "cli" / "cache" / "session.json", '{"AccessKeyId": "AKIA", "SecretAccessKey": "s"}\n')
    with pytest.raises(InvalidInput, match=r"\.aws"):
        confined.catalog.import_path(cache, "stolen", "keys")
    with pytest.raises(InvalidInput, match=r"\.aws"):
        confined.catalog.import_path(root / ".aws" / "cli", "stolen", "keys")
    assert [d.name for d in confined.catalog.list_databases()] == []
    assert not (confined.settings.home / "lake" / "workbench-lake" / "stolen").exists()


def test_catalog_import_outside_the_roots_is_refused_and_an_upload_staged_in_the_workspace_is_not(
        confined: Services, tmp_path: Path) -> None:
    from services.catalog.uploads import stage_upload, upload_staging_root

    with pytest.raises(InvalidInput, match="outside the folders"):
        confined.catalog.import_path(write(tmp_path / "elsewhere" / "a.csv", "a\n1\n"), "d", "t")
    staged = stage_upload(upload_staging_root(confined.settings), "sales.csv", io.BytesIO(b"a\n1\n"))
    assert confined.catalog.import_path(staged, "d", "t").parameters["recordCount"] == "1"


def test_bias_on_a_hidden_data_file_is_refused(root: Path, confined: Services) -> None:
    hidden = write(root / ".aws" / "people.csv", PEOPLE)
    visible = write(root / "data" / "people.csv", PEOPLE)
    request = BiasRequest(source=DataSource(path=str(hidden)), label="hired", label_values=("1",), facet="sex",
                          facet_values=("F",), methods=("CI",), bootstrap=0)
    with pytest.raises(InvalidInput, match=r"\.aws"):
        confined.bias.column_kinds(request)
    with pytest.raises(InvalidInput, match=r"\.aws"):
        confined.bias.analyze(request)
    visible_request = BiasRequest(**{**request.__dict__, "source": DataSource(path=str(visible))})
    assert confined.bias.analyze(visible_request).rows == 40


def test_explain_and_training_file_sources_in_hidden_folders_are_refused(root: Path, confined: Services) -> None:
    hidden = write(root / ".git" / "people.csv", PEOPLE)
    with pytest.raises(InvalidInput, match=r"\.git"):
        confined.explain.quick_model(DataSource(path=str(hidden)), "hired")
    with pytest.raises(InvalidInput, match=r"\.git"):
        resolve_source(confined.catalog, confined.settings, DataSource(path=str(hidden)))  # SHAP, training and batch-transform jobs


def test_the_cli_refuses_the_same_paths_with_exit_code_2(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from services.cli import main

    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "workspace"))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    monkeypatch.setenv("WORKBENCH_IMPORT_ROOTS", str(root))
    hidden = write(root / ".aws" / "people.csv", PEOPLE)
    assert main(["catalog", "import", str(hidden), "--database", "stolen", "--table", "keys"]) == 2
    assert ".aws" in capsys.readouterr().err
    out = tmp_path / "analysis.json"
    assert main(["bias", "--data", str(hidden), "--label", "hired", "--label-values", "1", "--facet", "sex",
                 "--facet-values", "F", "--bootstrap", "0", "--out", str(out)]) == 2
    assert ".aws" in capsys.readouterr().err and not out.exists()
