"""CLI doors for analysts: `search`, `trends`, and `alerts check|backtest`."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from indexer import SearchFilters, Store, TrendBucket, TrendQuery
from mediawatch.alerts import Alert, AlertChecker
from mediawatch.cli.app import console, err_console, settings_from
from mediawatch.cli.storage import open_cli_store
from mediawatch.documents import TARGETS, ClassifiedArticle, format_datetime
from mediawatch.errors import InputError
from mediawatch.mailer import Mailer
from mediawatch.settings import Settings

__all__ = ["register", "parse_since", "build_checker"]

alerts_app = typer.Typer(help="Spike detection and alert emails.", no_args_is_help=True)
_SINCE = re.compile(r"^(\d+)([hdw])$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """Turn '30d', '12h', '2w' or an ISO date into an aware UTC datetime; InputError otherwise."""
    now = now or datetime.now(timezone.utc)
    match = _SINCE.match(text.strip())
    if match:
        return now - int(match.group(1)) * _UNITS[match.group(2)]
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"--since {text!r}: use a duration like 30d, 12h, 2w or an ISO date") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _check_target(target: str | None) -> None:
    if target is not None and target not in TARGETS:
        raise InputError(f"--target {target!r}: one of {', '.join(TARGETS)}")


def search(
    ctx: typer.Context,
    query: Optional[str] = typer.Argument(None, help="Words to find in title and body (all must match)."),
    target: Optional[str] = typer.Option(None, "--target", help="Only articles mentioning this target."),
    hostile: bool = typer.Option(False, "--hostile", help="Only articles hostile toward the target."),
    outlet: Optional[str] = typer.Option(None, "--outlet", help="Only this outlet id."),
    since: Optional[str] = typer.Option(None, "--since", help="e.g. 7d, 24h, or an ISO date."),
    limit: int = typer.Option(20, "--limit", min=1, max=1000),
    output: str = typer.Option("table", "--format", help="table | json"),
    store: Optional[str] = typer.Option(None, "--store", help="Store URL (default: the embedded store)."),
) -> None:
    """Show matching articles with their evidence sentences highlighted."""
    _check_target(target)
    filters = SearchFilters(target=target, hostile=hostile, outlet=outlet,
                            since=parse_since(since) if since else None)
    with open_cli_store(ctx, store) as source:
        hits = source.search(query, filters, limit=limit)
    if output == "json":
        for doc in hits:
            console.print_json(json.dumps(doc.to_dict(), ensure_ascii=False))
        return
    for doc in hits:
        _print_hit(doc, target)
    err_console.print(f"{len(hits)} match(es)")


def _print_hit(doc: ClassifiedArticle, target: str | None) -> None:
    a = doc.article
    console.print(f"[bold]{escape(a.title)}[/]  [dim]{escape(a.outlet_id)} · {format_datetime(a.published_at)}"
                  f" · {escape(a.url)}[/]")
    for analysis in doc.targets:
        if target and analysis.target != target:
            continue
        flags = f"{analysis.target}: {analysis.stance}, {analysis.hostility}"
        if analysis.rhetoric:
            flags += f" ({', '.join(analysis.rhetoric)})"
        console.print(f"  {flags}")
        for ev in analysis.evidence:
            console.print(f"    [reverse]{escape(ev.text)}[/] [dim]@{ev.start}-{ev.end} {ev.score:.2f}[/]")


def trends(
    ctx: typer.Context,
    target: str = typer.Option(..., "--target", help="azerbaijan | russia"),
    interval: str = typer.Option("day", "--interval", help="hour | day | week"),
    by: Optional[str] = typer.Option(None, "--by", help="outlet | country | language | affiliation | rhetoric"),
    since: str = typer.Option("30d", "--since", help="e.g. 30d, 12h, 8w, or an ISO date."),
    output: str = typer.Option("table", "--format", help="table | json | csv"),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Also draw the series to this PNG file."),
    store: Optional[str] = typer.Option(None, "--store", help="Store URL (default: the embedded store)."),
) -> None:
    """Print articles, mentions, hostile mentions, hostile share and mean stance per bucket."""
    _check_target(target)
    if interval not in ("hour", "day", "week"):
        raise InputError(f"--interval {interval!r}: one of hour, day, week")
    if by is not None and by not in ("outlet", "country", "language", "affiliation", "rhetoric"):
        raise InputError(f"--by {by!r}: one of outlet, country, language, affiliation, rhetoric")
    if output not in ("table", "json", "csv"):
        raise InputError(f"--format {output!r}: one of table, json, csv")
    query = TrendQuery(target, interval, by=by, since=parse_since(since))  # type: ignore[arg-type]
    with open_cli_store(ctx, store) as source:
        buckets = source.trends(query)
    rows = [b.to_dict() for b in buckets]
    if output == "json":
        typer.echo(json.dumps({"buckets": rows}, ensure_ascii=False))
    elif output == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(TrendBucket.__dataclass_fields__), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        typer.echo(buffer.getvalue(), nl=False)
    else:
        table = Table(title=f"{target}: {interval} trend" + (f" by {by}" if by else ""))
        for column in ("start", "group", "articles", "mentions", "hostile", "hostile_share", "stance_mean"):
            table.add_column(column, justify="right" if column not in ("start", "group") else "left")
        for r in rows:
            table.add_row(r["start"], str(r["group"] or "-"), str(r["articles"]), str(r["mentions"]),
                          str(r["hostile"]), f"{r['hostile_share']:.2f}", f"{r['stance_mean']:+.2f}")
        console.print(table)
    if plot:
        plot_trend(buckets, plot, f"{target}: hostile mentions per {interval}")
        err_console.print(f"chart written to {plot}")


def plot_trend(buckets: list[TrendBucket], path: Path, title: str) -> None:
    """Draw hostile mentions per bucket, one line per group, to a PNG file."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    series: dict[str, list[tuple[datetime, int]]] = {}
    for b in buckets:
        series.setdefault(b.group or "all", []).append((b.start, b.hostile))
    fig, ax = plt.subplots(figsize=(9, 3.5), dpi=100)
    for name, points in sorted(series.items()):
        xs, ys = zip(*points)
        ax.plot(xs, ys, marker="o", markersize=3, label=name)
    ax.set_title(title)
    ax.set_ylabel("hostile mentions")
    if len(series) > 1:
        ax.legend(fontsize=7)
    fig.autofmt_xdate()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)


