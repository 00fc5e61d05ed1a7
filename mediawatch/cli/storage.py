"""CLI commands that move articles in and out of a store: `ingest` and `export`."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Optional

import typer

from indexer import Store, open_store
from mediawatch.cli.app import err_console, settings_from
from mediawatch.documents import ClassifiedArticle
from mediawatch.errors import InputError

__all__ = ["register", "read_article_rows", "open_cli_store"]

REQUIRED_FIELDS = ("url", "title", "body", "published_at")
BATCH_SIZE = 500  # articles per upsert call


def open_cli_store(ctx: typer.Context, store_url: str | None) -> Store:
    """Open the store named on the command line, or the configured/embedded one."""
    settings = settings_from(ctx)
    return open_store(store_url or settings.store_url, settings)


def _parse_row(line: str, where: str) -> ClassifiedArticle:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not valid JSON ({exc.msg}); each line must be one JSON object") from None
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(data).__name__}")
    missing = [f for f in REQUIRED_FIELDS if not data.get(f)]
    if not (data.get("outlet") or data.get("outlet_id")):
        missing.insert(0, "outlet")
    if missing:
        raise InputError(f"{where}: missing field(s) {', '.join(missing)}; required: url, outlet,"
                         " title, body, published_at (ISO-8601)")
    try:
        return ClassifiedArticle.from_dict(data)
    except ValueError as exc:
        raise InputError(f"{where}: bad value ({exc}); published_at must be ISO-8601,"
                         " e.g. 2026-11-25T08:00:00Z") from None
    except (KeyError, TypeError) as exc:
        raise InputError(f"{where}: bad or missing field {exc}") from None


def read_article_rows(path: Path) -> Iterator[ClassifiedArticle]:
    """Yield articles from a JSONL file (blank lines skipped); InputError names file:line."""
    try:
        handle: IO[str] = sys.stdin if str(path) == "-" else path.open(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a JSONL file") from None
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield _parse_row(line, f"{path}:{number}")
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not UTF-8 text ({exc.reason})") from None


def ingest(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Article JSONL (url, outlet, title, body, published_at ISO-8601; optional language, authors, section, targets). '-' reads stdin."),
    store: Optional[str] = typer.Option(None, "--store", help="Store URL: sqlite:///path.db or http(s)://host:port. Default: the embedded store."),
    spool: bool = typer.Option(False, "--spool", help="If the store is unreachable, spool to the outbox instead of failing (deliver later with `outbox flush`)."),
) -> None:
    """Read article JSONL into the store (idempotent: re-ingesting updates in place)."""
    if str(file) != "-":
        for _ in read_article_rows(file):  # validate the whole file before writing anything
            pass
    if spool:
        _ingest_with_spool(ctx, file, store)
        return
    written = failed = 0
    with open_cli_store(ctx, store) as target:
        batch: list[ClassifiedArticle] = []
        for doc in read_article_rows(file):
            batch.append(doc)
            if len(batch) >= BATCH_SIZE:
                written, failed = _flush(target, batch, written, failed)
        written, failed = _flush(target, batch, written, failed)
        err_console.print(f"ingested {written} article(s) into {target.url}"
                          + (f", {failed} failed" if failed else ""))
    if failed:
        raise typer.Exit(1)


def _ingest_with_spool(ctx: typer.Context, file: Path, store_url: str | None) -> None:
    from mediawatch.outbox import Outbox, ResilientWriter

    settings = settings_from(ctx)
    writer = ResilientWriter(lambda: open_cli_store(ctx, store_url), Outbox(settings.data_dir))
    try:
        flushed = writer.flush_outbox()
        if flushed and flushed.delivered:
            err_console.print(f"delivered {flushed.delivered} previously spooled article(s)")
        batch: list[ClassifiedArticle] = []
        for doc in read_article_rows(file):
            batch.append(doc)
            if len(batch) >= BATCH_SIZE:
                writer.write(batch)
                batch = []
        writer.write(batch)
    finally:
        writer.close()
    err_console.print(f"ingested {writer.written} article(s), spooled {writer.spooled} to {writer.outbox.path}"
                      + (f", {len(writer.failed)} failed" if writer.failed else ""))
    if writer.failed:
        raise typer.Exit(1)


def _flush(store: Store, batch: list[ClassifiedArticle], written: int, failed: int) -> tuple[int, int]:
    if batch:
        result = store.upsert_many(batch)
        for article_id, reason in result.failed:
            err_console.print(f"failed {article_id}: {reason}")
        written, failed = written + result.written, failed + len(result.failed)
        batch.clear()
    return written, failed


def export(
    ctx: typer.Context,
    out: Optional[Path] = typer.Option(None, "--out", help="Write JSONL here instead of stdout."),
    store: Optional[str] = typer.Option(None, "--store", help="Store URL (default: the embedded store)."),
) -> None:
    """Write every stored article as JSONL, all stored fields, ordered by id."""
    count = 0
    with open_cli_store(ctx, store) as source:
        handle = out.open("w", encoding="utf-8") if out else sys.stdout
        try:
            for doc in source.iter_articles():
                handle.write(json.dumps(doc.to_dict(), ensure_ascii=False) + "\n")
                count += 1
        finally:
            if out:
                handle.close()
    if out:
        err_console.print(f"exported {count} article(s) to {out}")


def register(app: typer.Typer) -> None:
    """Add `ingest` and `export` to the app."""
    app.command("ingest")(ingest)
    app.command("export")(export)
