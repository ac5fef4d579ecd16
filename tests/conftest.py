"""Shared fixtures: local services on an empty workspace, and on a copy of one seeded workspace.

Seeding takes a couple of seconds, so it happens once per session (``seeded_home``); each test
that needs the demo tables gets its own copy (``seeded_services``) and may change it freely.

Typed paths must lie under the import roots (``services/paths.py``). Test data lives under pytest's
temporary folder, which is neither the home nor the current directory, so ``import_roots_for_tests``
makes that folder the one import root: ``WORKBENCH_IMPORT_ROOTS`` for settings read from the
environment (CLI, pages, job workers); ``settings_for_tests`` (tests/helpers/workspace.py) gives settings built in a test the
same roots. Nothing in the suite reads ``../shared/data`` through a typed path; the benchmarks
that do list that folder as a root of their own.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from services.registry import Services, build_services  # noqa: E402
from tests.helpers.aws import create_lake_bucket, fake_aws_credentials  # noqa: E402
from tests.helpers.workspace import close_services, copy_empty_mlflow_store, copy_workspace, settings_for_tests  # noqa: E402

if TYPE_CHECKING:
    from xdist.remote import Producer
    from xdist.scheduler import LoadScopeScheduling


@pytest.fixture(scope="session", autouse=True)
def streamlit_components_scanned_once() -> None:
    """Every new AppTest scans the metadata of every installed package for Streamlit components (about 0.8 s each on
    this machine, a few minutes over the page tests); the installed packages do not change during a session, so
    the first scan's result serves every AppTest."""
    from streamlit.components.v2 import manifest_scanner

    manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)


@pytest.fixture(scope="session", autouse=True)
def botocore_models_read_once() -> None:
    """Every botocore session of the test process reads the service models through the workbench's shared loader
    (``service_model_loader``), as the sessions ``make_session`` builds do. moto sets boto3's default session aside
    for each test, so the sessions of ``boto3.client(...)`` in tests, and awswrangler's, read SageMaker's model and
    the endpoint rules from disk again otherwise: about 20 ms per file, half the time of an aws test module. (This
    replaces the shared default session ``create_lake_bucket`` used to set up, which only its tests got.)"""
    import botocore.loaders
    import botocore.session

    from services.aws.session import service_model_loader

    def create_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
        return botocore.loaders.create_loader(search_path_string) if search_path_string else service_model_loader()

    botocore.session.create_loader = create_loader  # type: ignore[assignment]


