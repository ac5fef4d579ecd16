"""Home shows the full demo's build (components/demo_views.py) from the status file a build writes: running (a
progress bar with the step under way), done (ready, with a link to Score) and failed (the step and the error in
plain words). The status files are written by the build's own status functions; no build runs here."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from services.demo import status as progress
from services.demo.full import ENDPOINT, STEPS, build_lock
from tests.helpers.pages import texts


def test_nothing_is_shown_when_the_full_demo_never_started(app: AppTest) -> None:
    app.run()
    assert not app.exception
    assert "Building the demo" not in texts(app.get("progress")) and "The demo is ready" not in texts(app.success)


def test_a_running_build_shows_its_step_and_the_steps_done(app: AppTest, workspace: Path) -> None:
    status = progress.step_finished(progress.started(STEPS), 0, 6.0, "model demo-review-sentiment/1", True)
    progress.write_status(workspace, progress.step_started(status, 1, 6.5))
    with build_lock(workspace, wait=False) as held:  # what a build in progress holds
        assert held
        app.run()
    assert not app.exception
    bar = app.get("progress")[0]
    assert bar.proto.value == 20  # 1 of 5 steps done
    assert f"step 2 of {len(STEPS)}: {STEPS[1]}" in bar.proto.text
    assert STEPS[0] in texts(app.caption) and STEPS[4] in texts(app.caption)


def test_a_finished_build_says_ready_and_links_to_score(app: AppTest, workspace: Path) -> None:
    status = progress.started(STEPS)
    for index in range(len(STEPS)):
        status = progress.step_finished(status, index, 10.0 + index, f"thing {index}", True)
    progress.write_status(workspace, progress.finished(status, 42.0))
    app.run()
    assert not app.exception
    assert "The demo is ready" in texts(app.success) and "built in 42 s" in texts(app.success)
    links = [(link.proto.page, link.proto.label) for link in app.get("page_link")]
    assert ("score", f"Score a review on {ENDPOINT}") in links


def test_a_failed_step_is_named_with_its_error_and_what_to_do(app: AppTest, workspace: Path) -> None:
    status = progress.step_started(progress.started(STEPS), 0, 0.0)
    progress.write_status(workspace, progress.failed(status, 12.0, "The demo's training job is Failed: out of memory",
                                                     "See the job's log on the Jobs & models page."))
    app.run()
    assert not app.exception
    error = texts(app.error)
    assert f"step 1 of {len(STEPS)}, “{STEPS[0]}”" in error
    assert "out of memory" in error and "Jobs & models" in error


def test_a_build_whose_process_ended_is_shown_as_interrupted(app: AppTest, workspace: Path) -> None:
    progress.write_status(workspace, progress.step_started(progress.started(STEPS), 2, 20.0))  # nobody holds the lock
    app.run()
    assert not app.exception
    assert "interrupted at step 3" in texts(app.warning) and "python -m services seed" in texts(app.warning)


def home_demo_progress(home: str) -> None:
    """Home's demo block alone, for a workspace whose app wants the full demo (the default settings)."""
    from pathlib import Path
    from types import SimpleNamespace

    from components.demo_views import render_demo_progress
    from services.config import Settings

    render_demo_progress(SimpleNamespace(settings=Settings(home=Path(home))))


def test_home_drawn_before_the_builds_first_status_watches_for_it(tmp_path: Path) -> None:
    """The app starts the build as it starts; Home opened before the build wrote its first status stayed blank
    until reloaded. Now it says the build is starting, and its fragment reruns the page once a status exists."""
    app = AppTest.from_function(home_demo_progress, args=(str(tmp_path),)).run()
    assert not app.exception
    assert [bar.proto.text for bar in app.get("progress")] == ["Starting the demo's build…"]
    progress.write_status(tmp_path, progress.step_started(progress.started(STEPS), 0, 0.5))
    with build_lock(tmp_path, wait=False):
        app.run()
    assert f"step 1 of {len(STEPS)}" in app.get("progress")[0].proto.text
