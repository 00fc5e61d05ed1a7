"""The source registry: the shipped file is valid and broad; bad files fail with file and key."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from crawlers.filters import all_of, any_of, article_filter, has_extension, matches, negate, on_domains
from crawlers.registry import DEFAULT_SOURCES_FILE, load_sources, parse_interval
from mediawatch.errors import ConfigError


def test_shipped_registry_covers_both_countries() -> None:
    registry = load_sources()
    countries = Counter(s.country for s in registry.sources)
    assert countries["RU"] >= 15 and countries["AZ"] >= 15
    assert {s.affiliation for s in registry.sources} >= {"state", "state-aligned", "independent",
                                                         "opposition", "private"}


@pytest.mark.parametrize("text, expected", [("30m", timedelta(minutes=30)), ("2h", timedelta(hours=2)),
                                            ("1d", timedelta(days=1)), ("1w", timedelta(weeks=1))])
def test_parse_interval(text: str, expected: timedelta) -> None:
    assert parse_interval(text) == expected


@pytest.mark.parametrize("text", ["", "30", "m", "0m", "1y", "-1h"])
def test_parse_interval_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_interval(text)


def _write(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(DEFAULT_SOURCES_FILE.read_text("utf-8"))
    mutate(data)
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


@pytest.mark.parametrize("mutate, key", [
    (lambda d: d["sources"][0].update(homepage_url="x"), "sources.0.homepage_url"),
    (lambda d: d["sources"][1].update(interval="often"), "sources.1.interval"),
    (lambda d: d["sources"][2].update(country="UA"), "sources.2.country"),
    (lambda d: d["sources"][3].update(feeds=["ftp://x/feed"]), "sources.3.feeds"),
    (lambda d: d["sources"][4].update(extract={"parser": "nope"}), "sources.4.extract.parser"),
    (lambda d: d["sources"][5].update(extract={"selectors": {}}), "sources.5.extract.selectors"),
    (lambda d: d["sources"].append(dict(d["sources"][0])), "sources"),
])
def test_bad_registry_names_file_and_key(tmp_path: Path, mutate, key: str) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, mutate)
    with pytest.raises(ConfigError) as caught:
        load_sources(path)
    assert caught.value.file == str(path)
    assert caught.value.key == key


def test_unknown_source_id_lists_known_ones() -> None:
    with pytest.raises(ConfigError, match="tass"):
        load_sources().get("no-such-outlet")


def test_filters_compose() -> None:
    keep = all_of(on_domains(["tass.ru"]), negate(has_extension([".jpg"])),
                  any_of(matches(r"/politika/"), matches(r"/ekonomika/")))
    assert keep("https://tass.ru/politika/1")
    assert keep("https://www.tass.ru/ekonomika/2")
    assert not keep("https://tass.ru/sport/3")
    assert not keep("https://tass.ru/politika/photo.jpg")
    assert not keep("https://evil-tass.ru/politika/1")
    assert not keep("ftp://tass.ru/politika/1")


def test_article_filter_uses_the_source_pattern() -> None:
    keep = article_filter(load_sources().get("haqqin"))
    assert keep("https://haqqin.az/newsarchive/393104")
    assert not keep("https://haqqin.az/about")
    assert not keep("https://i.haqqin.az/photo.webp")
