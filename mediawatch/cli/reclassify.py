"""`mediawatch reclassify`: re-run the classifier over stored articles in place after a model upgrade.

Each article is rewritten by id (an idempotent upsert) with the new analyses and the model's
name and version, so a run cut short is simply run again: articles already carrying the new
version are skipped unless --force.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

import typer

from mediawatch.cli.app import err_console, settings_from
from mediawatch.cli.storage import open_cli_store

__all__ = ["register", "reclassify"]

logger = logging.getLogger(__name__)


def reclassify(
    ctx: typer.Context,
    store: Optional[str] = typer.Option(None, "--store", help="Store URL (default: the configured store)."),
    model: Optional[Path] = typer.Option(None, "--model", help="Model directory (default: classifier.model)."),
    batch_size: int = typer.Option(64, "--batch-size", min=1, help="Articles classified per call."),
    force: bool = typer.Option(False, "--force", help="Also re-classify articles already at this model version."),
) -> None:
    """Classify every stored article again with the current model, keeping the model version on each."""
    from nlp.articles import ArticleClassifier

    settings = settings_from(ctx, **({"classifier.model": str(model)} if model else {}))
    classifier = ArticleClassifier.from_settings(settings)
    version = (classifier.model_name, classifier.model_version)
    done = skipped = failed = 0
    with open_cli_store(ctx, store) as target:
        # Ids first: rewriting articles while a cursor walks the same table is not safe everywhere.
        stale = [doc.id for doc in target.iter_articles()
                 if force or (doc.model_name, doc.model_version) != version]
        skipped = target.count() - len(stale)
        for start in range(0, len(stale), batch_size):
            docs = [d for d in (target.get(i) for i in stale[start:start + batch_size]) if d is not None]
            fresh = classifier.classify([d.article for d in docs])
            result = target.upsert_many([old.with_targets(new.targets, *version)
                                         for old, new in zip(docs, fresh)])
            done += result.written
            failed += len(result.failed)
            for article_id, why in result.failed:
                err_console.print(f"failed {article_id}: {why}")
    err_console.print(f"re-classified {done} article(s) with {version[0]} {version[1]}; "
                      f"{skipped} already current" + (f", {failed} failed" if failed else ""))
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `reclassify` to the app."""
    app.command("reclassify")(reclassify)
