"""Compose an alert email: subject, plain text and HTML bodies, an inline chart, evidence with links.

Every piece of crawled text is HTML-escaped in the HTML part: article text is untrusted input.
"""

from __future__ import annotations

import hashlib
import html
import io
import urllib.parse
from collections import Counter
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from indexer.store import TrendQuery
from mediawatch.alerts import Alert, AlertChecker
from mediawatch.documents import ClassifiedArticle, Evidence, format_datetime

__all__ = ["compose_alert_email", "discover_url", "render_chart"]

MAX_EVIDENCE = 5


def discover_url(kibana_url: str, alert: Alert, index_pattern: str = "mediawatch-articles") -> str:
    """Return a Kibana Discover link for the alert's query and time range."""
    field = {"outlet": "outlet_id"}.get(alert.group_by, alert.group_by)
    kql = (f'targets:{{ target:"{alert.target}" and hostility:"hostile" }}'
           f' and {field}:"{alert.group}"')
    g = (f"(time:(from:'{format_datetime(alert.bucket_start)}',to:'{format_datetime(alert.bucket_end)}'))")
    a = f"(index:'{index_pattern}',query:(language:kuery,query:'{kql}'))"
    return (f"{kibana_url.rstrip('/')}/app/discover#/?_g={urllib.parse.quote(g, safe='():,')}"
            f"&_a={urllib.parse.quote(a, safe='():,')}")


def render_chart(checker: AlertChecker, alert: Alert) -> bytes:
    """Draw hostile mentions per bucket for the alert's group over the baseline window, as PNG.

    Uses a bare Figure, not pyplot: the scheduler composes emails from worker threads and
    pyplot's global state is not thread-safe.
    """
    from matplotlib.figure import Figure

    since = alert.bucket_start - timedelta(weeks=checker.config.baseline_weeks)
    by = alert.group_by if alert.kind == "spike" else None
    buckets = checker.store.trends(TrendQuery(alert.target, alert.interval, by=by,  # type: ignore[arg-type]
                                              since=since, until=alert.bucket_end))
    points = [(b.start, b.hostile) for b in buckets if by is None or b.group == alert.group]
    fig = Figure(figsize=(7, 2.6), dpi=100)
    ax = fig.subplots()
    if points:
        xs, ys = zip(*points)
        ax.bar(xs, ys, width=0.8 if alert.interval == "day" else 0.03, color="#b03a2e")
    ax.axhline(alert.baseline, color="#555", linestyle="--", linewidth=1, label="baseline")
    ax.set_title(f"hostile mentions of {alert.target}, {alert.group_by}={alert.group}", fontsize=9)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7)
    fig.autofmt_xdate()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def _href(url: str) -> str:
    """Return an escaped link target, or "#" for anything but http(s): crawled URLs are untrusted."""
    return html.escape(url) if urllib.parse.urlsplit(url).scheme in ("http", "https") else "#"


def _quoted(text: str) -> str:
    """Quote an evidence sentence unless it already opens with a quotation mark."""
    return text if text[:1] in "«\"“„'" else f"«{text}»"


def _evidence(articles: list[ClassifiedArticle], target: str) -> list[tuple[Evidence, ClassifiedArticle]]:
    pairs = [(e, doc) for doc in articles for t in doc.targets if t.target == target for e in t.evidence]
    pairs.sort(key=lambda pair: -pair[0].score)
    return pairs[:MAX_EVIDENCE]


