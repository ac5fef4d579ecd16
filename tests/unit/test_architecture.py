"""The layering rules of DESIGN.md, checked on the files' import lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UI_ONLY = ("streamlit",)
ADAPTER_ONLY = ("boto3", "botocore", "awswrangler", "sagemaker", "duckdb", "mlflow")


def imported_modules(path: Path) -> set[str]:
    """Top-level package names imported anywhere in the file (including inside functions)."""
    found = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\s*(?:from\s+([\w.]+)\s+import|import\s+([\w., ]+))", line)
        if not match:
            continue
        if match.group(1):
            found.add(match.group(1).split(".")[0])
        else:
            found.update(name.strip().split(" ")[0].split(".")[0] for name in match.group(2).split(","))
    return found


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py")) if (ROOT / folder).is_dir() else []


def test_the_import_scanner_sees_plain_aliased_and_nested_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os, json as j\nfrom pathlib import Path\ndef f():\n    import streamlit as st\n")
    assert imported_modules(sample) == {"os", "json", "pathlib", "streamlit"}


def test_services_exist_to_be_checked() -> None:
    assert len(python_files("services")) > 5


@pytest.mark.parametrize("path", python_files("services"), ids=lambda p: str(p.relative_to(ROOT)))
def test_services_do_not_import_streamlit(path: Path) -> None:
    assert not imported_modules(path) & set(UI_ONLY)


def test_only_app_pages_and_components_import_streamlit() -> None:
    allowed = {ROOT / "app.py", *python_files("pages"), *python_files("components")}
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if not {".venv", "tests", "workspace", "node_modules"} & set(path.relative_to(ROOT).parts)
        and path not in allowed
        and "streamlit" in imported_modules(path)
    ]
    assert offenders == []


@pytest.mark.parametrize("path", python_files("pages") + python_files("components") + [ROOT / "app.py"],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_ui_does_not_import_engines_or_cloud_sdks(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path.name} does not exist yet")
    assert sorted(imported_modules(path) & set(ADAPTER_ONLY)) == []


def test_local_backend_does_not_load_aws_sdks_on_import() -> None:
    """boto3/awswrangler are imported only inside the aws branch, so local mode starts fast."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from services.config import Settings\n"
        "from services.registry import build_services\n"
        "import tempfile, pathlib\n"
        "build_services(Settings(home=pathlib.Path(tempfile.mkdtemp()), seed_on_start=False))\n"
        "print(sorted(m for m in ('boto3', 'awswrangler', 'sagemaker') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
