"""`mediawatch demo`: the end-to-end demo (mediawatch/demo.py) and the report of where everything is."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from mediawatch.cli.app import console, err_console, settings_from
from mediawatch.demo import TREND_DAYS, TREND_TARGET, DemoOptions, DemoResult, run_demo
from mediawatch.documents import format_datetime

__all__ = ["register"]

_BAR = "█"
_BAR_MAX = 25  # characters; longer bars are cut


def _crawl_table(result: DemoResult) -> Table:
    assert result.crawl is not None
    table = Table(title=f"crawl {result.crawl.finish_reason} in {result.crawl.elapsed_s:.1f} s")
    for column in ("outlet", "discovered", "fetched", "stored", "skipped", "failed"):
        table.add_column(column, justify="left" if column == "outlet" else "right")
    for s in result.crawl.sources:
        table.add_row(s.source_id, str(s.discovered), str(s.fetched), str(s.stored),
                      str(s.skipped_total), str(s.failed_total))
    return table


def _trend_table(result: DemoResult) -> Table:
    """Hostile mentions of the target per day, a column pair per outlet country, and a bar for RU."""
    countries = sorted({b.group or "-" for b in result.trend}, key=lambda c: (c != "RU", c))
    cells = {(format_datetime(b.start)[:10], b.group or "-"): b for b in result.trend}
    days = sorted({day for day, _ in cells})
    table = Table(title=f"{TREND_TARGET}: mentions per day by outlet country, last {TREND_DAYS} days")
    table.add_column("day", no_wrap=True, min_width=10)
    for country in countries:
        table.add_column(f"{country} hostile", justify="right")
        table.add_column(f"{country} all", justify="right")
    table.add_column("RU hostile", no_wrap=True)
    for day in days:
        row = [day]
        for country in countries:
            bucket = cells.get((day, country))
            row += [str(bucket.hostile), str(bucket.mentions)] if bucket else ["0", "0"]
        ru = cells.get((day, "RU"))
        row.append(f"[red]{_BAR * min(ru.hostile if ru else 0, _BAR_MAX)}[/]")
        table.add_row(*row)
    return table


def _write_chart(result: DemoResult) -> Path:
    from mediawatch.cli.monitor import plot_trend  # what `trends --plot` draws

    path = result.out_dir / f"trend-{TREND_TARGET}.png"
    plot_trend(result.trend, path, f"{TREND_TARGET}: hostile mentions per day by outlet country")
    return path


def _print_alerts(result: DemoResult) -> None:
    report = result.alerts
    for alert in report.new:
        console.print(f"new {alert.kind} alert: {alert.target} {alert.group_by}={alert.group} on "
                      f"{format_datetime(alert.bucket_start)[:10]}: {alert.hostile} hostile mentions vs "
                      f"baseline {alert.baseline:.1f} (z {alert.z_score:.1f}, {alert.severity})"
                      + (f"; folded: {', '.join(alert.folded)}" if alert.folded else ""), highlight=False)
    if not report.new:
        console.print("no new alert: the spike was already alerted on an earlier run "
                      "(alert state is kept in the store)", highlight=False)
    console.print(f"emails sent now: {len(report.sent)}, still pending: {len(report.pending)}",
                  highlight=False)


def _print_locations(result: DemoResult, chart: Path, elapsed_s: float) -> None:
    store = result.store_url
    lines = [
        ("output folder", str(result.out_dir)),
        ("store", store),
        ("chart", str(chart)),
        ("sources file", str(result.sources_file)),
        ("replayed sites", str(result.site_dir)),
        ("alert emails", ", ".join(str(p) for p in result.new_mail) or "none new this run"),
        ("mailbox (all runs)", f"{result.mail_dir} ({len(result.mailbox)} .eml)"),
    ]
    table = Table(title=f"demo finished in {elapsed_s:.0f} s", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("where", overflow="fold")
    for what, where in lines:
        table.add_row(what, escape(where))
    console.print(table)
    console.print("Explore the store:", highlight=False)
    for command in (f"mediawatch trends --target {TREND_TARGET} --by outlet --since 21d --store {store}",
                    f"mediawatch search --target {TREND_TARGET} --hostile --since 7d --store {store}",
                    f"mediawatch alerts backtest --since 60d --store {store}",
                    f"mediawatch export --store {store} --out articles.jsonl"):
        console.print(f"  {escape(command)}", highlight=False, soft_wrap=True)


def demo(
    ctx: typer.Context,
    out: Path = typer.Option(Path("demo-output"), "--out", help="Folder for the store, site, chart and emails."),
    store: Optional[str] = typer.Option(None, "--store", help="Store URL (default: sqlite in the --out folder)."),
    weeks: int = typer.Option(6, "--weeks", min=2, max=12, help="Weeks of history on the replayed sites."),
) -> None:
    """Replay outlet sites locally, crawl, classify, index, print trends and mail the spike alert."""
    started = time.monotonic()
    settings = settings_from(ctx)
    result = run_demo(settings, DemoOptions(out_dir=out, store_url=store, weeks=weeks),
                      progress=lambda line: err_console.print(line, highlight=False, soft_wrap=True))
    console.print(_crawl_table(result))
    console.print(f"{result.stored} articles in the store", highlight=False)
    console.print(_trend_table(result))
    chart = _write_chart(result)
    _print_alerts(result)
    _print_locations(result, chart, time.monotonic() - started)


def register(app: typer.Typer) -> None:
    """Add `demo` to the app."""
    app.command("demo")(demo)
