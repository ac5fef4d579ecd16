"""Autopilot's notebooks for download: run once top to bottom with a real kernel (outputs kept, a failing cell's
error kept too), zipped with the data/ folder they read, built once, refused when too big for a browser."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from services.errors import InvalidInput
from services.training.autopilot import notebooks
from services.training.autopilot.notebooks import bundle_bytes, notebook_bundle


def job_folder(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    job = tmp_path / "autopilot-1"
    (job / "data").mkdir(parents=True)
    pd.DataFrame({"rating": [1, 2, 3], "text": ["a", "b", "c"]}).to_parquet(job / "data" / "train.parquet")
    reads = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('import pandas as pd\nprint(len(pd.read_parquet("data/train.parquet")), "rows")'),
        nbformat.v4.new_code_cell("1 / 0"),
        nbformat.v4.new_code_cell('import os\nprint("credentials:", "AWS_SECRET_ACCESS_KEY" in os.environ)')])
    nbformat.write(reads, str(job / "data-exploration.ipynb"))
    return job, {"data_exploration": str(job / "data-exploration.ipynb")}


def test_notebooks_run_once_and_ship_with_their_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-for-notebooks")
    job, paths = job_folder(tmp_path)
    bundle = notebook_bundle(job, paths)
    archive = zipfile.ZipFile(io.BytesIO(bundle_bytes(bundle)))
    assert sorted(archive.namelist()) == ["autopilot-1/data-exploration.ipynb", "autopilot-1/data/train.parquet"]
    cells = json.loads(archive.read("autopilot-1/data-exploration.ipynb"))["cells"]
    outputs = [["".join(o.get("text", "")) or o.get("ename", "") for o in cell["outputs"]] for cell in cells]
    assert outputs == [["3 rows\n"], ["ZeroDivisionError"], ["credentials: False\n"]]
    written = bundle.stat().st_mtime_ns
    assert notebook_bundle(job, paths) == bundle and bundle.stat().st_mtime_ns == written  # built once
    monkeypatch.setattr(notebooks, "MAX_BUNDLE_BYTES", 10)
    with pytest.raises(InvalidInput, match="more than a download takes") as refused:
        bundle_bytes(bundle)
    assert str(bundle) in refused.value.hint


def test_what_a_notebook_leaves_in_its_temporary_folder_goes_when_the_run_ends(tmp_path: Path) -> None:
    """The candidate notebook fits AutoGluon into ``tempfile.mkdtemp()``; a bundle built per job must not leave it."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        'import tempfile, pathlib\nfolder = pathlib.Path(tempfile.mkdtemp(prefix="autopilot-candidate-"))\n'
        '(folder / "model.pkl").write_bytes(b"weights")\nprint(folder)')])
    nbformat.write(notebook, str(tmp_path / "candidate.ipynb"))
    executed = notebooks.execute_notebook(tmp_path / "candidate.ipynb", tmp_path / "executed")
    printed = nbformat.read(str(executed), as_version=4).cells[0].outputs[0]["text"].strip()
    assert printed.startswith("/") and "autopilot-candidate-" in printed
    assert not Path(printed).exists()
