"""`mediawatch demo`: ingest the bundled sample into the embedded store and show what is stored."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from mediawatch.cli.app import console, settings_from
from mediawatch.cli.storage import read_article_rows
from mediawatch.settings import CONFIG_DIR

from indexer import open_store

__all__ = ["register"]

SAMPLE = CONFIG_DIR / "demo" / "sample_articles.jsonl"


def demo(
    ctx: typer.Context,
    store: Optional[str] = typer.Option(None, "--store", help="Store URL (default: the embedded store)."),
    sample: Path = typer.Option(SAMPLE, "--sample", help="Article JSONL to ingest."),
) -> None:
    """Ingest a small bundled sample into the store and print what is stored."""
    settings = settings_from(ctx)
    with open_store(store or settings.store_url, settings) as target:
        result = target.upsert_many(read_article_rows(sample))
        table = Table(title=f"{target.count()} article(s) in {target.url}")
        for column in ("published (UTC)", "outlet", "lang", "title"):
            table.add_column(column)
        for doc in sorted(target.iter_articles(), key=lambda d: d.article.published_at or d.article.crawled_at or 0):
            a = doc.article
            table.add_row(str(a.published_at), a.outlet_id, a.language, a.title)
        console.print(table)
        console.print(f"ingested {result.written} article(s) from {sample}")


def register(app: typer.Typer) -> None:
    """Add `demo` to the app."""
    app.command("demo")(demo)
