"""How `make test` spreads the suite over pytest-xdist workers: one work unit per test module (its module-scoped
trained models are built once, on one worker), the modules that share the default gateway port in one unit, and
the heaviest units handed out first so that no long module starts last.

pytest-xdist's own ``--dist loadgroup`` reads ``xdist_group`` marks from node ids that its worker rewrites; with
pytest 9.2 that rewrite no longer changes the node id, so every test became a unit of its own and both workers
built the same module fixtures. This scheduler derives the unit from the node id's module instead, which works
whatever the pytest version.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadScopeScheduling


def module_of(nodeid: str) -> str:
    """``tests/unit/test_x.py::test_y[1]`` -> ``unit/test_x.py`` (the path under tests/)."""
    return nodeid.split("::", 1)[0].split("@", 1)[0].removeprefix("tests/")


class ModuleGroupScheduling(LoadScopeScheduling):
    """LoadScopeScheduling whose work unit is ``group_of(module)``; units are handed out in collection order."""

    def __init__(self, config: pytest.Config, log: Producer, group_of: Callable[[str], str]) -> None:
        super().__init__(config, log)
        self.group_of = group_of

    def _split_scope(self, nodeid: str) -> str:
        return self.group_of(module_of(nodeid))
