"""Spike rules: quiet series stay quiet, clear spikes alert, weekly peaks and gaps are not spikes."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from mediawatch.spikes import SeriesPoint, SpikeRule, evaluate_bucket, poisson_tail

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MONDAY = datetime(2026, 3, 2, tzinfo=timezone.utc)
RULE = SpikeRule()


def daily(counts: list[int], start: datetime = MONDAY, *, gaps: set[int] = frozenset()) -> list[SeriesPoint]:  # type: ignore[assignment]
    """A daily series from `start`, 3 mentions per hostile one; indexes in `gaps` are gap buckets."""
    return [SeriesPoint(start + i * DAY, c, max(3 * c, 1), i in gaps) for i, c in enumerate(counts)]


def verdict_for_next(history: list[SeriesPoint], hostile: int, step: timedelta = DAY, rule: SpikeRule = RULE):  # type: ignore[no-untyped-def]
    current = SeriesPoint(history[-1].start + step, hostile, hostile * 3)
    return evaluate_bucket(current, history, step, rule)


@pytest.mark.parametrize("seed", range(5))
def test_a_quiet_poisson_series_never_alerts(seed: int) -> None:
    rng = random.Random(seed)
    # Poisson(2) by inversion, 12 weeks; every day after the first four weeks is judged.
    def draw() -> int:
        k, p, u = 0, 2.718281828 ** -2, rng.random()
        cumulative = p
        while u > cumulative:
            k += 1
            p *= 2 / k
            cumulative += p
        return k

    series = daily([draw() for _ in range(84)])
    alerts = [p for i, p in enumerate(series) if i >= 28
              and evaluate_bucket(p, series[:i], DAY, RULE).is_spike]
    assert alerts == []


def test_a_clear_spike_alerts_with_a_severity_and_figures() -> None:
    history = daily([1, 2, 3, 2, 1, 2, 2] * 4)
    verdict = verdict_for_next(history, 20)
    assert verdict.is_spike
    assert verdict.severity in ("medium", "high")
    assert verdict.baseline == pytest.approx(2.0)
    assert verdict.z_score > RULE.threshold
    assert verdict.tail_p < RULE.max_tail_p


def test_a_doubling_is_not_a_spike() -> None:
    assert not verdict_for_next(daily([3, 4, 5, 4, 3, 4, 4] * 4), 8).is_spike


@pytest.mark.parametrize(("hostile", "expected"), [(4, False), (5, True)])
def test_minimum_volume_gates_sparse_series(hostile: int, expected: bool) -> None:
    history = daily([0] * 28)
    verdict = verdict_for_next(history, hostile)
    assert verdict.is_spike is expected
    if not expected:
        assert "below the minimum" in verdict.reason


def test_a_regular_weekday_peak_does_not_alert() -> None:
    # Mondays carry a weekly talk show's 15 hostile mentions; other days about one.
    week = [15, 1, 1, 2, 1, 0, 1]
    history = daily(week * 4)  # ends on a Sunday; the next bucket is a Monday
    assert history[-1].start.weekday() == 6
    assert not verdict_for_next(history, 16).is_spike


def test_the_same_volume_on_an_ordinary_weekday_alerts() -> None:
    week = [15, 1, 1, 2, 1, 0, 1]
    history = daily(week * 4 + [15])  # ends on a Monday; the next bucket is a Tuesday
    assert verdict_for_next(history, 16).is_spike


def test_hourly_buckets_compare_the_same_hour_of_day() -> None:
    start = MONDAY
    counts = [(12 if (i % 24) == 20 else 1) for i in range(24 * 14)]  # the evening news peak
    history = [SeriesPoint(start + i * HOUR, c, 3 * c) for i, c in enumerate(counts)]
    evening = SeriesPoint(start + len(counts) * HOUR + 20 * HOUR, 13, 39)
    morning = SeriesPoint(start + len(counts) * HOUR + 9 * HOUR, 13, 39)
    assert not evaluate_bucket(evening, history, HOUR, RULE).is_spike
    assert evaluate_bucket(morning, history, HOUR, RULE).is_spike


def test_gap_buckets_are_not_counted_as_calm() -> None:
    # Ten a day is normal; the crawler was broken for the three weeks before the last eight days.
    counts = [0] * 20 + [10] * 8
    with_gaps = daily(counts, gaps=set(range(20)))
    assert not verdict_for_next(with_gaps, 14).is_spike
    # Read as calm days (no gap marks) those zeros would drag the baseline down and alert.
    assert verdict_for_next(daily(counts), 14).is_spike


def test_a_gap_bucket_itself_never_alerts() -> None:
    history = daily([1] * 28)
    current = SeriesPoint(history[-1].start + DAY, 30, 90, gap=True)
    verdict = evaluate_bucket(current, history, DAY, RULE)
    assert not verdict.is_spike
    assert verdict.reason.startswith("gap")


def test_too_little_history_never_alerts() -> None:
    history = daily([0, 1, 0])
    verdict = verdict_for_next(history, 40)
    assert not verdict.is_spike
    assert "baseline buckets" in verdict.reason


def test_buckets_before_the_data_began_are_unknown_not_zero() -> None:
    history = daily([6] * 5)
    # Without data_since the window starts at the first point: 5 buckets, too few to judge.
    assert not verdict_for_next(history, 20).is_spike
    # Pretending the store had data four weeks earlier turns 23 unknown days into zeros.
    early = history[0].start - 23 * DAY
    assert evaluate_bucket(SeriesPoint(history[-1].start + DAY, 20, 60), history, DAY, RULE, early).is_spike


@pytest.mark.parametrize(("k", "rate"), [(0, 1.0), (1, 1.0), (5, 1.0), (30, 1.0), (3, 5.0), (10, 5.0),
                                         (1200, 1000.0), (900, 1000.0), (50, 0.5), (1, 0.0)])
def test_poisson_tail_matches_scipy(k: int, rate: float) -> None:
    stats = pytest.importorskip("scipy.stats")
    expected = float(stats.poisson.sf(k - 1, max(rate, 1e-9)))
    assert poisson_tail(k, rate) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_poisson_tail_falls_as_k_rises() -> None:
    tails = [poisson_tail(k, 4.0) for k in range(0, 30)]
    assert tails[0] == 1.0
    assert all(a > b for a, b in zip(tails, tails[1:]))
    assert 0.0 < tails[-1] < 1e-9
