"""Per-source crawl counters: the stats key scheme and the end-of-crawl summary built from it.

Keys are namespaced ``source/<id>/<counter>`` with counters discovered, fetched, stored,
``skipped/<reason>``, ``failed/<reason>`` and spooled (kept in the outbox while the store
was unreachable; STYLE: counters namespaced with slashes), so a
health check can read the same numbers the summary table prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["stat_key", "SourceSummary", "summarize"]


def stat_key(source_id: str, *parts: str) -> str:
    """Return the stats key of a per-source counter, e.g. ``source/tass/failed/http_404``."""
    return "/".join(("source", source_id, *parts))


@dataclass
class SourceSummary:
    """What one crawl did for one source: counts and the reasons behind skips and failures."""

    source_id: str
    discovered: int = 0
    fetched: int = 0
    stored: int = 0
    spooled: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)

    @property
    def skipped_total(self) -> int:
        """Return how many candidate articles were skipped, whatever the reason."""
        return sum(self.skipped.values())

    @property
    def failed_total(self) -> int:
        """Return how many requests or pages failed, whatever the reason."""
        return sum(self.failed.values())

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form kept in the `crawl/<id>/last` state document."""
        return {"discovered": self.discovered, "fetched": self.fetched, "stored": self.stored,
                "spooled": self.spooled, "skipped": dict(self.skipped), "failed": dict(self.failed)}


def summarize(stats: Mapping[str, Any], source_ids: list[str]) -> list[SourceSummary]:
    """Return one summary per source, in the given order, read from Scrapy's stats."""
    summaries = []
    for source_id in source_ids:
        prefix = stat_key(source_id) + "/"
        summary = SourceSummary(source_id)
        for key, value in stats.items():
            if not key.startswith(prefix):
                continue
            counter = key[len(prefix):]
            if counter in ("discovered", "fetched", "stored", "spooled"):
                setattr(summary, counter, int(value))
            elif counter.startswith("skipped/"):
                summary.skipped[counter[len("skipped/"):]] = int(value)
            elif counter.startswith("failed/"):
                summary.failed[counter[len("failed/"):]] = int(value)
        summaries.append(summary)
    return summaries
