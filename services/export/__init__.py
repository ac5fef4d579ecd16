"""Export the workspace's session as one self-contained HTML file (``models.export_session``): queries run, bias
reports, Autopilot leaderboards, training jobs, compared runs and scored reviews, read through the ports."""
