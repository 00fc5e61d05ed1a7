"""`mediawatch schedule`: run the monitor's crawl, alert and digest jobs (mediawatch/scheduler.py)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Optional

import typer

from mediawatch.cli.app import err_console, settings_from
from mediawatch.documents import format_datetime

__all__ = ["register", "schedule"]


def schedule(
    ctx: typer.Context,
    sources: Optional[str] = typer.Option(None, "--sources", help="Comma-separated source ids (default: all)."),
    once: bool = typer.Option(False, "--once", help="Run every due job one time and exit (for cron and tests)."),
    store: Optional[str] = typer.Option(None, "--store", help="Store URL (default: store.url or the embedded SQLite)."),
    sources_file: Optional[Path] = typer.Option(None, "--sources-file", help="A sources file of the sources.yaml schema."),
) -> None:
    """Crawl each source at its interval, check alerts, send the daily digest; stop on SIGTERM/SIGINT."""
    from mediawatch.scheduler import JobOptions, MonitorScheduler, install_stop_signals, source_intervals

    settings = settings_from(ctx)
    root = ctx.find_root().obj or {}
    config = root.get("config")
    selected = [s.strip() for s in sources.split(",") if s.strip()] if sources else None
    intervals = source_intervals(str(sources_file) if sources_file else None, selected)
    options = JobOptions(config_file=str(config) if config else None, store_url=store,
                         sources_file=str(sources_file.resolve()) if sources_file else None)
    monitor = MonitorScheduler(settings, intervals, options)
    if once:
        monitor.start(paused=True)
        try:
            ran = monitor.run_due()
            next_runs = monitor.next_runs()
        finally:
            monitor.shutdown(wait=True)
        err_console.print(f"ran {len(ran)} due job(s): {', '.join(ran) or 'none'}")
        upcoming = min((t for t in next_runs.values() if t), default=None)
        err_console.print(f"next due: {format_datetime(upcoming) or 'never'}")
        return
    stop = threading.Event()
    restore = install_stop_signals(stop)
    err_console.print(f"scheduling {len(intervals)} source(s); jobs in {settings.data_dir / 'scheduler.db'};"
                      " Ctrl-C or SIGTERM stops after running jobs finish")
    try:
        monitor.run_until(stop)
    finally:
        restore()
    err_console.print("scheduler stopped")


def register(app: typer.Typer) -> None:
    """Add `schedule` to the app."""
    app.command("schedule")(schedule)
