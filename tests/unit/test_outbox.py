"""The outbox: spooled batches survive, deliver exactly once, and never half-write."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from indexer.sqlite import SqliteStore
from indexer.store import Store, UpsertResult
from mediawatch.documents import Article, ClassifiedArticle
from mediawatch.errors import StoreUnavailable
from mediawatch.outbox import Outbox, ResilientWriter


def doc(n: int) -> ClassifiedArticle:
    return ClassifiedArticle(Article(url=f"https://x.example/{n}", canonical_url="", outlet_id="x",
                                     title=f"t{n}", body=f"b{n}"))


class FlakyStore(SqliteStore):
    """A real SQLite store that is 'unreachable' for its first `down` upserts."""

    def __init__(self, path: Path, down: int) -> None:
        super().__init__(path)
        self.down = down

    def upsert_many(self, docs: Iterable[ClassifiedArticle]) -> UpsertResult:
        if self.down > 0:
            self.down -= 1
            raise StoreUnavailable("connection refused")
        return super().upsert_many(docs)


def test_put_is_atomic_and_counted(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    assert outbox.put([doc(1), doc(2)]) == 2
    assert outbox.put([]) == 0
    assert outbox.count() == 2 and len(outbox.files()) == 1
    assert not list(outbox.path.glob(".tmp-*"))


def test_flush_delivers_once_and_empties(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.put([doc(1), doc(2)])
    outbox.put([doc(2), doc(3)])
    store = SqliteStore(tmp_path / "s.db")
    report = outbox.flush(store)
    assert (report.delivered, report.files_done, report.error) == (4, 2, "")
    assert store.count() == 3 and outbox.files() == []
    assert outbox.flush(store).delivered == 0


def test_flush_stops_at_unreachable_store_and_keeps_the_rest(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.put([doc(1)])
    outbox.put([doc(2)])
    store = FlakyStore(tmp_path / "s.db", down=1)
    report = outbox.flush(store)
    assert report.files_left == 2 and "refused" in report.error
    assert outbox.count() == 2
    assert outbox.flush(store).delivered == 2 and store.count() == 2


def test_unreadable_spooled_row_goes_to_rejected(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.put([doc(1)])
    path = outbox.files()[0]
    path.write_text(path.read_text(encoding="utf-8") + "{broken\n", encoding="utf-8")
    report = outbox.flush(SqliteStore(tmp_path / "s.db"))
    assert report.delivered == 1 and len(report.failed) == 1
    assert (outbox.rejected_path / path.name).read_text(encoding="utf-8").strip() == "{broken"


def test_writer_spools_while_down_and_flushes_later(tmp_path: Path) -> None:
    store = FlakyStore(tmp_path / "s.db", down=2)
    writer = ResilientWriter(lambda: store, Outbox(tmp_path))
    writer.write([doc(1), doc(2)])
    writer.write([doc(3)])
    writer.write([doc(4)])
    assert (writer.written, writer.spooled) == (1, 3)
    report = writer.flush_outbox()
    assert report is not None and report.delivered == 3
    assert {d.article.title for d in store.iter_articles()} == {"t1", "t2", "t3", "t4"}


def test_writer_spools_when_store_cannot_even_open(tmp_path: Path) -> None:
    def refuse() -> Store:
        raise StoreUnavailable("Elasticsearch at http://127.0.0.1:9 is unreachable")

    writer = ResilientWriter(refuse, Outbox(tmp_path))
    writer.write([doc(1)])
    assert writer.spooled == 1
    flushed = writer.flush_outbox()
    assert flushed is not None and flushed.files_left == 1


def test_unwritable_data_dir_raises_and_leaves_nothing(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("a file where the data dir should be", encoding="utf-8")
    with pytest.raises(OSError):
        Outbox(not_a_dir).put([doc(1)])
    assert not_a_dir.read_text(encoding="utf-8").startswith("a file")


class BusyStore(SqliteStore):
    """A real SQLite store that refuses odd-numbered titles as an overloaded cluster would."""

    def upsert_many(self, docs: Iterable[ClassifiedArticle]) -> UpsertResult:
        batch = list(docs)
        busy = [d for d in batch if int(d.article.title[1:]) % 2]
        result = super().upsert_many([d for d in batch if d not in busy])
        result.failed += [(d.id, "429 es_rejected_execution_exception: queue full") for d in busy]
        return result


def test_writer_spools_items_refused_as_busy(tmp_path: Path) -> None:
    store = BusyStore(tmp_path / "s.db")
    writer = ResilientWriter(lambda: store, Outbox(tmp_path))
    writer.write([doc(1), doc(2), doc(3)])
    assert (writer.written, writer.spooled, writer.failed) == (1, 2, [])
    assert writer.outbox.count() == 2