def compose_alert_email(checker: AlertChecker, alert: Alert, sender: str, recipients: list[str],
                        kibana_url: str) -> EmailMessage:
    """Build the alert email (plain text + HTML with an inline chart)."""
    articles = checker.hostile_articles(alert) if alert.kind == "spike" else []
    outlets = Counter()
    for doc in articles:
        analysis = doc.target(alert.target)
        outlets[doc.article.outlet_name or doc.article.outlet_id] += analysis.hostile_mentions if analysis else 0
    dated = [d for d in articles if d.article.published_at]
    first = min(dated, key=lambda d: d.article.published_at) if dated else None  # type: ignore[arg-type,return-value]
    evidence = _evidence(articles, alert.target)
    models = Counter(f"{d.model_name} {d.model_version}" for d in articles if d.model_name)
    link = discover_url(kibana_url, alert)

    message = EmailMessage()
    if alert.kind == "spike":
        message["Subject"] = (f"[mediawatch] {alert.severity.upper()}: hostile rhetoric toward "
                              f"{alert.target} spiking in {alert.group_by} {alert.group} "
                              f"({format_datetime(alert.bucket_start)})")
    else:
        message["Subject"] = f"[mediawatch] source health: {alert.group} is silent"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    # Stable per alert, so a relay or mailbox can drop the copy of a retried send.
    message["Message-ID"] = f"<{hashlib.sha1(alert.key.encode('utf-8')).hexdigest()}@mediawatch>"
    message["X-Mediawatch-Alert"] = alert.key

    lines = [message["Subject"], "", alert.reason]
    if alert.kind == "spike":
        lines += [
            f"Bucket: {format_datetime(alert.bucket_start)} .. {format_datetime(alert.bucket_end)} ({alert.interval})",
            f"Hostile mentions: {alert.hostile} vs baseline {alert.baseline:.1f} (robust z {alert.z_score:.1f})",
            f"Hostile share: {alert.share:.0%} vs baseline {alert.baseline_share:.0%}",
        ]
        if alert.folded:
            lines.append("Also spiking: " + ", ".join(alert.folded))
        lines += ["", "Outlets driving the rise:"] + [f"  {name}: {n}" for name, n in outlets.most_common(5)]
        if first:
            lines.append(f"First to publish: {first.article.outlet_name or first.article.outlet_id} at "
                         f"{format_datetime(first.article.published_at)} {first.article.url}")
        lines += ["", "Evidence:"]
        for ev, doc in evidence:
            lines.append(f"  {_quoted(ev.text)} ({', '.join(ev.rhetoric) or ev.stance}; {ev.score:.2f}) {doc.article.url}")
        lines += ["", f"Model: {', '.join(models) or 'unknown'}", f"Kibana: {link}"]
    message.set_content("\n".join(lines))

    chart_cid = make_msgid(domain="mediawatch")
    esc = html.escape
    rows = "".join(
        f"<li>{esc(_quoted(ev.text))} <small>({esc(', '.join(ev.rhetoric) or ev.stance)}; {ev.score:.2f})</small>"
        f" <a href=\"{_href(doc.article.url)}\">{esc(doc.article.outlet_name or doc.article.outlet_id)}</a></li>"
        for ev, doc in evidence)
    outlet_rows = "".join(f"<li>{esc(name)}: {n}</li>" for name, n in outlets.most_common(5))
    first_html = (f"<p>First to publish: {esc(first.article.outlet_name or first.article.outlet_id)} at "
                  f"{esc(format_datetime(first.article.published_at) or '')} "
                  f"<a href=\"{_href(first.article.url)}\">{esc(first.article.title)}</a></p>") if first else ""
    body = (f"<h2>{esc(message['Subject'])}</h2><p>{esc(alert.reason)}</p>"
            f"<p><b>{alert.hostile}</b> hostile mentions vs baseline {alert.baseline:.1f};"
            f" hostile share {alert.share:.0%} vs {alert.baseline_share:.0%}</p>"
            f"<img src=\"cid:{chart_cid[1:-1]}\" alt=\"chart\">"
            f"<h3>Outlets driving the rise</h3><ul>{outlet_rows}</ul>{first_html}"
            f"<h3>Evidence</h3><ul>{rows}</ul>"
            f"<p>Model: {esc(', '.join(models) or 'unknown')}</p>"
            f"<p><a href=\"{esc(link)}\">Open in Kibana Discover</a></p>")
    message.add_alternative(f"<html><body>{body}</body></html>", subtype="html")
    if alert.kind == "spike":
        message.get_payload()[1].add_related(render_chart(checker, alert), maintype="image",  # type: ignore[index]
                                             subtype="png", cid=chart_cid)
    return message
