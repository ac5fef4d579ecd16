"""The two notebooks Autopilot generates, as real ``.ipynb`` files that run top to bottom.

Both read the job's Parquet snapshot (``data/{train,validation,test}.parquet`` next to them), so
they do not need the workbench: the feature code is copied in from ``features.py``.

For download, ``notebook_bundle`` runs them once (nbclient, this interpreter's kernel, outputs kept) and
zips the executed notebooks with the ``data/`` folder they read: unzipped, they open with their results
and run again as they are.
"""

from __future__ import annotations

import fcntl
import inspect
import os
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from services.errors import InvalidInput
from services.training.algorithms.base import Dataset
from services.training.autopilot import features, objectives
from services.training.autopilot.leaderboard import SearchResult
from services.training.autopilot.objectives import Objective

DATA_FOLDER = "data"
SPLITS = ("train", "validation", "test")
EXPLORATION_FILE = "data-exploration.ipynb"
DEFINITION_FILE = "candidate-definition.ipynb"
OBJECTIVE_CODE = {
    "Accuracy": "accuracy_score(truth, predicted)",
    "BalancedAccuracy": "balanced_accuracy_score(truth, predicted)",
    "F1": "f1_score(truth, predicted, pos_label=POSITIVE)",
    "F1macro": "f1_score(truth, predicted, average='macro')",
    "AUC": "roc_auc_score(truth == POSITIVE, positive_probability)",
    "Precision": "precision_score(truth, predicted, pos_label=POSITIVE)",
    "Recall": "recall_score(truth, predicted, pos_label=POSITIVE)",
    "MSE": "mean_squared_error(truth, predicted)",
    "RMSE": "root_mean_squared_error(truth, predicted)",
    "MAE": "mean_absolute_error(truth, predicted)",
    "R2": "r2_score(truth, predicted)",
}


def write_snapshot(job_dir: Path, data: Dataset) -> Path:
    """The split rows as Parquet files the notebooks read."""
    folder = job_dir / DATA_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        getattr(data, split).to_parquet(folder / f"{split}.parquet", index=False)
    return folder


def write_notebooks(job_dir: Path, job_name: str, data: Dataset, search: SearchResult, objective: Objective,
                    date_columns: list[str]) -> dict[str, str]:
    """Write both notebooks into the job folder and return their paths."""
    import nbformat

    exploration = job_dir / EXPLORATION_FILE
    definition = job_dir / DEFINITION_FILE
    nbformat.write(exploration_notebook(job_name, data), str(exploration))
    nbformat.write(definition_notebook(job_name, data, search, objective, date_columns), str(definition))
    return {"data_exploration": str(exploration), "candidate_definition": str(definition)}


BUNDLE_FILE = "autopilot-notebooks.zip"
EXECUTED_FOLDER = "executed-notebooks"
CELL_TIMEOUT_SECONDS = 900  # the definition notebook retrains the best candidate: as long as the job's search at most
MAX_BUNDLE_BYTES = 200 * 1024**2
KERNEL_ENVIRONMENT = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")  # nothing else of the app's (no credentials)