@pytest.fixture(scope="session", autouse=True)
def import_roots_for_tests(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test's tmp_path may be read from and written to, as if listed in WORKBENCH_IMPORT_ROOTS."""
    base = tmp_path_factory.getbasetemp().resolve()
    before = os.environ.get("WORKBENCH_IMPORT_ROOTS")
    os.environ["WORKBENCH_IMPORT_ROOTS"] = str(base)
    yield base
    if before is None:
        os.environ.pop("WORKBENCH_IMPORT_ROOTS", None)
    else:
        os.environ["WORKBENCH_IMPORT_ROOTS"] = before


@pytest.fixture(scope="session", autouse=True)
def demo_data_only() -> Iterator[None]:
    """``WORKBENCH_DEMO=data`` for the whole session: an app, CLI or server a test starts seeds the demo tables but
    never builds the full demo's models and endpoint in the background. A test that wants them sets ``full``."""
    before = os.environ.get("WORKBENCH_DEMO")
    os.environ["WORKBENCH_DEMO"] = "data"
    yield
    if before is None:
        os.environ.pop("WORKBENCH_DEMO", None)
    else:
        os.environ["WORKBENCH_DEMO"] = before


@pytest.fixture(scope="session")
def seeded_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One workspace seeded with the demo tables, built once per session. Do not modify it.

    It also holds an empty MLflow store, as the app's first run would leave it: creating one runs MLflow's
    schema migrations (seconds), which every copy that trains or logs a run would otherwise repeat."""
    home = tmp_path_factory.mktemp("seeded") / "workspace"
    services = build_services(settings_for_tests(home=home, seed_on_start=True))
    close_services(services)
    copy_empty_mlflow_store(tmp_path_factory, home)
    return home


@pytest.fixture
def seeded_services(seeded_home: Path, tmp_path: Path) -> Services:
    """Local services on a private copy of the seeded workspace."""
    home = tmp_path / "seeded-copy"
    copy_workspace(seeded_home, home)
    return build_services(settings_for_tests(home=home, seed_on_start=False))


@pytest.fixture
def services(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Services:
    """Local services on an empty workspace (no demo data; an empty MLflow store, see ``seeded_home``)."""
    copy_empty_mlflow_store(tmp_path_factory, tmp_path / "workspace")
    return build_services(settings_for_tests(home=tmp_path / "workspace", seed_on_start=False))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A folder outside the workspace for files to import."""
    folder = tmp_path / "incoming"
    folder.mkdir()
    return folder


@pytest.fixture
def mocked_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """moto for every AWS call, fake credentials, and the settings' bucket already created."""
    from moto import mock_aws

    fake_aws_credentials(monkeypatch, tmp_path)
    with mock_aws():
        create_lake_bucket()
        yield


# -- markers for `make test-fast` and for pytest-xdist (`make test` runs two workers) -------------------------

# Modules that train real models, start server processes or run job workers: `make test-fast` leaves them out.
SLOW_MODULES = {
    "unit/test_autopilot.py", "unit/test_batch_scoring.py", "unit/test_cli_endpoints.py", "unit/test_cli_explain.py",
    "unit/test_cli_train.py", "unit/test_endpoint_server.py", "unit/test_explain_tabular.py", "unit/test_explain_text.py",
    "unit/test_gateway.py", "unit/test_local_endpoints.py", "unit/test_monitoring.py", "unit/test_onnx_export.py",
    "unit/test_script_mode.py", "unit/test_text_minilm.py", "unit/test_training_jobs.py", "unit/test_tuning.py",
    "unit/test_lineage_recording.py", "pages/test_features_page.py",
    "pages/test_endpoints_page.py", "pages/test_score_page.py", "unit/test_model_dashboard.py",
    "unit/test_processing.py", "unit/test_processing_cli.py", "pages/test_processing_jobs_page.py",
    "pages/test_monitoring_page.py", "contract/test_monitoring.py", "contract/test_labels.py", "pages/test_label_page.py",
    "unit/test_monitoring_local.py", "unit/test_debugger_jobs.py",
    "e2e/test_tour_journey.py", "pages/test_tour_page.py",
}
# Modules whose endpoints use the default gateway port (8765): they must not run at the same time.
DEFAULT_GATEWAY_MODULES = {"pages/test_endpoints_page.py", "pages/test_score_page.py", "e2e/test_journey.py"}
# The longest work units (seconds on one worker, largest first): handed out before the others so that none of them
# starts last while the other worker sits idle. Units not listed follow in collection order.
HEAVIEST_FIRST = (
    "default-gateway", "unit/test_autopilot.py", "unit/test_pipeline_template_autopilot.py",
    "e2e/test_features_journey.py", "contract/test_labels.py", "unit/test_aws_monitoring.py", "contract/test_monitoring.py",
    "e2e/test_label_journey.py", "e2e/test_tour_journey.py", "unit/test_explain_tabular.py",
    "unit/test_explain_text.py", "pages/test_label_page.py",
    "pages/test_monitoring_page.py", "unit/test_debugger_jobs.py", "unit/test_monitoring_local.py",
    "unit/test_deployment_local.py", "unit/test_onnx_export.py", "unit/test_local_endpoints.py",
    "pages/test_explain_page.py", "unit/test_script_mode.py", "unit/test_batch_scoring.py",
    "unit/test_pipeline_engine.py", "unit/test_deployment_follow.py", "unit/test_endpoint_server.py", "unit/test_demo_full.py",
    "contract/test_endpoints.py", "unit/test_cli_explain.py", "pages/test_jobs_page.py", "unit/test_monitoring.py",
    "unit/test_text_minilm.py", "unit/test_pipeline_template_run.py", "unit/test_pipeline_steps_builtin.py",
    "unit/test_tuning.py",
)


def group_of(module: str) -> str:
    """The xdist work unit of a test module (its path under tests/)."""
    return "default-gateway" if module in DEFAULT_GATEWAY_MODULES else module


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> LoadScopeScheduling | None:
    """With ``--dist loadgroup`` (``make test``): one work unit per module (``group_of``), see tests/helpers/scheduling.py."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from tests.helpers.scheduling import ModuleGroupScheduling

    config.option.loadscopereorder = False  # keep the order pytest_collection_modifyitems gives
    return ModuleGroupScheduling(config, log, group_of)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark slow modules; on an xdist worker, put the HEAVIEST_FIRST units' tests first (every worker collects
    the same order, which is the order the scheduler hands the units out in)."""
    tests = Path(__file__).resolve().parent
    for item in items:
        if item.path.resolve().relative_to(tests).as_posix() in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
    if hasattr(config, "workerinput"):
        from tests.helpers.scheduling import module_of

        rank = {group: place for place, group in enumerate(HEAVIEST_FIRST)}
        items.sort(key=lambda item: rank.get(group_of(module_of(item.nodeid)), len(rank)))
