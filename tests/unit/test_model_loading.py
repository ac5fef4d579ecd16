"""Model files never choose the code that runs, and a script's model never loads in the app process (issue 9, finding 7).

Scoring a script's model through a job is proven in test_script_mode.py (the transform job after the happy script).
"""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from services.embedded.model_registry import ModelRegistry
from services.errors import InvalidInput
from services.models import Column, ModelRecord
from services.registry import Services
from services.training import script_mode
from services.training.algorithms.base import PREDICTOR_FILE, load_in_app_process, load_predictor, loader_name
from services.training.algorithms.common import SklearnPredictor

CALLS: list[str] = []


def test_loader(folder: Path) -> None:
    """A function a hostile predictor.json might name: it must never be called."""
    CALLS.append(str(folder))


test_loader.__test__ = False  # type: ignore[attr-defined]  # not a test of its own


def manifest_folder(folder: Path, manifest: dict[str, object]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PREDICTOR_FILE).write_text(json.dumps(manifest))
    return folder


@pytest.mark.parametrize("loader", ["os:system", f"{__name__}:test_loader", "builtins:eval", "", None, 3])
def test_a_predictor_json_naming_any_other_code_is_refused_and_nothing_runs(tmp_path: Path, loader: object) -> None:
    folder = manifest_folder(tmp_path / "touch pwned", {"loader": loader})
    for allow in (False, True):
        with pytest.raises(InvalidInput, match="not one this workbench knows"):
            load_predictor(folder, allow_user_code=allow)
    assert CALLS == [] and not (tmp_path / "pwned").exists()


def test_a_folder_without_a_readable_manifest_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="predictor.json is missing"):
        load_predictor(tmp_path)
    (tmp_path / PREDICTOR_FILE).write_text("[1, 2]")
    with pytest.raises(InvalidInput, match="not a JSON object"):
        load_predictor(tmp_path)


def sklearn_model(folder: Path) -> Path:
    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0] * 5, "label": ["a", "a", "b", "b"] * 5})
    pipeline = LogisticRegression().fit(frame[["x"]], frame["label"].map({"a": 0, "b": 1}))
    SklearnPredictor(pipeline, "BinaryClassification", ["a", "b"], {"x": "number"}, "sklearn").save(folder)
    return folder


def test_new_manifests_name_the_loader_and_older_ones_naming_our_function_still_load(tmp_path: Path) -> None:
    folder = sklearn_model(tmp_path / "model")
    assert json.loads((folder / PREDICTOR_FILE).read_text())["loader"] == "sklearn"
    manifest = json.loads((folder / PREDICTOR_FILE).read_text())
    manifest["loader"] = "services.training.algorithms.common:load_sklearn_predictor"  # as written before names
    (folder / PREDICTOR_FILE).write_text(json.dumps(manifest))
    assert loader_name(manifest) == "sklearn"
    scored = load_predictor(folder).predict_frame(pd.DataFrame({"x": [0.0, 3.0]}))
    assert scored["predicted_label"].tolist() == ["a", "b"]


def script_model(folder: Path) -> Path:
    """What a script's job registers: its model.joblib and our predictor.json marking it as a script's."""
    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0] * 5, "label": ["a", "a", "b", "b"] * 5})
    folder.mkdir()
    joblib.dump(LogisticRegression().fit(frame[["x"]], frame["label"]), folder / "model.joblib")
    found = script_mode.inspect_script_model(folder, lambda line: None)
    assert found.manifest is not None
    script_mode.write_manifest(folder, found.manifest)
    return folder


def test_a_scripts_model_loads_only_where_user_code_may_run(tmp_path: Path) -> None:
    folder = script_model(tmp_path / "script")
    with pytest.raises(InvalidInput, match="trained by a script") as refused:
        load_predictor(folder)
    assert "endpoint" in refused.value.hint
    scored = load_predictor(folder, allow_user_code=True).predict_frame(pd.DataFrame({"x": [0.0, 3.0]}))
    assert scored["predicted_label"].tolist() == ["a", "b"]


def test_a_scripts_own_predictor_json_may_name_only_our_loaders_and_stays_a_scripts(tmp_path: Path) -> None:
    lines: list[str] = []
    hostile = script_mode.inspect_script_model(manifest_folder(tmp_path / "hostile", {"loader": "os:system"}), lines.append)
    assert hostile.manifest == {"loader": "script-unscorable", "origin": "script"}
    assert "not one this workbench knows" in lines[0]
    # Naming a built-in loader does not make a script's files built-in: still only jobs and endpoints load them.
    disguised = sklearn_model(tmp_path / "disguised")
    found = script_mode.inspect_script_model(disguised, lines.append)
    assert found.manifest is not None and found.manifest["origin"] == "script"
    script_mode.write_manifest(disguised, found.manifest)
    with pytest.raises(InvalidInput, match="trained by a script"):
        load_predictor(disguised)
    assert load_predictor(disguised, allow_user_code=True).classes == ["a", "b"]


def register(services: Services, folder: Path, framework: str) -> ModelRecord:
    draft = ModelRecord(model_id="", name=f"{framework}-model", version=0, framework=framework,
                        problem_type="BinaryClassification", target="label", input_schema=(Column("x", "double"),),
                        classes=("a", "b"), metrics={}, run_id="", job_name="", artifact_path="")
    return ModelRegistry(services.catalog.store, services.settings.home / "models").register(draft, folder)  # type: ignore[attr-defined]


def test_the_apps_inline_paths_refuse_a_scripts_model(services: Services, tmp_path: Path) -> None:
    """Explaining a review on the page and a drift report's predictions run in the app process: no script models there."""
    from services.endpoints.monitoring import source_traffic
    from services.models import DataSource

    record = register(services, script_model(tmp_path / "script"), "script")
    with pytest.raises(InvalidInput, match="trained by a script"):
        load_in_app_process(record)
    with pytest.raises(InvalidInput, match="trained by a script"):
        services.explain.explain_text(record.model_id, "Lovely dress, fits well.")
    table = tmp_path / "traffic.csv"
    pd.DataFrame({"x": [0.0, 3.0]}).to_csv(table, index=False)
    with pytest.raises(InvalidInput, match="trained by a script"):
        source_traffic(services.catalog, services.settings, DataSource(path=str(table)), record)
    # A legacy script model whose own predictor.json named a built-in loader is caught by its framework.
    legacy = register(services, sklearn_model(tmp_path / "legacy"), "script")
    with pytest.raises(InvalidInput, match="trained by a script"):
        load_in_app_process(legacy)
    assert load_in_app_process(register(services, sklearn_model(tmp_path / "builtin"), "sklearn")).classes == ["a", "b"]
