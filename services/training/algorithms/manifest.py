"""What a saved model's ``predictor.json`` may name: its file name, the loaders by name, and ``loader_name``.

Kept apart from ``base`` (and free of pandas) so that code which only reads manifests, such as an endpoint's
preparation step before every deploy (``services.endpoints.prepare``), starts without the data libraries.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.errors import InvalidInput

PREDICTOR_FILE = "predictor.json"
# Every loader a predictor.json may name: name -> our function (imported only when a model needs it).
LOADERS = {
    "sklearn": "services.training.algorithms.common:load_sklearn_predictor",
    "text-minilm": "services.training.algorithms.text_minilm:load_minilm_predictor",
    "autopilot-pipeline": "services.training.autopilot.predictors:load_pipeline_predictor",
    "autogluon": "services.training.autopilot.predictors:load_autogluon_predictor",
    "script-joblib": "services.training.script_mode:load_script_predictor",
    "script-unscorable": "services.training.script_mode:refuse_scoring",
}


def loader_name(manifest: Mapping[str, Any]) -> str:
    """The name of the manifest's loader: a name in ``LOADERS``, or an older file's ``module:function`` when
    it is one of ours. ``InvalidInput`` for anything else: a model file never picks which code runs."""
    loader = manifest.get("loader")
    if isinstance(loader, str) and loader in LOADERS:
        return loader
    for name, function in LOADERS.items():
        if loader == function:
            return name
    raise InvalidInput(f"predictor.json names the loader {loader!r}, which is not one this workbench knows, "
                       "so the model is not loaded.",
                       hint=f"A model's predictor.json may name only one of: {', '.join(LOADERS)}.")
