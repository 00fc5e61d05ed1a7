"""`mediawatch outbox status|flush`: see and deliver what was spooled while the store was down."""

from __future__ import annotations

from typing import Optional

import typer

from mediawatch.cli.app import console, err_console, settings_from
from mediawatch.cli.storage import open_cli_store
from mediawatch.outbox import Outbox

__all__ = ["register"]

outbox_app = typer.Typer(help="The local spool used while the store is unreachable.", no_args_is_help=True)


@outbox_app.command("status")
def status(ctx: typer.Context) -> None:
    """Show how many spooled batches and articles are waiting."""
    outbox = Outbox(settings_from(ctx).data_dir)
    files = outbox.files()
    console.print(f"{len(files)} batch file(s), {outbox.count()} article(s) waiting in {outbox.path}")
    rejected = sorted(outbox.rejected_path.glob("*.jsonl")) if outbox.rejected_path.is_dir() else []
    if rejected:
        console.print(f"{len(rejected)} rejected batch file(s) to inspect in {outbox.rejected_path}")


@outbox_app.command("flush")
def flush(
    ctx: typer.Context,
    store: Optional[str] = typer.Option(None, "--store", help="Store URL (default: the configured store)."),
) -> None:
    """Deliver every spooled article to the store, exactly once (upserts are idempotent)."""
    outbox = Outbox(settings_from(ctx).data_dir)
    with open_cli_store(ctx, store) as target:
        report = outbox.flush(target)
    err_console.print(f"delivered {report.delivered} article(s) from {report.files_done} file(s)"
                      + (f"; {len(report.failed)} refused (see {outbox.rejected_path})" if report.failed else "")
                      + (f"; {report.files_left} file(s) left: {report.error}" if report.error else ""))
    if report.error:
        raise typer.Exit(2)
    if report.failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the `outbox` group."""
    app.add_typer(outbox_app, name="outbox")
