"""Spike detection on hostile-mention series: a robust, weekday-aware baseline and a Poisson tail.

Pure functions over bucket counts, so the rules can be tested and backtested without a store.
A bucket is a spike when all hold: hostile >= min_hostile; the robust z-score against the
trailing baseline (median/MAD) is >= threshold; and the Poisson tail probability of seeing at
least that many hostile mentions at the baseline rate is below `max_tail_p`. Gap buckets
(crawl failed or returned nothing) are left out of the baseline, never counted as calm.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["SeriesPoint", "SpikeRule", "SpikeVerdict", "evaluate_bucket", "poisson_tail"]

# 1.4826 * MAD estimates the standard deviation of a normal sample.
MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class SeriesPoint:
    """One bucket of a (target, group) series; `gap` marks a bucket whose crawl failed."""

    start: datetime
    hostile: int
    mentions: int
    gap: bool = False


@dataclass(frozen=True)
class SpikeRule:
    """Thresholds of a spike (from settings.alerts)."""

    threshold: float = 3.5
    min_hostile: int = 5
    baseline_weeks: int = 4
    max_tail_p: float = 0.001
    min_baseline_buckets: int = 7


@dataclass(frozen=True)
class SpikeVerdict:
    """The decision for one bucket, with the figures an email shows."""

    is_spike: bool
    severity: str  # "none" | "medium" | "high"
    hostile: int
    mentions: int
    baseline: float
    z_score: float
    tail_p: float
    share: float
    baseline_share: float
    reason: str


def poisson_tail(k: int, rate: float) -> float:
    """Return P(X >= k) for X ~ Poisson(rate).

    Terms are summed in log space, so large rates (hundreds of mentions a bucket, where
    exp(-rate) underflows to zero) and tiny tails (1e-30) both stay exact enough to compare.
    """
    if k <= 0:
        return 1.0
    rate = max(rate, 1e-9)
    log_rate = math.log(rate)

    def pmf(i: int) -> float:
        return math.exp(i * log_rate - rate - math.lgamma(i + 1))

    if k <= rate:  # the lower part is the small one: 1 - P(X < k)
        return max(0.0, 1.0 - math.fsum(pmf(i) for i in range(k)))
    total, i = 0.0, k
    while True:  # terms fall off geometrically once i > rate
        term = pmf(i)
        total += term
        if term <= total * 1e-17 or i > k + 10_000:
            return min(1.0, total)
        i += 1


def _baseline(history: list[SeriesPoint], at: datetime, step: timedelta,
              earliest: datetime) -> tuple[list[int], list[int]]:
    """Return (all trailing counts, same-weekday counts), gaps excluded, empty buckets as zero."""
    observed = {p.start: p for p in history}
    counts: list[int] = []
    same_weekday: list[int] = []
    cursor = at - step
    while cursor >= earliest:
        point = observed.get(cursor)
        if point is None or not point.gap:
            value = point.hostile if point else 0
            counts.append(value)
            if step >= timedelta(days=1) and cursor.weekday() == at.weekday():
                same_weekday.append(value)
            elif step < timedelta(days=1) and cursor.hour == at.hour:
                same_weekday.append(value)
        cursor -= step
    return counts, same_weekday


def evaluate_bucket(current: SeriesPoint, history: list[SeriesPoint], step: timedelta,
                    rule: SpikeRule, data_since: datetime | None = None) -> SpikeVerdict:
    """Decide whether `current` is a spike against `history` (trailing buckets, any order).

    The expected level is the larger of the overall median and the same-weekday (same hour,
    for hourly buckets) median, so a regular weekly peak does not alert. Buckets before
    `data_since` (default: the first bucket of `history`) are unknown, not zero.
    """
    window_start = current.start - timedelta(weeks=rule.baseline_weeks)
    first_known = data_since or min((p.start for p in history), default=current.start)
    window_start = max(window_start, first_known)
    trailing = [p for p in history if window_start <= p.start < current.start]
    counts, same_slot = _baseline(trailing, current.start, step, window_start)
    mentions_total = sum(p.mentions for p in trailing if not p.gap)
    hostile_total = sum(p.hostile for p in trailing if not p.gap)
    baseline_share = hostile_total / mentions_total if mentions_total else 0.0
    share = current.hostile / current.mentions if current.mentions else 0.0
    if current.gap:
        return SpikeVerdict(False, "none", current.hostile, current.mentions, 0.0, 0.0, 1.0, share,
                            baseline_share, "gap: the crawl failed or returned nothing")
    if len(counts) < rule.min_baseline_buckets:
        return SpikeVerdict(False, "none", current.hostile, current.mentions, 0.0, 0.0, 1.0, share,
                            baseline_share, f"only {len(counts)} baseline buckets")
    median = statistics.median(counts)
    expected = max(median, statistics.median(same_slot) if same_slot else median)
    mad = statistics.median([abs(c - median) for c in counts])
    # +1 keeps sparse series (MAD 0) from turning a single extra mention into a huge z.
    sigma = MAD_TO_SIGMA * mad + 1.0
    z = (current.hostile - expected) / sigma
    tail = poisson_tail(current.hostile, max(expected, 0.5))
    if current.hostile < rule.min_hostile:
        reason = f"{current.hostile} hostile mentions, below the minimum {rule.min_hostile}"
        spike = False
    elif z < rule.threshold:
        reason = f"z {z:.1f} below threshold {rule.threshold}"
        spike = False
    elif tail >= rule.max_tail_p:
        reason = f"Poisson tail {tail:.2g} not below {rule.max_tail_p}"
        spike = False
    else:
        reason = f"{current.hostile} hostile mentions vs baseline {expected:.1f} (z {z:.1f})"
        spike = True
    severity = "none" if not spike else ("high" if z >= 2 * rule.threshold else "medium")
    return SpikeVerdict(spike, severity, current.hostile, current.mentions, float(expected), z, tail,
                        share, baseline_share, reason)
