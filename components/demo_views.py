"""The full demo's build as Home shows it (``WORKBENCH_DEMO=full``; see services/demo)."""

from __future__ import annotations

from typing import Protocol

import streamlit as st

from services.config import Settings
from services.demo.models import DONE, ENDPOINT, FAILED, INTERRUPTED, RUNNING, DemoStatus, demo_progress, wants_full_demo

REFRESH_SECONDS = 2.0
STOPPED_REFRESH_SECONDS = 10.0


class Services(Protocol):
    """What the progress needs of the app's services (``components.services.get_services()``): the settings."""

    @property
    def settings(self) -> Settings: ...


def render_demo_progress(services: Services) -> None:
    """Nothing when the full demo was never started here; while it builds, a progress bar with the step under way
    and the steps done (refreshed every few seconds); when done, "ready" with a link to Score; when a step failed or
    the build was interrupted, what happened in plain words and what to do."""
    status = demo_progress(services.settings)
    if status is None:
        if wants_full_demo(services.settings):
            _awaiting_start(services)
        return
    if status.state == DONE:
        render_demo_status(status)
    elif status.state in (FAILED, INTERRUPTED):
        _stopped(services)
    else:
        _live_progress(services)


@st.fragment(run_every=REFRESH_SECONDS)
def _live_progress(services: Services) -> None:
    status = demo_progress(services.settings)
    if status is None or status.state != RUNNING:
        st.rerun(scope="app")  # it ended: the whole page shows the outcome at its own pace
    else:
        render_demo_status(status)


@st.fragment(run_every=REFRESH_SECONDS)
def _awaiting_start(services: Services) -> None:
    """The app starts the build as it starts; a page drawn before the build's first status is written watches for
    it (without this, Home opened in the first second stayed blank until reloaded)."""
    if demo_progress(services.settings) is not None:
        st.rerun(scope="app")
    st.progress(0, text="Starting the demo's build…")


@st.fragment(run_every=STOPPED_REFRESH_SECONDS)
def _stopped(services: Services) -> None:
    """A failed or interrupted build, watched less often: the app's next start (or the CLI) builds again."""
    status = demo_progress(services.settings)
    if status is None or status.state not in (FAILED, INTERRUPTED):
        st.rerun(scope="app")
    else:
        render_demo_status(status)


def render_demo_status(status: DemoStatus) -> None:
    """One status of the build (see ``render_demo_progress``)."""
    if status.state == DONE:
        built = f"built in {status.elapsed_seconds:.0f} s" if status.built else "already built"
        st.success(f"**The demo is ready** ({built}): two review-sentiment runs to compare, the approved one live on "
                   f"endpoint `{ENDPOINT}`, and a bias report.", icon=":material/check_circle:")
        st.page_link("pages/score.py", label=f"Score a review on {ENDPOINT}", icon=":material/reviews:")
        return
    if status.state == FAILED:
        st.error(f"**The demo stopped at step {status.done + 1} of {status.total}, “{status.step}”.** {status.error}"
                 + (f"\n\n{status.hint}" if status.hint else ""), icon=":material/error:")
    elif status.state == INTERRUPTED:
        st.warning(f"**The demo's build was interrupted at step {status.done + 1} of {status.total}, “{status.step}”** "
                   "(the process building it ended). It carries on at the app's next start, or now with "
                   "`python -m services seed`.", icon=":material/pause_circle:")
    else:
        st.progress(status.fraction, text=f"Building the demo — step {status.done + 1} of {status.total}: "
                                          f"{status.step} ({status.elapsed_seconds:.0f} s so far)")
    _steps(status)


def _steps(status: DemoStatus) -> None:
    lines = []
    for index, step in enumerate(status.steps):
        if index < status.done:
            icon = ":material/check_circle:"
        elif index == status.done and status.state == FAILED:
            icon = ":material/error:"
        elif index == status.done:
            icon = ":material/pending:"
        else:
            icon = ":material/radio_button_unchecked:"
        lines.append(f"{icon} {step}")
    st.caption("  \n".join(lines))
