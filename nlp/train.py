"""Training of the classifier: tokenizer, optional MLM pretraining, multi-task fine-tuning,
calibration on dev, and the saved model directory (see docs in MODEL_CARD.md it writes).

`train_model(options)` is what `mediawatch train` calls. From scratch it trains a WordPiece
tokenizer and a small BERT; with `base_model` it fine-tunes a pretrained checkpoint. The epoch
kept is the one with the best dev score (mean of stance macro-F1 and hostile F1); the test split
is scored once, at the end, for the record.
"""

from __future__ import annotations

import copy
import json
import logging
import random
import shlex
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from torch.nn import functional
from transformers import AutoModel, BertModel, PreTrainedTokenizerBase

from mediawatch.documents import HOSTILITY, RHETORIC_TYPES, STANCES
from nlp.calibration import fit_temperature, pick_threshold, sigmoid, softmax
from nlp.ensemble import fit_blend
from nlp.evaluate import compute_metrics
from nlp.examples import (CORPUS_DIR, SHARED_DATA_DIR, Example, az_sentiment_examples,
                          corpus_examples, detox_examples, iter_texts, rusentne_examples)
from nlp.inference import PassageClassifier, decide, encode_batch, pair_text
from nlp.lexical import LexicalHead
from nlp.model import (AUX_HEADS, ModelMeta, MultiTaskClassifier, new_encoder_config,
                       save_meta, save_model)
from nlp.onnx_export import export_onnx
from nlp.pretrain import pretrain_mlm, read_unlabeled
from nlp.tokenizer import load_tokenizer, train_tokenizer

__all__ = ["TrainOptions", "train_model", "add_lexical_head", "AUX_DATASETS"]

logger = logging.getLogger(__name__)

AUX_DATASETS = ("rusentne", "az_sentiment", "detox")
_IGNORE = -100


@dataclass
class TrainOptions:
    """Everything that determines a trained model; `command()` reproduces it."""

    output_dir: Path
    name: str = "default"
    base_model: str | None = None
    epochs: int = 8
    batch_size: int = 32
    learning_rate: float | None = None  # None: 5e-4 from scratch, 5e-5 for a pretrained base
    max_length: int = 128  # word pieces per passage
    vocab_size: int = 12000
    hidden_size: int = 192
    layers: int = 4
    pretrain_mlm_minutes: float = 0.0
    unlabeled_chars: int = 12_000_000  # characters of Russian text read for MLM (Azerbaijani: all)
    aux: tuple[str, ...] = ()
    aux_limit: int = 1500  # auxiliary rows sampled per dataset per epoch
    aux_weight: float = 0.5  # loss weight of auxiliary rows relative to corpus rows
    class_weights: bool = True
    ensemble_lexical: bool = False  # blend a char + word n-gram TF-IDF + LR head in (nlp/lexical.py)
    train_limit: int | None = None  # use only the first N training rows (tests)
    threads: int = 2
    seed: int = 13
    corpus_dir: Path = CORPUS_DIR
    shared_data_dir: Path = SHARED_DATA_DIR

    def command(self) -> str:
        """Return the `mediawatch train` command line that reproduces these options."""
        parts = ["mediawatch", "train"]
        parts += ["--base-model", self.base_model] if self.base_model else ["--from-scratch"]
        parts += ["--name", self.name, "--epochs", str(self.epochs), "--seed", str(self.seed)]
        defaults = TrainOptions(output_dir=self.output_dir)
        for flag, attr in (("--learning-rate", "learning_rate"), ("--batch-size", "batch_size"),
                           ("--max-length", "max_length"), ("--vocab-size", "vocab_size"),
                           ("--hidden-size", "hidden_size"), ("--layers", "layers"),
                           ("--aux-limit", "aux_limit"), ("--aux-weight", "aux_weight")):
            if getattr(self, attr) != getattr(defaults, attr):
                parts += [flag, str(getattr(self, attr))]
        if self.pretrain_mlm_minutes:
            parts += ["--pretrain-mlm-minutes", f"{self.pretrain_mlm_minutes:g}"]
        for name in self.aux:
            parts += ["--aux", name]
        if not self.class_weights:
            parts.append("--no-class-weights")
        if self.ensemble_lexical:
            parts.append("--ensemble-lexical")
        if self.train_limit:
            parts += ["--train-limit", str(self.train_limit)]
        return shlex.join(parts)


