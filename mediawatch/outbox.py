"""The outbox: a durable local spool for classified articles when the store is unreachable.

Batches are written as JSONL files under ``<data dir>/outbox/`` atomically (temporary file,
fsync, rename), so a crash never leaves a half-written batch. `flush` delivers them oldest
first through the store's idempotent upsert and deletes a file only after every article in it
is stored, so a crash during a flush repeats work but never loses or duplicates an article.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from indexer.store import Store, UpsertResult
from mediawatch.documents import ClassifiedArticle
from mediawatch.errors import StoreError, StoreUnavailable

__all__ = ["Outbox", "FlushReport", "ResilientWriter"]

logger = logging.getLogger(__name__)

# Per-item failure reasons (UpsertResult.failed) that mean "try later", not "bad document".
_BUSY_STATUSES = ("429", "503")


@dataclass
class FlushReport:
    """What a flush did: articles delivered, files done, files left, per-article failures."""

    delivered: int = 0
    files_done: int = 0
    files_left: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""


class Outbox:
    """A folder of spooled batches; safe for one writer and one flusher at a time."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "outbox"
        self.rejected_path = self.path / "rejected"

    def put(self, docs: Iterable[ClassifiedArticle]) -> int:
        """Spool a batch durably; returns how many articles were written. OSError when the disk refuses."""
        lines = [json.dumps(doc.to_dict(), ensure_ascii=False) for doc in docs]
        if not lines:
            return 0
        self.path.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.jsonl"
        handle, tmp = tempfile.mkstemp(dir=self.path, prefix=".tmp-", suffix=".jsonl")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write("\n".join(lines) + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path / name)
            _fsync_dir(self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return len(lines)

    def files(self) -> list[Path]:
        """Return spooled batch files, oldest first (temporary files excluded)."""
        if not self.path.is_dir():
            return []
        return sorted(p for p in self.path.glob("*.jsonl") if not p.name.startswith(".tmp-"))

    def count(self) -> int:
        """Return how many articles are waiting."""
        total = 0
        for path in self.files():
            with path.open(encoding="utf-8") as handle:
                total += sum(1 for line in handle if line.strip())
        return total

    def flush(self, store: Store) -> FlushReport:
        """Deliver every spooled batch to `store`, oldest first; stop at the first unreachable error."""
        report = FlushReport()
        files = self.files()
        for index, path in enumerate(files):
            try:
                docs, bad = _read_batch(path)
                result: UpsertResult = store.upsert_many(docs)
            except StoreUnavailable as exc:
                report.error = str(exc)
                report.files_left = len(files) - index
                return report
            report.delivered += result.written
            report.failed.extend(result.failed + bad)
            if result.failed or bad:
                self._keep_rejected(path, {i for i, _ in result.failed}, bad)
            path.unlink()
            _fsync_dir(self.path)
            report.files_done += 1
        return report

    def _keep_rejected(self, path: Path, failed_ids: set[str], bad: list[tuple[str, str]]) -> None:
        """Move articles the store refused to rejected/, so they are inspected rather than retried forever."""
        self.rejected_path.mkdir(parents=True, exist_ok=True)
        kept = [line for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip() and (_line_id(line) in failed_ids or _line_id(line) is None)]
        (self.rejected_path / path.name).write_text("\n".join(kept) + "\n", encoding="utf-8")
        logger.error("%d article(s) from %s refused by the store, kept in %s", len(kept), path.name,
                     self.rejected_path)


def _line_id(line: str) -> str | None:
    try:
        return str(json.loads(line)["id"])
    except (ValueError, KeyError, TypeError):
        return None


def _read_batch(path: Path) -> tuple[list[ClassifiedArticle], list[tuple[str, str]]]:
    docs: list[ClassifiedArticle] = []
    bad: list[tuple[str, str]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            docs.append(ClassifiedArticle.from_dict(json.loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            bad.append((f"{path.name}:{number}", f"unreadable spooled row: {exc!r}"))
    return docs, bad


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ResilientWriter:
    """Writes batches to the store, spooling to the outbox whenever the store is unreachable.

    The store is opened lazily through `open_store` and re-tried on each batch, so a store that
    comes back mid-crawl receives later batches directly (and earlier spooled ones on the next
    `flush_outbox`).
    """

    def __init__(self, open_store: Callable[[], Store], outbox: Outbox) -> None:
        self._open_store = open_store
        self.outbox = outbox
        self._store: Store | None = None
        self.written = 0
        self.spooled = 0
        self.failed: list[tuple[str, str]] = []

    def _get_store(self) -> Store:
        if self._store is None:
            self._store = self._open_store()
        return self._store

    def write(self, docs: list[ClassifiedArticle]) -> None:
        """Upsert a batch, or spool it when the store cannot be reached."""
        if not docs:
            return
        try:
            result = self._get_store().upsert_many(docs)
        except StoreUnavailable as exc:
            logger.warning("store unreachable (%s): spooling %d article(s) to %s", exc, len(docs),
                           self.outbox.path)
            self.spooled += self.outbox.put(docs)
            return
        self.written += result.written
        busy = {article_id for article_id, reason in result.failed if reason.startswith(_BUSY_STATUSES)}
        if busy:
            # Refused because the cluster was overloaded after every retry: not a bad document,
            # so it waits in the outbox instead of being lost until its feed changes.
            self.spooled += self.outbox.put(d for d in docs if d.id in busy)
        self.failed.extend(item for item in result.failed if item[0] not in busy)

    def flush_outbox(self) -> FlushReport | None:
        """Deliver what earlier runs spooled, if any and if the store is reachable."""
        if not self.outbox.files():
            return None
        try:
            return self.outbox.flush(self._get_store())
        except StoreUnavailable as exc:
            return FlushReport(error=str(exc), files_left=len(self.outbox.files()))
        except StoreError as exc:
            return FlushReport(error=str(exc), files_left=len(self.outbox.files()))

    def _drop_store(self) -> None:
        if self._store is not None:
            try:
                self._store.close()
            finally:
                self._store = None

    def close(self) -> None:
        """Close the store connection if one is open."""
        self._drop_store()
