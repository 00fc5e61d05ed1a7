"""The Typer app, the global --config option, and the error policy shared by every command."""

from __future__ import annotations

import importlib
import logging
import os
import sys
from pathlib import Path
from typing import Optional

import click
import typer
from rich.console import Console

# OpenMP threads (torch, ONNX Runtime) spin-wait by default; on a small machine shared with
# Elasticsearch that made training steps 10x slower. Must be set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from mediawatch.errors import ConfigError, InputError, MediawatchError, StoreUnavailable
from mediawatch.settings import Settings, load_settings

__all__ = ["app", "main", "settings_from", "console", "err_console"]

app = typer.Typer(
    name="mediawatch",
    help="Monitor how Russian and Azerbaijani media talk about each other.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Optional[Path] = typer.Option(None, "--config", help="User settings file (TOML); overrides config/mediawatch.toml.", envvar="MEDIAWATCH_CONFIG"),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More logging (-v info, -vv debug)."),
) -> None:
    """Monitor how Russian and Azerbaijani media talk about each other."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    before = set(logging.getLogger().handlers)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Libraries that pin their own logger at DEBUG (Scrapy does) still reach the root handler:
    # the level of the handler installed here is what keeps the default output to warnings.
    for handler in set(logging.getLogger().handlers) - before:
        handler.setLevel(level)
    if verbose < 2:
        # The client logs every refused connection with a traceback; mediawatch reports it in one line.
        logging.getLogger("elasticsearch").setLevel(logging.CRITICAL)
    ctx.obj = {"config": config, "settings": None}


def settings_from(ctx: typer.Context, **overrides: object) -> Settings:
    """Return the settings for this invocation (loaded once; CLI `overrides` win over all layers)."""
    root = ctx.find_root()
    obj = root.obj if isinstance(root.obj, dict) else {"config": None, "settings": None}
    if overrides:
        return load_settings(obj.get("config"), overrides=_nest(overrides))
    if obj.get("settings") is None:
        obj["settings"] = load_settings(obj.get("config"))
        root.obj = obj
    return obj["settings"]


def _nest(flat: dict[str, object]) -> dict[str, object]:
    tree: dict[str, object] = {}
    for dotted, value in flat.items():
        if value is None:
            continue
        node = tree
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})  # type: ignore[assignment]
        node[leaf] = value  # type: ignore[index]
    return tree


_registered = False
# Feature modules, each with `register(app)`, in the order their commands appear in --help.
_FEATURES = ("storage", "es", "crawl", "corpus", "nlp", "monitor", "outbox", "kibana", "schedule",
             "reclassify", "demo")


def _register_commands() -> None:
    global _registered
    if _registered:
        return
    _registered = True
    for name in _FEATURES:
        importlib.import_module(f"mediawatch.cli.{name}").register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; mediawatch errors print one line on stderr and exit with code 2."""
    _register_commands()
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="mediawatch", standalone_mode=False)
    except (ConfigError, InputError, StoreUnavailable) as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return 2
    except MediawatchError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return 1
    except OSError as exc:
        # The data dir is a file, the disk is full or read-only: say which path and why.
        where = f"{exc.filename}: " if exc.filename else ""
        err_console.print(f"[bold red]error:[/] {where}{exc.strerror or exc}", highlight=False, soft_wrap=True)
        return 2
    except click.exceptions.Abort:
        err_console.print("aborted")
        return 130
    except click.exceptions.ClickException as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