def notebook_bundle(job_dir: Path, notebooks: dict[str, str]) -> Path:
    """The zip of ``notebooks`` (name -> path in ``job_dir``) run top to bottom, with the ``data/`` they read, under
    a folder named after the job. Built once (later calls return it); two callers at once build it once."""
    bundle = job_dir / BUNDLE_FILE
    if bundle.is_file():
        return bundle
    with (job_dir / ".notebooks.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not bundle.is_file():
            executed = [execute_notebook(Path(path), job_dir / EXECUTED_FOLDER) for path in notebooks.values()]
            write_bundle(bundle, job_dir.name, executed, sorted((job_dir / DATA_FOLDER).glob("*.parquet")))
    return bundle


def bundle_bytes(bundle: Path) -> bytes:
    """The zip's bytes for a download; ``InvalidInput`` (naming the file) when it is too big to hand to a browser."""
    size = bundle.stat().st_size
    if size > MAX_BUNDLE_BYTES:
        raise InvalidInput(f"The notebooks and their data come to {size / 1024**2:,.0f} MB, more than a download "
                           f"takes ({MAX_BUNDLE_BYTES // 1024**2} MB).", hint=f"Copy {bundle} from the workspace.")
    return bundle.read_bytes()


def execute_notebook(path: Path, folder: Path) -> Path:
    """Run ``path`` in its own folder (where ``data/`` is) and save it with its outputs into ``folder``. A failing
    cell keeps its error as its output and the rest still run, as "Run all" would show them. The kernel's temporary
    files (the candidate notebook fits AutoGluon into a temporary folder) go into a folder removed after the run."""
    import nbclient
    import nbformat

    ensure_kernel()
    notebook = nbformat.read(str(path), as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=CELL_TIMEOUT_SECONDS, kernel_name="python3", allow_errors=True,
                                     resources={"metadata": {"path": str(path.parent)}})
    environment = {name: os.environ[name] for name in KERNEL_ENVIRONMENT if name in os.environ}
    with tempfile.TemporaryDirectory(prefix="notebook-run-") as scratch:
        client.execute(env=environment | {"TMPDIR": scratch})
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(folder / path.name))
    return folder / path.name


def ensure_kernel() -> None:
    """The python3 kernel of this interpreter; a fresh venv has no kernelspec until ipykernel installs its own."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        from ipykernel.kernelspec import install

        install(prefix=sys.prefix)


def write_bundle(bundle: Path, job_name: str, notebooks: list[Path], data_files: list[Path]) -> None:
    """Write the zip beside ``bundle`` first and move it in place: no reader ever sees half of it."""
    partial = bundle.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for notebook in notebooks:
            archive.write(notebook, f"{job_name}/{notebook.name}")
        for file in data_files:  # streamed from disk: the snapshot can be large
            archive.write(file, f"{job_name}/{DATA_FOLDER}/{file.name}")
    partial.replace(bundle)


def exploration_notebook(job_name: str, data: Dataset) -> Any:
    """Data exploration report: sizes, types, missing values, the target, numbers, categories and text."""
    regression = data.problem_type == objectives.REGRESSION
    cells = [
        _md(f"# Data exploration report: {job_name}\n\nTarget `{data.target}` ({data.problem_type}). Autopilot split "
            "the rows 70/15/15 into train, validation and test (stratified for classification)."),
        _code(_load_code(data.target)),
        _md("## Columns: types, missing values, distinct values"),
        _code('pd.DataFrame({"type": frame.dtypes.astype(str), "missing_fraction": frame.isna().mean().round(4),\n'
              '              "distinct": frame.nunique()})'),
        _md("## The target"),
        _code("frame[TARGET].describe()" if regression else "frame[TARGET].value_counts(normalize=True).round(4)"),
        _md("## Numeric columns"),
        _code('frame.select_dtypes("number").describe().T'),
        _md("## Numeric columns against the target"),
        _code(_numeric_against_target(regression)),
        _md("## Categorical and text columns"),
        _code(_text_summary_code()),
        _md("## How well each column alone predicts the target\n\nA column that nearly determines the target "
            "on its own may leak it (it would not be known at prediction time)."),
        _code(_single_column_code(regression)),
    ]
    return _notebook(cells)


def definition_notebook(job_name: str, data: Dataset, search: SearchResult, objective: Objective,
                        date_columns: list[str]) -> Any:
    """Candidate definition: rebuild the best candidate's pipeline on the same split and score it on test."""
    best = search.best
    intro = (f"# Candidate definition: {job_name}\n\nBest candidate `{best.name}` ({best.algorithm}), "
             f"validation {objective.name} = {best.objective_value}. Run all cells to retrain it on the same "
             "training rows and score it on the test rows.")
    settings = (f"FEATURES = {data.feature_columns!r}\nDATE_COLUMNS = {date_columns!r}\nCLASSES = {data.classes!r}\n"
                f"POSITIVE = {(data.classes[-1] if data.problem_type == objectives.BINARY else None)!r}\n"
                f"OBJECTIVE = {objective.name!r}")
    train_code = _autogluon_code(search.definition) if search.definition["engine"] == "autogluon" else \
        _sklearn_code(search.definition, data)
    cells = [_md(intro), _code(_load_code(data.target)), _code(settings),
             _md("## Feature engineering"), _code(_sources(search.definition["engine"])),
             _md("## Train the candidate"), _code(train_code),
             _md(f"## {objective.name} on the test split"), _code(_score_code(objective))]
    return _notebook(cells)


