"""Crawl benchmark: 2,000 generated article pages (60-150 KB of markup) through the real crawl.

    .venv/bin/python bench/crawl.py [--pages 2000] [--bare-sample 500]

Serves the pages and their feeds from a local HTTP server (a separate process), crawls them
with `mediawatch crawl --no-classify` into a temporary SQLite store, and prints: end-to-end
pages/s, bare trafilatura pages/s in one process on the same pages, and the crawl's peak RSS
(the crawl process plus its extraction workers). Goal (issue 3, item 7): end to end >= 1.5x the
bare rate, peak RSS < 600 MB, on the 2-core reference machine.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.sites.articles import ARTICLES  # noqa: E402  (the fixture texts as a pool)

OUTLETS = 20
MENU = ["Главная", "Политика", "Экономика", "Общество", "В мире", "Происшествия", "Наука", "Спорт",
        "Культура", "Авто", "Недвижимость", "Здоровье", "Путешествия", "Мнения", "Видео", "Фото"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _card(rng: random.Random, titles: list[str]) -> str:
    """One teaser card as outlets nest them: wrappers, picture sources, rubric, time, counters."""
    item = rng.randint(1, 10**7)
    return (f'<div class="card card--news js-card" data-id="{item}" data-slot="{rng.randint(1, 40)}">'
            f'<div class="card__inner"><a class="card__link" href="/news/{item}">'
            f'<div class="card__media"><picture><source type="image/webp" srcset="/i/{item}.webp 1x, '
            f'/i/{item}@2x.webp 2x"><img class="card__img" src="/i/{item}.jpg" alt="" loading="lazy">'
            f'</picture></div><div class="card__body"><span class="card__rubric">{rng.choice(MENU)}</span>'
            f'<span class="card__title">{escape(rng.choice(titles))}</span></div></a>'
            f'<div class="card__meta"><time class="card__time">{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}'
            f'</time><span class="card__views"><svg class="icon"><use href="#eye"/></svg>{rng.randint(1, 99999)}'
            f'</span><span class="card__comments">{rng.randint(0, 300)}</span></div></div></div>')


def _boilerplate(rng: random.Random, target_bytes: int) -> tuple[str, str]:
    """Return (header, footer) markup grown to `target_bytes` the way real outlet pages are:
    mostly nested teaser cards and menus (DOM that extraction must walk), some inline script."""
    links = "".join(f'<li class="menu__item"><a class="menu__link" href="/rubric/{i}">{m}</a></li>'
                    for i, m in enumerate(MENU * 4))
    titles = [a["title"] for a in ARTICLES.values()]
    header = (f'<header class="header"><div class="logo"><svg viewBox="0 0 100 20"><path d="M0 0h100v20H0z"/>'
              f'</svg></div><nav class="menu"><ul>{links}</ul></nav></header>')
    script_line = "window.__DATA__.push({id:%d,slot:'banner-%d',sizes:[[300,250],[728,90]],targeting:{}});\n"
    cards, script = [], []
    size = len(header) + 2 * len(links)
    while size < target_bytes:
        if rng.random() < 0.8:
            cards.append(_card(rng, titles))
            size += len(cards[-1])
        else:
            script.append(script_line % (rng.randint(1, 10**9), rng.randint(1, 99)))
            size += len(script[-1])
    half = len(cards) // 3
    header += f'<section class="top-news">{"".join(cards[:half])}</section>'
    footer = (f'<aside class="most-read"><h3>Самое читаемое</h3>{"".join(cards[half:])}</aside>'
              f'<footer class="footer"><ul>{links}</ul><p>© 2026 Издание. Все права защищены.</p></footer>')
    return header, footer + f"<script>window.__DATA__=[];\n{''.join(script)}</script>"


def make_page(number: int, rng: random.Random, published: datetime) -> str:
    """Return one article page of 60-150 KB with a unique title and 8-14 paragraphs."""
    pool = [p for a in ARTICLES.values() if a["lang"] == "ru" for p in a["paragraphs"]]
    title = f"{rng.choice([a['title'] for a in ARTICLES.values() if a['lang'] == 'ru'])} ({number})"
    paragraphs = rng.sample(pool, rng.randint(8, 14)) + [f"Материал номер {number} подготовлен редакцией."]
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    header, footer = _boilerplate(rng, rng.randint(60_000, 150_000) - len(body) - 1500)
    return (f'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta property="og:title" content="{escape(title)}">'
            f'<meta property="article:published_time" content="{published.isoformat()}"></head><body>'
            f'{header}<main><article><h1>{escape(title)}</h1>{body}</article></main>{footer}</body></html>')


def generate(site: Path, base: str, pages: int) -> list[Path]:
    """Write the pages and one RSS feed per bench outlet; return the page files."""
    rng = random.Random(20261125)
    now = datetime.now(timezone.utc)
    files = []
    items: dict[int, list[str]] = {i: [] for i in range(OUTLETS)}
    for number in range(pages):
        outlet = number % OUTLETS
        published = now - timedelta(minutes=number)
        path = site / f"o{outlet}" / f"news-{number}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make_page(number, rng, published), "utf-8")
        files.append(path)
        items[outlet].append(f"<item><title>n{number}</title><link>{base}/o{outlet}/news-{number}.html</link>"
                             f"<pubDate>{format_datetime(published)}</pubDate></item>")
    for outlet, rows in items.items():
        (site / f"o{outlet}" / "feed.xml").write_text(
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>o{outlet}</title>'
            f"{''.join(rows)}</channel></rss>", "utf-8")
    return files


def sources_file(target: Path, base: str) -> Path:
    """Write a sources file with one bench outlet per feed."""
    sources = [{"id": f"bench{i}", "name": f"Bench {i}", "country": "RU", "languages": ["ru"],
                "affiliation": "private", "affiliation_evidence": "generated benchmark outlet",
                "homepage": f"{base}/o{i}/", "feeds": [f"{base}/o{i}/feed.xml"], "sitemaps": [],
                "allowed_domains": ["127.0.0.1"], "interval": "1h"} for i in range(OUTLETS)]
    target.write_text(yaml.safe_dump({"sources": sources}), "utf-8")
    return target


def bare_rate(files: list[Path], sample: int) -> float:
    """Return pages/s of plain `trafilatura.extract` in this one process."""
    import trafilatura

    texts = [f.read_text("utf-8") for f in files[:sample]]
    trafilatura.extract(texts[0])  # warm-up: imports and caches
    started = time.perf_counter()
    for text in texts:
        trafilatura.extract(text)
    return len(texts) / (time.perf_counter() - started)


def _tree_rss(process: psutil.Process, cpu: dict[int, float] | None = None) -> int:
    """Return the RSS of `process` and its descendants; record their CPU seconds in `cpu`."""
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
            if cpu is not None:
                times = member.cpu_times()
                cpu[member.pid] = times.user + times.system
        except psutil.Error:
            pass
    return total


def crawl(sources: Path, db: Path, data_dir: Path) -> tuple[float, float, int, str, dict[int, float]]:
    """Run the crawl CLI; return (wall s, crawl s, peak RSS bytes, stdout, CPU s per process)."""
    env = dict(os.environ, MEDIAWATCH_DATA_DIR=str(data_dir), MEDIAWATCH_CRAWL_DOWNLOAD_DELAY_S="0.001",
               MEDIAWATCH_CRAWL_AUTOTHROTTLE_START_DELAY_S="0.01",
               MEDIAWATCH_CRAWL_CONCURRENT_REQUESTS_PER_DOMAIN="16", MEDIAWATCH_CRAWL_OBEY_ROBOTS="false",
               MEDIAWATCH_CRAWL_PROGRESS_INTERVAL_S="10")
    started = time.perf_counter()
    process = psutil.Popen([sys.executable, "-c", "from mediawatch.cli import run; run()", "crawl", "--all",
                            "--sources-file", str(sources), "--store", f"sqlite:///{db}", "--since", "30d",
                            "--no-classify"], env=env, stdout=subprocess.PIPE, text=True)
    peak = 0
    cpu: dict[int, float] = {}
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(process, cpu))
            time.sleep(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    stdout, _ = process.communicate()
    done.set()
    watcher.join()
    wall = time.perf_counter() - started
    match = re.search(r"crawl finished in ([\d.]+) s", stdout)
    return wall, float(match.group(1)) if match else wall, peak, stdout, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--bare-sample", type=int, default=500, help="pages timed for bare trafilatura")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mw-bench-") as tmp:
        root = Path(tmp)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        files = generate(root / "site", base, args.pages)
        size = sum(f.stat().st_size for f in files) / len(files) / 1024
        print(f"generated {len(files)} pages, mean {size:.0f} KB, {OUTLETS} feeds")
        server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                   "--directory", str(root / "site")], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        try:
            wall, crawl_s, peak, stdout, cpu = crawl(sources_file(root / "sources.yaml", base),
                                                root / "bench.db", root)
        finally:
            server.terminate()
            server.wait()
        from indexer.sqlite import SqliteStore

        store = SqliteStore(root / "bench.db")
        stored = store.count()
        store.close()
        bare = bare_rate(files, min(args.bare_sample, len(files)))
        end_to_end = stored / crawl_s
        print(stdout.splitlines()[0] if stdout else "(no crawl output)")
        print(f"stored {stored} of {len(files)} pages")
        print(f"end to end:        {end_to_end:6.1f} pages/s  (crawl {crawl_s:.1f} s; {stored / wall:.1f} pages/s "
              f"over the {wall:.1f} s wall time including start-up)")
        print(f"bare trafilatura:  {bare:6.1f} pages/s  (one process, {min(args.bare_sample, len(files))} pages)")
        print(f"ratio:             {end_to_end / bare:6.2f}x  (goal >= 1.5x)")
        print(f"CPU seconds:       {sum(cpu.values()):6.1f} s in {len(cpu)} processes "
              f"({', '.join(f'{v:.0f}' for v in sorted(cpu.values(), reverse=True))}); "
              f"{sum(cpu.values()) / wall:.2f} cores busy on average, load average "
              f"{os.getloadavg()[0]:.1f}")
        print(f"peak RSS:          {peak / 2**20:6.0f} MB  (crawl + workers; goal < 600 MB)")


if __name__ == "__main__":
    main()
