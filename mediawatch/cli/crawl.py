"""CLI commands of the crawler: `crawl` (discover, fetch, extract, store) and `extract` (one page)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from mediawatch.cli.app import console, err_console, settings_from
from mediawatch.errors import DropArticle, InputError

__all__ = ["register"]


def _summary_table(report: object) -> Table:
    from crawlers.runner import CrawlReport

    assert isinstance(report, CrawlReport)
    table = Table(title=f"crawl {report.finish_reason} in {report.elapsed_s:.1f} s")
    spooled = any(s.spooled for s in report.sources)  # a column only when the store was down
    columns = ("source", "discovered", "fetched", "stored") + (("spooled",) if spooled else ()) \
        + ("skipped", "failed", "why")
    for column in columns:
        table.add_column(column, justify="left" if column in ("source", "why") else "right")
    for s in report.sources:
        why = ", ".join(f"{k} {v}" for k, v in sorted({**s.skipped, **s.failed}.items()))
        table.add_row(s.source_id, str(s.discovered), str(s.fetched), str(s.stored),
                      *((str(s.spooled),) if spooled else ()), str(s.skipped_total),
                      str(s.failed_total), why)
    return table


def crawl(
    ctx: typer.Context,
    source: Optional[list[str]] = typer.Option(None, "--source", help="Source id from the registry (repeatable)."),
    all_sources: bool = typer.Option(False, "--all", help="Crawl every source of the registry."),
    since: Optional[str] = typer.Option(None, "--since", help="Date window, e.g. 2d or 12h (default: crawl.since)."),
    sources_file: Optional[Path] = typer.Option(None, "--sources-file", help="A sources file of the sources.yaml schema."),
    store: Optional[str] = typer.Option(None, "--store", help="Store URL (default: store.url or the embedded SQLite)."),
    refresh: bool = typer.Option(False, "--refresh", help="Fetch articles already in the store again."),
    no_classify: bool = typer.Option(False, "--no-classify", help="Store articles unclassified."),
) -> None:
    """Crawl sources into the store and print a summary per source; exit 0 when it completed."""
    from crawlers.registry import parse_interval
    from crawlers.runner import run_crawl

    if bool(source) == all_sources:
        raise InputError("give --source ID (one or more) or --all, not both and not neither")
    if since is not None:
        try:
            parse_interval(since)
        except ValueError as exc:
            raise InputError(f"--since: {exc}") from None
    settings = settings_from(ctx)
    report = run_crawl(settings, source_ids=None if all_sources else list(source or []),
                       sources_file=sources_file, since=since, store_url=store, refresh=refresh,
                       classify=not no_classify,
                       progress=lambda line: err_console.print(line, highlight=False))
    console.print(_summary_table(report))
    spooled = sum(s.spooled for s in report.sources)
    if spooled:
        err_console.print(f"{spooled} article(s) spooled to the outbox while the store was unreachable;"
                          " the next crawl or `mediawatch outbox flush` delivers them")
    if not report.completed:
        raise typer.Exit(1)


def extract(
    ctx: typer.Context,
    page: Path = typer.Argument(..., help="A saved HTML page."),
    url: str = typer.Option(..., "--url", help="The URL the page was fetched from."),
    source: Optional[str] = typer.Option(None, "--source", help="Source id: applies its overrides and time zone."),
    sources_file: Optional[Path] = typer.Option(None, "--sources-file", help="A sources file of the sources.yaml schema."),
) -> None:
    """Run the crawl's extraction on a saved page and print the article as JSON."""
    from crawlers.extraction import Page, extract_article
    from crawlers.registry import load_sources

    settings = settings_from(ctx)
    try:
        body = page.read_bytes()
    except OSError as exc:
        raise InputError(f"{page}: cannot read ({exc.strerror})") from None
    outlet = load_sources(sources_file).get(source) if source else None
    try:
        article = extract_article(Page(url=url, body=body), outlet, fast=settings.crawl.extract_fast)
    except DropArticle as exc:
        err_console.print(f"no article in {page}: {exc}")
        raise typer.Exit(1) from None
    console.print_json(json.dumps(article.to_dict(), ensure_ascii=False))


def register(app: typer.Typer) -> None:
    """Add `crawl` and `extract` to the CLI."""
    app.command("crawl")(crawl)
    app.command("extract")(extract)