def _load_code(target: str) -> str:
    return ("from pathlib import Path\nfrom typing import Any\n\nimport numpy as np\nimport pandas as pd\n\n"
            f'DATA = Path("{DATA_FOLDER}")\nTARGET = {target!r}\n'
            f"splits = {{name: pd.read_parquet(DATA / f\"{{name}}.parquet\") for name in {SPLITS!r}}}\n"
            "frame = pd.concat(splits.values(), ignore_index=True)\n"
            "print({name: len(rows) for name, rows in splits.items()})\nframe.head()")


def _numeric_against_target(regression: bool) -> str:
    if regression:
        return ('numbers = frame.select_dtypes("number")\n'
                "numbers.corr()[TARGET].drop(TARGET).sort_values(key=abs, ascending=False)")
    return ('numeric = [c for c in frame.select_dtypes("number").columns if c != TARGET]\n'
            "frame.groupby(TARGET)[numeric].mean().T if numeric else 'no numeric columns'")


def _text_summary_code() -> str:
    return ('others = [c for c in frame.columns if c != TARGET and not pd.api.types.is_numeric_dtype(frame[c])]\n'
            "pd.DataFrame({c: {\"distinct\": frame[c].nunique(), \"top\": frame[c].mode().iloc[0] if frame[c].notna().any() else None,\n"
            "                  \"mean_words\": round(frame[c].dropna().astype(str).str.split().str.len().mean(), 2)}\n"
            "              for c in others}).T")


def _single_column_code(regression: bool) -> str:
    if regression:
        return ('numbers = frame.select_dtypes("number").drop(columns=[TARGET])\n'
                "(numbers.corrwith(frame[TARGET]) ** 2).sort_values(ascending=False).rename(\"r_squared_alone\")")
    return ("def purity(column):\n"
            "    \"\"\"Accuracy of predicting the most common target for each value of the column.\"\"\"\n"
            "    pairs = frame[[column, TARGET]].dropna().astype(str)\n"
            "    if pairs[column].nunique() > 0.5 * len(pairs):\n        return None\n"
            "    return pairs.groupby(column)[TARGET].agg(lambda t: t.value_counts().iloc[0]).sum() / len(pairs)\n\n"
            "pd.Series({c: purity(c) for c in frame.columns if c != TARGET}, name=\"accuracy_alone\")"
            ".dropna().sort_values(ascending=False)")


def _sources(engine: str) -> str:
    functions: list[Any] = [features.expand_dates]
    if engine != "autogluon":
        functions += [features.as_text, features.build_featuriser, features.build_estimator, features.build_pipeline]
    return "\n\n".join(inspect.getsource(function) for function in functions)


# A target transform as notebook code: the label fitted on, and predictions back in the target's units.
TRANSFORM_CODE = {"": ("label", "predicted"), "sqrt": ("np.sqrt(label)", "np.square(np.clip(predicted, 0.0, None))"),
                  "log1p": ("np.log1p(label)", "np.expm1(predicted)")}


