"""`mediawatch corpus ...`: check and describe the labelled corpus, regenerate its data card, score mentions.

The corpus and its card are documented in nlp/data/README.md; mention finding in nlp/mentions.py.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from mediawatch.cli.app import console, err_console
from nlp.corpus import (
    CORPUS_DIR,
    check_loaded,
    corpus_stats,
    read_rows,
    stats_markdown,
    update_card,
)
from mediawatch.errors import InputError
from nlp.datasets import CONVERTERS, SHARED_DATA_DIR, convert_all
from nlp.mentions_eval import MENTIONS_EVAL_FILE, evaluate_mentions, load_mention_set

__all__ = ["register", "corpus_app"]

MAX_ERRORS_SHOWN = 50
CARD = CORPUS_DIR.parent / "README.md"

corpus_app = typer.Typer(help="Check and describe the labelled corpus (nlp/data/corpus).",
                         no_args_is_help=True)

DirOption = typer.Option(CORPUS_DIR, "--dir", help="Folder of <language>_<split>.jsonl files.",
                         file_okay=False)


class StatsFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


@corpus_app.command("check")
def check(directory: Path = DirOption) -> None:
    """Validate every row (schema, labels, script, ids, file names); exit 1 listing the errors."""
    rows, errors = read_rows(directory)
    errors += check_loaded(rows)
    if errors:
        for line in errors[:MAX_ERRORS_SHOWN]:
            err_console.print(line, highlight=False, soft_wrap=True, markup=False)
        if len(errors) > MAX_ERRORS_SHOWN:
            err_console.print(f"... and {len(errors) - MAX_ERRORS_SHOWN} more")
        err_console.print(f"{len(errors)} errors in {len(rows)} schema-valid rows")
        raise typer.Exit(1)
    console.print(f"{len(rows)} rows OK", highlight=False)


def _print_tables(stats: dict[str, Any]) -> None:
    summary = Table(title=f"corpus: {stats['total']} rows")
    for column in ("language", "rows", "against", "neutral", "favor"):
        summary.add_column(column)
    for language, count in stats["by_language"].items():
        shares = stats["stance_share_by_language"][language]
        summary.add_row(language, str(count), *(f"{shares[s]:.1%}" for s in ("against", "neutral", "favor")))
    console.print(summary)
    for title, key in (("rhetoric", "by_rhetoric"), ("hard case", "by_hard_case"),
                       ("split", "by_split"), ("language x target x stance x hostility",
                                               "by_language_target_stance_hostility")):
        table = Table(title=title)
        table.add_column(title)
        table.add_column("rows", justify="right")
        for name, count in stats[key].items():
            table.add_row(name, str(count))
        console.print(table)
    console.print(f"hostile: {stats['hostile']}  hard cases: {stats['hard_cases']}  "
                  f"max similarity: {stats['max_similarity']} {stats['max_similarity_pair']}  "
                  f"across splits: {stats['max_similarity_across_splits']} "
                  f"{stats['max_similarity_across_splits_pair']}  above 0.6: {stats['pairs_above_0_6']}",
                  highlight=False)


def _load_valid(directory: Path) -> list[Any]:
    rows, errors = read_rows(directory)
    if errors:
        err_console.print(f"warning: {len(errors)} rows fail the schema and are left out "
                          "(run `mediawatch corpus check`)")
    return [loaded.row for loaded in rows]


@corpus_app.command("stats")
def stats(
    directory: Path = DirOption,
    output_format: StatsFormat = typer.Option(StatsFormat.table, "--format", help="table, json or markdown."),
) -> None:
    """Print counts per language x target x stance x hostility, rhetoric, hard case, and max similarity."""
    result = corpus_stats(_load_valid(directory))
    if output_format is StatsFormat.json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
    elif output_format is StatsFormat.markdown:
        typer.echo(stats_markdown(result), nl=False)
    else:
        _print_tables(result)


@corpus_app.command("card")
def card(
    directory: Path = DirOption,
    readme: Path = typer.Option(CARD, "--readme", help="Data card whose generated block is rewritten.",
                                dir_okay=False),
) -> None:
    """Regenerate the tables of the data card (nlp/data/README.md) from the corpus files."""
    changed = update_card(readme, stats_markdown(corpus_stats(_load_valid(directory))))
    console.print(f"{readme}: {'updated' if changed else 'already up to date'}", highlight=False)


@corpus_app.command("mentions-eval")
def mentions_eval(
    data: Path = typer.Option(MENTIONS_EVAL_FILE, "--data", help="Labelled mention set (JSONL).", dir_okay=False),
    output_format: StatsFormat = typer.Option(StatsFormat.table, "--format", help="table or json."),
    show_mistakes: bool = typer.Option(False, "--mistakes", help="List every false positive and miss."),
    floor: float = typer.Option(0.95, "--floor", help="Exit 1 when precision or recall is below this."),
) -> None:
    """Measure precision and recall of the target-mention finder on the labelled mention set."""
    rows = load_mention_set(data)
    scores = evaluate_mentions(rows)
    if output_format is StatsFormat.json:
        typer.echo(json.dumps({"sentences": len(rows), **{k: s.as_dict() for k, s in scores.items()}},
                              indent=2))
    else:
        table = Table(title=f"target mentions: {len(rows)} sentences ({data.name})")
        for column in ("slice", "precision", "recall", "found right", "false positives", "missed"):
            table.add_column(column)
        for key, score in scores.items():
            table.add_row(key, f"{score.precision:.3f}", f"{score.recall:.3f}", str(score.true_positives),
                          str(score.false_positives), str(score.false_negatives))
        console.print(table)
    if show_mistakes:
        for mistake in scores["all"].mistakes:
            err_console.print(mistake, highlight=False, markup=False, soft_wrap=True)
    if min(scores["all"].precision, scores["all"].recall) < floor:
        raise typer.Exit(1)


@corpus_app.command("convert")
def convert(
    out: Path = typer.Option(..., "--out", help="JSONL file to write the converted rows to.", dir_okay=False),
    dataset: list[str] = typer.Option(None, "--dataset", help=f"Dataset to convert (repeatable; default all: "
                                      f"{', '.join(CONVERTERS)})."),
    data_dir: Path = typer.Option(SHARED_DATA_DIR, "--data-dir", help="The shared data folder.", file_okay=False),
) -> None:
    """Convert the real datasets in ../shared/data to corpus-format rows (auxiliary training data)."""
    unknown = sorted(set(dataset or []) - set(CONVERTERS))
    if unknown:
        raise InputError(f"unknown datasets {unknown}; known: {list(CONVERTERS)}")
    counts: dict[str, int] = {}
    with out.open("w", encoding="utf-8") as handle:
        for row in convert_all(dataset or None, data_dir):
            handle.write(row.model_dump_json() + "\n")
            counts[row.source] = counts.get(row.source, 0) + 1
    console.print(f"{out}: {sum(counts.values())} rows {counts}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the `corpus` command group to the root app."""
    app.add_typer(corpus_app, name="corpus")
