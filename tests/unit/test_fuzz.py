"""Bad input never crashes the crawl: property tests over feeds, sitemaps, HTML, dates and URLs,
plus hostile XML (entity bombs, external entities), decompression bombs and markup in reports.

Hypothesis runs a bounded number of examples per property (the whole file stays under ~30 s);
TRIED counts the inputs each property really saw and the module check asserts every property
ran, so a silently skipped strategy fails the suite. Run with `-s` to print the counts.
A gzip bomb served to the real spider is counted and dropped in
tests/integration/test_crawl_replay.py (failed/too_large); HTML in alert emails is escaped in
tests/integration/test_alerts.py (test_html_from_crawled_text_is_escaped_in_the_email).
"""

from __future__ import annotations

import gzip
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crawlers.discovery import DiscoveryError, Link, Sitemap, parse_feed, parse_sitemap
from crawlers.extraction.article import Page, extract_article
from crawlers.extraction.canonical import canonicalize_url
from crawlers.extraction.dates import parse_date
from mediawatch.errors import DropArticle
from tests.fixtures_http import ReplayServer

TRIED: Counter[str] = Counter()
MINIMUM = {"feed_bytes": 150, "feed_rss": 150, "sitemap": 150, "html": 60, "dates": 200,
           "urls_any": 300, "urls_valid": 300}


def bounded(examples: int) -> settings:
    """A fixed number of derandomized examples: the same inputs on every run, no example database."""
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.fixture(scope="module", autouse=True)
def count_inputs() -> Iterator[None]:
    yield
    print("\ninputs tried per property:", dict(sorted(TRIED.items())), "total", sum(TRIED.values()))
    ran = {name for name in MINIMUM if TRIED[name]}
    # Only properties selected in this run are checked (pytest -k may pick a few).
    short = {name: TRIED[name] for name in ran if TRIED[name] < MINIMUM[name]}
    assert not short, f"properties ran fewer inputs than bounded for: {short}"


# -- feeds and sitemaps --------------------------------------------------------------------------

_xml_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)


@st.composite
def rss_documents(draw: st.DrawFn) -> bytes:
    """Feeds that look almost right: fuzzed links, titles, dates, and a truncated tail."""
    items = draw(st.lists(st.tuples(_xml_text, _xml_text, _xml_text), max_size=5))
    body = "".join(f"<item><link>{link}</link><title>{title}</title><pubDate>{date}</pubDate></item>"
                   for link, title, date in items)
    doc = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>{body}</channel></rss>'
    raw = doc.encode("utf-8", "surrogatepass")
    return raw[:draw(st.integers(0, len(raw)))] if draw(st.booleans()) else raw


@bounded(150)
@given(st.binary(max_size=2000))
@example(b"")
@example(b"\x1f\x8b\x08\x00garbage")
def test_feed_parsing_of_any_bytes_yields_links_or_a_discovery_error(body: bytes) -> None:
    TRIED["feed_bytes"] += 1
    try:
        links = parse_feed(body)
    except DiscoveryError as exc:
        assert exc.reason in ("feed_entities", "feed_malformed", "feed_empty")
        return
    assert all(isinstance(link, Link) and link.url.startswith(("http://", "https://")) for link in links)


@bounded(150)
@given(rss_documents())
def test_feed_parsing_of_almost_valid_rss_never_raises_anything_else(body: bytes) -> None:
    TRIED["feed_rss"] += 1
    try:
        links = parse_feed(body)
    except DiscoveryError:
        return
    for link in links:
        assert link.published_at is None or link.published_at.tzinfo is not None


@st.composite
def sitemaps(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["urlset", "sitemapindex", "rss", ""]))
    entries = draw(st.lists(st.tuples(_xml_text, _xml_text), max_size=5))
    inner = "".join(f"<url><loc>{loc}</loc><lastmod>{mod}</lastmod></url>" for loc, mod in entries)
    raw = f'<?xml version="1.0"?><{kind or "x"}>{inner}</{kind or "x"}>'.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        raw = draw(st.binary(max_size=500))
    return gzip.compress(raw) if draw(st.booleans()) else raw


@bounded(150)
@given(sitemaps())
def test_sitemap_parsing_yields_a_sitemap_or_a_discovery_error(body: bytes) -> None:
    TRIED["sitemap"] += 1
    try:
        sitemap = parse_sitemap(body, 1024 * 1024)
    except DiscoveryError as exc:
        assert exc.reason in ("sitemap_malformed", "sitemap_too_large")
        return
    assert isinstance(sitemap, Sitemap) and sitemap.kind in ("index", "urlset")


# -- HTML extraction, dates, URLs ----------------------------------------------------------------

