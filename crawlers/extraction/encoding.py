"""Turning response bytes into text: declared encodings first, then a Cyrillic sniffer.

Order (README, "Extraction"): byte-order mark, the HTTP Content-Type charset, the HTML/XML
declaration, each kept only if the bytes really decode with it; then strict UTF-8; then the
better of windows-1251 and KOI8-R by letter frequencies; finally UTF-8 with replacement.
"""

from __future__ import annotations

import logging
import re

from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

__all__ = ["decode_html", "sniff_cyrillic"]

logger = logging.getLogger(__name__)

_XML_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")
# The most frequent Russian lowercase letters and the space; right decodings are full of them.
_COMMON_RUSSIAN = frozenset("оеаинтсрвлкмдпуяы ")
_CYRILLIC_CANDIDATES = ("windows-1251", "koi8-r")


def _declared_encodings(body: bytes, content_type: str | None) -> list[str]:
    found: list[str | None] = []
    bom_encoding, _ = read_bom(body)
    found.append(bom_encoding)
    found.append(http_content_type_encoding(content_type) if content_type else None)
    found.append(html_body_declared_encoding(body[:4096]))
    match = _XML_DECLARATION.match(body[:200])
    found.append(resolve_encoding(match.group(1).decode("ascii")) if match else None)
    return [e for e in dict.fromkeys(found) if e]


def _strict_decode(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def sniff_cyrillic(body: bytes) -> tuple[str, str]:
    """Return (encoding, text) for the Cyrillic single-byte encoding that reads most like Russian."""
    best: tuple[int, str, str] | None = None
    for encoding in _CYRILLIC_CANDIDATES:
        text = body.decode(encoding, errors="replace")
        score = sum(1 for char in text if char in _COMMON_RUSSIAN)
        if best is None or score > best[0]:
            best = (score, encoding, text)
    assert best is not None
    return best[1], best[2]


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Return (encoding, text) of an HTML or XML body, trusting declarations only when they decode.

    A declared UTF-8 that fails to decode is common on Russian sites that switched CMS; the
    sniffer then decides between windows-1251 and KOI8-R.
    """
    for encoding in _declared_encodings(body, content_type):
        text = _strict_decode(body, encoding)
        if text is not None:
            return encoding, text.lstrip("\ufeff")
    text = _strict_decode(body, "utf-8")
    if text is not None:
        return "utf-8", text.lstrip("\ufeff")
    if any(byte >= 0xC0 for byte in body[:65536]):
        return sniff_cyrillic(body)
    return "utf-8", body.decode("utf-8", errors="replace")
