"""``text-minilm``: all-MiniLM-L6-v2 fine-tuned end to end for the sentiment classes, offline, on the CPU.

The course fine-tunes RoBERTa; we fine-tune the packaged MiniLM the same way (mean pooling and a
linear head, AdamW with warm-up and linear decay, early stopping on the validation split, whose best
macro-F1 picks the weights kept). With
``fine_tune=false`` the encoder is frozen: its sentence embeddings are computed once per table
version, kept as a feature group (see ``minilm_features``) and only the head is trained.

Hyperparameters (strings):
    fine_tune        true | false (default true)
    epochs           default 2 when fine-tuning, 10 for the head alone (each head epoch takes well under a second)
    learning_rate    default 1e-4 when fine-tuning, 1e-2 for the head
    batch_size       default 16 when fine-tuning (twice the updates of 32 for the same compute), 32 for the head
    max_seq_length   default 160 when fine-tuning (every review of the public set fits; 128 cut the last words
                     of one in ten), 128 for frozen embeddings (tokens; longer texts are truncated)
    freeze_word_embeddings  true | false (default true): the word-embedding matrix (half of MiniLM's weights)
                     stays as pretrained; the rest of the network is fine-tuned (about 10 % faster per review)
    eval_steps       evaluate on the validation split every N steps; 0 (default) = once per epoch
    patience         stop after this many evaluations without a better one (default 1); the weights of the
                     best evaluation are kept: the highest validation macro-F1, ties to the lower validation
                     loss (the loss rises again as the network grows surer of itself while macro-F1 still
                     improves: on the real reviews epoch 2 had loss 0.439 > 0.387 and macro-F1 0.688 > 0.676)
    max_train_rows   train on at most this many rows (a seeded sample); 0 (default) = all
    class_balancing  true | false (default true): weight the loss by inverse class frequency
    tfidf_ensemble   true | false (default true): also fit a text-tfidf model (default settings, about a second
                     per 10,000 reviews) and combine the two models' probabilities (``text_ensemble``), with
                     the weight that gives the lowest validation log-loss (0 = MiniLM alone)
    tune_class_offsets  true | false (default true): shift the decision thresholds (per-class log offsets)
                     to the best macro-F1 on the validation split, which lifts the rare neutral class

Private hyperparameters the built-in training job passes (names start with ``_``; not logged as used):
    _source_table    "database.table" the data was read from
    _source_version  that table's catalog version
    _workbench_home  the workspace folder (default: WORKBENCH_HOME from the environment)
With ``fine_tune=false`` and ``_source_table``/``_source_version`` given, embeddings are read from and
added to the feature group ``feature_store.<table>_v<version>_<text column>_minilm`` and to the Feature Store
group ``<database>_<table>-minilm-embeddings`` (``services.features.embeddings``; its vectors are reused by any
later version of the table with the same ids); without them every run encodes its texts afresh.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from services.config import Settings
from services.debugger.hook import Hook
from services.errors import InvalidInput
from services.features.embeddings import EmbeddingSource
from services.training.algorithms import minilm_features as features
from services.training.algorithms import text_ensemble as ensemble
from services.training.algorithms.base import Dataset, FitResult, Reporter, write_predictor_manifest
from services.training.algorithms.common import prediction_frame
from services.training.algorithms.hyperparameters import Hyperparameter, hyperparameters_used, parse_hyperparameters
from services.training.algorithms.metrics import classification_metrics
from services.training.problem_type import label_strings

LOADER = "text-minilm"  # in manifest.LOADERS
CONFIG_FILE = "minilm.json"
HEAD_FILE = "head.safetensors"
THREADS = 2
REPORT_INTERVAL_SECONDS = 0.5
WARMUP_SHARE = 0.06
PREDICT_BATCH_SIZE = 64
TFIDF_TEXT_COLUMN = "text"  # the one column the text-tfidf part of an ensemble reads (the joined text)
FINE_TUNE_MAX_SEQ_LENGTH = 160


# -- hyperparameters -----------------------------------------------------------------------------

# Measured on the public reviews (bench_minilm): 1 epoch at batch 32 gave test macro-F1 0.683 alone; 2 epochs at
# batch 16 with the word embeddings frozen 0.706 alone and 0.7228 with the TF-IDF part and class offsets, trained in
# 1,063 s on 11,439 reviews (2 idle cores).
FINE_TUNE_DEFAULTS: dict[str, Any] = {"epochs": 2, "learning_rate": 1e-4, "batch_size": 16,
                                      "max_seq_length": FINE_TUNE_MAX_SEQ_LENGTH}
HEAD_DEFAULTS: dict[str, Any] = {"epochs": 10, "learning_rate": 1e-2, "batch_size": 32,
                                 "max_seq_length": features.DEFAULT_MAX_SEQ_LENGTH}


@dataclass(frozen=True)
class MiniLMOptions:
    fine_tune: bool = True
    epochs: int = FINE_TUNE_DEFAULTS["epochs"]
    learning_rate: float = FINE_TUNE_DEFAULTS["learning_rate"]
    batch_size: int = FINE_TUNE_DEFAULTS["batch_size"]
    max_seq_length: int = FINE_TUNE_DEFAULTS["max_seq_length"]
    freeze_word_embeddings: bool = True
    eval_steps: int = 0
    patience: int = 1
    max_train_rows: int = 0
    class_balancing: bool = True
    tfidf_ensemble: bool = True
    tune_class_offsets: bool = True

    def as_hyperparameters(self) -> dict[str, str]:
        return hyperparameters_used(asdict(self))


HYPERPARAMETERS = {
    "fine_tune": Hyperparameter("boolean", True),
    # None: a default that depends on fine_tune (parse_options)
    "epochs": Hyperparameter("integer", None, minimum=1, maximum=1000),
    "learning_rate": Hyperparameter("number", None, minimum=0, maximum=10, above_minimum=True),
    "batch_size": Hyperparameter("integer", None, minimum=1, maximum=4096),
    "max_seq_length": Hyperparameter("integer", None, minimum=8, maximum=512),
    "freeze_word_embeddings": Hyperparameter("boolean", True),
    "eval_steps": Hyperparameter("integer", 0, minimum=0),
    "patience": Hyperparameter("integer", 1, minimum=1),
    "max_train_rows": Hyperparameter("integer", 0, minimum=0),
    "class_balancing": Hyperparameter("boolean", True),
    "tfidf_ensemble": Hyperparameter("boolean", True),
    "tune_class_offsets": Hyperparameter("boolean", True),
}


def parse_options(hyperparameters: Mapping[str, str]) -> MiniLMOptions:
    """Validated options from the job's string hyperparameters (private ``_`` ones are skipped).

    Raises InvalidInput on an unknown name or a bad value, e.g. "fine_tune must be true or false".
    """
    public = {name: value for name, value in hyperparameters.items() if not name.startswith("_")}
    values = parse_hyperparameters(public, HYPERPARAMETERS, MiniLMAlgorithm.name)
    fine_tune = bool(values["fine_tune"])
    defaults = FINE_TUNE_DEFAULTS if fine_tune else HEAD_DEFAULTS
    return MiniLMOptions(**{name: defaults[name] if value is None else value for name, value in values.items()})


# -- the network ---------------------------------------------------------------------------------


class MiniLMClassifier(nn.Module):
    """MiniLM encoder → mean pooling (→ L2 normalisation for frozen embeddings) → dropout → linear head."""

    def __init__(self, encoder: Any, n_classes: int, normalize: bool, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        self.normalize = normalize
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(int(encoder.config.hidden_size), n_classes)

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        pooled = features.mean_pool(hidden, attention_mask)
        return nn.functional.normalize(pooled, dim=1) if self.normalize else pooled

    def classify(self, embeddings: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(embeddings))  # type: ignore[no-any-return]

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.classify(self.embed(input_ids, attention_mask))


class TextRows:
    """Texts (and labels) fed through the whole network, tokenised batch by batch."""

    def __init__(self, texts: list[str], labels: np.ndarray | None, tokenizer: Any, max_seq_length: int) -> None:
        self.texts, self.labels = texts, labels
        self.tokenizer, self.max_seq_length = tokenizer, max_seq_length
        ids = tokenizer(texts, truncation=True, max_length=max_seq_length)["input_ids"] if texts else []
        self.lengths: np.ndarray | None = np.array([len(i) for i in ids], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.texts)

    def logits(self, model: MiniLMClassifier, rows: np.ndarray) -> torch.Tensor:
        inputs = self.tokenizer([self.texts[i] for i in rows], truncation=True, max_length=self.max_seq_length,
                                padding=True, return_tensors="pt")
        return model(inputs["input_ids"], inputs["attention_mask"])


class VectorRows:
    """Stored sentence embeddings (and labels) fed through the head only."""

    lengths: np.ndarray | None = None

    def __init__(self, vectors: np.ndarray, labels: np.ndarray | None) -> None:
        self.vectors, self.labels = torch.from_numpy(np.ascontiguousarray(vectors, dtype=np.float32)), labels

    def __len__(self) -> int:
        return len(self.vectors)

    def logits(self, model: MiniLMClassifier, rows: np.ndarray) -> torch.Tensor:
        return model.classify(self.vectors[torch.from_numpy(rows)])


Rows = TextRows | VectorRows


def training_batches(rows: Rows, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches; texts of similar length are grouped (within windows of 50 batches) to pad less."""
    order = rng.permutation(len(rows))
    if rows.lengths is not None:
        window = batch_size * 50
        order = np.concatenate([chunk[np.argsort(rows.lengths[chunk], kind="stable")]
                                for chunk in np.array_split(order, max(1, math.ceil(len(order) / window)))])
    batches = [order[start:start + batch_size] for start in range(0, len(order), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def inference_batches(rows: Rows, batch_size: int) -> Iterator[np.ndarray]:
    order = np.arange(len(rows)) if rows.lengths is None else np.argsort(rows.lengths, kind="stable")
    for start in range(0, len(order), batch_size):
        yield order[start:start + batch_size]


def predict_probabilities(model: MiniLMClassifier, rows: Rows, batch_size: int = PREDICT_BATCH_SIZE) -> np.ndarray:
    """Class probabilities, one row per input row in the input order."""
    model.eval()
    probabilities = np.zeros((len(rows), model.head.out_features), dtype=np.float64)
    with torch.no_grad():
        for batch in inference_batches(rows, batch_size):
            probabilities[batch] = torch.softmax(rows.logits(model, batch), dim=1).double().numpy()
    return probabilities


@dataclass(frozen=True)
class Evaluation:
    """The network on the validation rows: macro-F1 of its argmax and mean (unweighted) cross-entropy."""

    f1_macro: float
    loss: float

    def better_than(self, other: Evaluation | None) -> bool:
        """Higher macro-F1 wins; at equal macro-F1 the lower loss."""
        return other is None or (self.f1_macro, -self.loss) > (other.f1_macro, -other.loss)


def evaluate_validation(model: MiniLMClassifier, rows: Rows) -> Evaluation:
    probabilities = predict_probabilities(model, rows)
    assert rows.labels is not None
    predicted = probabilities.argmax(axis=1)
    return Evaluation(ensemble.macro_f1(rows.labels, predicted, probabilities.shape[1]),
                      ensemble.log_loss(rows.labels, probabilities))


# -- training ------------------------------------------------------------------------------------


class StepReporter:
    """Per-step progress and ``train:loss``, at most one report per half second.

    Fine-tuning steps take seconds, so every step is reported; training the head alone takes
    thousands of sub-millisecond steps, whose losses are averaged between reports.
    """

    def __init__(self, reporter: Reporter, total_steps: int, epochs: int) -> None:
        self.reporter, self.total_steps, self.epochs = reporter, total_steps, epochs
        self.losses: list[float] = []
        self.last_report = 0.0

    def step(self, step: int, epoch: int, loss: float) -> None:
        self.losses.append(loss)
        now = time.monotonic()
        if now - self.last_report < REPORT_INTERVAL_SECONDS and step < self.total_steps:
            return
        mean_loss = float(np.mean(self.losses))
        self.reporter.metric("train:loss", mean_loss, step)
        self.reporter.progress(step / self.total_steps,
                               f"Epoch {epoch}/{self.epochs}, step {step}/{self.total_steps}, loss {mean_loss:.4f}")
        self.losses, self.last_report = [], now


class EarlyStopping:
    """Keeps the weights of the best validation evaluation (``Evaluation.better_than``); says stop after
    ``patience`` evaluations without a better one."""

    def __init__(self, module: nn.Module, patience: int) -> None:
        self.module, self.patience = module, patience
        self.best: Evaluation | None = None
        self.best_step = 0
        self.best_state: dict[str, torch.Tensor] | None = None
        self.bad_evaluations = 0

    def should_stop(self, evaluation: Evaluation, step: int) -> bool:
        if evaluation.better_than(self.best):
            self.best, self.best_step, self.bad_evaluations = evaluation, step, 0
            self.best_state = {k: v.detach().clone() for k, v in self.module.state_dict().items()}
            return False
        self.bad_evaluations += 1
        return self.bad_evaluations >= self.patience

    def restore_best(self) -> None:
        if self.best_state is not None:
            self.module.load_state_dict(self.best_state)


@dataclass
class TrainingRun:
    """Everything one training loop needs."""

    model: MiniLMClassifier
    train: Rows
    validation: Rows
    options: MiniLMOptions
    reporter: Reporter
    class_weights: torch.Tensor | None
    seed: int


def train_classifier(run: TrainingRun) -> dict[str, float]:
    """Train (the whole network, or the head for frozen embeddings); returns a summary of the loop."""
    trained = run.model if run.options.fine_tune else run.model.head
    rng = np.random.default_rng(run.seed)
    steps_per_epoch = math.ceil(len(run.train) / run.options.batch_size)
    total_steps = steps_per_epoch * run.options.epochs
    optimizer = torch.optim.AdamW([p for p in trained.parameters() if p.requires_grad], lr=run.options.learning_rate,
                                  weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _schedule(total_steps, run.options.fine_tune))
    loss_fn = nn.CrossEntropyLoss(weight=run.class_weights)
    stopper = EarlyStopping(trained, run.options.patience)
    steps = StepReporter(run.reporter, total_steps, run.options.epochs)
    eval_every = run.options.eval_steps or steps_per_epoch
    record_gradients = gradient_recorder(trained)
    step = 0
    for epoch in range(1, run.options.epochs + 1):
        for batch in training_batches(run.train, run.options.batch_size, rng):
            step += 1
            steps.step(step, epoch, _train_step(run, batch, optimizer, scheduler, loss_fn))
            record_gradients(step)
            if (step % eval_every == 0 or step == total_steps) and _evaluate(run, stopper, step):
                return _finish(run, stopper, step, stopped_early=True)
    return _finish(run, stopper, step, stopped_early=False)


def _schedule(total_steps: int, warm_up: bool) -> Callable[[int], float]:
    """Linear warm-up then linear decay (the usual BERT fine-tuning schedule); constant for the head."""
    warmup = max(1, int(total_steps * WARMUP_SHARE)) if warm_up else 0

    def factor(step: int) -> float:
        if not warm_up:
            return 1.0
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return factor


def gradient_recorder(trained: nn.Module) -> Callable[[int], None]:
    """Debugger's gradient statistics of the step just taken (the gradients stay until the next step's
    zero_grad), at most every REPORT_INTERVAL_SECONDS; does nothing unless a rule reads gradients."""
    hook = Hook()
    if not hook.wants("gradients"):
        return lambda step: None
    hook.register_module(trained)
    last = [-math.inf]

    def record(step: int) -> None:
        now = time.monotonic()
        if now - last[0] >= REPORT_INTERVAL_SECONDS:
            hook.record_gradients(step)
            last[0] = now

    return record


def _train_step(run: TrainingRun, batch: np.ndarray, optimizer: torch.optim.Optimizer,
                scheduler: torch.optim.lr_scheduler.LRScheduler, loss_fn: nn.Module) -> float:
    run.model.train()
    assert run.train.labels is not None
    loss = loss_fn(run.train.logits(run.model, batch), torch.from_numpy(run.train.labels[batch]))
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(optimizer.param_groups[0]["params"], 1.0)  # only what is trained
    optimizer.step()
    scheduler.step()
    return float(loss.item())


def _evaluate(run: TrainingRun, stopper: EarlyStopping, step: int) -> bool:
    """Validation macro-F1 and loss at ``step``; True when training should stop."""
    if len(run.validation) == 0:
        return False
    evaluation = evaluate_validation(run.model, run.validation)
    run.reporter.metric("validation:loss", evaluation.loss, step)
    run.reporter.metric("validation:f1_macro", evaluation.f1_macro, step)
    run.reporter.log(f"Step {step}: validation macro-F1 {evaluation.f1_macro:.4f}, loss {evaluation.loss:.4f}")
    return stopper.should_stop(evaluation, step)


def _finish(run: TrainingRun, stopper: EarlyStopping, step: int, stopped_early: bool) -> dict[str, float]:
    stopper.restore_best()
    if stopped_early:
        assert stopper.best is not None
        run.reporter.log(f"Stopped early at step {step}; keeping step {stopper.best_step} "
                         f"(validation macro-F1 {stopper.best.f1_macro:.4f}, loss {stopper.best.loss:.4f}).")
    summary = {"steps": float(step), "stopped_early": float(stopped_early)}
    if stopper.best is not None:
        summary |= {"best_step": float(stopper.best_step), "validation_f1_macro": stopper.best.f1_macro,
                    "validation_loss": stopper.best.loss}
    return summary


# -- the predictor -------------------------------------------------------------------------------


class MiniLMPredictor:
    """Scores review texts with the trained network (batches under ``torch.no_grad()``), combined with the
    text-tfidf model ``tfidf`` and the class offsets as ``config["combination"]`` says (``text_ensemble``)."""

    problem_type: str
    classes: list[str]

    def __init__(self, model: MiniLMClassifier, tokenizer: Any, config: dict[str, Any], tfidf: Any = None) -> None:
        self.model, self.tokenizer, self.config = model.eval(), tokenizer, config
        self.problem_type = config["problem_type"]
        self.classes = list(config["classes"])
        self.combination = ensemble.Combination.from_config(config.get("combination"))
        if self.combination.uses_tfidf and tfidf is None:
            raise InvalidInput("This text-minilm model combines MiniLM with a TF-IDF model, and the TF-IDF model is missing.",
                               hint=f"Keep the {ensemble.TFIDF_FOLDER}/ folder beside the model's minilm.json.")
        self.tfidf = tfidf if self.combination.uses_tfidf else None

    @property
    def feature_columns(self) -> list[str]:
        """The input columns the model reads: the text column(s)."""
        return list(self.config["text_columns"])

    def predict_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        texts = input_texts(frame, self.config["text_columns"])
        return prediction_frame(self.text_probabilities(texts), self.classes, frame.index)

    def text_probabilities(self, texts: list[str], batch_size: int = PREDICT_BATCH_SIZE) -> np.ndarray:
        """The model's class probabilities for ready-joined texts, one row per text (columns follow ``classes``)."""
        torch.set_num_threads(THREADS)
        rows = TextRows(texts, None, self.tokenizer, self.config["max_seq_length"])
        minilm = predict_probabilities(self.model, rows, batch_size)
        tfidf = tfidf_probabilities(self.tfidf, texts) if self.tfidf is not None else None
        return ensemble.combine(minilm, tfidf, self.combination)

    def save(self, folder: Path) -> None:
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        if self.config["fine_tuned"]:
            self.model.encoder.save_pretrained(str(folder / "encoder"))
        self.tokenizer.save_pretrained(str(folder / "tokenizer"))
        save_file({k: v.contiguous() for k, v in self.model.head.state_dict().items()}, str(folder / HEAD_FILE))
        if self.tfidf is not None:
            self.tfidf.save(folder / ensemble.TFIDF_FOLDER)
        (folder / CONFIG_FILE).write_text(json.dumps(self.config, indent=2))
        write_predictor_manifest(folder, LOADER, framework="pytorch", base_model=features.MODEL_NAME)


def load_minilm_predictor(folder: Path) -> MiniLMPredictor:
    """The predictor saved in ``folder``; works offline (a frozen encoder comes from the model package)."""
    from safetensors.torch import load_file

    folder = Path(folder)
    config = json.loads((folder / CONFIG_FILE).read_text())
    torch.set_num_threads(THREADS)
    encoder = features.load_encoder(folder / "encoder" if config["fine_tuned"] else None)
    model = MiniLMClassifier(encoder, len(config["classes"]), normalize=config["normalize"])
    model.head.load_state_dict(load_file(str(folder / HEAD_FILE)))
    tfidf = None
    if ensemble.Combination.from_config(config.get("combination")).uses_tfidf:
        from services.training.algorithms.common import load_sklearn_predictor

        tfidf = load_sklearn_predictor(folder / ensemble.TFIDF_FOLDER)
    return MiniLMPredictor(model, features.load_tokenizer(folder / "tokenizer"), config, tfidf)


def tfidf_probabilities(tfidf: Any, texts: list[str]) -> np.ndarray:
    """The text-tfidf part's class probabilities for ready-joined texts (it reads them as its one column)."""
    scored = tfidf.predict_frame(pd.DataFrame({TFIDF_TEXT_COLUMN: texts}))
    return scored[[f"probability_{label}" for label in tfidf.classes]].to_numpy(dtype=np.float64)  # type: ignore[no-any-return]


def embed_texts(predictor: MiniLMPredictor, texts: list[str], batch_size: int = 32) -> np.ndarray:
    """The sentence embeddings the predictor's head classifies, one float32 row per text in the order given.

    Mean pooled (and L2-normalised when the encoder was frozen), as in ``MiniLMClassifier.embed``;
    no gradients, batches of texts of about the same token count so little padding is computed.
    """
    model, tokenizer, max_length = predictor.model.eval(), predictor.tokenizer, predictor.config["max_seq_length"]
    rows = TextRows(texts, None, tokenizer, max_length)
    vectors = np.zeros((len(texts), model.head.in_features), dtype=np.float32)
    torch.set_num_threads(THREADS)
    with torch.no_grad():
        for batch in inference_batches(rows, batch_size):
            inputs = tokenizer([texts[i] for i in batch], truncation=True, max_length=max_length, padding=True, return_tensors="pt")
            vectors[batch] = model.embed(inputs["input_ids"], inputs["attention_mask"]).float().numpy()
    return vectors


def input_texts(frame: pd.DataFrame, text_columns: list[str]) -> list[str]:
    """The text each row is classified by (several text columns are joined with a space)."""
    missing = [c for c in text_columns if c not in frame.columns]
    if missing:
        raise InvalidInput(f"The input has no {', '.join(missing)} column.", hint=f"Send the column(s) {', '.join(text_columns)}.")
    parts = frame[text_columns].fillna("").astype(str)
    return parts.agg(" ".join, axis=1).str.strip().tolist() if len(text_columns) > 1 else parts.iloc[:, 0].tolist()


# -- the algorithm -------------------------------------------------------------------------------


@dataclass
class PreparedText:
    """The dataset's texts and label indices per split."""

    text_columns: list[str]
    train: tuple[pd.DataFrame, list[str], np.ndarray]
    validation: tuple[pd.DataFrame, list[str], np.ndarray]
    test: tuple[pd.DataFrame, list[str], np.ndarray]


class MiniLMAlgorithm:
    """The built-in ``text-minilm`` algorithm (PyTorch on the CPU)."""

    name = "text-minilm"
    framework = "pytorch"

    def parse_hyperparameters(self, hyperparameters: Mapping[str, str]) -> dict[str, Any]:
        """The typed values (defaults filled in); InvalidInput on unknown names or bad values."""
        return asdict(parse_options(hyperparameters))

    def fit(self, data: Dataset, hyperparameters: dict[str, str], reporter: Reporter) -> FitResult:
        options = parse_options(hyperparameters)
        _require_classification(data)
        torch.set_num_threads(THREADS)
        torch.manual_seed(data.seed)
        prepared = prepare_text(data, options)
        reporter.log(f"text-minilm: {'fine-tuning' if options.fine_tune else 'frozen encoder, training the head'}; "
                     f"{len(prepared.train[1])} training, {len(prepared.validation[1])} validation, "
                     f"{len(prepared.test[1])} test rows")
        tokenizer = features.load_tokenizer()
        model = MiniLMClassifier(features.load_encoder(), len(data.classes), normalize=not options.fine_tune)
        if options.fine_tune and options.freeze_word_embeddings:
            model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
        rows = _model_rows(prepared, options, hyperparameters, model, tokenizer, reporter)
        run = TrainingRun(model, rows[0], rows[1], options, reporter, _class_weights(prepared, data, options), data.seed)
        summary = train_classifier(run)
        reporter.log("Training finished: " + ", ".join(f"{k} {v:g}" for k, v in summary.items()))
        tfidf = fit_tfidf_part(prepared, data, reporter) if options.tfidf_ensemble else None
        combination, validation = choose_combination(model, rows[1], prepared, tfidf, options, reporter)
        config = _predictor_config(data, prepared, options) | {"combination": combination.as_config()}
        predictor = MiniLMPredictor(model, tokenizer, config, tfidf)
        result = _fit_result(predictor, rows[2], prepared.test[1], options)
        if validation is not None:
            result.validation_predictions = [predictor.classes[i] for i in validation.argmax(axis=1)]
        return result


def _model_rows(prepared: PreparedText, options: MiniLMOptions, hyperparameters: Mapping[str, str],
                model: MiniLMClassifier, tokenizer: Any, reporter: Reporter) -> list[Rows]:
    """Train/validation/test rows: texts through the whole network, or stored embeddings through the head."""
    if options.fine_tune:
        return [TextRows(texts, labels, tokenizer, options.max_seq_length) for _, texts, labels in _splits(prepared)]
    model.encoder.requires_grad_(False)
    return _frozen_rows(prepared, options, hyperparameters, model, tokenizer, reporter)


class PartReporter:
    """The text-tfidf part's progress as log lines of the MiniLM job (its metrics are not the job's)."""

    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter

    def log(self, message: str) -> None:
        self.reporter.log(f"TF-IDF part: {message}")

    def metric(self, name: str, value: float, step: int | None = None) -> None:
        self.reporter.log(f"TF-IDF part: {name} = {value:.4f}")

    def progress(self, fraction: float, message: str = "") -> None:
        return None


def fit_tfidf_part(prepared: PreparedText, data: Dataset, reporter: Reporter) -> Any:
    """text-tfidf (its default settings) fit on the same training texts, to combine with MiniLM."""
    from services.training.algorithms.text_tfidf import TextTfidfAlgorithm

    def frame(split: tuple[pd.DataFrame, list[str], np.ndarray]) -> pd.DataFrame:
        return pd.DataFrame({TFIDF_TEXT_COLUMN: split[1], "label": split[0][data.target].to_numpy()})

    texts = Dataset(train=frame(prepared.train), validation=frame(prepared.validation), test=frame(prepared.test),
                    target="label", problem_type=data.problem_type, classes=list(data.classes),
                    feature_columns=[TFIDF_TEXT_COLUMN], text_column=TFIDF_TEXT_COLUMN, seed=data.seed)
    try:
        result = TextTfidfAlgorithm().fit(texts, {}, PartReporter(reporter))
    except InvalidInput as exc:
        raise InvalidInput(f"The TF-IDF part of the ensemble could not be trained: {exc.message}",
                           hint="Train with tfidf_ensemble=false to use MiniLM alone.") from exc
    reporter.log(f"TF-IDF part alone: test macro-F1 {result.metrics['f1_macro']:.4f}")
    return result.predictor


def choose_combination(model: MiniLMClassifier, validation: Rows, prepared: PreparedText, tfidf: Any,
                       options: MiniLMOptions, reporter: Reporter) -> tuple[ensemble.Combination, np.ndarray | None]:
    """The TF-IDF weight and class offsets that do best on the validation split (``text_ensemble``), and the
    validation rows' probabilities combined with them (None without validation rows)."""
    labels = prepared.validation[2]
    if len(labels) == 0:
        reporter.log("No validation rows: MiniLM's probabilities are used as they are.")
        return ensemble.Combination(), None
    minilm = predict_probabilities(model, validation)
    tfidf_part = tfidf_probabilities(tfidf, prepared.validation[1]) if tfidf is not None else None
    combination = ensemble.choose_combination(labels, minilm, tfidf_part, options.tune_class_offsets)
    before = ensemble.macro_f1(labels, minilm.argmax(axis=1), minilm.shape[1])
    combined = ensemble.combine(minilm, tfidf_part, combination)
    after = ensemble.macro_f1(labels, combined.argmax(axis=1), minilm.shape[1])
    reporter.log(f"Combination chosen on the {len(labels)} validation rows: TF-IDF weight {combination.tfidf_weight:g}, "
                 f"class log offsets {combination.log_offsets or 'none'}; validation macro-F1 {before:.4f} (MiniLM alone) "
                 f"-> {after:.4f} (as tuned on it, so optimistic)")
    return combination, combined


def _require_classification(data: Dataset) -> None:
    if data.problem_type == "Regression" or len(data.classes) < 2:
        raise InvalidInput("text-minilm classifies texts; the target must have at least two classes.",
                           hint="Pick a class column such as sentiment, or use xgboost / linear-learner for numbers.")


def prepare_text(data: Dataset, options: MiniLMOptions) -> PreparedText:
    """Texts and label indices per split; the training split capped at ``max_train_rows``."""
    text_columns = [data.text_column] if data.text_column else _string_columns(data)
    train = data.train
    if options.max_train_rows and len(train) > options.max_train_rows:
        train = train.sample(n=options.max_train_rows, random_state=data.seed)
    return PreparedText(text_columns, *(_split(frame, text_columns, data) for frame in (train, data.validation, data.test)))


def _string_columns(data: Dataset) -> list[str]:
    columns = [c for c in data.feature_columns if c in data.train.columns and data.train[c].dtype == object]
    if not columns:
        raise InvalidInput("text-minilm needs a text column.", hint="Choose the column holding the review text.")
    return columns


def _split(frame: pd.DataFrame, text_columns: list[str], data: Dataset) -> tuple[pd.DataFrame, list[str], np.ndarray]:
    return frame, input_texts(frame, text_columns), label_indices(frame[data.target], data.classes)


def label_indices(values: pd.Series, classes: list[str]) -> np.ndarray:
    """Each target value's position in ``classes`` (the dataset's sorted string labels)."""
    position = {name: i for i, name in enumerate(classes)}
    labels = label_strings(values).map(position)
    if labels.isna().any():
        unknown = sorted(values[labels.isna()].astype(str).unique())[:5]
        raise InvalidInput(f"Target values {unknown} are not among the classes {classes}.", hint="Check the target column.")
    return labels.to_numpy(dtype=np.int64)


def _splits(prepared: PreparedText) -> list[tuple[pd.DataFrame, list[str], np.ndarray]]:
    return [prepared.train, prepared.validation, prepared.test]


def _frozen_rows(prepared: PreparedText, options: MiniLMOptions, hyperparameters: Mapping[str, str],
                 model: MiniLMClassifier, tokenizer: Any, reporter: Reporter) -> list[Rows]:
    """Sentence embeddings of every split: from the feature group when the source table is known."""
    encoder = features.SentenceEncoder(tokenizer, model.encoder.eval(), options.max_seq_length, PREDICT_BATCH_SIZE)
    frames = [frame for frame, _, _ in _splits(prepared)]
    texts = [text for _, split_texts, _ in _splits(prepared) for text in split_texts]
    started = time.monotonic()
    group = _feature_group(hyperparameters, prepared.text_columns, options)
    if group is None:
        vectors = features.encode_texts(encoder, texts)
    else:
        settings, name = group
        ids = [rid for frame, split_texts, _ in _splits(prepared) for rid in features.record_ids_for(frame, split_texts)]
        source = EmbeddingSource(hyperparameters["_source_table"], hyperparameters["_source_version"],
                                 "_".join(prepared.text_columns), options.max_seq_length)
        vectors = features.embeddings_for(settings, texts, ids, name, encoder=encoder, reporter=reporter, source=source)
    reporter.log(f"Embeddings for {len(texts)} rows ready in {time.monotonic() - started:.1f} s")
    bounds = np.cumsum([0] + [len(f) for f in frames])
    return [VectorRows(vectors[bounds[i]:bounds[i + 1]], labels) for i, (_, _, labels) in enumerate(_splits(prepared))]


def _feature_group(hyperparameters: Mapping[str, str], text_columns: list[str], options: MiniLMOptions) -> tuple[Settings, str] | None:
    """The workspace and feature-group name, or None when the job did not say which table the data is."""
    table, version = hyperparameters.get("_source_table", ""), hyperparameters.get("_source_version", "")
    if not table or not version:
        return None
    settings = Settings.from_env()
    home = hyperparameters.get("_workbench_home", "")
    if home:
        settings = replace(settings, home=Path(home))
    return settings, features.feature_group_name(table, version, "_".join(text_columns), options.max_seq_length)


def _class_weights(prepared: PreparedText, data: Dataset, options: MiniLMOptions) -> torch.Tensor | None:
    if not options.class_balancing:
        return None
    counts = np.bincount(prepared.train[2], minlength=len(data.classes)).astype(np.float64)
    weights = len(prepared.train[2]) / (len(data.classes) * np.clip(counts, 1, None))
    return torch.tensor(weights, dtype=torch.float32)


def _predictor_config(data: Dataset, prepared: PreparedText, options: MiniLMOptions) -> dict[str, Any]:
    return {"problem_type": data.problem_type, "classes": list(data.classes), "text_columns": prepared.text_columns,
            "max_seq_length": options.max_seq_length, "fine_tuned": options.fine_tune, "normalize": not options.fine_tune,
            "base_model": features.MODEL_NAME, "target": data.target}


def _fit_result(predictor: MiniLMPredictor, test: Rows, texts: list[str], options: MiniLMOptions) -> FitResult:
    """Test-split metrics of the trained model (the network combined as the predictor combines it)."""
    tfidf = tfidf_probabilities(predictor.tfidf, texts) if predictor.tfidf is not None else None
    probabilities = ensemble.combine(predict_probabilities(predictor.model, test), tfidf, predictor.combination)
    assert test.labels is not None
    classes = predictor.classes
    predicted = [classes[i] for i in probabilities.argmax(axis=1)]
    truth = [classes[i] for i in test.labels]
    metrics, per_class, confusion = classification_metrics(truth, predicted, probabilities, classes)
    return FitResult(predictor=predictor, metrics=metrics, per_class=per_class,
                     confusion_matrix=confusion, hyperparameters=options.as_hyperparameters())
