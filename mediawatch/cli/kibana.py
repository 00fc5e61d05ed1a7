"""`mediawatch kibana import`: load the saved searches, visualisations and dashboard into Kibana."""

from __future__ import annotations

from pathlib import Path

import typer

from mediawatch.cli.app import console, settings_from
from mediawatch.kibana import SAVED_OBJECTS, import_saved_objects, load_saved_objects

__all__ = ["register"]

kibana_app = typer.Typer(help="Kibana saved objects.", no_args_is_help=True)


@kibana_app.command("import")
def import_command(
    ctx: typer.Context,
    url: str = typer.Option("http://localhost:5601", "--url", help="Kibana base URL."),
    file: Path = typer.Option(SAVED_OBJECTS, "--file", help="Saved objects NDJSON."),
) -> None:
    """Import the index pattern, saved searches, visualisations and dashboard (overwriting)."""
    settings = settings_from(ctx)
    objects = load_saved_objects(file)
    answer = import_saved_objects(url, settings.elasticsearch, file)
    if not answer.get("success", False):
        errors = "; ".join(f"{e.get('type')}/{e.get('id')}: {e.get('error', {}).get('type')}"
                           for e in answer.get("errors", []))
        console.print(f"import finished with errors: {errors}")
        raise typer.Exit(1)
    console.print(f"imported {answer.get('successCount', len(objects))} saved object(s) into {url}")


def register(app: typer.Typer) -> None:
    """Add the `kibana` group."""
    app.add_typer(kibana_app, name="kibana")
