"""Fragment-only reruns in page tests: what Streamlit runs every ``run_every`` seconds without rerunning the page.

AppTest always runs the whole page; ``rerun_fragments`` asks its script runner to run only the fragments the last
run registered (as the browser's auto-rerun does), so a test sees exactly what a live refresh redraws.
"""

from __future__ import annotations

from functools import partial
from unittest import mock

import streamlit.testing.v1.local_script_runner as local_script_runner
from streamlit.testing.v1 import AppTest


def rerun_fragments(app: AppTest) -> AppTest:
    """Run only the fragments of the page's last run; afterwards the element tree holds only what they drew."""
    fragment_ids = list(app._fragment_storage._fragments)  # AppTest has no public way to rerun a fragment
    assert fragment_ids, "the page registered no fragment"
    rerun = partial(local_script_runner.RerunData, fragment_id_queue=fragment_ids, is_auto_rerun=True)
    with mock.patch.object(local_script_runner, "RerunData", rerun):
        return app.run()
