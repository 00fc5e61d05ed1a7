"""Canonical URLs, encodings, dates, feeds and sitemaps, dedup, failure names."""

from __future__ import annotations

import codecs
import gzip
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from crawlers.discovery import DiscoveryError, parse_feed, parse_sitemap
from crawlers.extraction.canonical import canonicalize_url, is_amp_url, strip_amp
from crawlers.extraction.dates import parse_date
from crawlers.extraction.dedup import DuplicateIndex, minhash_signature
from crawlers.extraction.encoding import decode_html
from crawlers.middlewares import is_private_host
from mediawatch.documents import Article
from mediawatch.errors import DropArticle

RUSSIAN = "<html><head><title>Новости</title></head><body><p>Москва и Баку обсудили торговлю и транспорт.</p></body></html>"


@pytest.mark.parametrize("url, expected", [
    ("HTTPS://Tass.RU:443/politika/1?utm_source=tg&utm_medium=x#comments", "https://tass.ru/politika/1"),
    ("https://ria.ru/a.html?fbclid=1&gclid=2&yclid=3&_openstat=4&id=7", "https://ria.ru/a.html?id=7"),
    ("https://apa.az/news?b=2&a=1", "https://apa.az/news?b=2&a=1"),
    ("http://127.0.0.1:8080/x", "http://127.0.0.1:8080/x"),
])
def test_canonicalize_url(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


@pytest.mark.parametrize("url, plain", [
    ("https://lenta.ru/news/2026/11/20/x/amp/", "https://lenta.ru/news/2026/11/20/x"),
    ("https://amp.rt.com/russia/598765-x/", "https://rt.com/russia/598765-x/"),
    ("https://iz.ru/1890123?amp=1", "https://iz.ru/1890123"),
    ("https://site.ru/amp/news/1", "https://site.ru/news/1"),
])
def test_amp_urls_map_to_the_article(url: str, plain: str) -> None:
    assert is_amp_url(url)
    assert strip_amp(url) == plain


def test_amp_page_uses_its_declared_canonical() -> None:
    from crawlers.extraction import Page, extract_article

    body = ("<html><head><link rel='canonical' href='https://lenta.ru/news/1/'></head><body><article>"
            + "".join(f"<p>Абзац {i}: текст статьи о переговорах в Баку и Москве, длинное предложение.</p>"
                      for i in range(4))
            + "</article></body></html>").encode()
    article = extract_article(Page(url="https://lenta.ru/news/1/amp/", body=body))
    assert article.canonical_url == "https://lenta.ru/news/1/"


@pytest.mark.parametrize("encoding, declare", [("windows-1251", True), ("koi8-r", True),
                                               ("windows-1251", False), ("koi8-r", False)])
def test_cyrillic_encodings_declared_or_sniffed(encoding: str, declare: bool) -> None:
    html = RUSSIAN.replace("<head>", f'<head><meta charset="{encoding}">' if declare else "<head>")
    found, text = decode_html(html.encode(encoding))
    assert "Москва и Баку обсудили" in text
    assert codecs.lookup(found).name == codecs.lookup(encoding).name


def test_lying_http_charset_falls_back_to_sniffing() -> None:
    found, text = decode_html(RUSSIAN.encode("windows-1251"), "text/html; charset=utf-8")
    assert codecs.lookup(found).name == "cp1251" and "Москва" in text


@pytest.mark.parametrize("value, zone, expected", [
    ("2026-11-20T14:05:00+03:00", "UTC", datetime(2026, 11, 20, 11, 5, tzinfo=timezone.utc)),
    ("2026-11-20T15:30:00", "Europe/Moscow", datetime(2026, 11, 20, 12, 30, tzinfo=timezone.utc)),
    ("2026-11-20T10:00:00", "Asia/Baku", datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)),
    ("1763640000", "UTC", datetime(2025, 11, 20, 12, 0, tzinfo=timezone.utc)),
    ("20 ноября 2025, 13:37", "Europe/Moscow", datetime(2025, 11, 20, 10, 37, tzinfo=timezone.utc)),
    ("2020-01-13T17:04:34+0300", "UTC", datetime(2020, 1, 13, 14, 4, 34, tzinfo=timezone.utc)),
])
def test_parse_date_normalises_to_utc(value: str, zone: str, expected: datetime) -> None:
    assert parse_date(value, ZoneInfo(zone)) == expected


@pytest.mark.parametrize("value", ["", "not a date", "2999-01-01T00:00:00Z", "1970-01-02"])
def test_parse_date_rejects_nonsense(value: str) -> None:
    assert parse_date(value, ZoneInfo("UTC")) is None


def _rss(items: str) -> bytes:
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


