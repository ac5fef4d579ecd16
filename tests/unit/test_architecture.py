"""The layering rules of DESIGN.md and issue 10, checked on the files' import statements.

- Only app.py, pages/ and components/ import streamlit; the UI never imports engines or cloud SDKs.
- Pages and components reach services only through ports, models and errors (and the registry and
  settings where the app builds its services).
- Adapters receive explicit dependencies: no module under services/ except the composition root and
  the CLI imports ``Services`` or ``build_services``.
- Capability packages do not import each other in a cycle, and nobody imports another package's
  private (``_name``) names.
- Every port has an inheritable contract class in tests/contract, run on the local and the aws adapter.
- Test modules share code through tests/helpers, never by importing each other.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UI_ONLY = ("streamlit",)
ADAPTER_ONLY = ("boto3", "botocore", "awswrangler", "sagemaker", "duckdb", "mlflow")
CAPABILITIES = ("catalog", "query", "storage", "training", "runs", "bias", "explain", "endpoints", "jobs", "lineage", "pipelines",
                "quality", "features", "processing", "debugger", "labels", "monitoring")
# What pages and components may import from services: the shared models and errors, every capability's
# port (base.py) and models (models.py); the registry and settings only where the app builds its services;
# the app's own login check (one implementation, no backend).
UI_SHARED = {"services.models", "services.errors", "services.config", "services.auth",
             "services.label_map"}  # one name per class of a model (pure), for every page that shows classes
# Views composed over several ports, with no port of their own (services/<name>/models.py is pure): pages may import
# that models module as they import a capability's.
COMPOSED_VIEWS = ("dashboard", "overview", "export", "demo",
                  "tour", "codegen")  # the Tour's steps over several ports; the AWS code of a form's values (pure)
UI_SERVICES_BUILDER = ROOT / "components" / "services.py"
# The composition root and the command line build the whole Services; nothing else in services/ may.
MAY_BUILD_SERVICES = ("services/registry.py", "services/cli.py", "services/__main__.py")


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


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, name: str | None = None) -> Iterator[tuple[str, list[str], int]]:
    """(module, imported names, line) for every import statement, nested ones included; relative
    imports resolved against ``name`` (the file's module name). ``import a.b`` gives ("a.b", [], line)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = (name or module_name(path)).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            yield module, [alias.name for alias in node.names], node.lineno


def python_files(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts) if (ROOT / folder).is_dir() else []


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def capability_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "services" and parts[1] in CAPABILITIES else None


def test_the_import_scanner_sees_plain_aliased_and_nested_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os, json as j\nfrom pathlib import Path\ndef f():\n    import streamlit as st\n")
    assert imported_modules(sample) == {"os", "json", "pathlib", "streamlit"}


SAMPLE = "from .base import (\n    QueryPort,\n)\nfrom ..models import Job\ndef f():\n    from services.bias.aws import _x\n"


def test_the_statement_scanner_resolves_relative_multi_line_and_nested_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(SAMPLE)
    assert list(imports(sample, "services.query.sample")) == [
        ("services.query.base", ["QueryPort"], 1), ("services.models", ["Job"], 4), ("services.bias.aws", ["_x"], 6)]


def test_private_names_count_only_across_packages(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(SAMPLE + "from services.query._engine import run\nfrom services.query.local import _inside\n")
    assert private_imports(sample, "services.query.sample") == ["line 6: services.bias.aws._x"]
    assert private_imports(sample, "services.bias.sample") == ["line 7: services.query._engine",
                                                               "line 8: services.query.local._inside"]


def test_services_exist_to_be_checked() -> None:
    assert len(python_files("services")) > 5


@pytest.mark.parametrize("path", python_files("services"), ids=relative)
def test_services_do_not_import_streamlit(path: Path) -> None:
    assert not imported_modules(path) & set(UI_ONLY)


def test_only_app_pages_and_components_import_streamlit() -> None:
    allowed = {ROOT / "app.py", *python_files("pages"), *python_files("components")}
    offenders = [
        relative(path)
        for path in ROOT.rglob("*.py")
        if not {".venv", "tests", "workspace", "node_modules"} & set(path.relative_to(ROOT).parts)
        and path not in allowed
        and "streamlit" in imported_modules(path)
    ]
    assert offenders == []


UI_FILES = python_files("pages") + python_files("components") + [ROOT / "app.py"]


@pytest.mark.parametrize("path", UI_FILES, ids=relative)
def test_ui_does_not_import_engines_or_cloud_sdks(path: Path) -> None:
    assert sorted(imported_modules(path) & set(ADAPTER_ONLY)) == []


def ui_may_import(path: Path, module: str) -> bool:
    if not module.startswith("services"):
        return True
    if module in UI_SHARED:
        return True
    if module == "services.registry":
        return path == UI_SERVICES_BUILDER
    parts = module.split(".")
    return len(parts) == 3 and parts[1] in (*CAPABILITIES, *COMPOSED_VIEWS) and parts[2] in ("base", "models")


@pytest.mark.parametrize("path", UI_FILES, ids=relative)
def test_ui_imports_only_ports_models_and_errors(path: Path) -> None:
    """Pages stay thin: a decision the UI needs is a port method, not a call into an adapter or engine."""
    offenders = [f"line {line}: {module}" for module, _, line in imports(path) if not ui_may_import(path, module)]
    assert offenders == [], "move the logic behind a port (services/<capability>/base.py) or into a models module"


@pytest.mark.parametrize("path", python_files("services"), ids=relative)
def test_only_the_composition_root_and_the_cli_build_services(path: Path) -> None:
    """Adapters get the ports they use and the EmbeddedStack, never the whole Services object."""
    name = relative(path)
    if name in MAY_BUILD_SERVICES or re.fullmatch(r"cli_\w+\.py", path.name):
        return
    offenders = [f"line {line}: {module} {names}" for module, names, line in imports(path)
                 if module == "services.registry" and ({"Services", "build_services"} & set(names) or not names)]
    assert offenders == [], "pass explicit dependencies (ports, EmbeddedStack); job workers use services.stack.open_local"


def capability_graph() -> dict[str, set[str]]:
    """capability -> the other capabilities its modules import (nested imports count: they are dependencies too)."""
    graph: dict[str, set[str]] = {name: set() for name in CAPABILITIES}
    for capability in CAPABILITIES:
        for path in python_files(f"services/{capability}"):
            for module, _, _ in imports(path):
                target = capability_of(module)
                if target and target != capability:
                    graph[capability].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one node (Tarjan), sorted, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_the_cycle_finder_finds_a_cycle_and_nothing_else() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_capability_packages_do_not_import_each_other_in_a_cycle() -> None:
    graph = capability_graph()
    found = cycles(graph)
    edges = {" & ".join(group): {node: sorted(graph[node] & set(group)) for node in group} for group in found}
    assert found == [], f"move what both sides need into a shared module (services/aws/, services/models.py): {edges}"


def private_imports(path: Path, name: str | None = None) -> list[str]:
    """Private names (or modules) this file imports from a package other than its own top-level one."""
    own = (name or module_name(path)).split(".")[:2]
    found = []
    for module, names, line in imports(path, name):
        if not module.startswith(("services", "components", "pages")):
            continue
        if module.split(".")[:2] == own:
            continue
        private = [f"{module}.{name}" for name in names if is_private(name)]
        if any(is_private(part) for part in module.split(".")):
            private.append(module)
        found += [f"line {line}: {name}" for name in private]
    return found


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


@pytest.mark.parametrize("path", python_files("services") + UI_FILES, ids=relative)
def test_no_private_names_are_imported_across_packages(path: Path) -> None:
    assert private_imports(path) == [], "make the name public where it is defined, or move it to a shared module"


def port_classes() -> list[tuple[str, str]]:
    """(capability, PortClass) for every ``class XPort(Protocol)`` in services/<capability>/base.py."""
    found = []
    for capability in CAPABILITIES:
        base = ROOT / "services" / capability / "base.py"
        if not base.exists():
            continue
        for node in ast.parse(base.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and node.name.endswith("Port"):
                found.append((capability, node.name))
    return found


def test_every_capability_has_a_port() -> None:
    assert [capability for capability, _ in port_classes()] == list(CAPABILITIES)


@pytest.mark.parametrize("capability, port", port_classes(), ids=[port for _, port in port_classes()])
def test_every_port_has_a_contract_class_run_on_both_adapters(capability: str, port: str) -> None:
    """tests/contract/test_<capability>.py: class <Name>Contract, and a TestLocal… and a TestAws… subclass."""
    contract = port.removesuffix("Port") + "Contract"
    path = ROOT / "tests" / "contract" / f"test_{capability}.py"
    assert path.exists(), f"{relative(path)} is missing"
    classes = [node for node in ast.parse(path.read_text(encoding="utf-8")).body if isinstance(node, ast.ClassDef)]
    assert contract in [c.name for c in classes], f"{relative(path)} has no class {contract}"
    runs = [c.name for c in classes if any(isinstance(b, ast.Name) and b.id == contract for b in c.bases)]
    assert [name for name in runs if name.startswith("TestLocal")], f"no TestLocal… subclass of {contract}"
    assert [name for name in runs if name.startswith("TestAws")], f"no TestAws… subclass of {contract}"


KEYS_MODULE = ROOT / "components" / "keys.py"


def key_constants() -> set[str]:
    tree = ast.parse(KEYS_MODULE.read_text(encoding="utf-8"))
    return {target.id for node in tree.body if isinstance(node, ast.Assign) for target in node.targets
            if isinstance(target, ast.Name)}


def session_state_keys(tree: ast.AST) -> Iterator[ast.expr]:
    """Every expression used as a session-state key: ``session_state[k]``, ``.get/.pop/.setdefault(k)``, ``k in session_state``."""
    def is_state(node: ast.expr) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "session_state"

    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and is_state(node.value):
            yield node.slice
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and is_state(node.func.value)
              and node.func.attr in ("get", "pop", "setdefault") and node.args):
            yield node.args[0]
        elif isinstance(node, ast.Compare) and any(is_state(c) for c in node.comparators):
            yield node.left


def loose_keys(path: Path, known: set[str]) -> list[str]:
    """Session-state keys in ``path`` that are not constants of components/keys.py. A variable or parameter
    holding a key is fine (it came from keys.py or from a caller); components may derive widget keys from
    their ``key`` parameter (f-strings): the caller names the widget."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for key in session_state_keys(tree):
        if isinstance(key, ast.Attribute) and isinstance(key.value, ast.Name) and key.value.id == "keys":
            if key.attr not in known:
                found.append(f"line {key.lineno}: keys.{key.attr} is not in components/keys.py")
            continue
        if isinstance(key, ast.Name) and not key.id.isupper():
            continue
        if path.parent.name == "components" and isinstance(key, ast.JoinedStr):
            continue
        found.append(f"line {key.lineno}: {ast.unparse(key)}")
    return found


def test_loose_keys_are_found(tmp_path: Path) -> None:
    page = tmp_path / "pages" / "sample.py"
    page.parent.mkdir()
    page.write_text('RESULT = "score.result"\nst.session_state[RESULT] = 1\nst.session_state.get("a.b")\n'
                    'x = keys.QUERY_SQL in st.session_state\nst.session_state.pop(keys.NOPE, None)\n')
    assert loose_keys(page, {"QUERY_SQL"}) == ["line 2: RESULT", "line 3: 'a.b'", "line 5: keys.NOPE is not in components/keys.py"]


@pytest.mark.parametrize("path", [p for p in UI_FILES if p not in (KEYS_MODULE, ROOT / "components" / "state.py")], ids=relative)
def test_session_state_keys_are_constants_of_components_keys(path: Path) -> None:
    """Every session-state key is named once, in components/keys.py, so two pages cannot collide by accident."""
    assert loose_keys(path, key_constants()) == [], "add the key to components/keys.py and use keys.NAME"


TEST_MODULES = [p for p in python_files("tests") if "helpers" not in p.relative_to(ROOT / "tests").parts]


@pytest.mark.parametrize("path", TEST_MODULES, ids=relative)
def test_test_modules_share_code_through_helpers_only(path: Path) -> None:
    """A test module imported by another runs its fixtures and tests twice over; conftest is pytest's, not a module."""
    offenders = [f"line {line}: {module}" for module, names, line in imports(path)
                 if module.startswith("tests") and not module.startswith("tests.helpers")
                 and not (module == "tests" and set(names) <= {"helpers"})]
    assert offenders == [], "move what is shared into tests/helpers/"


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
