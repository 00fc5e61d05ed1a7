"""CLI sub-group `mediawatch es`: `serve` runs the real local Elasticsearch (indexer/local_es.py)."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from types import FrameType
from typing import Optional

import typer

from indexer.local_es import LocalElasticsearch
from mediawatch.cli.app import console, err_console, settings_from

__all__ = ["register", "es_app"]

es_app = typer.Typer(help="Run a local Elasticsearch for the demo and tests.",
                     no_args_is_help=True)


class _Terminated(Exception):
    """Raised from the SIGTERM handler so `serve` stops the node like on Ctrl-C."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise _Terminated()


@es_app.command("serve")
def serve(
    ctx: typer.Context,
    port: int = typer.Option(9200, "--port", min=1, max=65535, help="HTTP port on 127.0.0.1."),
    data: Optional[Path] = typer.Option(None, "--data", help="Data dir (default: DATA_DIR/elasticsearch)."),
    heap: str = typer.Option("1g", "--heap", help="JVM heap, e.g. 1g or 512m."),
) -> None:
    """Start a real single-node Elasticsearch 7.10.2 and block until Ctrl-C or SIGTERM."""
    data_dir = data or settings_from(ctx).data_dir / "elasticsearch"
    node = LocalElasticsearch(data_dir, port=port, heap=heap)
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        started = time.monotonic()
        url = node.start()
        console.print(f"Elasticsearch 7.10.2 ready at {url} "
                      f"(started in {time.monotonic() - started:.1f} s; data in {node.data_dir}, "
                      f"log in {node.log_file}). Ctrl-C stops it.", highlight=False, soft_wrap=True)
        code = node.wait()
        err_console.print(f"Elasticsearch exited on its own with code {code}; log: {node.log_file}")
        raise typer.Exit(1)
    except (KeyboardInterrupt, _Terminated):
        err_console.print("stopping Elasticsearch ...")
    finally:
        node.stop()
        signal.signal(signal.SIGTERM, previous)
    err_console.print("stopped")


def register(app: typer.Typer) -> None:
    """Add the `es` sub-group to the root app."""
    app.add_typer(es_app, name="es")