_html_fragments = st.sampled_from([
    "<html>", "<head>", "<title>", "</title>", "<body>", "<article>", "<p>", "</p>", "<script>",
    "</script>", "<meta charset='koi8-r'>", "<meta property='article:published_time' content='",
    "'>", "<h1>", "</h1>", "<!--", "-->", "<![CDATA[", "]]>", "&amp;", "&#0;", "&#xD800;", "\x00",
    "<svg onload=alert(1)>", "<iframe src=javascript:alert(1)>", "Баку ", "Azərbaycan ", "Москва ",
    "<script type='application/ld+json'>{\"@type\":\"NewsArticle\",\"datePublished\":",
])


@bounded(60)
@given(st.lists(st.one_of(_html_fragments, st.text(max_size=40)), max_size=40), st.booleans())
def test_extraction_returns_an_article_or_drops_the_page(parts: list[str], as_cp1251: bool) -> None:
    TRIED["html"] += 1
    text = "".join(parts)
    body = text.encode("cp1251", "replace") if as_cp1251 else text.encode("utf-8", "surrogatepass")
    try:
        article = extract_article(Page(url="https://tass.ru/politika/1", body=body), fast=True)
    except DropArticle:
        return
    assert article.body and article.url == "https://tass.ru/politika/1"


@bounded(200)
@given(st.one_of(st.text(max_size=40), st.from_regex(r"\d{1,14}", fullmatch=True),
                 st.datetimes(timezones=st.just(timezone.utc)).map(lambda d: d.isoformat()),
                 st.sampled_from(["сегодня", "вчера в 12:30", "25 ноября 2026", "25 noyabr 2026",
                                  "9999-99-99", "0000-00-00T00:00", "1" * 300, "\x00", "T", "Z"])))
def test_date_parsing_is_aware_utc_in_range_or_none(text: str) -> None:
    TRIED["dates"] += 1
    parsed = parse_date(text, ZoneInfo("Europe/Moscow"))
    if parsed is not None:
        assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
        assert datetime(1990, 1, 1, tzinfo=timezone.utc) <= parsed


_hosts = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z]{2,6}){1,2}", fullmatch=True)
_valid_urls = st.builds(
    lambda scheme, host, port, path, query, frag: f"{scheme}://{host}{port}{path}{query}{frag}",
    st.sampled_from(["http", "https", "HTTP", "HtTpS"]), _hosts,
    st.sampled_from(["", ":80", ":443", ":8080"]),
    st.from_regex(r"(/[A-Za-z0-9._~%-]{0,12}){0,4}", fullmatch=True),
    st.lists(st.tuples(st.sampled_from(["utm_source", "fbclid", "id", "page", "a", "UTM_x"]),
                       st.from_regex(r"[A-Za-z0-9%+]{0,6}", fullmatch=True)), max_size=4)
    .map(lambda pairs: ("?" + "&".join(f"{k}={v}" for k, v in pairs)) if pairs else ""),
    st.sampled_from(["", "#top", "#"]))


@bounded(300)
@given(_valid_urls)
def test_canonical_urls_are_idempotent_and_drop_tracking(url: str) -> None:
    TRIED["urls_valid"] += 1
    canonical = canonicalize_url(url)
    assert canonicalize_url(canonical) == canonical
    assert "#" not in canonical and "utm_" not in canonical.lower() and "fbclid" not in canonical
    assert canonical.startswith(("http://", "https://"))


@bounded(300)
@given(st.one_of(st.text(max_size=60), st.text(max_size=40).map(lambda t: "http://" + t)))
@example("http://tass.ru:99999/a")
def test_canonicalising_arbitrary_text_never_raises(url: str) -> None:
    TRIED["urls_any"] += 1
    assert isinstance(canonicalize_url(url), str)


@pytest.mark.parametrize("url", ["http://tass.ru:99999/a", "http://tass.ru:port/a", "http://[/a"])
def test_canonicalising_a_malformed_authority_never_raises(url: str) -> None:
    canonicalize_url(url)


def test_a_truncated_gzip_sitemap_is_a_discovery_error() -> None:
    with pytest.raises(DiscoveryError):
        parse_sitemap(gzip.compress(b"<urlset>" + b" " * 4096 + b"</urlset>")[:2], 1024 * 1024)


def test_ipv6_hosts_keep_their_brackets() -> None:
    assert canonicalize_url("http://[2001:db8::1]:8080/a") == "http://[2001:db8::1]:8080/a"


# -- hostile XML ---------------------------------------------------------------------------------

BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
                             for i in range(1, 10))
                  + b"]>")


def _root_name(root: bytes) -> bytes:
    return root[1:].replace(b">", b" ").split(b" ")[0]


def billion_laughs(root: bytes) -> bytes:
    return BILLION_LAUGHS.replace(b"lolz", _root_name(root)) + root.replace(b"@", b"&lol9;")


def xxe(root: bytes, system: str) -> bytes:
    return (f'<?xml version="1.0"?><!DOCTYPE {_root_name(root).decode()} '
            f'[<!ENTITY xxe SYSTEM "{system}">]>').encode() + root.replace(b"@", b"&xxe;")


