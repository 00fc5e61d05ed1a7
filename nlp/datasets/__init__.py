"""Converters from the real datasets in ../shared/data to the corpus row format (see nlp/data/README.md).

Each converter module has `convert(data_dir=None) -> Iterator[ExternalRow]` and yields nothing
(logging once) when its folder is absent, as in a user's fresh clone. `CONVERTERS` maps dataset
names to them; `convert_all` chains the ones asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from nlp.datasets import az_sentiment, rusentne2023, ruopinionne2024, russe_detox_2022, semeval2023_task3_ru
from nlp.datasets.base import SHARED_DATA_DIR, ExternalRow, dataset_dir

__all__ = ["CONVERTERS", "ExternalRow", "SHARED_DATA_DIR", "convert_all", "dataset_dir"]

CONVERTERS: dict[str, Callable[[Path | None], Iterator[ExternalRow]]] = {
    rusentne2023.NAME: rusentne2023.convert,
    ruopinionne2024.NAME: ruopinionne2024.convert,
    semeval2023_task3_ru.NAME: semeval2023_task3_ru.convert,
    russe_detox_2022.NAME: russe_detox_2022.convert,
    az_sentiment.NAME: az_sentiment.convert,
}


def convert_all(names: Iterable[str] | None = None, data_dir: Path | None = None) -> Iterator[ExternalRow]:
    """Yield the rows of the named datasets (all when None), in `CONVERTERS` order."""
    wanted = list(CONVERTERS) if names is None else list(names)
    unknown = set(wanted) - set(CONVERTERS)
    if unknown:
        raise ValueError(f"unknown datasets {sorted(unknown)}; known: {list(CONVERTERS)}")
    for name in wanted:
        yield from CONVERTERS[name](data_dir)