def _autogluon_code(definition: dict[str, Any]) -> str:
    generator = ("AutoMLPipelineFeatureGenerator(vectorizer=CountVectorizer(min_df=30, ngram_range=(1, 1), "
                 "max_features=2000, dtype=np.uint8))" if definition["light_text_features"]
                 else "AutoMLPipelineFeatureGenerator()")
    fitted_label, back = TRANSFORM_CODE[definition.get("target_transform", "")]
    refit = ("# Refit the best model on training + validation rows, as the job did before saving it\n"
             'predictor.refit_full(model="best", set_best_to_refit_full=True)\n'
             if definition.get("refit_full") else "")
    return (
        "import tempfile\n\nfrom autogluon.features.generators import AutoMLPipelineFeatureGenerator\n"
        "from autogluon.tabular import TabularPredictor\nfrom sklearn.feature_extraction.text import CountVectorizer\n\n"
        "def table(rows):\n    label = rows[TARGET].to_numpy()\n"
        f"    return expand_dates(rows[FEATURES], DATE_COLUMNS).assign(**{{TARGET: {fitted_label}}})\n\n"
        'train, validation, test = (table(splits[name]) for name in ("train", "validation", "test"))\n'
        f"predictor = TabularPredictor(label=TARGET, problem_type={definition['problem_type']!r}, "
        f"eval_metric={definition['eval_metric']!r},\n"
        f"                             positive_class={definition['positive_class']!r}, verbosity=1,\n"
        '                             path=tempfile.mkdtemp(prefix="autopilot-candidate-"))\n'
        f"predictor.fit(train, tuning_data=validation, presets={definition['presets']!r}, "
        f"time_limit={float(definition['time_limit'])!r},\n"
        f"              hyperparameters={definition['hyperparameters']!r},\n"
        f"              feature_generator={generator}, ag_args_fit={definition['ag_args_fit']!r},\n"
        f"              fit_weighted_ensemble={definition['fit_weighted_ensemble']!r}, dynamic_stacking=False"
        f"{', use_bag_holdout=True' if definition['presets'] == 'best_quality' else ''})\n"
        f"{refit}"
        'truth = splits["test"][TARGET].to_numpy()\npredicted = predictor.predict(test.drop(columns=[TARGET])).to_numpy()\n'
        f"predicted = {back}\n"
        "positive_probability = (predictor.predict_proba(test.drop(columns=[TARGET]))[POSITIVE].to_numpy()\n"
        "                        if POSITIVE is not None else None)\npredictor.leaderboard(silent=True)")


def _sklearn_code(definition: dict[str, Any], data: Dataset) -> str:
    classification = data.problem_type in objectives.CLASSIFICATION
    return (
        f"ALGORITHM = {definition['algorithm']!r}\nPARAMS = {definition['params']!r}\nCOLUMNS = {definition['columns']!r}\n"
        f"CLASSIFICATION = {classification!r}\nSEED = {definition['seed']!r}\n\n"
        "train_x = expand_dates(splits[\"train\"][FEATURES], DATE_COLUMNS)\n"
        "test_x = expand_dates(splits[\"test\"][FEATURES], DATE_COLUMNS)\n"
        "train_y = splits[\"train\"][TARGET].map({c: i for i, c in enumerate(CLASSES)}) if CLASSIFICATION "
        "else splits[\"train\"][TARGET]\n"
        "pipeline = build_pipeline(ALGORITHM, PARAMS, COLUMNS, CLASSIFICATION, SEED)\n"
        "pipeline.fit(train_x, train_y.to_numpy())\n"
        "truth = splits[\"test\"][TARGET].to_numpy()\n"
        "if CLASSIFICATION:\n"
        "    probabilities = pipeline.predict_proba(test_x)\n"
        "    predicted = np.asarray(CLASSES, dtype=object)[probabilities.argmax(axis=1)]\n"
        "    positive_probability = probabilities[:, -1]\n"
        "else:\n    predicted = pipeline.predict(test_x)\n    positive_probability = None\npipeline")


def _score_code(objective: Objective) -> str:
    expression = OBJECTIVE_CODE[objective.name]
    function = expression.split("(")[0]
    return (f"from sklearn.metrics import {function}\n\nvalue = {expression}\n"
            f'print(f"{objective.name} on the test split: {{value:.5f}}")')


def _md(text: str) -> Any:
    import nbformat

    return nbformat.v4.new_markdown_cell(text)


def _code(text: str) -> Any:
    import nbformat

    return nbformat.v4.new_code_cell(text)


def _notebook(cells: list[Any]) -> Any:
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook
