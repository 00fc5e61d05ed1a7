"""The article body: trafilatura's main-text extraction with comments and tables left out.

`fast` skips trafilatura's readability/jusText fallbacks and, through precision focus, its
recall escalation (which re-reads the whole page): about 1.8x faster on news pages of
60-150 KB, with the same result on every fixture outlet and saved real page in the tests.
"""

from __future__ import annotations

import re

import trafilatura
from lxml.html import HtmlElement

__all__ = ["extract_body", "drop_leading_title", "drop_widgets"]

# Class/id words of page widgets that sit next to the article and read like text to trafilatura.
_WIDGET = re.compile(r"subscri|newsletter|cookie|consent|paywall|promo|social|share|rassylk|abun",
                     re.IGNORECASE)
_WIDGET_MAX_CHARS = 400


def drop_widgets(tree: HtmlElement) -> None:
    """Remove forms, elements holding inputs, and subscription/cookie/share widgets, in place.

    These blocks follow the last paragraph on many outlets (a newsletter box with a sentence
    and an input) and trafilatura keeps their sentence as the article's last line.
    """
    doomed = tree.xpath("//form | //input/.. | //button/.. | //textarea/.. | //select/..")
    doomed += [node for node in tree.xpath("//body//*[@class or @id]")
               if _WIDGET.search(f"{node.get('class', '')} {node.get('id', '')}")]
    for node in doomed:
        # A widget is small; a large match is a page wrapper that happens to share a class word.
        if node.getparent() is not None and len(node.text_content()) < _WIDGET_MAX_CHARS:
            node.drop_tree()


def extract_body(tree: HtmlElement, url: str, fast: bool = False) -> str:
    """Return the main text of a page, paragraphs separated by newlines; '' when none is found.

    trafilatura prunes the tree it is given, so callers read metadata first.
    """
    drop_widgets(tree)
    text = trafilatura.extract(tree, url=url, include_comments=False, include_tables=False,
                               include_images=False, deduplicate=False, fast=fast,
                               favor_precision=fast,
                               with_metadata=False)
    return text.strip() if text else ""


def drop_leading_title(body: str, title: str) -> str:
    """Return `body` without a first line that only repeats the title."""
    first, _, rest = body.partition("\n")
    if title and " ".join(first.split()) == " ".join(title.split()):
        return rest.strip()
    return body
