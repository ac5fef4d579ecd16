"""What pages and components use of the demo (a view composed over several ports, like ``services.overview``):
its progress for Home, starting its background build, and the names the UI shows."""

from __future__ import annotations

from services.demo.background import demo_progress, start_demo_build, wants_full_demo
from services.demo.full import ENDPOINT, DemoPorts
from services.demo.status import DONE, FAILED, INTERRUPTED, RUNNING, DemoStatus

__all__ = ["DONE", "ENDPOINT", "FAILED", "INTERRUPTED", "RUNNING", "DemoPorts", "DemoStatus", "demo_progress",
           "start_demo_build", "wants_full_demo"]
