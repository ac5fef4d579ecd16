"""A deployed review endpoint with captured reviews, for the Label page's AppTests and its browser journey.

The endpoint is a real local endpoint (a server process) behind a gateway on a port of its own (so modules using
this never wait for the default gateway port); reviews are scored through it, and its data capture is what the
Label page queues.
"""

from __future__ import annotations

import json
from pathlib import Path

from services.endpoints.models import DeployRequest, Variant
from services.registry import Services, build_services
from tests.helpers.endpoints import wait_for
from tests.helpers.servers import unused_port
from tests.helpers.workspace import settings_for_tests

ENDPOINT = "reviews-label"
REVIEWS = (  # short, clear reviews: the TF-IDF review model gets most of them right, a few are hard on purpose
    "I love this dress, it fits perfectly and the colour is gorgeous.",
    "Terrible quality, the seams came apart after one wash. Returning it.",
    "It is okay. Nothing special but it does the job.",
    "Absolutely beautiful top, I bought it in two colours!",
    "Very disappointed, the fabric is cheap and scratchy.",
    "The sweater is soft and warm, great for winter.",
    "Runs small and the zipper broke on the first day.",
    "Nice cut, but the material feels thin. Not sure I will keep it.",
    "Perfect jeans, flattering and comfortable all day.",
    "Awful fit, looked nothing like the picture.",
    "Lovely skirt, gets compliments every time I wear it.",
    "Meh. The colour was fine, the fit was fine, I expected more for the price.",
)


def captured_event_ids(home: Path, endpoint: str) -> list[str]:
    """The eventIds of every capture record of ``endpoint`` written so far (read from its capture files)."""
    ids: list[str] = []
    for path in sorted((home / "endpoints" / endpoint / "capture").rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                ids.append(json.loads(line)["eventMetadata"]["eventId"])
    return ids


def hosting(home: Path, gateway_port: int = 0) -> Services:
    """Local services on ``home`` with a gateway port of their own (``unused_port()`` when not given)."""
    return build_services(settings_for_tests(home=home, seed_on_start=False, gateway_port=gateway_port or unused_port()))


def deploy_with_captures(services: Services, model_id: str, reviews: tuple[str, ...] = REVIEWS,
                         endpoint: str = ENDPOINT) -> list[str]:
    """Deploy ``model_id`` as ``endpoint`` with full data capture, score ``reviews`` through it and wait until
    the capture writer has written them all; returns their eventIds."""
    services.endpoints.deploy(DeployRequest(name=endpoint, variants=(Variant("AllTraffic", model_id),),
                                            capture_percent=100))
    deployed = services.endpoints.wait_for_endpoint(endpoint, 120)
    assert deployed.status == "InService", deployed.failure_reason
    for text in reviews:
        services.endpoints.score_text(endpoint, text)
    home = services.settings.home
    wait_for(lambda: len(captured_event_ids(home, endpoint)) >= len(reviews), 30)  # the writer is a background thread
    return captured_event_ids(home, endpoint)


def ground_truth_lines(labels: dict[str, str]) -> bytes:
    """Model Monitor's ground-truth JSON lines for ``{eventId: label}``."""
    return b"".join(json.dumps({"groundTruthData": {"data": label, "encoding": "CSV"},
                                "eventMetadata": {"eventId": event_id}, "eventVersion": "0"}).encode() + b"\n"
                    for event_id, label in labels.items())

