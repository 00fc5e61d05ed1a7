"""The few exceptions that name mediawatch's control flow (see STYLE: one module for them)."""

from __future__ import annotations

__all__ = [
    "MediawatchError",
    "ConfigError",
    "StoreUnavailable",
    "StoreError",
    "DropArticle",
    "SkipSource",
    "StopRun",
    "InputError",
]


class MediawatchError(Exception):
    """Base class of every error mediawatch raises on purpose."""


class ConfigError(MediawatchError):
    """Bad configuration: names the file, the key, the problem and the fix. CLI exit code 2."""

    def __init__(self, problem: str, *, file: str | None = None, key: str | None = None,
                 fix: str | None = None) -> None:
        self.file, self.key, self.problem, self.fix = file, key, problem, fix
        where = ":".join(p for p in (file, key) if p)
        text = f"{where}: {problem}" if where else problem
        if fix:
            text += f" ({fix})"
        super().__init__(text)


class InputError(MediawatchError):
    """Bad user input (a malformed JSONL row, a missing file). CLI exit code 2."""


class StoreUnavailable(MediawatchError):
    """The store cannot be reached (connection refused, timeout, auth failure). CLI exit code 2."""


class StoreError(MediawatchError):
    """The store answered but refused an operation (mapping conflict, corrupt record)."""


class DropArticle(MediawatchError):
    """Drop this one article (no body, wrong language, duplicate) and go on."""


class SkipSource(MediawatchError):
    """Skip this source for this run (misconfigured, feed unreachable) and go on with others."""


class StopRun(MediawatchError):
    """Stop the whole run cleanly (shutdown requested, store lost and no spool)."""