def _labels(batch: Sequence[Example]) -> dict[str, torch.Tensor]:
    """Label tensors per head; rows without a label get -100 (masked out of the loss)."""
    def index(values: Sequence[str], labels: Sequence[str | None]) -> torch.Tensor:
        return torch.tensor([values.index(v) if v in values else _IGNORE for v in labels])

    main = [e.task == "main" for e in batch]
    return {
        "stance": index(STANCES, [e.stance if m else None for e, m in zip(batch, main)]),
        "hostility": index(HOSTILITY, [e.hostility if m else None for e, m in zip(batch, main)]),
        "rhetoric": torch.tensor([[float(t in (e.rhetoric or ())) for t in RHETORIC_TYPES]
                                  for e in batch]),
        "rhetoric_mask": torch.tensor([m and e.rhetoric is not None and e.hostility is not None
                                       for e, m in zip(batch, main)]),
        "polarity": index(STANCES, [e.stance if e.task == "polarity" else None for e in batch]),
        "toxicity": index(HOSTILITY, [e.hostility if e.task == "toxicity" else None for e in batch]),
    }


def _class_weights(examples: Sequence[Example]) -> dict[str, torch.Tensor]:
    """Inverse square-root frequency weights (mean 1) for stance and hostility; pos_weight for rhetoric."""
    def inverse_sqrt(values: Sequence[str], labels: Sequence[str]) -> torch.Tensor:
        counts = np.array([max(labels.count(v), 1) for v in values], dtype=np.float64)
        weights = 1.0 / np.sqrt(counts)
        return torch.tensor(weights / weights.mean(), dtype=torch.float32)

    main = [e for e in examples if e.task == "main" and e.hostility is not None]
    hostile = [e for e in main if e.hostility == "hostile"]
    positives = np.array([max(sum(t in (e.rhetoric or ()) for e in hostile), 1)
                          for t in RHETORIC_TYPES], dtype=np.float64)
    pos_weight = np.clip(np.sqrt((len(main) - positives) / positives), 1.0, 10.0)
    return {"stance": inverse_sqrt(STANCES, [e.stance or "" for e in main]),
            "hostility": inverse_sqrt(HOSTILITY, [e.hostility or "" for e in main]),
            "rhetoric": torch.tensor(pos_weight, dtype=torch.float32)}


def _loss(logits: dict[str, torch.Tensor], labels: dict[str, torch.Tensor],
          weights: dict[str, torch.Tensor] | None, aux_weight: float) -> torch.Tensor:
    """Sum of the per-head losses over the rows labelled for each head."""
    def ce(head: str, weight: torch.Tensor | None = None) -> torch.Tensor:
        y = labels[head]
        if not (y != _IGNORE).any() or head not in logits:
            return logits[next(iter(logits))].sum() * 0.0
        return functional.cross_entropy(logits[head], y, weight=weight, ignore_index=_IGNORE)

    w = weights or {}
    total = ce("stance", w.get("stance")) + ce("hostility", w.get("hostility"))
    mask = labels["rhetoric_mask"]
    if mask.any():
        total = total + functional.binary_cross_entropy_with_logits(
            logits["rhetoric"][mask], labels["rhetoric"][mask], pos_weight=w.get("rhetoric"))
    for head in AUX_HEADS:
        if head in logits:
            total = total + aux_weight * ce(head)
    return total


def _load_aux(options: TrainOptions) -> dict[str, list[Example]]:
    """Read the requested auxiliary datasets from ../shared/data; absent ones are skipped."""
    data = options.shared_data_dir
    readers = {
        "rusentne": lambda: rusentne_examples(data / "rusentne2023" / "train_data.csv"),
        "az_sentiment": lambda: az_sentiment_examples(data / "az_sentiment" / "train_42k.csv",
                                                      limit=20000, seed=options.seed),
        "detox": lambda: detox_examples(data / "russe_detox_2022" / "train.tsv", limit=8000,
                                        seed=options.seed),
    }
    pools: dict[str, list[Example]] = {}
    for name in options.aux:
        try:
            pools[name] = readers[name]()
        except FileNotFoundError as exc:
            logger.warning("auxiliary dataset %s skipped: %s", name, exc)
    return pools