FEED = b'rss version="2.0"><channel><item><link>https://tass.ru/a/@</link><title>@</title></item></channel></rss>'
FEED_ROOT = b"<" + FEED
SITEMAP_ROOT = (b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://tass.ru/a/@</loc>'
                b"</url></urlset>")


def test_billion_laughs_feed_is_rejected_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(DiscoveryError) as caught:
        parse_feed(billion_laughs(FEED_ROOT))
    assert caught.value.reason == "feed_entities"
    assert time.monotonic() - started < 2


def test_billion_laughs_sitemap_is_inert() -> None:
    started = time.monotonic()
    try:
        sitemap = parse_sitemap(billion_laughs(SITEMAP_ROOT), 1024 * 1024)
    except DiscoveryError:
        return
    assert time.monotonic() - started < 2
    assert all(len(link.url) < 200 and "lol" not in link.url for link in sitemap.links)


@pytest.mark.parametrize("system", ["file:///etc/passwd", "file:///etc/hostname"])
def test_external_file_entities_never_leak(system: str) -> None:
    with pytest.raises(DiscoveryError, match="feed_entities"):
        parse_feed(xxe(FEED_ROOT, system))
    try:
        sitemap = parse_sitemap(xxe(SITEMAP_ROOT, system), 1024 * 1024)
    except DiscoveryError:
        return
    secret = Path(system[len("file://"):]).read_text(errors="replace").strip()[:20]
    assert all(secret not in link.url and "root:" not in link.url for link in sitemap.links)


def test_external_http_entities_and_dtds_are_never_fetched(replay_server: ReplayServer) -> None:
    entity_url, dtd_url = replay_server.url("/xxe/entity.txt"), replay_server.url("/xxe/schema.dtd")
    with_dtd = (f'<?xml version="1.0"?><!DOCTYPE urlset SYSTEM "{dtd_url}">'.encode() + SITEMAP_ROOT)
    with pytest.raises(DiscoveryError, match="feed_entities"):
        parse_feed(xxe(FEED_ROOT, entity_url))
    for body in (xxe(SITEMAP_ROOT, entity_url), with_dtd):
        try:
            parse_sitemap(body, 1024 * 1024)
        except DiscoveryError:
            pass
    try:
        parse_feed(f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{dtd_url}">'.encode() + FEED_ROOT)
    except DiscoveryError:
        pass
    assert replay_server.hits["/xxe/entity.txt"] == 0 and replay_server.hits["/xxe/schema.dtd"] == 0


# -- decompression bombs -------------------------------------------------------------------------


def test_a_gzip_sitemap_bomb_is_cut_at_the_size_limit() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * (64 * 1024 * 1024) + b"</urlset>", compresslevel=9)
    assert len(bomb) < 100 * 1024  # ~64 KB that would inflate to 64 MB
    started = time.monotonic()
    with pytest.raises(DiscoveryError) as caught:
        parse_sitemap(bomb, 1024 * 1024)
    assert caught.value.reason == "sitemap_too_large"
    assert time.monotonic() - started < 5


def test_a_gzip_feed_without_content_encoding_is_refused_unread() -> None:
    with pytest.raises(DiscoveryError, match="feed_malformed"):
        parse_feed(gzip.compress(b"<rss>" + b" " * (16 * 1024 * 1024) + b"</rss>"))


# -- markup in reports -----------------------------------------------------------------------------

EVIL_TITLE = "Баку <script>alert('x')</script> [bold red]СРОЧНО[/bold red] [link=http://evil.example]тут[/link]"


def test_markup_in_crawled_text_is_printed_literally_by_search(data_dir: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Crawled text never drives the terminal: rich markup and HTML come out as typed."""
    from indexer.sqlite import SqliteStore
    from mediawatch.cli import main
    from tests.alert_history import make_article

    doc = make_article(1, datetime(2026, 11, 20, 9, tzinfo=timezone.utc), "tass", hostile=1,
                       title=EVIL_TITLE, evidence=f"{EVIL_TITLE} предал.")
    with SqliteStore(data_dir / "mediawatch.db") as store:
        store.upsert_many([doc])
    assert main(["search", "Баку", "--target", "azerbaijan"]) == 0
    out = capsys.readouterr().out
    assert "<script>alert('x')</script>" in out
    assert "[bold red]СРОЧНО[/bold red]" in out and "[link=http://evil.example]тут[/link]" in out


def test_markup_in_a_crawled_url_is_printed_literally_by_search(data_dir: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from indexer.sqlite import SqliteStore
    from mediawatch.cli import main
    from tests.alert_history import make_article

    url = "https://tass.ru/news/1?q=[bold]x[/bold]"
    doc = make_article(1, datetime(2026, 11, 20, 9, tzinfo=timezone.utc), "tass", hostile=1, url=url)
    with SqliteStore(data_dir / "mediawatch.db") as store:
        store.upsert_many([doc])
    assert main(["search", "Баку"]) == 0
    assert url in capsys.readouterr().out
