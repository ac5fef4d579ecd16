"""Local Autopilot: candidate pipelines, tuning or ensembling, a leaderboard, reports and notebooks.

``autopilot_job.run`` drives it inside a job; the pieces live here by topic: ``objectives``
(Autopilot's metrics and defaults), ``prepare`` (AnalyzingData), ``features`` (FeatureEngineering),
``ensembling`` and ``tuning`` (ModelTuning), ``insights`` and ``notebooks`` (the reports).
"""

AUTO_TUNING_FROM_BYTES = 100 * 1024**2  # Autopilot's AUTO mode: over 100 MB of data → tuning, else ensembling


def choose_mode(mode: str, size_bytes: int) -> str:
    """The mode to run: the requested one, or for AUTO the one Autopilot picks by data size."""
    if mode != "AUTO":
        return mode
    return "HYPERPARAMETER_TUNING" if size_bytes > AUTO_TUNING_FROM_BYTES else "ENSEMBLING"