def _tokenizer_texts(options: TrainOptions, train: Sequence[Example]) -> list[str]:
    """Corpus text (repeated, it is small but in-domain) plus a language-balanced unlabelled sample."""
    texts = list(iter_texts(train)) * 3
    unlabeled = options.shared_data_dir / "unlabeled"
    texts += read_unlabeled(unlabeled, "ru", 6_000_000, options.seed)
    texts += read_unlabeled(unlabeled, "az", 6_000_000, options.seed)
    stance_en = options.shared_data_dir / "semeval2016_task6_en" / "semeval2016-task6-trainingdata.txt"
    if stance_en.is_file():
        texts += [line.split("\t")[2] for line in
                  stance_en.read_text(encoding="utf-8", errors="replace").splitlines()[1:]
                  if line.count("\t") >= 3]
    return texts


def _build_encoder(options: TrainOptions, train: Sequence[Example]
                   ) -> tuple[torch.nn.Module, PreTrainedTokenizerBase, dict[str, Any]]:
    """Return (encoder, tokenizer, pretraining report) from scratch or from the base checkpoint."""
    report: dict[str, Any] = {}
    if options.base_model:
        tokenizer = load_tokenizer(options.base_model)
        encoder = AutoModel.from_pretrained(options.base_model)
    else:
        started = time.monotonic()
        tokenizer = train_tokenizer(_tokenizer_texts(options, train), options.vocab_size)
        report["tokenizer_seconds"] = round(time.monotonic() - started, 1)
        config = new_encoder_config(len(tokenizer), hidden_size=options.hidden_size,
                                    layers=options.layers, intermediate_size=4 * options.hidden_size)
        encoder = BertModel(config)
    if options.pretrain_mlm_minutes > 0:
        unlabeled = options.shared_data_dir / "unlabeled"
        texts = read_unlabeled(unlabeled, "ru", options.unlabeled_chars, options.seed)
        # Azerbaijani is ~6 MB against 108 MB: read all of it and show it twice.
        texts += read_unlabeled(unlabeled, "az", 10_000_000, options.seed) * 2
        texts += list(iter_texts(train)) * 2
        report["mlm"] = pretrain_mlm(encoder, tokenizer, texts, options.pretrain_mlm_minutes,
                                     seed=options.seed)
        report["mlm"]["texts"] = len(texts)
        logger.info("mlm pretraining: %s", report["mlm"])
    return encoder, tokenizer, report


def _epoch_batches(train: list[Example], pools: dict[str, list[Example]], limit: int,
                   batch_size: int, rng: random.Random) -> list[list[Example]]:
    """Shuffle the epoch's rows into batches of similar length (less padding, ~2x faster on CPU).

    Rows are sorted by length within random windows of 50 batches, then batch order is shuffled.
    """
    rows = list(train)
    for pool in pools.values():
        rows += rng.sample(pool, min(limit, len(pool)))
    rng.shuffle(rows)
    window = batch_size * 50
    batches = []
    for start in range(0, len(rows), window):
        chunk = sorted(rows[start:start + window], key=lambda e: len(e.text) + len(e.context or ""))
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def _dev_logits(model: MultiTaskClassifier, tokenizer: PreTrainedTokenizerBase, meta: ModelMeta,
                dev: Sequence[Example]) -> dict[str, np.ndarray]:
    model.eval()
    classifier = PassageClassifier(model, tokenizer, meta, batch_size=128,
                                   threads=torch.get_num_threads())
    logits = classifier.logits(dev)
    model.train()
    return logits


def _predict(classifier_meta: ModelMeta, logits: dict[str, np.ndarray]) -> list[Any]:
    t = classifier_meta.temperatures
    stance = softmax(logits["stance"], t["stance"])
    hostile = softmax(logits["hostility"], t["hostility"])[:, 1]
    rhetoric = sigmoid(logits["rhetoric"], t["rhetoric"])
    return [decide(stance[i], float(hostile[i]), rhetoric[i], classifier_meta)
            for i in range(len(stance))]