def _source_metadata() -> tuple[dict[str, timedelta], dict[str, dict[str, str]]]:
    try:
        from crawlers.registry import load_sources
    except ImportError:  # the crawler package is optional for alerting on ingested data
        return {}, {}
    registry = load_sources()
    intervals = {s.id: s.interval for s in registry.sources}
    groups = {s.id: {"country": s.country, "affiliation": s.affiliation, "outlet": s.id}
              for s in registry.sources}
    return intervals, groups


def build_checker(settings: Settings, store: Store, *, with_mail: bool = True,
                  mailer: Mailer | None = None,
                  now: Callable[[], datetime] | None = None) -> AlertChecker:
    """Build the AlertChecker production uses: registry metadata and SMTP delivery from settings.

    Raises InputError when mail is wanted and no recipient is configured at all, rather than
    leaving every alert pending. `mailer` and `now` let tests keep the production wiring.
    """
    from mediawatch.alert_email import compose_alert_email

    if with_mail and not settings.alerts.recipients and not any(settings.alerts.recipients_by_target.values()):
        raise InputError("no alert recipients: set MEDIAWATCH_ALERT_TO or alerts.recipients")
    intervals, groups = _source_metadata()
    mailer = mailer or Mailer(settings.smtp)
    checker: AlertChecker

    def send(alert: Alert, _store: Store) -> None:
        recipients = list(dict.fromkeys(settings.alerts.recipients
                                        + settings.alerts.recipients_by_target.get(alert.target, [])))
        if not recipients:
            raise InputError("no alert recipients: set MEDIAWATCH_ALERT_TO or alerts.recipients")
        mailer.send(compose_alert_email(checker, alert, settings.alerts.sender, recipients,
                                        settings.alerts.kibana_url))

    clock = {"now": now} if now is not None else {}
    checker = AlertChecker(store, settings, send=send if with_mail else None,
                           source_intervals=intervals, source_groups=groups, **clock)
    return checker


def _alerts_table(alerts: list[Alert], title: str) -> Table:
    table = Table(title=title)
    for column in ("bucket", "kind", "target", "group", "hostile", "baseline", "z", "severity", "status"):
        table.add_column(column)
    for a in alerts:
        table.add_row(format_datetime(a.bucket_start) or "", a.kind, a.target, f"{a.group_by}={a.group}",
                      str(a.hostile), f"{a.baseline:.1f}", f"{a.z_score:.1f}", a.severity, a.status)
    return table


@alerts_app.command("check")
def alerts_check(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help="Detect and print; persist and send nothing."),
    store: Optional[str] = typer.Option(None, "--store", help="Store URL (default: the embedded store)."),
) -> None:
    """Detect spikes in the latest buckets and email each new alert once (pending ones are retried)."""
    settings = settings_from(ctx)
    with open_cli_store(ctx, store) as source:
        report = build_checker(settings, source, with_mail=not dry_run).check(dry_run=dry_run)
    console.print(_alerts_table(report.new, "new alerts" + (" (dry run)" if dry_run else "")))
    if not dry_run:
        err_console.print(f"sent {len(report.sent)}, pending {len(report.pending)}")
    if report.pending and not dry_run:
        raise typer.Exit(1)


@alerts_app.command("backtest")
def alerts_backtest(
    ctx: typer.Context,
    since: str = typer.Option("90d", "--since", help="e.g. 90d or an ISO date."),
    output: str = typer.Option("table", "--format", help="table | json"),
    store: Optional[str] = typer.Option(None, "--store", help="Store URL (default: the embedded store)."),
) -> None:
    """List the alerts the rules would have raised on stored history (nothing is sent)."""
    settings = settings_from(ctx)
    with open_cli_store(ctx, store) as source:
        alerts = build_checker(settings, source, with_mail=False).backtest(parse_since(since))
    if output == "json":
        typer.echo(json.dumps({"alerts": [a.to_dict() for a in alerts]}, ensure_ascii=False))
    else:
        console.print(_alerts_table(alerts, f"{len(alerts)} alert(s) since {since}"))


def register(app: typer.Typer) -> None:
    """Add `search`, `trends` and the `alerts` group to the app."""
    app.command("search")(search)
    app.command("trends")(trends)
    app.add_typer(alerts_app, name="alerts")
