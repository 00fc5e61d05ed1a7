"""Benchmark of trend and search latency (p50/p95) as the stores grow, Elasticsearch and SQLite.

Usage: .venv/bin/python bench/trends.py [--sizes 10000,100000,1000000] [--runs 30] [--es-url URL]
A size counts stored mentions (the sum of every target's mention count, what trends add
up; about 5 per generated article, so 1,000,000 mentions is about 200,000 articles). The
stores grow in stages; at each stage every query runs `--runs` times after a warm-up and both
stores must return the same trend buckets. Articles come from bench/index.py's generator.
Goal (issue 7): p95 < 300 ms for a 90-day daily trend by outlet on Elasticsearch at 1M.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.index import AZ_WORDS, RU_WORDS, SPAN_S, START, generate_batches  # noqa: E402
from indexer import SearchFilters, Store, TrendQuery, open_store  # noqa: E402
from indexer.elasticsearch import ElasticsearchStore  # noqa: E402
from indexer.local_es import LocalElasticsearch, find_free_port  # noqa: E402
from mediawatch.settings import load_settings  # noqa: E402

END = START + timedelta(seconds=SPAN_S)
BATCH = 5000


def queries(rng: random.Random, jitter: bool = True) -> dict[str, Callable[[Store], Any]]:
    """The measured queries. Each call shifts its window end by up to an hour and text
    queries draw random word pairs, so Elasticsearch's request cache never answers a repeat
    (dashboards would get those hits; this measures the cold query). `jitter=False` gives
    fixed windows, for comparing the stores' answers."""
    def end() -> datetime:
        return END - timedelta(seconds=rng.randrange(3600) if jitter else 0)

    def words() -> str:
        return " ".join(rng.sample(rng.choice([RU_WORDS[:30], AZ_WORDS[:30]]), 2))

    def window(days: int) -> dict[str, datetime]:
        until = end()
        return {"since": until - timedelta(days=days), "until": until}

    return {
        "trend 90d daily by outlet": lambda s: s.trends(TrendQuery(
            "azerbaijan", "day", by="outlet", **window(90))),
        "trend 1y weekly": lambda s: s.trends(TrendQuery("azerbaijan", "week", **window(365))),
        "trend 7d hourly by rhetoric": lambda s: s.trends(TrendQuery(
            "russia", "hour", by="rhetoric", **window(7))),
        "trend 90d daily by country": lambda s: s.trends(TrendQuery(
            "russia", "day", by="country", **window(90))),
        "search 2 words top 20": lambda s: s.search(words(), limit=20),
        "search hostile RU newest 20": lambda s: s.search(None, SearchFilters(
            target="azerbaijan", hostile=True, country="RU"), limit=20),
    }


def latency_ms(run: Callable[[], Any], runs: int) -> tuple[float, float]:
    """Return p50 and p95 in milliseconds over `runs` calls (after 3 warm-up calls)."""
    for _ in range(3):
        run()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)]


def grow(stores: dict[str, Store], start: int, mentions_wanted: int,
         mentions_so_far: int) -> tuple[int, int, dict[str, float]]:
    """Add articles from number `start` until the stores hold `mentions_wanted` mentions.

    Returns (next article number, mentions stored, load seconds per store).
    """
    seconds = dict.fromkeys(stores, 0.0)
    n, mentions = start, mentions_so_far
    while mentions < mentions_wanted:
        estimate = max(1, (mentions_wanted - mentions) // 5)
        batch = next(generate_batches(n, min(BATCH, estimate), BATCH, seed=11))
        n += len(batch)
        mentions += sum(t.mentions for d in batch for t in d.targets)
        for name, store in stores.items():
            started = time.perf_counter()
            if isinstance(store, ElasticsearchStore):
                with store.bulk_load():
                    store.upsert_many(batch)
            else:
                store.upsert_many(batch)
            seconds[name] += time.perf_counter() - started
    return n, mentions, seconds


def first_difference(a: list[Any], b: list[Any]) -> str | None:
    """Describe the first bucket where two trend results differ (stance mean to 1e-9), or None."""
    if len(a) != len(b):
        return f"{len(a)} buckets against {len(b)}"
    for x, y in zip(a, b):
        exact = (x.start, x.group, x.articles, x.mentions, x.hostile)
        if exact != (y.start, y.group, y.articles, y.mentions, y.hostile) or \
                abs(x.stance_mean - y.stance_mean) > 1e-9:
            return f"{x} against {y}"
    return None


def main() -> None:
    """Grow both stores stage by stage, measure each query, print a table and JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="mentions per stage")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--es-url", help="existing cluster (default: start a local one)")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mediawatch-bench-"))
    try:
        run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> None:
    """Run the benchmark with its files under `work`."""
    settings = load_settings(overrides={"data_dir": str(work / "data")})
    node = None if args.es_url else LocalElasticsearch(work / "es", port=find_free_port())
    url = args.es_url or node.start()  # type: ignore[union-attr]
    try:
        es_store = ElasticsearchStore.from_url(url, settings, index_prefix="bench-trends")
        es_store.delete_indices()
        es_store.ensure_indices()
        stores: dict[str, Store] = {"elasticsearch": es_store}
        if not args.skip_sqlite:
            stores["sqlite"] = open_store(f"sqlite:///{work / 'trends.db'}", settings)
        run_stages(stores, [int(size) for size in args.sizes.split(",")], args.runs)
        es_store.delete_indices()
        for store in stores.values():
            store.close()
    finally:
        if node:
            node.stop()


def run_stages(stores: dict[str, Store], sizes: list[int], runs: int) -> None:
    """Grow to each size in turn and print the latencies measured there."""
    n = mentions = 0
    print(f"{'store':14s} {'mentions':>9s} {'articles':>8s}  {'query':30s} {'p50 ms':>7s} "
          f"{'p95 ms':>7s}")
    for size in sizes:
        n, mentions, load_s = grow(stores, n, size, mentions)
        print(f"# stage {size:,}: {n:,} articles, {mentions:,} mentions; load seconds "
              + ", ".join(f"{k} {v:.0f}" for k, v in load_s.items()), file=sys.stderr)
        fixed = {name: q for name, q in queries(random.Random(1), jitter=False).items()
                 if name.startswith("trend")}
        reference = {name: q(next(iter(stores.values()))) for name, q in fixed.items()}
        for store_name, store in stores.items():
            for name, query in queries(random.Random(size)).items():
                difference = first_difference(fixed[name](store), reference[name]) \
                    if name in fixed else None
                if difference:
                    print(f"warning: {store_name} disagrees with elasticsearch on {name!r}: "
                          f"{difference}", file=sys.stderr)
                p50, p95 = latency_ms(lambda: query(store), runs)
                print(f"{store_name:14s} {mentions:9,d} {n:8,d}  {name:30s} {p50:7.1f} {p95:7.1f}",
                      flush=True)
                print(json.dumps({"store": store_name, "mentions": mentions, "articles": n,
                                  "query": name, "p50_ms": round(p50, 1),
                                  "p95_ms": round(p95, 1)}), file=sys.stderr)


if __name__ == "__main__":
    main()