def add_lexical_head(directory: Path, train: Sequence[Example], dev: Sequence[Example],
                     seed: int = 13) -> dict[str, Any]:
    """Fit the lexical head on `train`, blend weights and thresholds on `dev`, save both into the
    model `directory` (lexical_head.npz, mediawatch_model.json); return the dev blend curves.

    The transformer's thresholds are kept in the report so the transformer alone stays measurable.
    """
    classifier = PassageClassifier.load(directory, threads=torch.get_num_threads())
    meta = classifier.meta
    transformer_thresholds = dict(meta.thresholds)
    lexical = LexicalHead.fit(train, meta.target_names, seed=seed)
    curves = fit_blend(classifier.transformer_probabilities(dev), lexical.probabilities(dev),
                       dev, meta)
    lexical.save(directory)
    save_meta(meta, directory)
    return {"weights": meta.blend, "thresholds": meta.thresholds,
            "transformer_thresholds": transformer_thresholds, "dev_curves": curves}


def _score_model_dir(options: TrainOptions, transformer_thresholds: dict[str, float],
                     train: Sequence[Example], dev: Sequence[Example],
                     test: Sequence[Example]) -> dict[str, Any]:
    """Add the lexical head when asked, then score the saved model on dev and (once) on test.

    With the lexical head, the transformer alone is scored too, with its own thresholds.
    """
    metrics: dict[str, Any] = {}
    if options.ensemble_lexical:
        started = time.monotonic()
        metrics["ensemble"] = add_lexical_head(options.output_dir, train, dev, options.seed)
        metrics["ensemble"]["seconds"] = round(time.monotonic() - started, 1)
        alone = _transformer_alone(options.output_dir, transformer_thresholds)
        metrics["transformer_alone"] = {
            "dev": compute_metrics(dev, alone.predict(dev)),
            "test": compute_metrics(test, alone.predict(test)) if test else None}
    final = PassageClassifier.load(options.output_dir)
    metrics["dev"] = compute_metrics(dev, final.predict(dev))
    metrics["test"] = compute_metrics(test, final.predict(test)) if test else None
    return metrics


def _transformer_alone(directory: Path, thresholds: dict[str, float]) -> PassageClassifier:
    """Load the saved model without its lexical head, with the transformer's own thresholds."""
    classifier = PassageClassifier.load(directory)
    classifier.lexical = None
    classifier.meta.thresholds = dict(thresholds)
    return classifier


def _dev_score(metrics: dict[str, Any]) -> float:
    return float(((metrics["stance_macro_f1"] or 0.0) + (metrics["hostile_f1"] or 0.0)) / 2)


def _calibrate(meta: ModelMeta, logits: dict[str, np.ndarray], dev: Sequence[Example]) -> None:
    """Fit temperatures per head and the hostility/rhetoric thresholds on dev, into `meta`."""
    stance_y = np.array([STANCES.index(e.stance or "neutral") for e in dev])
    hostile_y = np.array([int(e.hostility == "hostile") for e in dev])
    rhetoric_y = np.array([[float(t in (e.rhetoric or ())) for t in RHETORIC_TYPES] for e in dev])
    hostile_rows = hostile_y == 1
    meta.temperatures = {
        "stance": round(fit_temperature(logits["stance"], stance_y), 4),
        "hostility": round(fit_temperature(logits["hostility"], hostile_y), 4),
        "rhetoric": round(fit_temperature(logits["rhetoric"][hostile_rows],
                                          rhetoric_y[hostile_rows], multilabel=True)
                          if hostile_rows.any() else 1.0, 4),
    }
    p_hostile = softmax(logits["hostility"], meta.temperatures["hostility"])[:, 1]
    meta.thresholds["hostility"] = pick_threshold(p_hostile, hostile_y)
    p_rhetoric = sigmoid(logits["rhetoric"], meta.temperatures["rhetoric"])
    meta.thresholds["rhetoric"] = pick_threshold(p_rhetoric[hostile_rows], rhetoric_y[hostile_rows])


