"""`python -m mediawatch ...` runs the CLI."""

from mediawatch.cli import run

run()