def test_feed_items_are_keyed_by_link_not_guid() -> None:
    links = parse_feed(_rss("<item><link>https://a.az/1</link><guid>same</guid></item>"
                            "<item><link>https://a.az/2</link><guid>same</guid></item>"
                            "<item><link>https://a.az/3</link></item><item><title>no link</title></item>"))
    assert [link.url for link in links] == ["https://a.az/1", "https://a.az/2", "https://a.az/3"]


def test_feed_dates_are_utc() -> None:
    [link] = parse_feed(_rss("<item><link>https://a.az/1</link>"
                             "<pubDate>Fri, 20 Nov 2026 10:15:00 +0400</pubDate></item>"))
    assert link.published_at == datetime(2026, 11, 20, 6, 15, tzinfo=timezone.utc)


@pytest.mark.parametrize("body, reason", [
    (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "x"><!ENTITY b "&a;&a;">]><rss><channel>'
     b"<item><title>&b;</title><link>https://a/1</link></item></channel></rss>", "feed_entities"),
    (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><rss><channel>'
     b"<item><title>&e;</title><link>https://a/1</link></item></channel></rss>", "feed_entities"),
    (b"<rss><channel><item><title>broken", "feed_malformed"),
    (b"<html><body>not a feed</body></html>", "feed_empty"),
    (gzip.compress(b"<rss/>"), "feed_malformed"),
])
def test_bad_feeds_are_rejected_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(DiscoveryError) as caught:
        parse_feed(body)
    assert caught.value.reason == reason


def test_google_news_sitemap_and_index() -> None:
    urlset = (b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
              b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://a.ru/1</loc>'
              b"<news:news><news:publication_date>2026-11-20T10:00:00+03:00</news:publication_date>"
              b"<news:title>T</news:title></news:news></url></urlset>")
    parsed = parse_sitemap(gzip.compress(urlset), max_bytes=10_000)
    assert parsed.kind == "urlset"
    assert parsed.links[0].published_at == datetime(2026, 11, 20, 7, tzinfo=timezone.utc)
    index = parse_sitemap(b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>'
                          b"<loc>https://a.ru/s1.xml</loc><lastmod>2026-11-19</lastmod></sitemap></sitemapindex>",
                          max_bytes=10_000)
    assert index.kind == "index" and index.links[0].url == "https://a.ru/s1.xml"


def test_gzip_sitemap_bomb_is_refused() -> None:
    with pytest.raises(DiscoveryError, match="sitemap_too_large"):
        parse_sitemap(gzip.compress(b"<urlset>" + b" " * 1_000_000), max_bytes=10_000)


def _article(outlet: str, url: str, body: str) -> Article:
    return Article(url=url, canonical_url=url, outlet_id=outlet, title="T", body=body)


BODY = " ".join(f"Предложение номер {i} о переговорах между Москвой и Баку." for i in range(40))


def test_exact_copy_in_one_outlet_is_dropped_and_across_outlets_grouped() -> None:
    index = DuplicateIndex()
    first = index.admit(_article("tass", "https://tass.ru/1", BODY), minhash_signature(BODY))
    with pytest.raises(DropArticle):
        index.admit(_article("tass", "https://tass.ru/1-copy", BODY), minhash_signature(BODY))
    copy = index.admit(_article("ria", "https://ria.ru/9", BODY), minhash_signature(BODY))
    assert copy.near_duplicate_group == first.id


def test_near_duplicates_share_a_group_and_different_stories_do_not() -> None:
    index = DuplicateIndex()
    edited = BODY.replace("номер 39", "последний")
    other = " ".join(f"Строка {i} про погоду и снег в Новосибирске зимой." for i in range(40))
    a = index.admit(_article("tass", "https://tass.ru/1", BODY), minhash_signature(BODY))
    b = index.admit(_article("rt", "https://rt.com/2", edited), minhash_signature(edited))
    c = index.admit(_article("mk", "https://mk.ru/3", other), minhash_signature(other))
    assert b.near_duplicate_group == a.near_duplicate_group == a.id
    assert c.near_duplicate_group == c.id


def test_same_canonical_url_twice_is_dropped() -> None:
    index = DuplicateIndex()
    index.admit(_article("tass", "https://tass.ru/1", BODY), None)
    with pytest.raises(DropArticle):
        index.admit(_article("tass", "https://tass.ru/1", BODY + " правка"), None)


@pytest.mark.parametrize("host, private", [("10.0.0.1", True), ("192.168.1.5", True), ("127.0.0.1", True),
                                           ("localhost", True), ("169.254.169.254", True), ("[::1]", True),
                                           ("8.8.8.8", False), ("tass.ru", False)])
def test_private_hosts(host: str, private: bool) -> None:
    assert is_private_host(host) is private
