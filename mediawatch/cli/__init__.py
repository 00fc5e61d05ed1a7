"""The `mediawatch` command line: one Typer app, commands registered per feature module.

Each feature module (storage, es, crawl, nlp, monitor) has a `register(app)`; `main` runs the
app and turns mediawatch's own errors into a one-line message and exit code 2.
"""

from __future__ import annotations

from mediawatch.cli.app import app, main

__all__ = ["app", "main"]


def run() -> None:
    """Console-script entry point: exit with `main`'s code."""
    import sys

    sys.exit(main())


__all__ += ["run"]
