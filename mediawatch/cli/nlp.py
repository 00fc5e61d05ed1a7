"""CLI commands of the classifier: `classify`, `eval`, `train`, `model export-onnx` (see nlp/ for
the work itself)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from mediawatch.cli.app import console, settings_from
from mediawatch.errors import ConfigError, InputError
from mediawatch.settings import PROJECT_ROOT

__all__ = ["register", "model_app"]

model_app = typer.Typer(help="Saved classifier model directories.", no_args_is_help=True)


def _model_dir(ctx: typer.Context, model: Optional[Path]) -> Path:
    return model if model is not None else settings_from(ctx).model_dir


def _load_classifier(ctx: typer.Context, model: Optional[Path], quantize: bool = False) -> Any:
    from nlp.inference import PassageClassifier

    settings = settings_from(ctx).classifier
    return PassageClassifier.load(_model_dir(ctx, model), batch_size=settings.batch_size,
                                  threads=settings.threads, quantize=quantize,
                                  max_length=settings.max_length)


def _stdin_rows(default_target: Optional[str]) -> list[Any]:
    """Read JSONL passages (text, target, optional context) from stdin; InputError on bad rows."""
    from nlp.examples import Example

    rows = []
    for number, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"stdin:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(data, dict) or not data.get("text"):
            raise InputError(f"stdin:{number}: a row needs a non-empty \"text\"")
        target = data.get("target") or default_target
        if not target:
            raise InputError(f"stdin:{number}: no \"target\" in the row and no --target given")
        rows.append(Example(text=str(data["text"]), target=str(target),
                            context=data.get("context") or None, id=str(data.get("id") or "")))
    return rows


def classify(
    ctx: typer.Context,
    target: Optional[str] = typer.Option(None, "--target", help="Target (azerbaijan, russia, or free text); default for stdin rows."),
    text: Optional[str] = typer.Option(None, "--text", help="One passage; without it, JSONL rows are read from stdin."),
    context: Optional[str] = typer.Option(None, "--context", help="Context sentence(s) for --text."),
    model: Optional[Path] = typer.Option(None, "--model", help="Model directory (default: classifier.model)."),
    quantize: bool = typer.Option(False, "--quantize", help="int8 dynamic quantisation (faster, see MODEL_CARD)."),
) -> None:
    """Classify passages: one JSON object per passage, in input order."""
    from nlp.examples import Example

    if text is not None:
        if not target:
            raise InputError("--text needs --target")
        rows = [Example(text=text, target=target, context=context)]
    else:
        rows = _stdin_rows(target)
    classifier = _load_classifier(ctx, model, quantize)
    for row, prediction in zip(rows, classifier.predict(rows)):
        out = {"id": row.id} if row.id else {}
        out.update({"target": row.target, "text": row.text, **prediction.to_dict()})
        typer.echo(json.dumps(out, ensure_ascii=False))


def evaluate(
    ctx: typer.Context,
    data: Path = typer.Option(..., "--data", help="Rows in LABELING.md format (JSONL), or a RuSentNE TSV."),
    model: Optional[Path] = typer.Option(None, "--model", help="Model directory (default: classifier.model)."),
    baseline: bool = typer.Option(False, "--baseline", help="Also score the TF-IDF baseline trained on the corpus train split."),
    output_format: str = typer.Option("table", "--format", help="table | json"),
    quantize: bool = typer.Option(False, "--quantize", help="Evaluate the int8-quantised model."),
    corpus_dir: Optional[Path] = typer.Option(None, "--corpus-dir", help="Corpus whose train split fits the baseline (default nlp/data/corpus)."),
) -> None:
    """Score the classifier (and optionally the baseline) on a labelled file."""
    from nlp.evaluate import compute_metrics, format_table
    from nlp.examples import corpus_examples, read_examples

    if output_format not in ("table", "json"):
        raise InputError(f"--format must be table or json, not {output_format!r}")
    examples = read_examples(data)
    if not examples:
        raise InputError(f"{data}: no rows")
    results: dict[str, dict[str, Any]] = {}
    classifier = _load_classifier(ctx, model, quantize)
    results["model"] = compute_metrics(examples, classifier.predict(examples))
    if baseline:
        from nlp.baseline import TfidfBaseline

        train_rows = corpus_examples("train", corpus_dir) if corpus_dir else corpus_examples("train")
        if not train_rows:
            raise InputError(f"no *_train.jsonl rows in {corpus_dir or 'nlp/data/corpus'} to fit the baseline")
        fitted = TfidfBaseline().fit(train_rows)
        results["baseline"] = compute_metrics(examples, fitted.predict(examples))
    if output_format == "json":
        out = dict(results["model"])
        out["model"] = {"name": classifier.name, "version": classifier.version}
        if baseline:
            out["baseline"] = results["baseline"]
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        console.print(format_table(results), highlight=False, soft_wrap=True)


def train(
    from_scratch: bool = typer.Option(False, "--from-scratch", help="Train tokenizer and a small BERT here."),
    base_model: Optional[str] = typer.Option(None, "--base-model", help="Fine-tune this checkpoint (local path or hub id)."),
    name: str = typer.Option("default", "--name", help="Model name; saved to models/NAME/."),
    output: Optional[Path] = typer.Option(None, "--output", help="Directory to save to (default models/NAME)."),
    epochs: int = typer.Option(8, "--epochs", min=1),
    pretrain_mlm_minutes: float = typer.Option(0.0, "--pretrain-mlm-minutes", min=0, help="Masked-LM pretraining on ../shared/data/unlabeled first, wall-clock minutes."),
    aux: list[str] = typer.Option([], "--aux", help="Auxiliary real dataset (repeatable): rusentne, az_sentiment, detox."),
    class_weights: bool = typer.Option(True, "--class-weights/--no-class-weights"),
    ensemble_lexical: bool = typer.Option(False, "--ensemble-lexical", help="Blend in a TF-IDF (char 2-5 + word 1-2-grams, per target) + logistic-regression head (weights chosen on dev)."),
    learning_rate: Optional[float] = typer.Option(None, "--learning-rate"),
    batch_size: int = typer.Option(32, "--batch-size", min=1),
    max_length: int = typer.Option(128, "--max-length", min=16, help="Word pieces per passage."),
    vocab_size: int = typer.Option(12000, "--vocab-size", min=100),
    hidden_size: int = typer.Option(192, "--hidden-size", min=16),
    layers: int = typer.Option(4, "--layers", min=1),
    aux_limit: int = typer.Option(1500, "--aux-limit", min=1, help="Auxiliary rows per dataset per epoch."),
    aux_weight: float = typer.Option(0.5, "--aux-weight", min=0),
    train_limit: Optional[int] = typer.Option(None, "--train-limit", help="Use only N training rows (quick checks)."),
    threads: int = typer.Option(2, "--threads", min=1, help="torch threads"),
    seed: int = typer.Option(13, "--seed"),
    corpus_dir: Optional[Path] = typer.Option(None, "--corpus-dir", help="Labelled corpus folder (default nlp/data/corpus)."),
) -> None:
    """Train the classifier and save it with tokenizer, calibration, metrics and model card."""
    from nlp.train import AUX_DATASETS, TrainOptions, train_model

    if from_scratch == bool(base_model):
        raise InputError("give exactly one of --from-scratch or --base-model PATH_OR_HUB_ID")
    unknown = sorted(set(aux) - set(AUX_DATASETS))
    if unknown:
        raise InputError(f"unknown --aux {unknown}; choose from {', '.join(AUX_DATASETS)}")
    options = TrainOptions(
        output_dir=output or PROJECT_ROOT / "models" / name, name=name, base_model=base_model,
        epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, max_length=max_length,
        vocab_size=vocab_size, hidden_size=hidden_size, layers=layers,
        pretrain_mlm_minutes=pretrain_mlm_minutes, aux=tuple(aux), aux_limit=aux_limit,
        aux_weight=aux_weight, class_weights=class_weights, ensemble_lexical=ensemble_lexical,
        train_limit=train_limit,
        threads=threads, seed=seed)
    if corpus_dir is not None:
        options.corpus_dir = corpus_dir
    metrics = train_model(options)
    dev = metrics["dev"]
    console.print(f"saved {options.output_dir}: dev stance macro-F1 {dev['stance_macro_f1']}, "
                  f"hostile F1 {dev['hostile_f1']}, {metrics['train_seconds'] / 60:.1f} min",
                  highlight=False)


@model_app.command("export-onnx")
def export_onnx(
    ctx: typer.Context,
    directory: Optional[Path] = typer.Argument(None, help="Model directory (default: classifier.model).", file_okay=False),
) -> None:
    """Write DIR/model.onnx (ONNX Runtime inference, no torch) from the model saved there."""
    from nlp.model import META_FILE, WEIGHTS_FILE

    model_dir = _model_dir(ctx, directory)
    if not (model_dir / META_FILE).is_file() or not (model_dir / WEIGHTS_FILE).is_file():
        raise ConfigError(f"no trained classifier in {model_dir}",
                          fix="give a directory saved by `mediawatch train`")
    from nlp.onnx_export import export_onnx as export

    path = export(model_dir)
    console.print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB); its logits match torch's "
                  "within 1e-4", highlight=False)


def register(app: typer.Typer) -> None:
    """Add classify, eval, train and the `model` group to the mediawatch CLI."""
    app.command("classify")(classify)
    app.command("eval")(evaluate)
    app.command("train")(train)
    app.add_typer(model_app, name="model")
