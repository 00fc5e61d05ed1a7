"""`python -m mediawatch.cli ...` runs the CLI (the scheduler starts crawls this way)."""

from mediawatch.cli import run

run()
