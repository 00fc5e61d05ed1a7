"""Benchmark of bulk indexing: classified articles per second into Elasticsearch and SQLite.

Usage: .venv/bin/python bench/index.py [--n 200000] [--es-url URL] [--threads 2] [--skip-sqlite]
Articles are generated (seeded): Russian or Azerbaijani title and a 1-3 KB body, 1-2 targets
with evidence sentences, spread over a year and 40 outlets. Without --es-url a local
Elasticsearch 7.10.2 is started in a temporary dir (heap 1 GB). Only upsert time is measured;
generating the articles is not. A fresh JVM keeps compiling its hot paths over its first ~100k
documents (the first 40k index at half speed), so `--warmup` articles are first loaded into a
scratch index: a long-running node is warm. CPU seconds per 1,000 articles, of the client and
(local node only) of Elasticsearch, are printed too: they move less than docs/s when something
else runs on the machine. Runs differ by about 10 % on this VM; repeat before comparing.
Goal (issue 7): >= 5,000 docs/s into Elasticsearch on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexer import open_store  # noqa: E402
from indexer.elasticsearch import ElasticsearchStore  # noqa: E402
from indexer.local_es import LocalElasticsearch, find_free_port  # noqa: E402
from mediawatch.documents import (  # noqa: E402
    RHETORIC_TYPES,
    Article,
    ClassifiedArticle,
    Evidence,
    TargetAnalysis,
)
from mediawatch.settings import Settings, load_settings  # noqa: E402

RU_WORDS = ("Азербайджан Баку Москва Россия заявил министр переговоры граница соглашение "
            "экономика газ нефть визит президент правительство угроза санкции посол протест "
            "регион безопасность сотрудничество выборы армия мир договор торговля культура "
            "источник сообщил в на и по с о что это также однако после года").split()
AZ_WORDS = ("Azərbaycan Bakı Moskva Rusiya bəyanat nazir danışıqlar sərhəd saziş iqtisadiyyat "
            "qaz neft səfər prezident hökumət təhdid sanksiya səfir etiraz region təhlükəsizlik "
            "əməkdaşlıq seçki ordu sülh müqavilə ticarət mədəniyyət mənbə bildirib və ilə bu da "
            "lakin sonra ildə").split()
OUTLETS = [(f"ru{i:02d}", "RU", "ru", "state" if i % 3 else "private") for i in range(24)] + \
          [(f"az{i:02d}", "AZ", "az", "state" if i % 2 else "opposition") for i in range(16)]
START = datetime(2025, 11, 1, tzinfo=timezone.utc)
SPAN_S = 365 * 86400


def _sentence(rng: random.Random, words: list[str]) -> str:
    text = " ".join(rng.choices(words, k=rng.randint(8, 18)))
    return text[0].upper() + text[1:] + "."


def _target(rng: random.Random, name: str, body: str) -> TargetAnalysis:
    mentions = rng.randint(1, 5)
    hostile = rng.choice([0, 0, 0, 1, min(2, mentions)])
    score = round(rng.uniform(-1, 1), 3)
    rhetoric = sorted(rng.sample(RHETORIC_TYPES, rng.randint(1, 2))) if hostile else []
    evidence = [Evidence(text=body[s:s + 120], start=s, end=min(len(body), s + 120),
                         score=round(rng.random(), 3), stance="against" if score < 0 else "favor",
                         rhetoric=rhetoric)
                for s in sorted(rng.sample(range(max(1, len(body) - 120)), rng.randint(1, 2)))]
    return TargetAnalysis(target=name, mentions=mentions,
                          stance="against" if score < -0.3 else "favor" if score > 0.3 else "neutral",
                          stance_score=score, hostility="hostile" if hostile else "none",
                          hostility_score=round(rng.random(), 3), hostile_mentions=hostile,
                          rhetoric=rhetoric, evidence=evidence)


def generate_article(n: int, rng: random.Random, body_bytes: tuple[int, int] = (1000, 3000),
                     span_s: int = SPAN_S) -> ClassifiedArticle:
    """Return article number `n`: realistic shape, random but reproducible from `rng`."""
    outlet, country, language, affiliation = OUTLETS[n % len(OUTLETS)]
    words = RU_WORDS if language == "ru" else AZ_WORDS
    target_size = rng.randint(*body_bytes)
    sentences: list[str] = []
    while sum(len(s.encode()) + 1 for s in sentences) < target_size:
        sentences.append(_sentence(rng, words))
    body = " ".join(sentences)
    url = f"https://{outlet}.example/news/{n}"
    article = Article(url=url + "?utm_source=rss", canonical_url=url, outlet_id=outlet,
                      outlet_name=outlet.upper(), country=country, affiliation=affiliation,
                      language=language, title=_sentence(rng, words)[:120], body=body,
                      published_at=START + timedelta(seconds=rng.randrange(span_s)),
                      crawled_at=START + timedelta(seconds=span_s), authors=["Bench Author"],
                      section="politics")
    names = rng.choice([["azerbaijan"], ["russia"], ["azerbaijan", "russia"]])
    return ClassifiedArticle(article, [_target(rng, name, body) for name in names],
                             model_name="bench", model_version="1")


def generate_batches(start: int, count: int, batch: int, seed: int = 7,
                     **shape: object) -> Iterator[list[ClassifiedArticle]]:
    """Yield articles start .. start+count-1 in lists of `batch` (seeded by start, for resumes)."""
    rng = random.Random(seed * 1_000_003 + start)
    for first in range(start, start + count, batch):
        last = min(start + count, first + batch)
        yield [generate_article(n, rng, **shape) for n in range(first, last)]  # type: ignore[arg-type]


def load_elasticsearch(store: ElasticsearchStore, batches: list[list[ClassifiedArticle]],
                       threads: int) -> float:
    """Upsert all batches with `threads` concurrent bulk streams inside bulk_load; seconds."""
    started = time.perf_counter()
    with store.bulk_load(), ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(store.upsert_many, batches))
        elapsed = time.perf_counter() - started  # the final refresh is not loading
    failed = sum(len(r.failed) for r in results)
    if failed:
        print(f"warning: {failed} documents failed, e.g. {results[0].failed[:1]}", file=sys.stderr)
    return elapsed


def load_sqlite(url: str, settings: Settings, batches: list[list[ClassifiedArticle]]) -> float:
    """Upsert all batches into the SQLite store at `url`; seconds."""
    store = open_store(url, settings)
    started = time.perf_counter()
    for batch in batches:
        store.upsert_many(batch)
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed


def main() -> None:
    """Generate the articles, load each store, print docs/s as a table and one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="articles to index")
    parser.add_argument("--batch", type=int, default=5000, help="articles per upsert_many call")
    parser.add_argument("--threads", type=int, default=2, help="concurrent bulk streams into ES")
    parser.add_argument("--es-url", help="existing cluster (default: start a local one)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-es", action="store_true")
    parser.add_argument("--warmup", type=int, default=100_000,
                        help="articles loaded into a scratch index first (0: none)")
    parser.add_argument("--heap", default="1g", help="heap of the local node")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mediawatch-bench-"))
    try:
        run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> None:
    """Run the benchmark with its files under `work`."""
    settings = load_settings(overrides={"data_dir": str(work / "data")})
    started = time.perf_counter()
    batches = list(generate_batches(0, args.n, args.batch))
    mean_kb = sum(len(d.article.body.encode()) for d in batches[0]) / len(batches[0]) / 1024
    print(f"generated {args.n} articles (mean body {mean_kb:.1f} KB) in "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
    figures: dict[str, float] = {}
    cpu_per_1k: dict[str, float] = {}
    if not args.skip_es:
        node = None if args.es_url else LocalElasticsearch(work / "es", port=find_free_port(),
                                                           heap=args.heap)
        url = args.es_url or node.start()  # type: ignore[union-attr]
        try:
            if args.warmup:
                warm = ElasticsearchStore.from_url(url, settings, index_prefix="bench-warmup")
                warm.delete_indices()
                warm.ensure_indices()
                load_elasticsearch(warm, list(generate_batches(10**9, args.warmup, args.batch)),
                                   args.threads)
                warm.delete_indices()
                warm.close()
            store = ElasticsearchStore.from_url(url, settings, index_prefix="bench-index")
            store.delete_indices()
            store.ensure_indices()
            server = psutil.Process(node.pid) if node else None  # type: ignore[arg-type]
            server_cpu, client_cpu = _cpu(server), time.process_time()
            figures["elasticsearch"] = args.n / load_elasticsearch(store, batches, args.threads)
            cpu_per_1k["client"] = (time.process_time() - client_cpu) * 1000 / args.n
            if server:
                cpu_per_1k["elasticsearch"] = (_cpu(server) - server_cpu) * 1000 / args.n
            assert store.count() == args.n, store.count()
            store.delete_indices()
            store.close()
        finally:
            if node:
                node.stop()
    if not args.skip_sqlite:
        seconds = load_sqlite(f"sqlite:///{work / 'bench.db'}", settings, batches)
        figures["sqlite"] = args.n / seconds
    for name, rate in figures.items():
        print(f"{name:14s} {rate:9,.0f} docs/s  ({args.n:,} articles)")
    for name, seconds in cpu_per_1k.items():
        print(f"  {name} CPU: {seconds:.2f} s per 1,000 articles")
    print(json.dumps({"n": args.n, "threads": args.threads, "warmup": args.warmup,
                      "docs_per_s": {k: round(v) for k, v in figures.items()},
                      "es_cpu_s_per_1k": {k: round(v, 3) for k, v in cpu_per_1k.items()}}))


def _cpu(process: psutil.Process | None) -> float:
    """User + system CPU seconds of `process` and its threads so far."""
    if process is None:
        return 0.0
    times = process.cpu_times()
    return times.user + times.system


if __name__ == "__main__":
    main()
