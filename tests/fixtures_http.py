"""The local HTTP replay server: fixture sites of every outlet, real saved pages, hostile cases.

`replay_server` (session) serves on 127.0.0.1 at a random port:
- ``/<outlet>/...``: tests/fixtures/sites/<outlet>/ (``{{BASE}}`` replaced by the server URL),
  feeds with ETag/Last-Modified that answer 304 to a matching conditional GET;
- ``/shared/<folder>/<file>``: ../shared/pages when present, and ``/shared-feed/tass.xml``, a
  feed pointing at the saved TASS page;
- ``/bad/...``: one endpoint per kind of bad input (README, "Crawling": what never stops a
  crawl) and ``/robots.txt`` disallowing ``/private/``.
`replay_sources_file` writes a sources file whose feeds point at the server.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

SITES = Path(__file__).resolve().parent / "fixtures" / "sites"
SHARED_PAGES = (Path(__file__).resolve().parent.parent.parent / "shared" / "pages").resolve()
SHARED_TASS = "tass.ru/htmldate_1647262025_tass_moskva_8836033.html"
MAX_RESPONSE_BYTES = 1024 * 1024  # the tests' crawl.max_response_bytes

BAD_ARTICLES = {
    "good": ("ru", "Жители Баку отметили День города концертом на Приморском бульваре",
             ["Вечером на Приморском бульваре в Баку прошел большой концерт, посвященный Дню города.",
              "Выступили азербайджанские и российские исполнители, а также детские ансамбли.",
              "Организаторы сообщили, что концерт посетили более двадцати тысяч человек."]),
    "cp1251": ("ru", "Депутаты обсудили бюджет на следующий год",
               ["Депутаты обсудили проект бюджета на следующий год в первом чтении.",
                "Основные расходы предусмотрены на социальную сферу и строительство дорог.",
                "Окончательное голосование пройдет в декабре."]),
    "koi8": ("ru", "В Казани открылся новый мост через Волгу",
             ["В Казани открылся новый автомобильный мост через Волгу.",
              "Его длина превышает два километра, движение будет организовано по шести полосам.",
              "Строительство заняло почти четыре года."]),
    "from-sitemap": ("az", "Gəncədə yeni park istifadəyə verilib",
                     ["Gəncə şəhərində yeni park sakinlərin istifadəsinə verilib.",
                      "Parkda uşaq meydançaları, velosiped yolları və fəvvarələr quraşdırılıb.",
                      "Şəhər rəhbərliyi yaxın aylarda daha iki parkın açılacağını bildirib."]),
    "same-guid-1": ("ru", "В Дербенте завершили реставрацию крепостной стены",
                    ["В Дербенте завершили реставрацию участка крепостной стены Нарын-Калы.",
                     "Работы продолжались два года и велись под контролем специалистов ЮНЕСКО.",
                     "Теперь участок стены снова открыт для туристов."]),
    "same-guid-2": ("az", "Şəkidə İpək Yolu festivalı başlayıb",
                    ["Şəki şəhərində ənənəvi İpək Yolu festivalı başlayıb.",
                     "Festivalda ölkənin müxtəlif bölgələrindən gələn sənətkarlar iştirak edir.",
                     "Tədbir üç gün davam edəcək."]),
}
BAD_PUBLISHED = "2026-11-18T10:00:00+03:00"


def bad_article_html(key: str, encoding: str = "utf-8", declare: bool = True,
                     canonical: str | None = None) -> bytes:
    """Return the page of a /bad/ article (also used for the duplicate and encoding cases)."""
    lang, title, paragraphs = BAD_ARTICLES[key]
    meta = f'<meta charset="{encoding}">' if declare else ""
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    page = (f'<!DOCTYPE html><html lang="{lang}"><head>{meta}<title>{title}</title>{link}'
            f'<meta property="article:published_time" content="{BAD_PUBLISHED}"></head><body>'
            '<nav><ul><li><a href="/">Главная</a></li><li><a href="/p">Политика</a></li></ul></nav>'
            f'<article><h1>{title}</h1>{body}</article>'
            '<footer><p>© 2026 Тестовое издание. Все права защищены.</p></footer></body></html>')
    return page.encode(encoding)


def _rss(base: str, items: list[tuple[str | None, str | None, str]]) -> bytes:
    """Return an RSS feed of (link, guid, title) items."""
    rows = []
    for link, guid, title in items:
        rows.append("<item>" + (f"<link>{link}</link>" if link else "")
                    + (f"<guid>{guid}</guid>" if guid else "")
                    + f"<title>{title}</title><pubDate>Wed, 18 Nov 2026 07:00:00 GMT</pubDate></item>")
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>bad</title>'
            f'<link>{base}/bad/</link>{"".join(rows)}</channel></rss>').encode()


def bad_feed(base: str) -> bytes:
    """Return the main feed of the `bad` source: one item per hostile case, good ones between."""
    b = f"{base}/bad"
    cases = ["good", "good?utm_source=telegram&utm_medium=social", "good-copy?fbclid=IwAR0x",
             "cp1251", "koi8", "404", "500", "slow", "loop", "image", "huge", "bomb", "nobody",
             "offsite-redirect", "private-redirect", "drop"]
    items: list[tuple[str | None, str | None, str]] = [(f"{b}/{c}", f"{b}/{c}", c) for c in cases]
    items += [("http://offsite.example/news/1", None, "offsite link"),
              (f"{base}/private/secret", None, "disallowed by robots.txt"),
              (None, None, "an item without a link")]
    return _rss(base, items)


FEEDS = {
    "feed-malformed.xml": lambda base: b'<?xml version="1.0"?><rss><channel><item><title>broken',
    "feed-entities.xml": lambda base: (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;">]><rss version="2.0"><channel><item><title>&c;</title>'
        + f"<link>{base}/bad/entity-article</link></item></channel></rss>".encode()),
    "feed-sameguid.xml": lambda base: _rss(base, [
        (f"{base}/bad/same-guid-1", "https://qafqazinfo.az/", "one"),
        (f"{base}/bad/same-guid-2", "https://qafqazinfo.az/", "two")]),
    "feed-html.xml": lambda base: b"<!DOCTYPE html><html><body><p>This is not a feed.</p></body></html>",
}


@functools.cache
def compression_bomb() -> bytes:
    """Return ~20 KB of gzip that inflates to 20 times the tests' maximum response size."""
    return gzip.compress(b"<html><body>" + b" " * (20 * MAX_RESPONSE_BYTES), compresslevel=6)