def _fine_tune(model: MultiTaskClassifier, tokenizer: PreTrainedTokenizerBase, meta: ModelMeta,
               train: list[Example], dev: list[Example], pools: dict[str, list[Example]],
               options: TrainOptions) -> list[dict[str, Any]]:
    """Train all heads; keep the weights of the best dev epoch in `model`. Returns the history."""
    rng = random.Random(options.seed)
    lr = options.learning_rate or (5e-5 if options.base_model else 5e-4)
    rows_per_epoch = len(train) + sum(min(options.aux_limit, len(p)) for p in pools.values())
    total_steps = options.epochs * ((rows_per_epoch + options.batch_size - 1) // options.batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warmup = max(1, int(0.06 * total_steps))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total_steps - s) / (total_steps - warmup))))
    weights = _class_weights(train) if options.class_weights else None
    sep = tokenizer.sep_token or "[SEP]"
    history: list[dict[str, Any]] = []
    best_state, best_score = None, -1.0
    model.train()
    for epoch in range(1, options.epochs + 1):
        started, losses = time.monotonic(), []
        for batch in _epoch_batches(train, pools, options.aux_limit, options.batch_size, rng):
            inputs = encode_batch(tokenizer, [pair_text(e, meta, sep) for e in batch],
                                  options.max_length)
            labels = _labels(batch)
            loss = _loss(model(**inputs), labels, weights, options.aux_weight)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            losses.append(float(loss.detach()))
        metrics = compute_metrics(dev, _predict(meta, _dev_logits(model, tokenizer, meta, dev)))
        score = _dev_score(metrics)
        history.append({"epoch": epoch, "loss": round(float(np.mean(losses)), 4),
                        "dev_stance_macro_f1": metrics["stance_macro_f1"],
                        "dev_hostile_f1": metrics["hostile_f1"], "dev_score": round(score, 4),
                        "seconds": round(time.monotonic() - started, 1)})
        logger.info("epoch %s", history[-1])
        if score > best_score:
            best_score, best_state = score, copy.deepcopy(model.state_dict())
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history


def _split_dev(train: list[Example], seed: int) -> tuple[list[Example], list[Example]]:
    """Hold out 15% of train as dev when the corpus has no dev split (a tiny or partial corpus)."""
    shuffled = list(train)
    random.Random(seed).shuffle(shuffled)
    cut = max(1, len(shuffled) * 15 // 100)
    return shuffled[cut:], shuffled[:cut]


def train_model(options: TrainOptions) -> dict[str, Any]:
    """Train, calibrate and save a model into `options.output_dir`; return its metrics."""
    started = time.monotonic()
    torch.set_num_threads(options.threads)
    torch.manual_seed(options.seed)
    random.seed(options.seed)
    train = corpus_examples("train", options.corpus_dir)
    if options.train_limit:
        train = random.Random(options.seed).sample(train, min(options.train_limit, len(train)))
    dev = corpus_examples("dev", options.corpus_dir)
    if not dev:
        logger.warning("no dev split in %s: holding out 15%% of train", options.corpus_dir)
        train, dev = _split_dev(train, options.seed)
    pools = _load_aux(options)
    encoder, tokenizer, report = _build_encoder(options, train)
    version = f"{datetime.now(timezone.utc):%Y%m%d}-{len(train)}rows"
    meta = ModelMeta(name=options.name, version=version, aux_heads=list(
        {"az_sentiment": "polarity", "detox": "toxicity"}[n] for n in pools if n != "rusentne"),
        max_length=options.max_length, base_model=options.base_model)
    heads = {h: len(v) for h, v in meta.labels.items()}
    heads.update({h: len(AUX_HEADS[h]) for h in meta.aux_heads})
    model = MultiTaskClassifier(encoder, heads)
    history = _fine_tune(model, tokenizer, meta, train, dev, pools, options)
    dev_logits = _dev_logits(model, tokenizer, meta, dev)
    _calibrate(meta, dev_logits, dev)
    model.eval()
    save_model(model, tokenizer, meta, options.output_dir)
    export_onnx(options.output_dir)
    test = corpus_examples("test", options.corpus_dir)
    metrics = _score_model_dir(options, meta.thresholds, train, dev, test)
    metrics.update({
        "history": history, "pretraining": report,
        "rows": {"train": len(train), "dev": len(dev), "test": len(test),
                 "aux": {k: len(v) for k, v in pools.items()}},
        "parameters": sum(p.numel() for p in model.parameters()),
        "train_seconds": round(time.monotonic() - started, 1),
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(options).items()
                    if k not in ("output_dir", "corpus_dir", "shared_data_dir")},
        "command": options.command(),
    })
    (options.output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n",
                                                     encoding="utf-8")
    _write_model_card(options.output_dir, meta, metrics)
    return metrics


def _metric_line(label: str, m: dict[str, Any] | None) -> str:
    if not m:
        return f"| {label} | 0 | - | - | - |"
    cells = [m.get(k) for k in ("stance_macro_f1", "hostile_f1", "rhetoric_micro_f1")]
    return f"| {label} | {m['n']} | " + " | ".join("-" if c is None else f"{c:.3f}" for c in cells) + " |"


def _write_model_card(directory: Path, meta: ModelMeta, metrics: dict[str, Any]) -> None:
    """Write MODEL_CARD.md: what the model is, how it was trained, how to reproduce, scores."""
    lines = [
        f"# mediawatch classifier `{meta.name}` ({meta.version})", "",
        "Stance toward a target (against / neutral / favor), hostility (none / hostile) and",
        "hostile rhetoric types for one target + one passage (../shared/LABELING.md).",
        f"Encoder: {'fine-tuned ' + meta.base_model if meta.base_model else 'small BERT trained from scratch'},"
        f" {metrics['parameters']:,} parameters, weights stored as float16.", "",
        "## Reproduce", "", "```", metrics["command"], "```", "",
        "Run from the repository root with ../shared/data beside it (unlabelled text for the",
        "tokenizer and MLM pretraining, auxiliary datasets); MLM pretraining runs for a",
        "wall-clock budget, so the step count depends on the machine "
        f"(this run: {metrics['pretraining'].get('mlm', {}).get('steps', 0)} steps).", "",
        "## Data", "",
        f"Corpus rows: train {metrics['rows']['train']}, dev {metrics['rows']['dev']}, "
        f"test {metrics['rows']['test']}; auxiliary: {metrics['rows']['aux'] or 'none'}.",
        "Temperatures (per head, fitted on dev): " + json.dumps(meta.temperatures) + ".",
        "Thresholds (on calibrated probabilities, F1-optimal on dev): "
        + json.dumps(meta.thresholds) + ".", "",
        "## Scores", "", "| split | n | stance macro-F1 | hostile F1 | rhetoric micro-F1 |",
        "| --- | --- | --- | --- | --- |",
    ]
    systems = [("", metrics)]
    if "transformer_alone" in metrics:
        systems = [("final ", metrics), ("transformer alone, ", metrics["transformer_alone"])]
    for system, results in systems:
        for split in ("dev", "test"):
            m = results.get(split)
            lines.append(_metric_line(f"{system}{split}", m))
            for lang, sub in (m or {}).get("per_language", {}).items():
                lines.append(_metric_line(f"{system}{split} {lang}", sub))
            for target, sub in (m or {}).get("per_target", {}).items():
                lines.append(_metric_line(f"{system}{split} {target}", sub))
    if "ensemble" in metrics:
        lines += ["", "Final = transformer (calibrated) blended with a lexical head fitted on the same "
                  "train split: TF-IDF char 2-5-grams and word 1-2-grams, each feature also copied "
                  "per target, + logistic regression (lexical_head.npz, plain arrays; nlp/lexical.py).",
                  "Transformer weight per head, chosen on dev: "
                  + json.dumps(metrics["ensemble"]["weights"]) + "; thresholds on the blended "
                  "probabilities: " + json.dumps(metrics["ensemble"]["thresholds"])
                  + " (the transformer alone uses the thresholds above)."]
    lines += ["", f"Training time: {metrics['train_seconds'] / 60:.1f} min on "
              f"{metrics['options']['threads']} CPU threads.", "",
              "## Limits", "",
              "Trained on a few thousand written-to-guideline passages; real outlets' wording",
              "differs. Scores on real text are in the project's eval reports, not here.", ""]
    (directory / "MODEL_CARD.md").write_text("\n".join(lines), encoding="utf-8")
