"""Duplicates: exact copies by content hash, near-duplicates (syndicated copies) by MinHash LSH.

Signatures are computed where the text is (the extraction workers); the index lives in the
crawl process and sees every article of a run. An exact copy within one outlet is dropped; a
copy across outlets is kept (who republished what is itself a finding) and grouped: its
`near_duplicate_group` is the id of an article of the group, the same for all members (README, "Dedup").
"""

from __future__ import annotations

import re
from datasketch import MinHash, MinHashLSH

from mediawatch.documents import Article
from mediawatch.errors import DropArticle

__all__ = ["minhash_signature", "DuplicateIndex", "NUM_PERM", "SHINGLE_WORDS"]

NUM_PERM = 64            # permutations: Jaccard error ~1/sqrt(64) = 0.125, plenty at 0.8
SHINGLE_WORDS = 5        # word 5-grams: robust to a changed dateline, distinct across stories
NEAR_DUPLICATE_THRESHOLD = 0.8
_WORD = re.compile(r"\w+", re.UNICODE)


def _shingles(text: str) -> set[bytes]:
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words).encode("utf-8")}
    return {" ".join(words[i:i + SHINGLE_WORDS]).encode("utf-8")
            for i in range(len(words) - SHINGLE_WORDS + 1)}


def minhash_signature(text: str) -> MinHash:
    """Return the MinHash (NUM_PERM permutations) of a body's word shingles; it pickles small."""
    minhash = MinHash(num_perm=NUM_PERM)
    minhash.update_batch(list(_shingles(text)))
    return minhash


class DuplicateIndex:
    """What one crawl run has seen: content hashes per outlet and an LSH of signatures."""

    def __init__(self, threshold: float = NEAR_DUPLICATE_THRESHOLD) -> None:
        self._by_hash: dict[str, tuple[str, str]] = {}
        self._seen_ids: set[str] = set()
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._group: dict[str, str] = {}

    def admit(self, article: Article, signature: MinHash | None) -> Article:
        """Return `article` with its near-duplicate group set; DropArticle when it is a copy.

        Dropped: an id already admitted in this run (same canonical URL), or the same content
        hash already admitted for the same outlet under another URL.
        """
        if article.id in self._seen_ids:
            raise DropArticle("duplicate: same canonical URL")
        first = self._by_hash.get(article.content_hash)
        if first is not None and first[1] == article.outlet_id:
            raise DropArticle(f"duplicate: same content as {first[0]}")
        self._seen_ids.add(article.id)
        group = self._group.get(first[0], first[0]) if first else self._near_group(article, signature)
        self._by_hash.setdefault(article.content_hash, (article.id, article.outlet_id))
        self._group[article.id] = group
        article.near_duplicate_group = group
        return article

    def _near_group(self, article: Article, signature: MinHash | None) -> str:
        if signature is None:
            return article.id
        matches = self._lsh.query(signature)
        self._lsh.insert(article.id, signature)
        if not matches:
            return article.id
        # Several groups can match; the smallest id keeps the choice independent of arrival order.
        return min(self._group.get(m, m) for m in matches)