class ReplayServer:
    """A threaded HTTP server on 127.0.0.1 replaying fixtures; counts hits and 304s per path."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.user_agents: set[str] = set()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        compression_bomb()  # built before serving: building it on request could hit the timeout

    def url(self, path: str) -> str:
        """Return the absolute URL of `path` on this server."""
        return self.base_url + path

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler_for(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet: pytest shows failures anyway
            pass

        def send(self, status: int, body: bytes, content_type: str = "text/html",
                 headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            path = self.path
            server.hits[path] += 1
            server.user_agents.add(self.headers.get("User-Agent", ""))
            if path == "/robots.txt":
                self.send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
            elif path.startswith("/bad/"):
                self.serve_bad(path[len("/bad/"):])
            elif path.startswith("/shared-feed/"):
                self.serve_feed(_rss(server.base_url, [(server.url("/shared/" + SHARED_TASS), None,
                                                         "TASS")]).replace(b"2026", b"2020"))
            elif path.startswith("/shared/"):
                self.serve_file(SHARED_PAGES / path[len("/shared/"):])
            else:
                self.serve_file(SITES / path.lstrip("/").split("?")[0])

        def serve_feed(self, body: bytes) -> None:
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            modified = "Wed, 18 Nov 2026 07:00:00 GMT"
            if self.headers.get("If-None-Match") == etag:
                server.not_modified[self.path] += 1
                self.send(304, b"", headers={"ETag": etag})
                return
            self.send(200, body, "application/rss+xml; charset=utf-8",
                      {"ETag": etag, "Last-Modified": modified})

        def serve_file(self, file: Path) -> None:
            if file.is_dir():
                file = file / "index.html"
            if not file.is_file() or SITES.parent not in file.resolve().parents and \
                    SHARED_PAGES not in file.resolve().parents:
                self.send(404, b"not found")
                return
            body = file.read_bytes().replace(b"{{BASE}}", server.base_url.encode())
            if file.suffix == ".xml":
                self.serve_feed(body)
            else:
                self.send(200, body, "text/html")

        def serve_bad(self, case: str) -> None:
            name = case.split("?")[0]
            base = server.base_url
            if name == "feed.xml":
                self.serve_feed(bad_feed(base))
            elif name in FEEDS:
                self.serve_feed(FEEDS[name](base))
            elif name in ("good", "same-guid-1", "same-guid-2", "from-sitemap"):
                self.send(200, bad_article_html(name))
            elif name == "good-copy":
                self.send(200, bad_article_html("good", canonical=f"{base}/bad/good"))
            elif name == "cp1251":
                self.send(200, bad_article_html("cp1251", "windows-1251"))
            elif name == "koi8":
                self.send(200, bad_article_html("koi8", "koi8-r", declare=False))
            elif name == "404":
                self.send(404, b"<html><body>Not found</body></html>")
            elif name == "500":
                self.send(500, b"<html><body>Server error</body></html>")
            elif name == "slow":
                time.sleep(4)
                self.send(200, bad_article_html("good"))
            elif name == "loop":
                self.send(302, b"", headers={"Location": f"{base}/bad/loop"})
            elif name == "image":
                self.send(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 4096, "image/png")
            elif name == "huge":
                self.send(200, b"<html><body>" + b"x" * (2 * MAX_RESPONSE_BYTES) + b"</body></html>")
            elif name == "bomb":
                self.send(200, compression_bomb(), headers={"Content-Encoding": "gzip"})
            elif name == "nobody":
                self.send(200, b"<html><head><title>Empty</title></head></html>")
            elif name == "offsite-redirect":
                self.send(302, b"", headers={"Location": "http://offsite.example/landing"})
            elif name == "private-redirect":
                self.send(302, b"", headers={"Location": "http://10.255.255.1/internal"})
            elif name == "drop":
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                self.wfile.write(b"<html><body><p>half")
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
            elif name == "sitemap-index.xml":
                self.send(200, (f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                f'<sitemap><loc>{base}/bad/sitemap-news.xml</loc><lastmod>2026-11-18</lastmod></sitemap>'
                                '</sitemapindex>').encode(), "application/xml")
            elif name == "sitemap-news.xml":
                self.send(200, (f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                                'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
                                f'<url><loc>{base}/bad/from-sitemap</loc><news:news><news:publication_date>'
                                '2026-11-18T10:00:00+04:00</news:publication_date><news:title>park</news:title>'
                                '</news:news></url></urlset>').encode(), "application/xml")
            else:
                self.send(404, b"no such case")

    return Handler


@pytest.fixture(scope="session")
def replay_server() -> Iterator[ReplayServer]:
    """The running replay server (one per test session)."""
    server = ReplayServer()
    server.start()
    yield server
    server.stop()


def write_replay_sources(server: ReplayServer, target: Path, with_shared: bool = False) -> Path:
    """Write a sources file: every registry outlet with its feed on the server, plus `bad`."""
    registry = yaml.safe_load((SITES.parents[2] / "config" / "sources.yaml").read_text("utf-8"))
    sources = []
    for entry in registry["sources"]:
        entry = dict(entry, feeds=[server.url(f"/{entry['id']}/feed.xml")], sitemaps=[],
                     homepage=server.url(f"/{entry['id']}/"), allowed_domains=["127.0.0.1"])
        sources.append(entry)
    bad = dict(sources[0], id="bad", name="Hostile cases", country="RU", languages=["ru", "az"],
               feeds=[server.url(f"/bad/{f}") for f in ("feed.xml", *FEEDS)],
               sitemaps=[server.url("/bad/sitemap-index.xml")], homepage=server.url("/bad/"))
    bad.pop("extract", None)
    sources.append(bad)
    if with_shared:
        sources.append(dict(sources[0], id="shared-tass", feeds=[server.url("/shared-feed/tass.xml")],
                            homepage=server.url("/shared/")))
    target.write_text(yaml.safe_dump({"sources": sources}, allow_unicode=True), "utf-8")
    return target


@pytest.fixture
def replay_sources_file(replay_server: ReplayServer, tmp_path: Path) -> Path:
    """A sources file (in tmp) whose feeds are the replay server's."""
    return write_replay_sources(replay_server, tmp_path / "sources.yaml",
                                with_shared=SHARED_PAGES.is_dir())
