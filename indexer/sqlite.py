"""SqliteStore: the embedded default store (one file, WAL journal, FTS5 full-text search).

Each article is kept whole as JSON (what `export` returns) plus the columns that filters and
trends read, so trends are plain SQL and give the same numbers as Elasticsearch aggregations.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from indexer.store import (
    SearchFilters,
    Store,
    TrendBucket,
    TrendQuery,
    UpsertResult,
)
from mediawatch.documents import ClassifiedArticle
from mediawatch.errors import ConfigError, StoreError, StoreUnavailable

__all__ = ["SqliteStore"]

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    canonical_url TEXT NOT NULL,
    outlet_id TEXT NOT NULL,
    country TEXT NOT NULL,
    affiliation TEXT NOT NULL,
    language TEXT NOT NULL,
    published_ts INTEGER,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_url ON articles(url);
CREATE INDEX IF NOT EXISTS articles_canonical_url ON articles(canonical_url);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published_ts);
CREATE TABLE IF NOT EXISTS targets (
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    target TEXT NOT NULL,
    mentions INTEGER NOT NULL,
    stance TEXT NOT NULL,
    stance_score REAL NOT NULL,
    hostility TEXT NOT NULL,
    hostile_mentions INTEGER NOT NULL,
    PRIMARY KEY (article_id, target)
);
CREATE INDEX IF NOT EXISTS targets_target ON targets(target, hostility);
CREATE TABLE IF NOT EXISTS target_rhetoric (
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    target TEXT NOT NULL,
    rhetoric TEXT NOT NULL,
    PRIMARY KEY (article_id, target, rhetoric)
);
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    title, body, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# Monday 1970-01-05 00:00 UTC: week buckets are aligned to it (the Unix epoch is a Thursday).
_FIRST_MONDAY_S = 4 * 86400
_BUCKET_SQL = {
    "hour": "(a.published_ts / 3600) * 3600",
    "day": "(a.published_ts / 86400) * 86400",
    "week": f"((a.published_ts - {_FIRST_MONDAY_S}) / 604800) * 604800 + {_FIRST_MONDAY_S}",
}
_GROUP_SQL = {
    "outlet": "a.outlet_id",
    "country": "a.country",
    "language": "a.language",
    "affiliation": "a.affiliation",
    "rhetoric": "r.rhetoric",
}
_IN_CHUNK = 500  # SQLite's default limit on bound parameters is 999


def _epoch(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def _fts_query(query: str) -> str:
    """Quote each word as an FTS5 prefix term, so user text never hits FTS5 syntax errors."""
    words = [w.replace('"', "") for w in query.split()]
    return " ".join(f'"{w}"*' for w in words if w)


class SqliteStore(Store):
    """The embedded store: a single SQLite file, safe for one writer and many readers."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False,
                                       isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA busy_timeout=30000")
            self._db.executescript(_SCHEMA)
            self._check_schema_version()
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"cannot open SQLite store {self.path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a mediawatch SQLite store: {exc}") from None
        self._lock = threading.RLock()

    @classmethod
    def from_url(cls, url: str) -> SqliteStore:
        """Open ``sqlite:///relative.db`` or ``sqlite:////absolute.db``."""
        path = url.removeprefix("sqlite://")
        if not path.startswith("/") or path == "/":
            raise ConfigError(f"bad SQLite store URL {url!r}", key="store.url",
                              fix="use sqlite:///path/to/file.db")
        return cls(path[1:] if not path.startswith("//") else path[1:])

    def _check_schema_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(row[0]) > SCHEMA_VERSION:
            raise StoreError(f"{self.path} has schema version {row[0]}, newer than this mediawatch "
                             f"understands ({SCHEMA_VERSION}); upgrade mediawatch")

    # -- writing -----------------------------------------------------------------------------

    def upsert_many(self, docs: Iterable[ClassifiedArticle]) -> UpsertResult:
        """Replace each article by id in one transaction (see Store.upsert_many)."""
        latest: dict[str, ClassifiedArticle] = {}
        for doc in docs:
            latest[doc.id] = doc
        result = UpsertResult()
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                for doc in latest.values():
                    try:
                        self._write_one(doc)
                        result.written += 1
                    except (TypeError, ValueError) as exc:
                        result.failed.append((doc.id, f"cannot serialise: {exc}"))
                self._db.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self._rollback()
                raise StoreUnavailable(f"SQLite store {self.path}: {exc}") from None
            except BaseException:
                self._rollback()
                raise
        return result

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def _write_one(self, doc: ClassifiedArticle) -> None:
        art = doc.article
        payload = json.dumps(doc.to_dict(), ensure_ascii=False)
        old = self._db.execute("SELECT rowid FROM articles WHERE id=?", (doc.id,)).fetchone()
        if old is not None:
            self._db.execute("DELETE FROM articles_fts WHERE rowid=?", (old[0],))
            self._db.execute("DELETE FROM targets WHERE article_id=?", (doc.id,))
            self._db.execute("DELETE FROM target_rhetoric WHERE article_id=?", (doc.id,))
            self._db.execute(
                "UPDATE articles SET url=?, canonical_url=?, outlet_id=?, country=?, affiliation=?,"
                " language=?, published_ts=?, doc=? WHERE rowid=?",
                (art.url, art.canonical_url, art.outlet_id, art.country, art.affiliation,
                 art.language, _epoch(art.published_at), payload, old[0]))
            rowid = old[0]
        else:
            cursor = self._db.execute(
                "INSERT INTO articles (id, url, canonical_url, outlet_id, country, affiliation,"
                " language, published_ts, doc) VALUES (?,?,?,?,?,?,?,?,?)",
                (doc.id, art.url, art.canonical_url, art.outlet_id, art.country, art.affiliation,
                 art.language, _epoch(art.published_at), payload))
            rowid = cursor.lastrowid
        self._db.execute("INSERT INTO articles_fts (rowid, title, body) VALUES (?,?,?)",
                         (rowid, art.title, art.body))
        for t in doc.targets:
            self._db.execute(
                "INSERT OR REPLACE INTO targets VALUES (?,?,?,?,?,?,?)",
                (doc.id, t.target, t.mentions, t.stance, t.stance_score, t.hostility,
                 t.hostile_mentions))
            self._db.executemany("INSERT OR IGNORE INTO target_rhetoric VALUES (?,?,?)",
                                 [(doc.id, t.target, r) for r in t.rhetoric])

    # -- reading -----------------------------------------------------------------------------

    def _decode(self, article_id: str, payload: str) -> ClassifiedArticle:
        try:
            return ClassifiedArticle.from_dict(json.loads(payload))
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"stored article {article_id} in {self.path} is corrupt: {exc!r}") from None

    def get(self, article_id: str) -> ClassifiedArticle | None:
        """Return one article by id; StoreError when its stored record is corrupt."""
        with self._lock:
            row = self._db.execute("SELECT id, doc FROM articles WHERE id=?", (article_id,)).fetchone()
        return None if row is None else self._decode(*row)

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """Return which of `urls` are stored (as url or canonical_url)."""
        wanted = list(dict.fromkeys(urls))
        found: set[str] = set()
        with self._lock:
            for i in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[i:i + _IN_CHUNK]
                marks = ",".join("?" * len(chunk))
                for url, canonical in self._db.execute(
                        f"SELECT url, canonical_url FROM articles WHERE url IN ({marks})"
                        f" OR canonical_url IN ({marks})", chunk + chunk):
                    found.update({url, canonical})
        return found & set(wanted)

    def search(self, query: str | None, filters: SearchFilters = SearchFilters(),
               limit: int = 20) -> list[ClassifiedArticle]:
        """Full-text search with FTS5 (prefix terms, AND), filtered; best matches first."""
        where, params = self._filter_sql(filters)
        if query and _fts_query(query):
            sql = ("SELECT a.id, a.doc FROM articles_fts f JOIN articles a ON a.rowid = f.rowid"
                   f" WHERE articles_fts MATCH ? {where} ORDER BY bm25(articles_fts), a.id LIMIT ?")
            params = [_fts_query(query), *params, limit]
        else:
            sql = (f"SELECT a.id, a.doc FROM articles a WHERE 1=1 {where}"
                   " ORDER BY a.published_ts IS NULL, a.published_ts DESC, a.id LIMIT ?")
            params = [*params, limit]
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [self._decode(*row) for row in rows]

    @staticmethod
    def _filter_sql(filters: SearchFilters) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("outlet_id", filters.outlet), ("country", filters.country),
                              ("language", filters.language)):
            if value:
                clauses.append(f"a.{column} = ?")
                params.append(value)
        if filters.since:
            clauses.append("a.published_ts >= ?")
            params.append(_epoch(filters.since))
        if filters.until:
            clauses.append("a.published_ts < ?")
            params.append(_epoch(filters.until))
        if filters.target or filters.hostile:
            sub = "SELECT 1 FROM targets t WHERE t.article_id = a.id AND t.mentions > 0"
            if filters.target:
                sub += " AND t.target = ?"
                params.append(filters.target)
            if filters.hostile:
                sub += " AND t.hostility = 'hostile'"
            clauses.append(f"EXISTS ({sub})")
        return "".join(f" AND {c}" for c in clauses), params

    def trends(self, query: TrendQuery) -> list[TrendBucket]:
        """Aggregate per time bucket (and group) in SQL; see TrendQuery for the definitions."""
        bucket = _BUCKET_SQL[query.interval]
        group = _GROUP_SQL[query.by] if query.by else "NULL"
        join = ("JOIN target_rhetoric r ON r.article_id = t.article_id AND r.target = t.target"
                if query.by == "rhetoric" else "")
        sql = (f"SELECT {bucket} AS bucket, {group} AS grp, COUNT(*), SUM(t.mentions),"
               " SUM(t.hostile_mentions), AVG(t.stance_score)"
               f" FROM targets t JOIN articles a ON a.id = t.article_id {join}"
               " WHERE t.target = ? AND t.mentions > 0 AND a.published_ts IS NOT NULL")
        params: list[Any] = [query.target]
        if query.since:
            sql += " AND a.published_ts >= ?"
            params.append(_epoch(query.since))
        if query.until:
            sql += " AND a.published_ts < ?"
            params.append(_epoch(query.until))
        sql += " GROUP BY bucket, grp"
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        buckets = [
            TrendBucket(start=datetime.fromtimestamp(b, tz=timezone.utc), group=g, articles=n,
                        mentions=m, hostile=h, hostile_share=(h / m if m else 0.0),
                        stance_mean=float(s or 0.0))
            for b, g, n, m, h, s in rows
        ]
        return sorted(buckets, key=lambda x: (x.start, x.group or ""))

    def iter_articles(self) -> Iterator[ClassifiedArticle]:
        """Yield all articles ordered by id; a corrupt record is logged and skipped."""
        last = ""
        while True:
            with self._lock:
                rows = self._db.execute("SELECT id, doc FROM articles WHERE id > ? ORDER BY id"
                                        " LIMIT 500", (last,)).fetchall()
            if not rows:
                return
            for article_id, payload in rows:
                try:
                    yield self._decode(article_id, payload)
                except StoreError as exc:
                    logger.error("skipping corrupt record: %s", exc)
            last = rows[-1][0]

    def count(self) -> int:
        """Return the number of stored articles."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    # -- state -------------------------------------------------------------------------------

    def get_state(self, key: str) -> dict[str, Any] | None:
        """Return the JSON state stored under `key`, or None."""
        with self._lock:
            row = self._db.execute("SELECT value FROM state WHERE key=?", (key,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def put_state(self, key: str, value: dict[str, Any]) -> None:
        """Store JSON state under `key` (replacing), committed on return."""
        payload = json.dumps(value, ensure_ascii=False, sort_keys=True)
        with self._lock:
            try:
                self._db.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", (key, payload))
            except sqlite3.OperationalError as exc:
                raise StoreUnavailable(f"SQLite store {self.path}: {exc}") from None

    def list_state(self, prefix: str) -> dict[str, dict[str, Any]]:
        """Return all state documents whose key starts with `prefix`."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with self._lock:
            rows = self._db.execute("SELECT key, value FROM state WHERE key LIKE ? ESCAPE '\\'"
                                    " ORDER BY key", (escaped + "%",)).fetchall()
        return {key: dict(json.loads(value)) for key, value in rows}

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            if getattr(self, "_db", None) is not None:
                self._db.close()
                self._db = None  # type: ignore[assignment]
