"""The daily digest email: per target, the last 24 h of articles, hostile mentions, top outlets, alerts.

One digest per UTC date, tracked in the store under ``digest/<date>`` like alerts are: written
`pending` before the send and `sent` right after, so a restart or a second scheduler tick never
sends it twice and a failed send is retried (by `send_pending_digests`) until it goes out.
"""

from __future__ import annotations

import html
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.message import EmailMessage

from indexer.store import Store, TrendQuery
from mediawatch.documents import TARGETS, format_datetime, parse_datetime
from mediawatch.settings import Settings

__all__ = ["TargetDigest", "digest_window", "summarize", "compose_digest", "send_digest", "send_pending_digests"]

logger = logging.getLogger(__name__)

STATE_PREFIX = "digest/"


@dataclass
class TargetDigest:
    """One target's last 24 hours."""

    target: str
    articles: int = 0
    mentions: int = 0
    hostile: int = 0
    top_outlets: list[tuple[str, int]] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)


def digest_window(day: date, hour_utc: int) -> tuple[datetime, datetime]:
    """The 24 hours a digest for `day` covers: up to `hour_utc` on that day."""
    end = datetime(day.year, day.month, day.day, hour_utc, tzinfo=timezone.utc)
    return end - timedelta(days=1), end


def summarize(store: Store, since: datetime, until: datetime) -> list[TargetDigest]:
    """Return each target's counts, five outlets with most hostile mentions, and alerts sent."""
    digests = []
    for target in TARGETS:
        digest = TargetDigest(target)
        for bucket in store.trends(TrendQuery(target, "hour", since=since, until=until)):
            digest.articles += bucket.articles
            digest.mentions += bucket.mentions
            digest.hostile += bucket.hostile
        outlets: Counter[str] = Counter()
        for bucket in store.trends(TrendQuery(target, "day", by="outlet", since=since, until=until)):
            outlets[bucket.group or "?"] += bucket.hostile
        digest.top_outlets = [(o, n) for o, n in outlets.most_common(5) if n > 0]
        digests.append(digest)
    by_target = {d.target: d for d in digests}
    for value in store.list_state("alerts/").values():
        sent_at = parse_datetime(value.get("sent_at"))
        if value.get("status") == "sent" and sent_at and since <= sent_at < until and value["target"] in by_target:
            by_target[value["target"]].alerts.append(
                f"{value.get('severity', '?')}: {value['group_by']}={value['group']} "
                f"({value.get('hostile', 0)} hostile vs baseline {float(value.get('baseline', 0)):.1f})")
    return digests


def compose_digest(digests: list[TargetDigest], since: datetime, until: datetime, sender: str,
                   recipients: list[str]) -> EmailMessage:
    """Build the digest email (plain text and HTML; crawled outlet ids are escaped)."""
    message = EmailMessage()
    message["Subject"] = f"[mediawatch] daily digest {until.date().isoformat()}"
    message["From"], message["To"] = sender, ", ".join(recipients)
    message["Message-ID"] = f"<digest.{until.date().isoformat()}@mediawatch>"
    lines = [f"{format_datetime(since)} .. {format_datetime(until)}", ""]
    blocks = []
    for d in digests:
        outlets = ", ".join(f"{o} {n}" for o, n in d.top_outlets) or "none"
        alerts = d.alerts or ["none"]
        lines += [f"{d.target}: {d.articles} articles, {d.mentions} mentions, {d.hostile} hostile",
                  f"  top outlets by hostile mentions: {outlets}", "  alerts sent:"]
        lines += [f"    {a}" for a in alerts] + [""]
        blocks.append(f"<h3>{html.escape(d.target)}</h3><p>{d.articles} articles, {d.mentions} mentions, "
                      f"<b>{d.hostile}</b> hostile</p><p>Top outlets: {html.escape(outlets)}</p>"
                      f"<ul>{''.join(f'<li>{html.escape(a)}</li>' for a in alerts)}</ul>")
    message.set_content("\n".join(lines))
    message.add_alternative(f"<html><body><h2>{html.escape(str(message['Subject']))}</h2>"
                            f"{''.join(blocks)}</body></html>", subtype="html")
    return message


def _recipients(settings: Settings) -> list[str]:
    extra = [r for rs in settings.alerts.recipients_by_target.values() for r in rs]
    return list(dict.fromkeys(settings.alerts.recipients + extra))


def send_digest(settings: Settings, store: Store, day: date, send: Callable[[EmailMessage], None],
                now: datetime) -> bool:
    """Send the digest for `day` unless it was sent already; True when it went out now.

    A failed send leaves `digest/<day>` pending with the error and re-raises.
    """
    key = f"{STATE_PREFIX}{day.isoformat()}"
    state = store.get_state(key) or {"status": "pending", "attempts": 0, "created_at": format_datetime(now)}
    if state.get("status") == "sent":
        return False
    recipients = _recipients(settings)
    if not recipients:
        logger.warning("daily digest %s not sent: no recipients (MEDIAWATCH_ALERT_TO)", day)
        return False
    since, until = digest_window(day, settings.scheduler.digest_hour_utc)
    message = compose_digest(summarize(store, since, until), since, until, settings.alerts.sender, recipients)
    state["attempts"] = int(state.get("attempts", 0)) + 1
    store.put_state(key, state)
    try:
        send(message)
    except Exception as exc:
        state["last_error"] = f"{type(exc).__name__}: {exc}"
        store.put_state(key, state)
        raise
    state.update(status="sent", sent_at=format_datetime(now))
    store.put_state(key, state)
    return True


def send_pending_digests(settings: Settings, store: Store, send: Callable[[EmailMessage], None],
                         now: datetime) -> int:
    """Retry every digest left pending by a failed send; return how many went out."""
    sent = 0
    for key, value in sorted(store.list_state(STATE_PREFIX).items()):
        if value.get("status") == "pending":
            sent += send_digest(settings, store, date.fromisoformat(key[len(STATE_PREFIX):]), send, now)
    return sent
